"""How long a draft is, and how to make it shorter without breaking a word.

`measure` is conservative (URLs as at least 23, characters outside the
Latin/Greek/Cyrillic ranges and emoji as 2, like X), so a draft that fits here
fits every network's own measure; `networks.textrules` still checks.
"""

from __future__ import annotations

import re

_URL = re.compile(r"https?://\S+")
# Words a cut or a hashtag does not end on.
STOP = {
    "a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "your",
    "our", "how", "why", "what", "is", "are", "at", "by", "from", "it", "its",
    "case",
}  # fmt: skip
_TRAILING = ",;:-\u2013\u2014"  # punctuation not to leave before an ellipsis


def measure(text: str) -> int:
    """A length no network's own measure exceeds (see the module docstring)."""
    total = 0
    last = 0
    for m in _URL.finditer(text):
        total += _weighted(text[last : m.start()]) + max(23, len(m.group()))
        last = m.end()
    return total + _weighted(text[last:])


def _weighted(text: str) -> int:
    # X's weighting: code points up to U+10FF and some punctuation count 1, the
    # rest (CJK, emoji, ...) 2. Over-counting for the other networks is safe.
    n = 0
    for ch in text:
        cp = ord(ch)
        light = (
            cp <= 0x10FF
            or 0x2000 <= cp <= 0x200D
            or 0x2010 <= cp <= 0x201F
            or 0x2032 <= cp <= 0x2037
        )
        n += 1 if light else 2
    return n


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` within `limit` (by `measure`), cut at a word boundary, never mid-word.

    Prefers the end of a sentence; otherwise cuts after the last whole word that
    fits and adds the ellipsis. A first word that alone does not fit gives "".
    """
    text = text.strip()
    if measure(text) <= limit:
        return text
    words = text.split()
    best = ""
    for i in range(1, len(words) + 1):
        candidate = " ".join(words[:i])
        if measure(candidate) > limit:
            break
        if candidate.endswith((".", "!", "?")):
            best = candidate
    if best and measure(best) >= limit * 0.6:
        return best
    kept: list[str] = []
    for word in words:
        trial = " ".join([*kept, word]).rstrip(_TRAILING) + ellipsis
        if measure(trial) > limit:
            break
        kept.append(word)
    # "...five hours a week on…" reads broken; end on a word that carries meaning.
    while len(kept) > 1 and kept[-1].lower().strip(_TRAILING) in STOP:
        kept.pop()
    if not kept:
        return ""
    return " ".join(kept).rstrip(_TRAILING) + ellipsis
