"""Bluesky's text rules. Source: the app.bsky.feed.post lexicon, `text`
maxGraphemes 300 and maxLength 3000 (bytes of UTF-8); both must hold.

Data, one piece per network, that the network's own package will own.
"""

from __future__ import annotations

from networks.textrules.base import GRAPHEMES, NetworkRules

NAME = "Bluesky"  # as messages name it

RULES = NetworkRules(
    network="bluesky",
    max_length=300,
    unit=GRAPHEMES,
    max_bytes=3000,
    max_images=4,
    max_image_bytes=1_000_000,
    threads=True,
    notes=(
        "At most 300 characters (an emoji counts 1) and 3,000 bytes. "
        "Links count in full."
    ),
)
