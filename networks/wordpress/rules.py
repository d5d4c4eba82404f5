"""WordPress's text rules: no limit on the text; one featured image.

Data, one piece per network, that the network's own package will own.
"""

from __future__ import annotations

from networks.textrules.base import CHARS, NetworkRules

NAME = "WordPress"  # as messages name it

RULES = NetworkRules(
    network="wordpress",
    max_length=None,
    unit=CHARS,
    max_images=1,  # the featured image
    notes="A blog post: a title line, then paragraphs.",
)
