"""Each network's text rules, measured the way the network measures them.

`RULES` holds the limits; `measure` counts a text in the network's own unit,
`check` lists what breaks the rules (for the model's one retry and for the
editor), and `shorten` cuts a text to fit without ever cutting inside a word or
a grapheme. Plain Python on top of `regex` (for grapheme clusters, `\\X`), no
Django, so providers and the benchmark can call it without a database.

`static/js/charcount.js` is a port of `measure` for the editor's live counters;
`tests/content/test_charcount_js.py` runs both on one table of cases. Change the
patterns below and that file together.

Sources (also in ../shared/CHANNELS.md):
- X: twitter-text "config v3" (github.com/twitter/twitter-text, config/v3.json
  and the parse-tweet docs, developer.x.com "Counting characters"): text is NFC
  normalised; code points in 0-4351, 8192-8205, 8208-8223 and 8242-8247 weigh 1,
  every other code point (CJK, most symbols) weighs 2; an emoji sequence weighs 2
  however many code points it has (emojiParsingEnabled); every URL weighs 23
  (transformedURLLength) whatever its length; at most 280.
- Bluesky: app.bsky.feed.post lexicon, `text` maxGraphemes 300 and maxLength
  3000 (bytes of UTF-8); both must hold.
- Mastodon: the instance's `configuration.statuses.max_characters` from
  /api/v2/instance (500 by default). StatusLengthValidator counts grapheme
  clusters after replacing each URL that has a scheme with 23 characters and
  each remote mention `@user@domain` with `@user`.
- LinkedIn Posts API: commentary up to 3,000 characters. Facebook Graph API:
  63,206 characters. Instagram Graph API (content publishing): caption up to
  2,200 characters, 30 hashtags and 20 @ tags. None of the three defines
  "character"; their composers count JavaScript string length (UTF-16 code
  units), which is never less than the code points, so a text that fits here
  fits there.
- Email: no limit on the body; clients show about 78 characters of a subject
  (RFC 5322 2.1.1 line length, the usual inbox preview). The first line of an
  email text is its subject.
- Webhook and WordPress: no limit.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import regex

from content.copy_types import BrandFacts, ChannelSpec

WEIGHTED = "weighted chars"
GRAPHEMES = "graphemes"
CHARS = "chars"


@dataclass(frozen=True)
class NetworkRules:
    network: str
    max_length: int | None  # in `unit`; None: no limit
    unit: str  # WEIGHTED, GRAPHEMES or CHARS (UTF-16 code units)
    max_bytes: int | None = None  # UTF-8 bytes, where the network also caps those
    max_hashtags: int | None = None
    max_mentions: int | None = None
    url_length: int | None = None  # a URL counts this much whatever its length
    subject_only: bool = False  # email: the limit is on the first line
    notes: str = ""  # guidance for the model, goes into the prompt
    # What the connector sends at most (its `Capabilities` mirror these; a test
    # keeps them equal): images per post, bytes per image, and whether a text
    # with `---` lines goes out as a thread (each part measured on its own).
    max_images: int | None = None
    max_image_bytes: int | None = None
    threads: bool = False


RULES: dict[str, NetworkRules] = {
    "x": NetworkRules(
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
    ),
    "bluesky": NetworkRules(
        network="bluesky",
        max_length=300,
        unit=GRAPHEMES,
        max_bytes=3000,
        max_images=4,
        max_image_bytes=1_000_000,
        threads=True,
        notes=(
            "At most 300 characters (an emoji counts 1) and 3,000 bytes. "
            "Links count in full."
        ),
    ),
    "mastodon": NetworkRules(
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
    ),
    "linkedin": NetworkRules(
        network="linkedin",
        max_length=3000,
        unit=CHARS,
        max_images=20,
        max_image_bytes=8 * 1024 * 1024,
        notes="At most 3,000 characters; 3-5 hashtags at the end.",
    ),
    "facebook": NetworkRules(
        network="facebook",
        max_length=63206,
        unit=CHARS,
        max_images=10,
        max_image_bytes=8 * 1024 * 1024,
        notes="Short posts do best (under 80 characters); few or no hashtags.",
    ),
    "instagram": NetworkRules(
        network="instagram",
        max_length=2200,
        unit=CHARS,
        max_hashtags=30,
        max_mentions=20,
        max_images=10,
        max_image_bytes=8 * 1024 * 1024,
        notes=(
            "At most 2,200 characters, 30 hashtags and 20 @mentions. Links in "
            "captions are not clickable: point to the link in bio."
        ),
    ),
    "email": NetworkRules(
        network="email",
        max_length=78,
        unit=GRAPHEMES,
        subject_only=True,
        notes=(
            "The first line is the subject: at most 78 characters, about 50 "
            "show on phones. The body follows after a blank line."
        ),
    ),
    "webhook": NetworkRules(
        network="webhook", max_length=None, unit=CHARS, max_images=4
    ),
    "wordpress": NetworkRules(
        network="wordpress",
        max_length=None,
        unit=CHARS,
        max_images=1,  # the featured image
        notes="A blog post: a title line, then paragraphs.",
    ),
}

# --- patterns (mirrored in static/js/charcount.js) ---------------------------

_WORD = r"\p{L}\p{M}\p{Nd}_"
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
    rf"(?<![{_WORD}])https?://[^\s<>\"]*{_URL_END}", regex.IGNORECASE
)
BARE_URL_RE = regex.compile(
    rf"(?<![{_WORD}@./-])(?:www\.[^\s<>\"]*{_URL_END}"
    rf"|(?:{_LABEL}\.)+(?:(?:{_GTLDS})(?![{_WORD}-]){_URL_PATH}"
    rf"|[a-z]{{2}}(?=/){_URL_PATH}))",
    regex.IGNORECASE,
)
ANY_URL_RE = regex.compile(
    f"{SCHEME_URL_RE.pattern}|{BARE_URL_RE.pattern}", regex.IGNORECASE
)
# A hashtag needs a letter or "_" ("#1" is not one); not inside a word or "&#38;".
HASHTAG_RE = regex.compile(
    rf"(?<![{_WORD}&/#])#([{_WORD}]*[\p{{L}}_][{_WORD}]*)", regex.IGNORECASE
)
# "@name", "@alice.bsky.social", "@user@instance.example"; not an email address.
MENTION_RE = regex.compile(
    rf"(?<![{_WORD}=/@.])@([a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)"
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


def rules_for(network: str) -> NetworkRules:
    try:
        return RULES[network]
    except KeyError:
        raise ValueError(f"Unknown network {network!r}.") from None


def spec_for(network: str, max_length: int | None = None) -> ChannelSpec:
    """The ChannelSpec a copy task carries; `max_length` (an instance's or an
    account's live limit) replaces the default one."""
    rules = rules_for(network)
    return ChannelSpec(
        network=network,
        account_id=None,
        max_length=max_length if max_length is not None else rules.max_length,
        max_hashtags=rules.max_hashtags,
        notes=rules.notes,
    )


def graphemes(text: str) -> list[str]:
    return regex.findall(r"\X", text)


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
    return MENTION_RE.sub(lambda m: "@" + m.group(1), text)


def _without_urls(text: str) -> str:
    return ANY_URL_RE.sub(" ", text)


def hashtags_in(text: str) -> list[str]:
    """Hashtags as written, without "#", outside URLs ("/#anchor" is not one)."""
    return HASHTAG_RE.findall(_without_urls(text))


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


# --- checking ------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    code: str
    message: str


_NETWORK_NAMES = {
    "x": "X",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "linkedin": "LinkedIn",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "email": "Email",
    "webhook": "the webhook",
    "wordpress": "WordPress",
}


def network_name(network: str) -> str:
    return _NETWORK_NAMES.get(network, network)


def _phrase_pattern(phrase: str) -> regex.Pattern[str]:
    """Whole words, any case; spaces and hyphens in the phrase match either."""
    words = [regex.escape(w) for w in regex.split(r"[\s\-]+", phrase.strip()) if w]
    body = r"[\s\-]+".join(words).replace("'", "['\u2019]")
    return regex.compile(
        rf"(?<![{_WORD}]){body}(?![{_WORD}])", regex.IGNORECASE | regex.V1
    )


def _split_hashtag(tag: str) -> str:
    """ "#CheapDeals" → "Cheap Deals", "#cheap_deals" → "cheap deals"."""
    spaced = regex.sub(r"(?<=\p{Ll})(?=\p{Lu})|_", " ", tag)
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


def _norm_tag(tag: str) -> str:
    return tag.strip().lstrip("#").casefold()


def _norm_mention(handle: str) -> str:
    return handle.strip().lstrip("@").casefold()


def has_hashtag(text: str, tag: str) -> bool:
    wanted = _norm_tag(tag)
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


# --- shortening ----------------------------------------------------------------

ELLIPSIS = "…"
# Full-width stops end a sentence without a following space (Chinese, Japanese).
_SENTENCE_END_RE = regex.compile(
    r"[.!?…]+[\"'\u201d\u2019»)\]]*(?=\s|$)"
    r"|[。\uff01\uff1f]+[」』\u201d\u2019\uff09]*"
)
_CJK_RE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")
_TAIL_TOKEN_RE = regex.compile(rf"(?:{ANY_URL_RE.pattern})|#[{_WORD}]+")


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
        return any(_norm_tag(token) == _norm_tag(k) for k in keep if k[:1] == "#")
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
