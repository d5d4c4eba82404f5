"""Instagram's text rules. Source: the Graph API (content publishing), caption
up to 2,200 characters, 30 hashtags and 20 @ tags. Counted in CHARS (see `base`).

Data, one piece per network, that the network's own package will own.
"""

from __future__ import annotations

from networks.textrules.base import CHARS, NetworkRules

NAME = "Instagram"  # as messages name it

RULES = NetworkRules(
    network="instagram",
    max_length=2200,
    unit=CHARS,
    max_hashtags=30,
    max_mentions=20,
    max_images=10,
    max_image_bytes=8 * 1024 * 1024,
    notes=(
        "At most 2,200 characters, 30 hashtags and 20 @mentions. Links in "
        "captions are not clickable: point to the link in bio."
    ),
)
