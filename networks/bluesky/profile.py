"""Bluesky's declarations (see `networks.profile`)."""

from networks.posting_shapes import FEDIVERSE_PRIOR
from networks.profile import Limit, Profile

PROFILE = Profile(
    key="bluesky",
    connector="networks.bluesky.connector.BlueskyConnector",
    prior=FEDIVERSE_PRIOR,
    # 5,000 write points an hour, a create costs 3 (official).
    rate_limits={"account": Limit(5_000 // 3, 3600)},
    preferred_formats=("landscape", "square"),
)
