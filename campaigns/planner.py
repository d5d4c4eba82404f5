"""The plan generator: a campaign in, draft posts across its dates and channels out.

Offline and deterministic (the same campaign, posts and clock give the same
plan); no AI is involved, and every post says so in `plan_reason["planner"]`.

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
   (`campaigns.plan_topics`).

The writes (delete, bulk insert of posts, their accounts and history rows) are
one transaction; the computation before it reports progress. If the campaign's
posts changed while the plan was computed, it is computed again under the lock.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from analytics.posting_times import PostingTimeModel, Slot, get_model
from campaigns import lifecycle
from campaigns.errors import ConflictError
from campaigns.models import (
    Campaign,
    CampaignChannel,
    Job,
    Pillar,
    Post,
    PostOrigin,
    PostStatus,
)
from campaigns.plan_topics import key_phrases, topic_and_angle, topic_sources
from campaigns.services.jobs import job_fail, job_progress, job_start, job_succeed
from campaigns.timezones import slot_to_utc, zone
from channels.models import ChannelAccount

logger = logging.getLogger(__name__)
__all__ = ["key_phrases", "plan_campaign", "run_plan_job"]  # key_phrases: re-export

PLANNER = "offline-rules-v1"
SYSTEM = "planner"
# A planned post is never due sooner than this: a person gets a moment to look.
LEAD = timedelta(minutes=30)
# The top bands the planner rotates through (rule 3), as shares of the best score.
DAY_BAND = 0.7
HOUR_BAND = 0.85

Progress = Callable[[int, int, str], None]


# --- Results ------------------------------------------------------------------


@dataclass
class AccountPlan:
    account_id: int
    name: str
    network: str
    posts_per_week: int
    target: int = 0
    kept: int = 0
    created: int = 0
    shortfall: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "network": self.network,
            "posts_per_week": self.posts_per_week,
            "target": self.target,
            "kept": self.kept,
            "created": self.created,
            "shortfall": self.shortfall,
        }


@dataclass
class PillarPlan:
    pillar_id: int
    name: str
    weight: int
    target: int = 0
    kept: int = 0
    created: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "weight": self.weight,
            "target": self.target,
            "kept": self.kept,
            "created": self.created,
        }


@dataclass
class PlanResult:
    """What a (re-)plan did; `summary()` is the job's result."""

    created: int = 0
    kept: int = 0
    deleted: int = 0
    per_account: dict[int, AccountPlan] = field(default_factory=dict)
    per_pillar: dict[int, PillarPlan] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list, repr=False)

    @property
    def shortfall(self) -> int:
        return sum(a.shortfall for a in self.per_account.values())

    def summary(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "kept": self.kept,
            "deleted": self.deleted,
            "shortfall": self.shortfall,
            "per_account": {str(pk): a.as_dict() for pk, a in self.per_account.items()},
            "per_pillar": {p.name: p.as_dict() for p in self.per_pillar.values()},
            "warnings": self.warnings,
            "planner": PLANNER,
        }


# --- Apportionment ----------------------------------------------------------------


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights` (Hamilton's method).

    Each share is the floor or the ceiling of its exact quota; the leftover
    units go to the largest remainders, ties to the earlier weight, so the
    answer is deterministic.
    """
    if total <= 0 or not weights:
        return [0] * len(weights)
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    # A hair of tolerance so that 3.0000000004 does not floor to 3 and then
    # win a remainder over an honest 0.5.
    shares = [int(q + 1e-9) for q in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def spread_evenly(counts: Sequence[int]) -> list[int]:
    """Indexes in an order that spreads index i's `counts[i]` turns evenly.

    Each turn goes to the index furthest behind its share so far (largest
    deficit first; ties to the earlier index), so after any n turns every
    index stays within two (nearly always within one) of its exact share
    n * counts[i] / sum(counts). Integer arithmetic keeps it deterministic.
    """
    total = sum(counts)
    seen = [0] * len(counts)
    order: list[int] = []
    for n in range(1, total + 1):
        best = max(
            (i for i, c in enumerate(counts) if seen[i] < c),
            key=lambda i: (n * counts[i] - seen[i] * total, -i),
        )
        seen[best] += 1
        order.append(best)
    return order


# --- Topics and angles from the configured LLM ----------------------------------


@dataclass
class _AnglePool:
    """The angles an LLM proposed for one pillar, handed out in turn."""

    angles: list[Any]
    provider: str
    model: str
    used: int = 0

    def next(self) -> Any:
        angle = self.angles[self.used % len(self.angles)]
        self.used += 1
        return angle


def llm_angles(
    campaign: Campaign, pillars: list[Pillar], posts: list[Post]
) -> dict[int, _AnglePool]:
    """Ask the workspace's provider for topics and angles, one request per
    pillar that gets new posts (key 0: posts without a pillar).

    Only when the configured provider is not the offline writer; a provider
    error leaves that pillar to the offline derivation (logged, never fatal).
    """
    from content.copy_types import AngleTask, LLMError
    from content.services.budget import resolve_provider

    choice = resolve_provider(campaign.workspace)
    if choice.is_offline or not posts:
        return {}
    from content import llm, prompts
    from content.services.writing import brand_facts

    wanted = Counter(p.pillar_id or 0 for p in posts)
    by_id = {p.pk: p for p in pillars}
    brand = brand_facts(campaign.brand)
    language = (campaign.brand.languages or ["en"])[0]
    winners = tuple(
        Post.objects.filter(campaign=campaign, status=PostStatus.PUBLISHED)
        .exclude(body="")
        .order_by("-scheduled_at")
        .values_list("body", flat=True)[:5]
    )
    try:
        provider = llm.get_provider(choice.provider, choice.model or None)
    except LLMError as exc:
        logger.warning("planner: no LLM angles (%s); offline angles instead", exc)
        return {}
    pools: dict[int, _AnglePool] = {}
    for pillar_id, count in sorted(wanted.items()):
        pillar = by_id.get(pillar_id)
        name = pillar.name if pillar else campaign.name
        description = pillar.description if pillar else ""
        prompt = prompts.render(
            "angles",
            {
                "brand_name": brand.name,
                "brand_voice": brand.voice or "(not described)",
                "audience": brand.audience or "(not described)",
                "dont_words": ", ".join(brand.dont_words) or "(none)",
                "language": language,
                "count": min(count, 20),
                "pillar": name,
                "pillar_description": description or "(none)",
                "objective": campaign.objective,
                "brief": campaign.brief or "(none)",
                "past_winners": "\n".join(f"- {w}" for w in winners) or "(none yet)",
            },
        )
        task = AngleTask(
            brand=brand,
            objective=campaign.objective,
            brief=campaign.brief,
            pillar=name,
            count=min(count, 20),
            language=language,
            past_winners=winners,
            prompt=prompt,
        )
        try:
            angles = [a for a in provider.propose_angles(task) if a.topic.strip()]
        except LLMError as exc:
            logger.warning(
                "planner: angles for pillar %s failed (%s); offline angles instead",
                name,
                exc,
            )
            continue
        if angles:
            pools[pillar_id] = _AnglePool(angles, choice.provider, choice.model)
    return pools


def _apply_angles(posts: list[Post], pools: dict[int, _AnglePool]) -> None:
    """Replace the offline topic and angle of each post whose pillar has LLM
    angles; such a post's `plan_reason` says so (`topic_source: "llm"`, the
    provider and model); the others keep the offline reason ("no AI")."""
    for pool in pools.values():
        pool.used = 0
    for post in posts:
        pool = pools.get(post.pillar_id or 0)
        if pool is None:  # the offline reason already says "no AI"
            continue
        angle = pool.next()
        post.topic = angle.topic.strip()[:300]
        post.angle = angle.angle.strip()[:300]
        post.plan_reason["topic"] = (
            f"Proposed by the LLM ({pool.provider}, {pool.model or 'default model'})"
            + (f": {angle.rationale.strip()}" if angle.rationale.strip() else ".")
        )[:1000]
        post.plan_reason["topic_source"] = "llm"
        post.plan_reason["topic_model"] = {
            "provider": pool.provider,
            "model": pool.model,
        }


# --- The snapshot the plan is computed from ------------------------------------------


@dataclass(frozen=True)
class _Kept:
    pk: int
    pillar_id: int | None
    scheduled_at: datetime | None
    account_ids: tuple[int, ...]
    occupies: bool  # canceled posts are kept but occupy no slot


@dataclass(frozen=True)
class _Snapshot:
    cadences: tuple[tuple[int, int], ...]  # (account id, per week)
    pillars: tuple[tuple[int, int], ...]  # (pillar id, weight)
    deletable: frozenset[int]
    kept: tuple[_Kept, ...]


def _snapshot(
    campaign: Campaign, cadences: list[CampaignChannel], pillars: list[Pillar]
) -> _Snapshot:
    rows = list(
        Post.objects.filter(campaign=campaign).values_list(
            "pk", "status", "origin", "touched_at", "pillar_id", "scheduled_at"
        )
    )
    links: dict[int, list[int]] = defaultdict(list)
    through = Post.accounts.through
    for post_id, account_id in through.objects.filter(
        post__campaign=campaign
    ).values_list("post_id", "channelaccount_id"):
        links[post_id].append(account_id)
    deletable, kept = set(), []
    for pk, status, origin, touched_at, pillar_id, scheduled_at in rows:
        if _is_replaceable(status, origin, touched_at):
            deletable.add(pk)
        else:
            kept.append(
                _Kept(
                    pk,
                    pillar_id,
                    scheduled_at,
                    tuple(sorted(links.get(pk, []))),
                    status != PostStatus.CANCELED,
                )
            )
    return _Snapshot(
        cadences=tuple((c.account_id, c.posts_per_week) for c in cadences),
        pillars=tuple((p.pk, p.weight) for p in pillars),
        deletable=frozenset(deletable),
        kept=tuple(sorted(kept, key=lambda k: k.pk)),
    )


def _is_replaceable(status: str, origin: str, touched_at: datetime | None) -> bool:
    return (
        origin == PostOrigin.PLANNER
        and status == PostStatus.DRAFT
        and touched_at is None
    )


# --- Placement ------------------------------------------------------------------


@dataclass(frozen=True)
class _Placed:
    account: ChannelAccount
    at: datetime
    slot: Slot
    local: datetime


class _Occupancy:
    """The instants already used on one account, for the gap and slot rules."""

    def __init__(self, instants: Iterable[datetime], gap: timedelta) -> None:
        self.instants = sorted(instants)
        self.gap = gap

    def free(self, at: datetime) -> bool:
        i = bisect.bisect_left(self.instants, at)
        if i < len(self.instants) and (
            self.instants[i] == at or self.instants[i] - at < self.gap
        ):
            return False
        return not (i > 0 and at - self.instants[i - 1] < self.gap)

    def add(self, at: datetime) -> None:
        bisect.insort(self.instants, at)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _campaign_days(campaign: Campaign) -> list[date]:
    blackout = set(campaign.blackout_dates or [])
    days, day = [], campaign.start_date
    while day <= campaign.end_date:
        if day.isoformat() not in blackout:
            days.append(day)
        day += timedelta(days=1)
    return days


class _Clock:
    """Local slots to UTC per date, memoised: accounts share the same grid."""

    def __init__(self, tz_name: str) -> None:
        self.tz = zone(tz_name)
        self._memo: dict[tuple[date, time], tuple[datetime, datetime]] = {}

    def at(self, day: date, at: time) -> tuple[datetime, datetime]:
        key = (day, at)
        hit = self._memo.get(key)
        if hit is None:
            instant = slot_to_utc(day, at, self.tz)
            hit = self._memo[key] = (instant, instant.astimezone(self.tz))
        return hit


def _tiebreak(seed: str, *parts: object) -> int:
    """A stable pseudo-random number for (seed, parts): the rotation's ties."""
    text = ":".join(str(p) for p in (seed, *parts))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest())


@dataclass
class _Rotation:
    """What one account used so far (weekdays, local hours), for rule 3."""

    seed: str
    weekdays: Counter[int] = field(default_factory=Counter)
    hours: Counter[time] = field(default_factory=Counter)


def _pick_slot(
    day: date,
    options: list[tuple[Slot, datetime, datetime]],
    occupancy: _Occupancy,
    rotation: _Rotation,
    account_id: int,
) -> tuple[Slot, datetime, datetime] | None:
    """The slot of `day` a post takes (rule 3): a free top-band round hour,
    used least on this account so far; else the day's best free slot."""
    free = [o for o in options if occupancy.free(o[1])]
    if not free:
        return None
    floor = HOUR_BAND * options[0][0].score
    band = [o for o in free if o[0].score >= floor and o[0].time.minute == 0]
    if not band:
        return free[0]
    return min(
        band,
        key=lambda o: (
            rotation.hours[o[0].time],
            _tiebreak(rotation.seed, account_id, day, o[0].time),
        ),
    )


def _place_week(
    account: ChannelAccount,
    days: list[date],
    wanted: int,
    slots: list[Slot],
    occupancy: _Occupancy,
    per_day: Counter[date],
    clock: _Clock,
    earliest: datetime,
    rotation: _Rotation | None = None,
) -> list[_Placed]:
    """Put `wanted` posts on `days` of one week of one account (see rule 3)."""
    rotation = rotation or _Rotation(seed="")
    by_weekday: dict[int, list[Slot]] = defaultdict(list)
    for slot in slots:  # best first
        by_weekday[slot.weekday].append(slot)
    best = slots[0].score if slots else 0.0
    candidates: dict[date, list[tuple[Slot, datetime, datetime]]] = {}
    for day in days:
        options = []
        for slot in by_weekday.get(day.weekday(), []):
            at, local = clock.at(day, slot.time)
            # The date check drops a slot a DST gap pushed past midnight.
            if at >= earliest and local.date() == day:
                options.append((slot, at, local))
        if options:
            candidates[day] = options
    placed: list[_Placed] = []
    for _ in range(wanted):
        chosen: tuple[tuple[int, int, int, int], date, Slot, datetime, datetime]
        chosen = None  # type: ignore[assignment]
        for day, options in candidates.items():
            pick = _pick_slot(day, options, occupancy, rotation, account.pk)
            if pick is None:
                continue
            in_band = options[0][0].score >= DAY_BAND * best
            rank = (
                per_day[day],
                0 if in_band else 1,
                rotation.weekdays[day.weekday()],
                _tiebreak(rotation.seed, account.pk, day),
            )
            if chosen is None or rank < chosen[0]:
                chosen = (rank, day, *pick)
        if chosen is None:
            break
        _, day, slot, at, local = chosen
        occupancy.add(at)
        per_day[day] += 1
        rotation.weekdays[day.weekday()] += 1
        rotation.hours[slot.time] += 1
        placed.append(_Placed(account, at, slot, local))
    return placed


# --- The plan ---------------------------------------------------------------------


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
    steps = len(cadences) + 2
    report(0, steps, "Reading the campaign")
    snapshot = _snapshot(campaign, cadences, pillars)
    result = _compute(
        campaign, cadences, pillars, snapshot, model, job, report, seed=seed
    )
    # Outside any transaction: the model may take seconds per pillar.
    angles = llm_angles(campaign, pillars, result.posts)
    _apply_angles(result.posts, angles)

    report(steps - 1, steps, "Saving the plan")
    with transaction.atomic():
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        # Lock the drafts to replace; a person editing one now waits for us.
        list(
            Post.objects.select_for_update()
            .filter(pk__in=snapshot.deletable)
            .values_list("pk", flat=True)
        )
        current = _snapshot(campaign, cadences, pillars)
        if current != snapshot:
            logger.info(
                "campaign %s changed while planning; planning again", campaign.pk
            )
            result = _compute(
                campaign, cadences, pillars, current, model, job, _noop, seed=seed
            )
            _apply_angles(result.posts, angles)
            snapshot = current
        Post.objects.filter(pk__in=snapshot.deletable).delete()
        result.deleted = len(snapshot.deletable)
        _save(result)
    report(steps, steps, f"{result.created} posts planned")
    return result


def _compute(
    campaign: Campaign,
    cadences: list[CampaignChannel],
    pillars: list[Pillar],
    snapshot: _Snapshot,
    model: PostingTimeModel,
    job: Job | None,
    report: Progress,
    *,
    seed: str = "",
) -> PlanResult:
    tz_name = campaign.time_zone
    clock = _Clock(tz_name)
    tz = clock.tz
    now = timezone.now()
    earliest = now + LEAD
    gap = timedelta(minutes=campaign.min_gap_minutes)
    result = PlanResult(kept=len(snapshot.kept))
    days = _campaign_days(campaign)
    weeks: dict[date, list[date]] = defaultdict(list)
    for day in days:
        weeks[_monday(day)].append(day)
    week_keys = sorted(weeks)
    if campaign.end_date < now.astimezone(tz).date():
        result.warnings.append("The campaign has ended; nothing new was planned.")

    placed: list[_Placed] = []
    steps = len(cadences) + 2
    for step, cadence in enumerate(cadences, start=1):
        account = cadence.account
        plan = AccountPlan(
            account.pk, account.name, account.network, cadence.posts_per_week
        )
        result.per_account[account.pk] = plan
        mine = [
            k
            for k in snapshot.kept
            if k.occupies and account.pk in k.account_ids and k.scheduled_at
        ]
        plan.kept = len(mine)
        occupancy = _Occupancy((k.scheduled_at for k in mine), gap)  # type: ignore[misc]
        kept_per_week: Counter[date] = Counter()
        per_day: Counter[date] = Counter()
        rotation = _Rotation(seed)
        for k in mine:
            local = k.scheduled_at.astimezone(tz)  # type: ignore[union-attr]
            kept_per_week[_monday(local.date())] += 1
            per_day[local.date()] += 1
            rotation.weekdays[local.weekday()] += 1
            rotation.hours[local.time().replace(second=0, microsecond=0)] += 1
        exact = [cadence.posts_per_week * len(weeks[w]) / 7 for w in week_keys]
        total = int(sum(exact) + 0.5 + 1e-9)
        targets = largest_remainder(total, exact)
        plan.target = total
        for week, target in zip(week_keys, targets, strict=True):
            wanted = max(0, target - kept_per_week[week])
            if not wanted:
                continue
            slots = model.best_slots(account, week, tz_name)
            got = _place_week(
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
        if plan.shortfall:
            result.warnings.append(
                f"{plan.shortfall} post(s) for {account.name} found no free slot "
                "(past days, blackouts or the minimum gap)."
            )
        report(step, steps, f"Planned {account.name}")

    placed.sort(key=lambda p: (p.at, p.account.network, p.account.name, p.account.pk))
    result.posts = _posts(campaign, pillars, snapshot, placed, job, result)
    result.created = len(result.posts)
    return result


def _pillar_order(
    pillars: list[Pillar], snapshot: _Snapshot, new: int, result: PlanResult
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
    snapshot: _Snapshot,
    placed: list[_Placed],
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
        post._planned_account = item.account  # type: ignore[attr-defined]
        posts.append(post)
    return posts


def _save(result: PlanResult) -> None:
    """Bulk-insert the posts, their account links and their history rows."""
    posts = Post.objects.bulk_create(result.posts, batch_size=500)
    through = Post.accounts.through
    through.objects.bulk_create(
        [
            through(post_id=p.pk, channelaccount_id=p._planned_account.pk)  # type: ignore[attr-defined]
            for p in posts
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
