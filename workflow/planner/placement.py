"""Placing one account's posts of one week on slots (rule 3 of
`workflow.planner`): the posting-time model's local slots turned into UTC,
the minimum gap, and the rotation over the best days and hours."""

from __future__ import annotations

import bisect
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from analytics.posting_times import Slot
from campaigns.models import Campaign
from connections.models import ChannelAccount
from core.timezones import slot_to_utc, zone

# A planned post is never due sooner than this: a person gets a moment to look.
LEAD = timedelta(minutes=30)
# The top bands the planner rotates through (rule 3), as shares of the best score.
DAY_BAND = 0.7
HOUR_BAND = 0.85


@dataclass(frozen=True)
class Placed:
    account: ChannelAccount
    at: datetime
    slot: Slot
    local: datetime


class Occupancy:
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


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def campaign_days(campaign: Campaign) -> list[date]:
    blackout = set(campaign.blackout_dates or [])
    days, day = [], campaign.start_date
    while day <= campaign.end_date:
        if day.isoformat() not in blackout:
            days.append(day)
        day += timedelta(days=1)
    return days


class Clock:
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
class Rotation:
    """What one account used so far (weekdays, local hours), for rule 3."""

    seed: str
    weekdays: Counter[int] = field(default_factory=Counter)
    hours: Counter[time] = field(default_factory=Counter)


def _pick_slot(
    day: date,
    options: list[tuple[Slot, datetime, datetime]],
    occupancy: Occupancy,
    rotation: Rotation,
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


def place_week(
    account: ChannelAccount,
    days: list[date],
    wanted: int,
    slots: list[Slot],
    occupancy: Occupancy,
    per_day: Counter[date],
    clock: Clock,
    earliest: datetime,
    rotation: Rotation | None = None,
) -> list[Placed]:
    """Put `wanted` posts on `days` of one week of one account (see rule 3)."""
    rotation = rotation or Rotation(seed="")
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
    placed: list[Placed] = []
    for _ in range(wanted):
        chosen: (
            tuple[tuple[int, int, int, int], date, Slot, datetime, datetime] | None
        ) = None
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
        placed.append(Placed(account, at, slot, local))
    return placed
