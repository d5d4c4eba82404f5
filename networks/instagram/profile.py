"""Instagram's declarations (see `networks.profile`)."""

from networks.posting_shapes import (
    BUFFER,
    HOOTSUITE,
    SPROUT,
    VISUAL,
    WEEKDAYS_SOCIAL,
)
from networks.profile import ImageLimits, Limit, NetworkPrior, Profile

PROFILE = Profile(
    key="instagram",
    connector="networks.instagram.connector.InstagramConnector",
    prior=NetworkPrior(
        VISUAL,
        WEEKDAYS_SOCIAL,
        "late weekday mornings, a smaller evening peak",
        f"{SPROUT}; {HOOTSUITE}; {BUFFER}",
        plain="engagement peaks in late weekday mornings, with a smaller evening peak",
    ),
    # Meta's default `content_publishing_limit` quota.
    rate_limits={"account": Limit(50, 24 * 3600)},
    # The feed favours 4:5.
    preferred_formats=("portrait", "square"),
    # Feed images: 4:5 ... 1.91:1, 320-1440 px wide, JPEG only (Graph API).
    # landscape is 1200x628 = 1.9108:1, just over 1.91 (refused); story is 9:16,
    # wide is 1920 px wide: what is left is square and portrait, derived, not typed.
    image_limits=ImageLimits(
        8 * 1024 * 1024,
        content_types=frozenset({"image/jpeg"}),
        min_aspect=4 / 5,
        max_aspect=1.91,
        min_width=320,
        max_width=1440,
    ),
    # A URL in a caption is not a link.
    links_clickable=False,
    # The connector refuses a post without one.
    without_images="An Instagram post needs at least one image; this one has none.",
)
