"""Instagram's declarations (see `networks.profile`)."""

from networks.posting_shapes import (
    BUFFER,
    HOOTSUITE,
    SPROUT,
    VISUAL,
    WEEKDAYS_SOCIAL,
)
from networks.profile import Limit, NetworkPrior, Profile

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
)
