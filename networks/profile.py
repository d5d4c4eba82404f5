"""What a network package declares about itself besides its connector and its
text rules, as plain data the apps read through `networks.registry`: the
publisher's rate limits, the planner's posting-time prior, the rendition
formats it prefers and the images it accepts, how plans name it, the AI label
the brand-safety gate adds, how its posts show a link and a handle. A new
network writes one `profile.py`; no app learns its name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# The posting-time grid the priors describe: one value per hour, 07:00 to 21:00.
FIRST_HOUR = 7
LAST_HOUR = 21

# Which rendition format goes out when the network prefers none of its own.
DEFAULT_FORMATS = ("square", "landscape", "portrait", "wide", "story")

# The AI label the gate adds where a network declares no other (`content.moderation`).
HASHTAG_AI_LABEL = "#AI"

# How a network's connector carries a post's link (`Profile.link`; the approval
# card's preview, `publishing.preview`, shows the same):
LINK_APPENDED = "appended"  # added to the (first) text unless the copy has it
LINK_APPENDED_WITH_IMAGES = "appended_with_images"  # so when images go, else a card
LINK_FIELD = "field"  # its own field beside the text
LINK_CARD_WITHOUT_IMAGES = (
    "card_without_images"  # a card when no image goes, else dropped
)
LINK_TEXT_ONLY = "text_only"  # only the text goes: a link in the copy stays there


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
class ImageLimits:
    """What the network accepts for a feed image (CHANNELS.md, kept
    conservative): `content.renditions` makes its renditions from this.

    `formats` are the rendition sizes made for it, in order of preference;
    None: every size within the aspect and width bounds, in the renditions'
    own order. `instance_defined`: the limit is a default the server states
    itself, so an account's own `max_bytes` replaces it (others only lower it).
    """

    max_bytes: int
    formats: tuple[str, ...] | None = None
    content_types: frozenset[str] = frozenset({"image/jpeg", "image/png"})
    min_aspect: float | None = None
    max_aspect: float | None = None
    min_width: int | None = None
    max_width: int | None = None
    instance_defined: bool = False


@dataclass(frozen=True)
class Profile:
    """One network's declarations. `rate_limits`: "account" and/or "network"
    (app-wide) buckets, from the network's documented quotas; none: the
    connector turns a 429 into a transient error. `prior_label` names the
    prior in a slot's reason, `audience_label` the audience in "Why this
    slot" (both default to the key, capitalised).

    `ai_label`: the text the gate adds to AI-written copy. `links_clickable`:
    False where a URL in a post's text is not a link (drafts say "Link in bio."
    instead). `handle_as_is`: its handles are addresses or sites, shown without
    an "@". `link`: how the connector carries a post's link (LINK_*); `titled`:
    the post's topic goes out as its subject or title; `without_images`: the
    approval card's note where a post has no image (the connector refuses it).
    """

    key: str
    connector: str  # dotted path of the connector class, imported on first use
    prior: NetworkPrior
    rate_limits: Mapping[str, Limit] = field(default_factory=dict)
    preferred_formats: tuple[str, ...] = ()
    prior_label: str = ""
    audience_label: str = ""
    image_limits: ImageLimits | None = None
    ai_label: str = HASHTAG_AI_LABEL
    links_clickable: bool = True
    handle_as_is: bool = False
    link: str = LINK_TEXT_ONLY
    titled: bool = False
    without_images: str = ""

    @property
    def prior_name(self) -> str:
        return self.prior_label or self.key.capitalize()

    @property
    def audience_name(self) -> str:
        return self.audience_label or self.key.capitalize()
