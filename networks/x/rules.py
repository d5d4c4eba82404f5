"""X's text rules. Source: twitter-text "config v3" (github.com/twitter/twitter-text,
config/v3.json and the parse-tweet docs, developer.x.com "Counting characters"):
text is NFC normalised; code points in 0-4351, 8192-8205, 8208-8223 and
8242-8247 weigh 1, every other code point (CJK, most symbols) weighs 2; an
emoji sequence weighs 2 however many code points it has (emojiParsingEnabled);
every URL weighs 23 (transformedURLLength) whatever its length; at most 280.
The weighing itself is `networks.textrules.measuring`.

Data, one piece per network, that the network's own package will own.
"""

from __future__ import annotations

from networks.textrules.base import WEIGHTED, NetworkRules

NAME = "X"  # as messages name it

RULES = NetworkRules(
    network="x",
    max_length=280,
    unit=WEIGHTED,
    url_length=23,
    max_images=4,
    max_image_bytes=5 * 1024 * 1024,
    threads=True,
    notes=(
        "At most 280 weighted characters: every URL counts 23, each emoji "
        "counts 2, CJK characters count 2. Keep to 1-2 hashtags."
    ),
)
