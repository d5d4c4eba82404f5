"""How each network counts a text, and the patterns it counts by.

`static/js/charcount.js` is a port of `measure` for the editor's live counters;
`tests/e2e/test_charcount_js.py` runs both on one table of cases. Change the
patterns here and that file together.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import regex

from networks.textrules.base import GRAPHEMES, WEIGHTED, NetworkRules
from networks.textrules.registry import rules_for

# --- patterns (mirrored in static/js/charcount.js) ---------------------------

WORD = r"\p{L}\p{M}\p{Nd}_"
# Trailing punctuation is not part of a URL ("see https://a.example/x.").
_URL_END = r"[^\s<>\"'.,;:!?)\]}…]"
_URL_PATH = rf"(?:/(?:[^\s<>\"]*{_URL_END})?)?"
# Without a scheme, X links a domain under a generic TLD, or the special ccTLDs
# .co and .tv; any other two-letter ccTLD only when a path follows.
_GTLDS = (
    "com|org|net|edu|gov|info|biz|app|dev|shop|store|online|site|blog|news|xyz|co|tv"
)
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
SCHEME_URL_RE = regex.compile(
    rf"(?<![{WORD}])https?://[^\s<>\"]*{_URL_END}", regex.IGNORECASE
)
BARE_URL_RE = regex.compile(
    rf"(?<![{WORD}@./-])(?:www\.[^\s<>\"]*{_URL_END}"
    rf"|(?:{_LABEL}\.)+(?:(?:{_GTLDS})(?![{WORD}-]){_URL_PATH}"
    rf"|[a-z]{{2}}(?=/){_URL_PATH}))",
    regex.IGNORECASE,
)
ANY_URL_RE = regex.compile(
    f"{SCHEME_URL_RE.pattern}|{BARE_URL_RE.pattern}", regex.IGNORECASE
)
# A hashtag needs a letter or "_" ("#1" is not one); not inside a word or "&#38;".
HASHTAG_RE = regex.compile(
    rf"(?<![{WORD}&/#])#([{WORD}]*[\p{{L}}_][{WORD}]*)", regex.IGNORECASE
)
# "@name", "@alice.bsky.social", "@user@instance.example"; not an email address.
MENTION_RE = regex.compile(
    rf"(?<![{WORD}=/@.])@([a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)"
    r"(?:@([a-z0-9-]+(?:\.[a-z0-9-]+)+))?",
    regex.IGNORECASE,
)
_EMOJI_START_RE = regex.compile(
    r"\p{Extended_Pictographic}|\p{Regional_Indicator}|[0-9#*]\uFE0F?\u20E3"
)
# A cluster is drawn as an emoji when it has emoji presentation, asks for it
# (U+FE0F), carries a skin tone, is a flag or a keycap. A bare "©" is text.
_EMOJI_SIGN_RE = regex.compile(
    r"\p{Emoji_Presentation}|\uFE0F|\p{Emoji_Modifier}|\p{Regional_Indicator}|\u20E3"
)
_X_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


@dataclass(frozen=True)
class Measure:
    length: int  # in `unit`
    limit: int | None
    unit: str
    bytes: int  # UTF-8 bytes of the whole text
    over_by: int  # in `unit`; 0 when within the limit
    hashtags: int
    mentions: int = 0
    byte_limit: int | None = None
    bytes_over_by: int = 0

    @property
    def fits(self) -> bool:
        return self.over_by == 0 and self.bytes_over_by == 0


def graphemes(text: str) -> list[str]:
    found: list[str] = regex.findall(r"\X", text)  # regex is untyped
    return found


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _is_emoji(cluster: str) -> bool:
    return bool(_EMOJI_START_RE.match(cluster) and _EMOJI_SIGN_RE.search(cluster))


def _x_weight(text: str) -> int:
    text = unicodedata.normalize("NFC", text)
    total = 0
    last = 0
    for match in ANY_URL_RE.finditer(text):
        total += _x_plain_weight(text[last : match.start()]) + 23
        last = match.end()
    return total + _x_plain_weight(text[last:])


def _x_plain_weight(text: str) -> int:
    total = 0
    for cluster in graphemes(text):
        if _is_emoji(cluster):
            total += 2
            continue
        for char in cluster:
            code = ord(char)
            total += 1 if any(lo <= code <= hi for lo, hi in _X_LIGHT) else 2
    return total


def _mastodon_countable(text: str) -> str:
    text = SCHEME_URL_RE.sub("x" * 23, text)
    plain: str = MENTION_RE.sub(lambda m: "@" + m.group(1), text)  # regex is untyped
    return plain


def _without_urls(text: str) -> str:
    plain: str = ANY_URL_RE.sub(" ", text)  # regex is untyped
    return plain


def hashtags_in(text: str) -> list[str]:
    """Hashtags as written, without "#", outside URLs ("/#anchor" is not one)."""
    found: list[str] = HASHTAG_RE.findall(_without_urls(text))  # regex is untyped
    return found


def mentions_in(text: str) -> list[str]:
    """Mentions as written, without the leading "@" (remote ones keep "@domain")."""
    return [m.group(0)[1:] for m in MENTION_RE.finditer(_without_urls(text))]


def subject_of(text: str) -> str:
    return text.split("\n", 1)[0].rstrip("\r")


def _length(rules: NetworkRules, text: str) -> int:
    if rules.subject_only:
        text = subject_of(text)
    if rules.unit == WEIGHTED:
        return _x_weight(text)
    if rules.unit == GRAPHEMES:
        if rules.url_length:  # Mastodon
            text = _mastodon_countable(text)
        return len(graphemes(text))
    return _utf16_units(text)


def measure(network: str, text: str, *, max_length: int | None = None) -> Measure:
    """Count `text` as `network` counts it; `max_length` overrides the limit."""
    rules = rules_for(network)
    limit = max_length if max_length is not None else rules.max_length
    length = _length(rules, text)
    size = len(text.encode("utf-8"))
    return Measure(
        length=length,
        limit=limit,
        unit=rules.unit,
        bytes=size,
        over_by=max(0, length - limit) if limit is not None else 0,
        hashtags=len(hashtags_in(text)),
        mentions=len(mentions_in(text)),
        byte_limit=rules.max_bytes,
        bytes_over_by=max(0, size - rules.max_bytes) if rules.max_bytes else 0,
    )
