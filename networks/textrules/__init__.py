"""Each network's text rules, measured the way the network measures them.

`RULES` holds the limits; `measure` counts a text in the network's own unit,
`check` lists what breaks the rules (for the model's one retry and for the
editor), and `shorten` cuts a text to fit without ever cutting inside a word or
a grapheme. Plain Python on top of `regex` (for grapheme clusters, `\\X`), no
Django, so providers and the benchmark can call it without a database.

One module per network (`x.py`, `bluesky.py`, ...) holds that network's
`RULES` and the source they come from: data the networks will later own. The
engine is shared: `measuring` (with its patterns, mirrored in
`static/js/charcount.js`), `checking` and `shortening`; `registry` maps each
network key to its rules.

All sources are also in ../shared/CHANNELS.md.
"""

from __future__ import annotations

from networks.textrules.base import CHARS, GRAPHEMES, WEIGHTED, NetworkRules
from networks.textrules.checking import (
    THREAD_SEPARATOR,
    Violation,
    check,
    dont_word_violations,
    find_phrases,
    has_hashtag,
    has_mention,
    limit_violations,
    measure_parts,
    parts_for,
    split_thread,
    worst_part,
)
from networks.textrules.measuring import (
    ANY_URL_RE,
    BARE_URL_RE,
    HASHTAG_RE,
    MENTION_RE,
    SCHEME_URL_RE,
    Measure,
    graphemes,
    hashtags_in,
    measure,
    mentions_in,
    subject_of,
)
from networks.textrules.registry import RULES, network_name, rules_for, spec_for
from networks.textrules.shortening import ELLIPSIS, required_tokens, shorten

__all__ = [
    "ANY_URL_RE",
    "BARE_URL_RE",
    "CHARS",
    "ELLIPSIS",
    "GRAPHEMES",
    "HASHTAG_RE",
    "MENTION_RE",
    "RULES",
    "SCHEME_URL_RE",
    "THREAD_SEPARATOR",
    "WEIGHTED",
    "Measure",
    "NetworkRules",
    "Violation",
    "check",
    "dont_word_violations",
    "find_phrases",
    "graphemes",
    "has_hashtag",
    "has_mention",
    "hashtags_in",
    "limit_violations",
    "measure",
    "measure_parts",
    "mentions_in",
    "network_name",
    "parts_for",
    "required_tokens",
    "rules_for",
    "shorten",
    "spec_for",
    "split_thread",
    "subject_of",
    "worst_part",
]
