"""Mastodon's declarations (see `networks.profile`)."""

from networks.posting_shapes import FEDIVERSE_PRIOR
from networks.profile import ImageLimits, Limit, Profile

PROFILE = Profile(
    key="mastodon",
    connector="networks.mastodon.connector.MastodonConnector",
    prior=FEDIVERSE_PRIOR,
    # 300 requests per 5 minutes per account (official).
    rate_limits={"account": Limit(300, 5 * 60)},
    preferred_formats=("landscape", "square"),
    # Instance-defined; 16 MB is Mastodon's default image_size_limit.
    image_limits=ImageLimits(
        16 * 1024 * 1024,
        ("landscape", "square", "wide"),
        content_types=frozenset({"image/jpeg", "image/png", "image/webp"}),
        instance_defined=True,
    ),
)
