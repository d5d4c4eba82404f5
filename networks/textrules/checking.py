"""What in a text breaks a network's limits or a brand's rules, in words a
marketer can act on (for the model's one retry and for the editor)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import regex

from networks.copy_types import BrandFacts
from networks.textrules.base import NetworkRules
from networks.textrules.measuring import (
    WORD,
    Measure,
    hashtags_in,
    measure,
    mentions_in,
)
from networks.textrules.registry import network_name, rules_for

# --- checking ------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    code: str
    message: str


def _phrase_pattern(phrase: str) -> regex.Pattern[str]:
    """Whole words, any case; spaces and hyphens in the phrase match either."""
    words = [regex.escape(w) for w in regex.split(r"[\s\-]+", phrase.strip()) if w]
    body = r"[\s\-]+".join(words).replace("'", "['\u2019]")
    return regex.compile(
        rf"(?<![{WORD}]){body}(?![{WORD}])", regex.IGNORECASE | regex.V1
    )


def _split_hashtag(tag: str) -> str:
    """ "#CheapDeals" → "Cheap Deals", "#cheap_deals" → "cheap deals"."""
    spaced: str = regex.sub(r"(?<=\p{Ll})(?=\p{Lu})|_", " ", tag)  # untyped
    return spaced


def find_phrases(text: str, phrases: Iterable[str]) -> list[str]:
    """The `phrases` that occur in `text` as whole words, case-insensitive,
    including inside hashtags ("#cheap", "#CheapDeals")."""
    hashtag_words = " ".join(_split_hashtag(t) for t in hashtags_in(text))
    haystacks = (text, hashtag_words)
    found: list[str] = []
    for phrase in phrases:
        if not phrase.strip() or phrase in found:
            continue
        pattern = _phrase_pattern(phrase)
        if any(pattern.search(h) for h in haystacks):
            found.append(phrase)
    return found


def dont_word_violations(text: str, dont_words: Iterable[str]) -> list[Violation]:
    return [
        Violation("dont_word", f"Contains '{word}', which the brand does not use.")
        for word in find_phrases(text, dont_words)
    ]


def norm_tag(tag: str) -> str:
    return tag.strip().lstrip("#").casefold()


def _norm_mention(handle: str) -> str:
    return handle.strip().lstrip("@").casefold()


def has_hashtag(text: str, tag: str) -> bool:
    wanted = norm_tag(tag)
    return any(t.casefold() == wanted for t in hashtags_in(text))


def has_mention(text: str, handle: str) -> bool:
    wanted = _norm_mention(handle)
    for found in mentions_in(text):
        found = found.casefold()
        # "@adloop" is satisfied by "@adloop@mastodon.social" and vice versa
        # only when the local parts agree and no domain contradicts.
        if found == wanted or found.split("@")[0] == wanted:
            return True
    return False


# A line holding only `---` splits a text into the parts of a thread (what the
# editor shows as "new part"); networks without threads get the parts joined.
THREAD_SEPARATOR = regex.compile(r"^[ \t]*---[ \t]*$", regex.MULTILINE)


def split_thread(text: str) -> list[str]:
    """The parts of a text written as a thread, empty parts dropped."""
    parts = [part.strip() for part in THREAD_SEPARATOR.split(text)]
    return [part for part in parts if part] or [text.strip()]


def parts_for(network: str, text: str) -> list[str]:
    """What goes out as separate posts: one per thread part where `network`
    threads, else the parts joined by a blank line (as the publisher does)."""
    parts = split_thread(text)
    if rules_for(network).threads:
        return parts
    return ["\n\n".join(parts)]


def measure_parts(
    network: str, text: str, *, max_length: int | None = None
) -> list[Measure]:
    """Each part that goes out (`parts_for`), measured."""
    return [
        measure(network, part, max_length=max_length)
        for part in parts_for(network, text)
    ]


def worst_part(measures: Sequence[Measure]) -> int:
    """The index of the part to show: the furthest over, else the longest
    (charcount.js picks the same)."""
    return max(
        range(len(measures)),
        key=lambda i: (
            not measures[i].fits,
            measures[i].over_by,
            measures[i].bytes_over_by,
            measures[i].length,
            -i,
        ),
    )


def limit_violations(
    text: str,
    *,
    network: str,
    max_length: int | None = None,
    channel: str | None = None,
) -> list[Violation]:
    """The network's own limits `text` breaks (length, bytes, hashtags,
    mentions), each part of a thread on its own: what the network refuses.
    `channel` names the channel in the messages (an account with its own
    limit); the network's name by default."""
    rules = rules_for(network)
    name = channel or network_name(network)
    parts = parts_for(network, text)
    out: list[Violation] = []
    for number, part in enumerate(parts, start=1):
        where = f"Part {number} of the thread is too long" if len(parts) > 1 else ""
        out.extend(_part_violations(part, rules, name, max_length, where))
    return out


def _part_violations(
    text: str, rules: NetworkRules, name: str, max_length: int | None, where: str
) -> list[Violation]:
    m = measure(rules.network, text, max_length=max_length)
    out: list[Violation] = []
    if m.over_by:
        what = where or (
            "The subject is too long" if rules.subject_only else "Too long"
        )
        out.append(
            Violation(
                "too_long",
                f"{what} for {name}: {m.length:,} of {m.limit:,} {m.unit} "
                f"({m.over_by:,} over).",
            )
        )
    if m.bytes_over_by:
        out.append(
            Violation(
                "too_many_bytes",
                f"{where or 'Too long'} for {name}: {m.bytes:,} of "
                f"{m.byte_limit:,} bytes ({m.bytes_over_by:,} over; emoji and "
                "accented letters take several bytes each).",
            )
        )
    if rules.max_hashtags is not None and m.hashtags > rules.max_hashtags:
        out.append(
            Violation(
                "too_many_hashtags",
                f"{name} allows {rules.max_hashtags} hashtags; this text has "
                f"{m.hashtags}.",
            )
        )
    if rules.max_mentions is not None and m.mentions > rules.max_mentions:
        out.append(
            Violation(
                "too_many_mentions",
                f"{name} allows {rules.max_mentions} mentions; this text has "
                f"{m.mentions}.",
            )
        )
    return out


def check(
    text: str,
    *,
    network: str,
    brand: BrandFacts,
    max_length: int | None = None,
) -> list[Violation]:
    """Every channel rule `text` breaks, in words a marketer can act on: the
    network's limits (`limit_violations`), then the brand's rules."""
    out = limit_violations(text, network=network, max_length=max_length)
    for tag in brand.required_hashtags:
        if tag.strip("# ") and not has_hashtag(text, tag):
            out.append(
                Violation(
                    "missing_hashtag",
                    f"Missing the brand's hashtag #{tag.strip().lstrip('#')}.",
                )
            )
    for handle in brand.required_mentions:
        if handle.strip("@ ") and not has_mention(text, handle):
            out.append(
                Violation(
                    "missing_mention",
                    f"Missing the brand's mention @{handle.strip().lstrip('@')}.",
                )
            )
    out.extend(dont_word_violations(text, brand.dont_words))
    return out
