"""The plan computed from a snapshot: each account's posts placed week by week
(rules 2 and 3 of `workflow.planner`), then given pillars, topics and angles
(rules 4 and 5). Reads the posting-time model; writes nothing."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.utils import timezone

from analytics.posting_times import PostingTimeModel
from campaigns.models import (
    Campaign,
    CampaignChannel,
    Job,
    Pillar,
    Post,
    PostOrigin,
    PostStatus,
)
from workflow.plan_topics import topic_and_angle, topic_sources
from workflow.planner.apportion import largest_remainder, spread_evenly
from workflow.planner.placement import (
    LEAD,
    Clock,
    Occupancy,
    Placed,
    Rotation,
    campaign_days,
    monday,
    place_week,
)
from workflow.planner.results import PLANNER, AccountPlan, PillarPlan, PlanResult
from workflow.planner.snapshot import Snapshot

Progress = Callable[[int, int, str], None]


def compute(
    campaign: Campaign,
    cadences: list[CampaignChannel],
    pillars: list[Pillar],
    snapshot: Snapshot,
    model: PostingTimeModel,
    job: Job | None,
    report: Progress,
    *,
    seed: str = "",
) -> PlanResult:
    """The plan's new posts (unsaved) and what it did, for `snapshot`."""
    clock = Clock(campaign.time_zone)
    now = timezone.now()
    result = PlanResult(kept=len(snapshot.kept))
    weeks: dict[date, list[date]] = defaultdict(list)
    for day in campaign_days(campaign):
        weeks[monday(day)].append(day)
    if campaign.end_date < now.astimezone(clock.tz).date():
        result.warnings.append("The campaign has ended; nothing new was planned.")

    placed: list[Placed] = []
    steps = len(cadences) + 2
    for step, cadence in enumerate(cadences, start=1):
        plan, got = _plan_account(
            campaign, cadence, snapshot, model, weeks, clock, now + LEAD, seed
        )
        result.per_account[plan.account_id] = plan
        placed.extend(got)
        if plan.shortfall:
            result.warnings.append(
                f"{plan.shortfall} post(s) for {plan.name} found no free slot "
                "(past days, blackouts or the minimum gap)."
            )
        report(step, steps, f"Planned {plan.name}")

    placed.sort(key=lambda p: (p.at, p.account.network, p.account.name, p.account.pk))
    result.posts = _posts(campaign, pillars, snapshot, placed, job, result)
    result.created = len(result.posts)
    return result


def _plan_account(
    campaign: Campaign,
    cadence: CampaignChannel,
    snapshot: Snapshot,
    model: PostingTimeModel,
    weeks: dict[date, list[date]],
    clock: Clock,
    earliest: datetime,
    seed: str,
) -> tuple[AccountPlan, list[Placed]]:
    """One account's posts, week by week: its cadence less its kept posts."""
    account = cadence.account
    tz = clock.tz
    plan = AccountPlan(
        account.pk, account.name, account.network, cadence.posts_per_week
    )
    mine = [
        k
        for k in snapshot.kept
        if k.occupies and account.pk in k.account_ids and k.scheduled_at
    ]
    plan.kept = len(mine)
    gap = timedelta(minutes=campaign.min_gap_minutes)
    kept_at = [k.scheduled_at for k in mine if k.scheduled_at is not None]
    occupancy = Occupancy(kept_at, gap)
    kept_per_week: Counter[date] = Counter()
    per_day: Counter[date] = Counter()
    rotation = Rotation(seed)
    for at in kept_at:
        local = at.astimezone(tz)
        kept_per_week[monday(local.date())] += 1
        per_day[local.date()] += 1
        rotation.weekdays[local.weekday()] += 1
        rotation.hours[local.time().replace(second=0, microsecond=0)] += 1
    week_keys = sorted(weeks)
    exact = [cadence.posts_per_week * len(weeks[w]) / 7 for w in week_keys]
    total = int(sum(exact) + 0.5 + 1e-9)
    targets = largest_remainder(total, exact)
    plan.target = total
    placed: list[Placed] = []
    for week, target in zip(week_keys, targets, strict=True):
        wanted = max(0, target - kept_per_week[week])
        if not wanted:
            continue
        slots = model.best_slots(account, week, campaign.time_zone)
        got = place_week(
            account,
            weeks[week],
            wanted,
            slots,
            occupancy,
            per_day,
            clock,
            earliest,
            rotation,
        )
        plan.created += len(got)
        plan.shortfall += wanted - len(got)
        placed.extend(got)
    return plan, placed


def _pillar_order(
    pillars: list[Pillar], snapshot: Snapshot, new: int, result: PlanResult
) -> list[Pillar | None]:
    """Which pillar each of `new` posts (in time order) gets (rule 4)."""
    if not pillars:
        return [None] * new
    ids = {p.pk for p in pillars}
    kept = Counter(k.pillar_id for k in snapshot.kept if k.pillar_id in ids)
    total = new + sum(kept.values())
    targets = largest_remainder(total, [p.weight for p in pillars])
    need = [max(0, t - kept[p.pk]) for p, t in zip(pillars, targets, strict=True)]
    if sum(need) != new:  # kept posts overfill a pillar: share what is left
        need = largest_remainder(new, need)
    for pillar, target in zip(pillars, targets, strict=True):
        result.per_pillar[pillar.pk] = PillarPlan(
            pillar.pk, pillar.name, pillar.weight, target, kept[pillar.pk]
        )
    return [pillars[i] for i in spread_evenly(need)]


def _posts(
    campaign: Campaign,
    pillars: list[Pillar],
    snapshot: Snapshot,
    placed: list[Placed],
    job: Job | None,
    result: PlanResult,
) -> list[Post]:
    order = _pillar_order(pillars, snapshot, len(placed), result)
    sources = topic_sources(campaign, pillars)
    total_weight = sum(p.weight for p in pillars)
    offsets = {p.pk: i for i, p in enumerate(pillars)}
    posts: list[Post] = []
    for item, pillar in zip(placed, order, strict=True):
        source = sources[pillar.pk if pillar is not None else 0]
        offset = offsets.get(pillar.pk, 0) if pillar is not None else 0
        topic, angle, topic_reason = topic_and_angle(campaign, pillar, source, offset)
        if pillar is not None:
            share = result.per_pillar[pillar.pk]
            share.created += 1
            pillar_reason = (
                f"{pillar.name} has {pillar.weight} of the campaign's "
                f"{total_weight} pillar weight, so about {share.target} of its "
                "posts; the planner takes turns between pillars so each keeps "
                "its share throughout the campaign."
            )
        else:
            pillar_reason = "The campaign has no pillars."
        post = Post(
            workspace_id=campaign.workspace_id,
            campaign=campaign,
            pillar=pillar,
            topic=topic,
            angle=angle,
            scheduled_at=item.at,
            status=PostStatus.DRAFT,
            origin=PostOrigin.PLANNER,
            plan_job=job,
            plan_reason={
                "slot": {
                    "score": item.slot.score,
                    "reason": item.slot.reason,
                    "local_time": item.local.isoformat(timespec="minutes"),
                },
                "pillar": pillar_reason,
                "topic": topic_reason,
                "planner": PLANNER,
            },
        )
        posts.append(post)
        result.account_ids.append(item.account.pk)
    return posts
