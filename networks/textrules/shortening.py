"""Cutting a text to fit a network, never inside a word or a grapheme."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import regex

from networks.copy_types import BrandFacts
from networks.textrules.checking import has_hashtag, has_mention, norm_tag
from networks.textrules.measuring import ANY_URL_RE, WORD, measure
from networks.textrules.registry import rules_for

# --- shortening ----------------------------------------------------------------

ELLIPSIS = "…"
# Full-width stops end a sentence without a following space (Chinese, Japanese).
_SENTENCE_END_RE = regex.compile(
    r"[.!?…]+[\"'\u201d\u2019»)\]]*(?=\s|$)"
    r"|[。\uff01\uff1f]+[」』\u201d\u2019\uff09]*"
)
_CJK_RE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")
_TAIL_TOKEN_RE = regex.compile(rf"(?:{ANY_URL_RE.pattern})|#[{WORD}]+")


def _boundaries(text: str) -> set[int]:
    return {m.end() for m in regex.finditer(r"\X", text)} | {0}


def _sentence_cuts(body: str, safe: set[int]) -> list[int]:
    cuts = {m.end() for m in _SENTENCE_END_RE.finditer(body)}
    cuts |= {m.start() for m in regex.finditer(r"\n", body)}
    return sorted(c for c in cuts if c in safe and body[:c].strip())


def _word_cuts(body: str, safe: set[int]) -> list[int]:
    cuts = {m.start() for m in regex.finditer(r"\s+", body)}
    # Chinese and Japanese have no spaces: between two ideographs is a word
    # boundary as good as a space.
    cuts |= {
        i
        for i in range(1, len(body))
        if _CJK_RE.match(body[i - 1]) and _CJK_RE.match(body[i])
    }
    return sorted(c for c in cuts if c in safe and body[:c].strip())


def _split_tail(text: str) -> tuple[str, list[str]]:
    """Split off the run of URLs and hashtags that ends the text."""
    tokens = regex.split(r"(\s+)", text.rstrip())
    tail: list[str] = []
    while tokens and _TAIL_TOKEN_RE.fullmatch(tokens[-1]):
        tail.insert(0, tokens.pop())
        if tokens:
            tokens.pop()  # the whitespace before it
    return "".join(tokens), tail


def _compose(body: str, tail: Sequence[str]) -> str:
    body = body.rstrip()
    if not tail:
        return body
    return f"{body} {' '.join(tail)}" if body else " ".join(tail)


def _best_body(
    body: str, tail: Sequence[str], keep: Sequence[str], fits: Callable[[str], bool]
) -> str | None:
    """The longest cut of `body` that fits with `tail` (plus any `keep` token
    the cut dropped): sentence boundaries first, then words with "…"."""
    safe = _boundaries(body)

    def full(prefix: str) -> str:
        missing = [k for k in keep if k not in tail and not _contains(prefix, k)]
        return _compose(prefix, [*tail, *missing])

    def longest(cuts: list[int], suffix: str) -> str | None:
        for cut in reversed(cuts):
            prefix = body[:cut].rstrip()
            if suffix:
                prefix = prefix.rstrip(",;:-\u2013\u2014") + suffix
            candidate = full(prefix)
            if fits(candidate):
                return candidate
        return None

    sentence = longest(_sentence_cuts(body, safe), "")
    if sentence is not None:
        return sentence
    words = _word_cuts(body, safe)
    return longest(words, ELLIPSIS) or longest(words, "")


def _contains(text: str, token: str) -> bool:
    if token.startswith("#"):
        return has_hashtag(text, token)
    if token.startswith("@"):
        return has_mention(text, token)
    return token in text


def _shorten_with(
    text: str, fits: Callable[[str], bool], keep: Sequence[str]
) -> tuple[str, bool]:
    if fits(text):
        return text, False
    body, tail = _split_tail(text)
    urls = [t for t in tail if ANY_URL_RE.fullmatch(t)]
    kept = [t for t in tail if _contains_any(t, keep)]
    optional = [t for t in tail if t not in urls and t not in kept]
    # The body matters most: find the longest one with the trailing URL and the
    # kept tokens, then give back the optional hashtags that still fit.
    for must in ([*urls[-1:], *kept], kept):
        must = [t for t in tail if t in must]  # in their original order
        result = _best_body(body, must, keep, fits)
        if result is None:
            continue
        for tag in optional:
            candidate = f"{result} {tag}"
            if fits(candidate):
                result = candidate
        return result, True
    # Not even one word fits: only the kept tokens, or nothing.
    for candidate in (_compose("", [*urls[-1:], *keep]), _compose("", keep)):
        if candidate and fits(candidate):
            return candidate, True
    return "", True


def _contains_any(token: str, keep: Sequence[str]) -> bool:
    if token.startswith("#"):
        return any(norm_tag(token) == norm_tag(k) for k in keep if k[:1] == "#")
    return token in keep


def shorten(
    text: str,
    *,
    network: str,
    max_length: int | None = None,
    keep: Sequence[str] = (),
) -> tuple[str, bool]:
    """Cut `text` to fit `network`; returns (text, was_shortened).

    Cuts at the last sentence boundary that fits, else at the last word
    boundary (with "…" when that still fits), never inside a word or a
    grapheme. Keeps a trailing URL and the `keep` tokens (the brand's required
    hashtags and mentions, "#Tag"/"@name") when they fit, re-adding a kept
    token the cut removed. When not even one word fits, the result is the kept
    tokens alone, or "". Email shortens its subject line only.
    """
    rules = rules_for(network)
    limit = max_length if max_length is not None else rules.max_length
    if limit is None and rules.max_bytes is None:
        return text, False
    keep = [_as_token(k) for k in keep]
    if rules.subject_only:
        subject, sep, rest = text.partition("\n")
        short, changed = _shorten_with(
            subject,
            lambda s: measure(network, s, max_length=max_length).fits,
            (),
        )
        return short + sep + rest, changed
    return _shorten_with(
        text, lambda s: measure(network, s, max_length=max_length).fits, keep
    )


def _as_token(token: str) -> str:
    token = token.strip()
    return token if token[:1] in "#@" else f"#{token}"


def required_tokens(brand: BrandFacts) -> list[str]:
    """The brand's required hashtags and mentions as "#Tag" / "@name"."""
    return [f"#{t.strip().lstrip('#')}" for t in brand.required_hashtags] + [
        f"@{m.strip().lstrip('@')}" for m in brand.required_mentions
    ]
