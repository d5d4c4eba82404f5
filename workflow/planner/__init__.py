"""The plan generator: a campaign in, draft posts across its dates and channels out.

The dates, channels and pillars are offline and deterministic (the same
campaign, posts and clock give the same plan); `plan_reason["planner"]` names
the rules. Topics and angles are offline too, unless the workspace configured
an LLM provider (rule 5).

The rules, in the order they apply:

1. Re-planning deletes only untouched planner drafts (origin planner, status
   draft, `touched_at` empty). Everything else is kept and counts against the
   quotas below, the gap and the slots; canceled posts are kept but occupy
   nothing.
2. Cadence: each account's `posts_per_week` is prorated by the campaign days
   (not blacked out) of each Monday-to-Sunday week in the campaign's zone; the
   account's total (the rounded sum) is apportioned over the weeks by largest
   remainder, so a week gets the floor or the ceiling of its exact share and
   never more than the cadence. Kept posts in a week are subtracted.
3. Slots: the posting-time model's scored local slots, turned into UTC per date
   with `slot_to_utc` (09:00 Berlin stays 09:00 local across DST). A slot must
   lie on a campaign day that is not blacked out, at least `LEAD` after now,
   not on an instant already used on that account, and `min_gap_minutes` away
   from every other post of the campaign on that account. Within a week, each
   post goes to the day with the fewest posts on that account; among those,
   days whose best slot is in the top band (`DAY_BAND` of the week's best)
   come first, and of them the weekday this account used least so far (ties:
   a hash of the seed, account and day). On that day the post takes a free
   round-hour slot in the top band (`HOUR_BAND` of the day's best), the hour
   this account used least so far (ties: the hash again), else the day's best
   free slot. So posts spread over the best hours and days the model ranks
   instead of all landing on its single best one (every post at 10:00,
   Monday to Thursday), and the same seed gives the same plan. When no slot
   is left the shortfall is reported, never forced.
4. Pillars: the plan's posts (kept ones with a pillar plus the new ones) are
   apportioned over the pillars by weight with largest remainder; the new posts
   fill what the kept ones leave, in time order, each to the pillar furthest
   behind its share so far, so a pillar's posts spread over the campaign
   instead of bunching up.
5. Topic (the post's title) and angle come from the pillar and the brief:
   RAKE-style key phrases and title/angle templates per objective, rotated
   (`workflow.plan_topics`), with no AI. When the workspace's provider is an
   LLM, it proposes the topics and angles instead, one request per pillar
   (`planner.angles`); such a post's `plan_reason` names the provider and
   model, and a pillar whose request fails keeps the offline ones.

The pieces: `snapshot` (rule 1), `apportion` (the arithmetic of rules 2 and
4), `placement` (rule 3), `compute` (the plan from a snapshot), `angles`
(rule 5's LLM), `results` (what a plan did). This module runs them.

The writes (delete, bulk insert of posts, their accounts and history rows) are
one transaction; the computation before it reports progress, and neither it
nor the LLM's angles hold a lock. If the campaign's posts changed while the plan was
computed, it is computed again under the lock (with the same LLM angles).
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from analytics.posting_times import PostingTimeModel, get_model
from campaigns import lifecycle
from campaigns.models import Campaign, CampaignChannel, Job, Pillar, Post
from campaigns.services.jobs import job_fail, job_progress, job_start, job_succeed
from core.errors import ConflictError
from core.timezones import zone
from workflow.plan_topics import key_phrases
from workflow.planner.angles import apply_angles, llm_angles
from workflow.planner.apportion import largest_remainder, spread_evenly
from workflow.planner.compute import Progress, compute
from workflow.planner.placement import LEAD
from workflow.planner.results import PLANNER, AccountPlan, PillarPlan, PlanResult
from workflow.planner.snapshot import take_snapshot

logger = logging.getLogger(__name__)
__all__ = [
    "LEAD",
    "PLANNER",
    "AccountPlan",
    "ConflictError",
    "PillarPlan",
    "PlanResult",
    "key_phrases",
    "largest_remainder",
    "plan_campaign",
    "run_plan_job",
    "spread_evenly",
]

SYSTEM = "planner"


def _noop(done: int, total: int, message: str) -> None:
    return None


def plan_campaign(
    campaign: Campaign,
    *,
    job: Job | None = None,
    progress: Progress | None = None,
    model: PostingTimeModel | None = None,
    seed: str | None = None,
) -> PlanResult:
    """(Re-)plan `campaign`: replace its untouched planner drafts with a new plan.

    `seed` picks among equally good slots (rule 3); by default the campaign's
    id, so re-planning the same campaign gives the same plan.
    Raises `ConflictError` when the campaign has no channel with a cadence.
    See the module docstring for the rules.
    """
    report = progress or _noop
    seed = f"campaign-{campaign.pk}" if seed is None else seed
    model = model or get_model()
    cadences, pillars = _inputs(campaign)
    steps = len(cadences) + 2
    report(0, steps, "Reading the campaign")
    snapshot = take_snapshot(campaign, cadences, pillars)
    result = compute(
        campaign, cadences, pillars, snapshot, model, job, report, seed=seed
    )
    # Outside any transaction: the model may take seconds per pillar.
    angles = llm_angles(campaign, pillars, result.posts)
    apply_angles(result.posts, angles)

    report(steps - 1, steps, "Saving the plan")
    with transaction.atomic():
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        # Lock the drafts to replace; a person editing one now waits for us.
        list(
            Post.objects.select_for_update()
            .filter(pk__in=snapshot.deletable)
            .values_list("pk", flat=True)
        )
        current = take_snapshot(campaign, cadences, pillars)
        if current != snapshot:
            logger.info(
                "campaign %s changed while planning; planning again", campaign.pk
            )
            result = compute(
                campaign, cadences, pillars, current, model, job, _noop, seed=seed
            )
            apply_angles(result.posts, angles)
            snapshot = current
        Post.objects.filter(pk__in=snapshot.deletable).delete()
        result.deleted = len(snapshot.deletable)
        _save(result)
    report(steps, steps, f"{result.created} posts planned")
    return result


def _inputs(campaign: Campaign) -> tuple[list[CampaignChannel], list[Pillar]]:
    """The campaign's cadences and pillars in plan order; refuses early a
    campaign without a cadence or with a bad time zone."""
    cadences = list(
        CampaignChannel.objects.filter(campaign=campaign)
        .select_related("account")
        .order_by("account__network", "account__name", "account_id")
    )
    if not cadences:
        raise ConflictError(
            "Add at least one channel with a cadence before planning.",
            code="not_ready",
        )
    pillars = list(
        Pillar.objects.filter(campaign=campaign).order_by("-weight", "name", "pk")
    )
    zone(campaign.time_zone)  # a ValidationError naming a bad zone, early
    return cadences, pillars


def _save(result: PlanResult) -> None:
    """Bulk-insert the posts, their account links and their history rows."""
    posts = Post.objects.bulk_create(result.posts, batch_size=500)
    through = Post.accounts.through
    through.objects.bulk_create(
        [
            through(post_id=p.pk, channelaccount_id=account_id)
            for p, account_id in zip(posts, result.account_ids, strict=True)
        ],
        batch_size=1000,
    )
    lifecycle.record_creations(posts, by=None, system=SYSTEM)


# --- The job ---------------------------------------------------------------------


def run_plan_job(job_id: int) -> None:
    """The worker's side of `services.plans.plan_request`: claim, plan, report."""
    job = Job.objects.select_related("workspace").filter(pk=job_id).first()
    if job is None:
        logger.warning("plan job %s is gone; nothing to do", job_id)
        return
    if not job_start(job):
        logger.info("plan job %s is taken or done (%s); skipping", job_id, job.status)
        return
    campaign_id = (job.input or {}).get("campaign_id")
    campaign = (
        Campaign.objects.select_related("workspace", "brand")
        .filter(pk=campaign_id, workspace_id=job.workspace_id)
        .first()
        if campaign_id is not None  # None matches no campaign
        else None
    )
    if campaign is None:
        job_fail(job, error="The campaign of this plan no longer exists.")
        return

    def progress(done: int, total: int, message: str) -> None:
        job_progress(job, done=done, total=total, message=message)

    try:
        result = plan_campaign(campaign, job=job, progress=progress)
    except ConflictError as exc:
        job_fail(job, error=str(exc))
        return
    except ValidationError as exc:
        job_fail(job, error=" ".join(exc.messages))
        return
    except Exception as exc:  # the job row must say it failed, whatever it was
        logger.exception("plan job %s for campaign %s failed", job.pk, campaign.pk)
        job_fail(
            job,
            error=(
                f"The plan could not be made ({type(exc).__name__}). Nothing was "
                "changed; try again, and tell support if it keeps failing."
            ),
        )
        return
    message = f"{result.created} posts planned, {result.kept} kept"
    if result.shortfall:
        message += f", {result.shortfall} without a free slot"
    job_succeed(job, result=result.summary(), message=message)
