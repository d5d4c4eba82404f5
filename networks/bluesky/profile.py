"""Bluesky's declarations (see `networks.profile`)."""

from networks.posting_shapes import FEDIVERSE_PRIOR
from networks.profile import LINK_CARD_WITHOUT_IMAGES, ImageLimits, Limit, Profile

PROFILE = Profile(
    key="bluesky",
    connector="networks.bluesky.connector.BlueskyConnector",
    prior=FEDIVERSE_PRIOR,
    # 5,000 write points an hour, a create costs 3 (official).
    rate_limits={"account": Limit(5_000 // 3, 3600)},
    preferred_formats=("landscape", "square"),
    # ≤ 1,000,000 bytes per image (the lexicon's maxSize), not 1 MiB.
    image_limits=ImageLimits(1_000_000, ("square", "portrait", "landscape")),
    # A card (title: the post's topic) when no image goes out.
    link=LINK_CARD_WITHOUT_IMAGES,
)
