"""The offline writer: rule-based drafts with no network, no key and no AI.

It exists so the demo and the tests run without a model, and it says what it is:
provider "offline", model "offline-draft-v1", and every rationale starts with
"offline draft: rules, no AI". Same task in, same drafts out.

Each variant assembles the topic, angle, a sentence of the brand's own facts
(its description, else its do-words), its audience, the brand's CTA, link,
required mentions and hashtags in a different structure per label (A: question
lead, B: benefit lead, C: short and punchy, then the three again with other
openers). The brief steers the topic and angle but is never pasted into the
copy: a draft reads as the brand talking, not as the brief to a copywriter.
and fits each channel's `max_length` by dropping the least important parts and,
only if the lead alone is still too long, shortening it at a word boundary with
an ellipsis. Length is measured conservatively (URLs as at least 23, characters
outside the Latin/Greek/Cyrillic ranges and emoji as 2, like X), so a draft that
fits here fits every network's own measure; `content.channel_rules` still checks.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from content.copy_types import (
    Angle,
    AngleTask,
    BrandFacts,
    ChannelSpec,
    CopyResult,
    CopyTask,
    DraftVariant,
    ModerationResult,
    Usage,
)

RATIONALE_PREFIX = "offline draft: rules, no AI"
# Networks whose posts do not make a URL in the text clickable.
_NO_LINKS = {"instagram"}
_URL = re.compile(r"https?://\S+")
_STOP = {
    "a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "your",
    "our", "how", "why", "what", "is", "are", "at", "by", "from", "it", "its",
    "case",
}  # fmt: skip
_TRAILING = ",;:-\u2013\u2014"  # punctuation not to leave before an ellipsis
_STRUCTURES = ("question lead", "benefit lead", "short punchy")
_QUESTIONS = ("Curious about {topic}?", "Still thinking about {topic}?")
_BENEFITS = ("{Topic}, made simple.", "Why {topic} matters now.")
_PUNCHY = ("{Topic}.", "{Topic}. Now.")
# An angle that opens with one of these is an instruction to a writer ("Introduce
# X to ...", "Ask the audience ..."), not a line of copy: it is not pasted in.
_INSTRUCTIONS = {
    "introduce", "ask", "announce", "explain", "walk", "correct", "give",
    "lead", "build", "show", "tell", "describe", "highlight", "invite",
    "remind", "celebrate", "feature", "compare",
}  # fmt: skip


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
    while len(kept) > 1 and kept[-1].lower().strip(_TRAILING) in _STOP:
        kept.pop()
    if not kept:
        return ""
    return " ".join(kept).rstrip(_TRAILING) + ellipsis


@dataclass(frozen=True)
class _Part:
    text: str
    priority: int  # lower is dropped last; 0 is the lead, never dropped


class OfflineWriter:
    """Deterministic, rule-based copy (see the module docstring)."""

    name = "offline"
    model = "offline-draft-v1"

    def write(self, task: CopyTask) -> CopyResult:
        variants = tuple(self._variant(task, i) for i in range(max(1, task.count)))
        raw = {"variants": [_as_json(v) for v in variants]}
        return CopyResult(
            variants=variants,
            provider=self.name,
            model=self.model,
            usage=Usage(),
            raw=raw,
        )

    def stream(self, task: CopyTask) -> Iterator[str | CopyResult]:
        # Same shape as a model's stream: fragments of the JSON answer, then it.
        result = self.write(task)
        text = json.dumps(result.raw, ensure_ascii=False)
        for i in range(0, len(text), 64):
            yield text[i : i + 64]
        yield result

    def propose_angles(self, task: AngleTask) -> list[Angle]:
        pillar = task.pillar.strip() or "Our story"
        # One topic per sentence of the brief, in turn; the frames rotate from a
        # start fixed by the brief and pillar, so two pillars differ.
        subjects = [
            shorten(s, 80) for s in _sentences(task.brief) if len(s.split()) >= 3
        ] or [task.brand.name]
        frames = [
            ("How-to", "walk the reader through it step by step"),
            ("Myth vs fact", "correct one common misconception about it"),
            ("Behind the scenes", f"show how {task.brand.name} does it"),
            ("Customer story", "tell one customer's result with it"),
            ("Quick tip", "give one thing a reader can try today"),
            ("Question", "ask the audience how they handle it"),
            ("By the numbers", "lead with one figure that shows why it matters"),
        ]
        digest = hashlib.sha256(f"{task.brief}\x00{pillar}".encode()).digest()
        start = digest[0] % len(frames)
        count = max(1, task.count)
        angles = []
        if task.past_winners:
            best = shorten(" ".join(task.past_winners[0].split()), 80)
            angles.append(
                Angle(
                    topic=f"{pillar}: {subjects[0]}",
                    angle=f"Follow-up: build on the best past post ({best})",
                    rationale=f"{RATIONALE_PREFIX}; builds on the top past post.",
                )
            )
        for i in range(count - len(angles)):
            label, frame = frames[(start + i) % len(frames)]
            angles.append(
                Angle(
                    topic=f"{pillar}: {subjects[i % len(subjects)]}",
                    angle=f"{label}: {frame}",
                    rationale=f"{RATIONALE_PREFIX}; {label} frame for {pillar}.",
                )
            )
        return angles

    def moderate(self, text: str) -> ModerationResult | None:
        return None  # no moderation model offline; the rule checks still run

    # -- one variant ----------------------------------------------------------
    def _variant(self, task: CopyTask, index: int) -> DraftVariant:
        structure = _STRUCTURES[index % 3]
        label = chr(ord("A") + index) if index < 26 else f"V{index + 1}"
        hashtags = _hashtags(task)
        texts = {
            ch.network: self._text(task, ch, index, hashtags) for ch in task.channels
        }
        used = tuple(
            t for t in hashtags if any(t in text.split() for text in texts.values())
        )
        topic = task.topic.strip() or task.brand.name
        return DraftVariant(
            label=label,
            texts=texts,
            hashtags=used,
            link_placement="end" if task.link else "none",
            alt_text=shorten(f"Image for a post about {topic}.", 250),
            image_prompt=(
                f"{topic}, {task.angle.strip() or 'everyday scene'}; clean editorial "
                "photograph, natural light, brand colours, no text in the image"
            ),
            rationale=f"{RATIONALE_PREFIX}; {structure} structure.",
        )

    def _text(
        self, task: CopyTask, channel: ChannelSpec, index: int, hashtags: list[str]
    ) -> str:
        parts = _body(task, index)
        tags = _limit_tags(task, hashtags, channel.max_hashtags)
        required = {_tag(t) for t in task.brand.required_hashtags}
        mentions = [
            m if m.startswith("@") else f"@{m}" for m in task.brand.required_mentions
        ]
        link = ""
        if task.link:
            link = "Link in bio." if channel.network in _NO_LINKS else task.link
        optional_tags = [t for t in tags if t not in required]
        required_tags = [t for t in tags if t in required]

        def compose(body: list[_Part], extra: list[str], with_link: bool) -> str:
            lines = [" ".join(p.text for p in body)]
            if with_link and link:
                lines[0] = f"{lines[0]} {link}".strip()
            footer = " ".join([*mentions, *required_tags, *extra])
            return "\n\n".join(x for x in [*lines, footer] if x)

        limit = channel.max_length
        body = list(parts)
        text = compose(body, optional_tags, True)
        if limit is None or measure(text) <= limit:
            return text
        # Drop, least important first: optional hashtags, then sentences by
        # priority (the lead stays), then the link; finally shorten the lead.
        extra = list(optional_tags)
        while extra and measure(compose(body, extra, True)) > limit:
            extra.pop()
        while len(body) > 1 and measure(compose(body, extra, True)) > limit:
            worst = max(range(1, len(body)), key=lambda i: (body[i].priority, i))
            body.pop(worst)
        with_link = measure(compose(body, extra, True)) <= limit
        if not with_link and measure(compose(body, extra, False)) > limit:
            rest = measure(compose([_Part("", 0)], extra, False))
            sep = 2 if rest else 0  # the blank line before the footer
            lead = shorten(body[0].text, max(0, limit - rest - sep))
            body = [_Part(lead, 0)]
            # Tried with the link again: a shorter lead may leave room for it.
            with_link = measure(compose(body, extra, True)) <= limit
        text = compose(body, extra, with_link)
        if measure(text) > limit:  # required tags alone exceed the limit
            text = shorten(text, limit)
        return text


def brand_fact(brand: BrandFacts) -> str:
    """One sentence of what the brand is, from its own facts (not the brief):
    "Demo Coffee Roasters is a small roastery in Berlin ...", else its
    do-words ("Demo Coffee Roasters: fresh roast, traceable."), else ""."""
    name = brand.name.strip()
    description = _first_sentence(brand.description.strip()).rstrip(".!? ")
    if description:
        first = description.split(" ", 1)[0].lower()
        if name and name.lower() in description.lower():
            return _sentence(description)
        if name and first in {"our", "we"}:
            return _sentence(f"At {name}, {_lower_first(description)}")
        if name and first in {"a", "an", "the"}:
            return _sentence(f"{name} is {_lower_first(description)}")
        return _sentence(f"{name}: {description}" if name else description)
    words = [w.strip() for w in brand.do_words if w.strip()][:3]
    if words and name:
        return _sentence(f"{name}: {', '.join(words)}")
    return ""


def _is_instruction(angle: str) -> bool:
    first = angle.strip().split(" ", 1)[0].lower().strip(":,")
    return first in _INSTRUCTIONS


def _opening(text: str) -> str:
    return re.split(r"[:?!]", text, maxsplit=1)[0].strip().lower()


def _is_headline(topic: str) -> bool:
    """A title that is already a sentence ("Did you know? Harvest stories",
    "Behind the scenes: roasting") rather than a subject ("single-origin
    espresso"): it leads as written instead of inside "Curious about …?"."""
    return any(c in topic for c in ":,?!") or len(topic.split()) > 6


def _body(task: CopyTask, index: int) -> list[_Part]:
    topic = task.topic.strip().rstrip(".") or task.brand.name
    fmt = {"topic": _lower_first(topic), "Topic": _upper_first(topic)}
    angle = "" if _is_instruction(task.angle) else _sentence(task.angle)
    if angle and _opening(angle) == _opening(topic):  # "Behind the scenes: …" twice
        angle = ""
    brief = brand_fact(task.brand)  # the brand's facts, never the brief's text
    cta = _sentence(task.brand.default_cta) if task.brand.default_cta else ""
    audience = task.brand.audience.strip().rstrip(".")
    variant = (index // 3) % 2
    structure = index % 3
    parts: list[_Part] = []
    if _is_headline(topic):
        parts.append(_Part(_sentence(topic), 0))
        if angle and structure != 2:
            parts.append(_Part(angle, 2))
        if brief and structure != 2:
            parts.append(_Part(brief, 3))
        if audience and structure == 1:
            parts.append(_Part(f"Made for {_lower_first(audience)}.", 4))
    elif structure == 0:  # question lead
        parts.append(_Part(_QUESTIONS[variant].format(**fmt), 0))
        if angle:
            parts.append(_Part(angle, 2))
        if brief:
            parts.append(_Part(brief, 3))
    elif structure == 1:  # benefit lead
        lead = _BENEFITS[variant].format(**fmt)
        if angle:
            lead = f"{_upper_first(topic)}: {_lower_first(angle)}"
        parts.append(_Part(lead, 0))
        if brief:
            parts.append(_Part(brief, 3))
        if audience:
            parts.append(_Part(f"Made for {_lower_first(audience)}.", 4))
    else:  # short punchy
        parts.append(_Part(_PUNCHY[variant].format(**fmt), 0))
    if cta:
        parts.append(_Part(cta, 1))
    return parts


def _subject(topic: str) -> str:
    """What a title is about: "Did you know? Harvest stories" → "Harvest
    stories", "Small-batch roasting, explained" → "Small-batch roasting"."""
    parts = [p for p in re.split(r"[:?!]", topic) if p.strip()]
    last = parts[-1] if parts else topic
    return last.split(",", 1)[0].strip()


def _hashtags(task: CopyTask) -> list[str]:
    tags = [_tag(t) for t in task.brand.required_hashtags if t.strip()]
    subject = _subject(task.topic)
    words = [w for w in re.findall(r"[^\W_]+", subject) if w.lower() not in _STOP][:3]
    if words:
        derived = "#" + "".join(_upper_first(w) for w in words)
        if derived.lower() not in {t.lower() for t in tags}:
            tags.append(derived)
    return tags


def _limit_tags(task: CopyTask, tags: list[str], max_tags: int | None) -> list[str]:
    if max_tags is None:
        return tags
    required = [_tag(t) for t in task.brand.required_hashtags if t.strip()]
    optional = [t for t in tags if t not in required]
    return required + optional[: max(0, max_tags - len(required))]


def _tag(tag: str) -> str:
    tag = tag.strip()
    return tag if tag.startswith("#") else f"#{tag}"


def _sentences(text: str) -> list[str]:
    text = " ".join(text.split())
    return [m.strip() for m in re.findall(r"[^.!?]+[.!?]?", text) if m.strip()]


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    m = re.search(r"(.+?[.!?])(\s|$)", text)
    return m.group(1) if m else text


def _sentence(text: str) -> str:
    text = " ".join(text.split()).strip()
    if not text:
        return ""
    text = _upper_first(text)
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    # Keep acronyms and names ("AI", "AdLoop") as written.
    if len(text) > 1 and (text[1].isupper() or not text[:1].isupper()):
        return text
    first = text.split(" ", 1)[0]
    if any(c.isupper() for c in first[1:]):
        return text
    return text[:1].lower() + text[1:]


def _as_json(v: DraftVariant) -> dict[str, object]:
    return {
        "label": v.label,
        "texts": dict(v.texts),
        "hashtags": list(v.hashtags),
        "link_placement": v.link_placement,
        "alt_text": v.alt_text,
        "image_prompt": v.image_prompt,
        "rationale": v.rationale,
    }
