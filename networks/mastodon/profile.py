"""Mastodon's declarations (see `networks.profile`)."""

from networks.posting_shapes import FEDIVERSE_PRIOR
from networks.profile import Limit, Profile

PROFILE = Profile(
    key="mastodon",
    connector="networks.mastodon.connector.MastodonConnector",
    prior=FEDIVERSE_PRIOR,
    # 300 requests per 5 minutes per account (official).
    rate_limits={"account": Limit(300, 5 * 60)},
    preferred_formats=("landscape", "square"),
)
