"""LinkedIn's text rules. Source: the Posts API, commentary up to 3,000
characters. Counted in CHARS (see `base`).

Data, one piece per network, that the network's own package will own.
"""

from __future__ import annotations

from networks.textrules.base import CHARS, NetworkRules

NAME = "LinkedIn"  # as messages name it

RULES = NetworkRules(
    network="linkedin",
    max_length=3000,
    unit=CHARS,
    max_images=20,
    max_image_bytes=8 * 1024 * 1024,
    notes="At most 3,000 characters; 3-5 hashtags at the end.",
)
