"""What a network package declares about itself besides its connector and its
text rules, as plain data the apps read through `networks.registry`: the
publisher's rate limits, the planner's posting-time prior, the rendition
formats it prefers, and how plans name it. A new network writes one
`profile.py`; no app learns its name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# The posting-time grid the priors describe: one value per hour, 07:00 to 21:00.
FIRST_HOUR = 7
LAST_HOUR = 21

# Which rendition format goes out when the network prefers none of its own.
DEFAULT_FORMATS = ("square", "landscape", "portrait", "wide", "story")


@dataclass(frozen=True)
class Limit:
    """`capacity` tokens, refilled evenly over `per_seconds` (a burst of at most
    `capacity`, then `capacity / per_seconds` per second)."""

    capacity: int
    per_seconds: float

    @property
    def rate(self) -> float:
        return self.capacity / self.per_seconds


@dataclass(frozen=True)
class NetworkPrior:
    """An hour curve (07:00..21:00 local, one value per hour) times a weekday
    curve (Monday..Sunday), both 0..1, and where their shape comes from."""

    hours: tuple[float, ...]
    weekdays: tuple[float, ...]
    summary: str
    source: str
    # The shape said for a marketer, for "Why this slot" (see `describe_time`).
    plain: str = ""

    def __post_init__(self) -> None:
        if len(self.hours) != LAST_HOUR - FIRST_HOUR + 1 or len(self.weekdays) != 7:
            raise ValueError("a prior has 15 hour values and 7 weekday values")


@dataclass(frozen=True)
class Profile:
    """One network's declarations. `rate_limits`: "account" and/or "network"
    (app-wide) buckets, from the network's documented quotas; none: the
    connector turns a 429 into a transient error. `prior_label` names the
    prior in a slot's reason, `audience_label` the audience in "Why this
    slot" (both default to the key, capitalised)."""

    key: str
    connector: str  # dotted path of the connector class, imported on first use
    prior: NetworkPrior
    rate_limits: Mapping[str, Limit] = field(default_factory=dict)
    preferred_formats: tuple[str, ...] = ()
    prior_label: str = ""
    audience_label: str = ""

    @property
    def prior_name(self) -> str:
        return self.prior_label or self.key.capitalize()

    @property
    def audience_name(self) -> str:
        return self.audience_label or self.key.capitalize()
