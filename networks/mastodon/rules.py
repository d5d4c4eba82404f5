"""Mastodon's text rules. Source: the instance's
`configuration.statuses.max_characters` from /api/v2/instance (500 by
default). StatusLengthValidator counts grapheme clusters after replacing each
URL that has a scheme with 23 characters and each remote mention
`@user@domain` with `@user`.

Data, one piece per network, that the network's own package will own.
"""

from __future__ import annotations

from networks.textrules.base import GRAPHEMES, NetworkRules

NAME = "Mastodon"  # as messages name it

RULES = NetworkRules(
    network="mastodon",
    max_length=500,  # the default; the instance's own limit overrides it
    unit=GRAPHEMES,
    url_length=23,
    max_images=4,  # the default; the instance's own limit overrides it
    max_image_bytes=16 * 1024 * 1024,
    threads=True,
    notes=(
        "At most the instance's limit (500 by default); every link counts 23. "
        "Hashtags help discovery: use CamelCase for accessibility."
    ),
)
