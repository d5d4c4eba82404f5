"""Facebook's text rules. Source: the Graph API, 63,206 characters. Counted
in CHARS (see `base`).

Data, one piece per network, that the network's own package will own.
"""

from __future__ import annotations

from networks.textrules.base import CHARS, NetworkRules

NAME = "Facebook"  # as messages name it

RULES = NetworkRules(
    network="facebook",
    max_length=63206,
    unit=CHARS,
    max_images=10,
    max_image_bytes=8 * 1024 * 1024,
    notes="Short posts do best (under 80 characters); few or no hashtags.",
)
