"""The posting-time model: "the best slots for this account in this week".

The planner asks a `PostingTimeModel` for scored local slots (weekday, wall-clock
time, score 0..1, a reason a person can read) and converts each one to UTC per
date with `core.timezones.slot_to_utc`, so a 09:00 slot stays 09:00 local
across a DST change.

Until AdLoop has engagement data of its own, `PriorPostingTimeModel` answers from
per-network priors: an hour-of-day curve times a weekday curve. They are PRIORS,
coarse shapes read off public industry studies, not measurements of any
audience; the analytics issue fits a model to each account's own engagement and
plugs it in through `settings.POSTING_TIME_MODEL` (a dotted path to a class with
the same `best_slots` method), without touching the planner.

Sources the shapes follow (each network's prior names its own):
- Sprout Social, "Best times to post on social media" (annual study of the
  engagement of its ~30,000 customers' posts; 2023 edition, summarised by Social
  Media Today on 2023-05-10): Facebook weekdays 08:00-13:00, Instagram Mon-Wed
  and Fri mid-morning, LinkedIn Tue-Thu mornings, X weekday mornings; Sundays
  the weakest day on Facebook and Instagram.
- Hootsuite, "The best time to post on social media" (yearly blog report from
  its own customers' posts): the same weekday-morning pattern, with Instagram
  and Facebook evenings stronger than on LinkedIn.
- Buffer, "The best time to post on ..." (analyses of millions of posts
  scheduled through Buffer): mid-week business hours for LinkedIn and X,
  weekday late morning for Instagram.
- Mailchimp, "Insights from Mailchimp's send time optimization system" (2014),
  and the GetResponse "Email marketing benchmarks" reports: weekday mornings
  around 10:00, Tuesday and Thursday best, weekends weakest.
- Mastodon and Bluesky: no large published study at the time of writing; their
  priors borrow X's microblog shape, flattened (less algorithmic timelines,
  more evening reading), and say so in their reasons.
- WordPress (a blog article) and webhooks: no study fits an unknown audience;
  a flat business-hours prior that prefers weekday mornings only slightly.

Each network package declares its prior (`networks/<key>/profile.py`, from
the shapes in `networks.posting_shapes`); the model reads them through
`networks.registry` and names no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

from networks import registry
from networks.posting_shapes import FALLBACK_PRIOR
from networks.profile import FIRST_HOUR, NetworkPrior

if TYPE_CHECKING:
    from connections.models import ChannelAccount

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The grid runs 07:00 (`FIRST_HOUR`) to 21:30 local, every half hour.
# People plan on round hours; half past scores a little lower so the planner
# takes 10:00 before 10:30 when both are free.
HALF_HOUR_FACTOR = 0.97


@dataclass(frozen=True)
class Slot:
    """A local wall-clock time on one weekday (0 = Monday) and why it is good."""

    weekday: int
    time: time
    score: float
    reason: str


@runtime_checkable
class PostingTimeModel(Protocol):
    """Answers where in a week an account's posts do best, best first.

    `week_start` is the Monday of the week (local to `tz`, the IANA zone the
    slots are meant in); `limit` keeps the best N. A fitted model may use
    both to read engagement of that account near that week.
    """

    key: str

    def best_slots(
        self,
        account: ChannelAccount,
        week_start: date,
        tz: str,
        *,
        limit: int | None = None,
    ) -> list[Slot]: ...


# Each network's prior, declared by its package (`networks/<key>/profile.py`).
PRIORS: dict[str, NetworkPrior] = registry.posting_priors()


class PriorPostingTimeModel:
    """The default model: per-network priors, the same for every week and zone.

    Times are local wall-clock times in the campaign's zone (the studies report
    local times of the audience), so `tz` does not change the answer here.
    """

    key = "network-priors-v1"

    def __init__(self, priors: dict[str, NetworkPrior] | None = None) -> None:
        self.priors = PRIORS if priors is None else priors
        self._cache: dict[str, list[Slot]] = {}

    def best_slots(
        self,
        account: ChannelAccount,
        week_start: date,
        tz: str,
        *,
        limit: int | None = None,
    ) -> list[Slot]:
        if week_start.weekday() != 0:
            raise ValueError(f"week_start {week_start} is not a Monday")
        slots = self._cache.get(account.network)
        if slots is None:
            slots = self._cache[account.network] = self._slots(account.network)
        return list(slots if limit is None else slots[:limit])

    def _slots(self, network: str) -> list[Slot]:
        prior = self.priors.get(network) or FALLBACK_PRIOR
        known = registry.profile(network)
        label = known.prior_name if known else network.capitalize()
        slots: list[Slot] = []
        for weekday, day_weight in enumerate(prior.weekdays):
            for hour_index, hour_weight in enumerate(prior.hours):
                for minute, factor in ((0, 1.0), (30, HALF_HOUR_FACTOR)):
                    at = time(FIRST_HOUR + hour_index, minute)
                    score = round(day_weight * hour_weight * factor, 3)
                    reason = (
                        f"{label} prior, {prior.summary}: {WEEKDAYS[weekday]} "
                        f"{at:%H:%M} scores {score:.2f} (source: {prior.source}; "
                        "no engagement data for this account yet)"
                    )
                    slots.append(Slot(weekday, at, score, reason))
        slots.sort(key=lambda s: (-s.score, s.weekday, s.time))
        return slots


def get_model() -> PostingTimeModel:
    """The configured model: `settings.POSTING_TIME_MODEL` (a dotted path to a
    class taking no arguments), or the priors."""
    path = getattr(settings, "POSTING_TIME_MODEL", "")
    if not path:
        return PriorPostingTimeModel()
    model: PostingTimeModel = import_string(path)()
    return model


def best_slots(
    account: ChannelAccount, week_start: date, tz: str, *, limit: int | None = None
) -> list[Slot]:
    """The configured model's best slots for `account` in the week of `week_start`."""
    return get_model().best_slots(account, week_start, tz, limit=limit)


RELATIVE_BEST = 0.8  # a slot scoring this share of the week's best is "among the best"
RELATIVE_GOOD = 0.6
_DAY_NAMES = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


def describe_time(
    account: ChannelAccount,
    local: datetime,
    tz: str,
    *,
    model: PostingTimeModel | None = None,
) -> str:
    """How good `local` (an aware time in `tz`) is for `account`, for a marketer:
    "Thursday 10:00 is among the best times for Bluesky audiences in
    Europe/Berlin (typical engagement peaks mid-morning on weekdays, ...)."

    Computed from the model's slots for that week, so it is true for whatever
    time the post has now (after a person moved it too).
    """
    model = model or get_model()
    week_start = local.date() - timedelta(days=local.weekday())
    slots = model.best_slots(account, week_start, tz)
    best = slots[0].score if slots else 0.0
    at = local.time().replace(second=0, microsecond=0)
    near = time(at.hour, 30 if at.minute >= 30 else 0)
    score = next(
        (s.score for s in slots if s.weekday == local.weekday() and s.time == near),
        0.0,
    )
    share = score / best if best else 0.0
    if share >= RELATIVE_BEST:
        quality = "is among the best times"
    elif share >= RELATIVE_GOOD:
        quality = "is a good time"
    else:
        quality = "is a quieter time"
    network = account.network
    known = registry.profile(network)
    label = known.audience_name if known else network.capitalize()
    prior = PRIORS.get(network)
    why = f" ({prior.plain})" if prior is not None and prior.plain else ""
    when = f"{_DAY_NAMES[local.weekday()]} {at:%H:%M}"
    return f"{when} {quality} for {label} audiences in {tz}{why}."
