"""LinkedIn's text rules. Source: the Posts API, commentary up to 3,000
characters. It does not define "character"; its composer counts JavaScript
string length (UTF-16 code units), which is never less than the code points,
so a text that fits here fits there.

Data, one piece per network, that the network's own package will own.
"""

from __future__ import annotations

from content.channel_rules.base import CHARS, NetworkRules

NAME = "LinkedIn"  # as messages name it

RULES = NetworkRules(
    network="linkedin",
    max_length=3000,
    unit=CHARS,
    max_images=20,
    max_image_bytes=8 * 1024 * 1024,
    notes="At most 3,000 characters; 3-5 hashtags at the end.",
)
