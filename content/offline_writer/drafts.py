"""The parts of an offline draft: its sentences, in a structure per label, and
its hashtags, all from the brand's facts and the task (never the brief's text).

A part has a priority: when a channel's limit is tight, the writer drops the
least important first; the lead (0) stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from content.offline_writer.lengths import STOP
from networks.copy_types import BrandFacts, CopyTask, DraftVariant

STRUCTURES = ("question lead", "benefit lead", "short punchy")
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


@dataclass(frozen=True)
class Part:
    text: str
    priority: int  # lower is dropped last; 0 is the lead, never dropped


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


def body_parts(task: CopyTask, index: int) -> list[Part]:
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
    parts: list[Part] = []
    if _is_headline(topic):
        parts.append(Part(_sentence(topic), 0))
        if angle and structure != 2:
            parts.append(Part(angle, 2))
        if brief and structure != 2:
            parts.append(Part(brief, 3))
        if audience and structure == 1:
            parts.append(Part(f"Made for {_lower_first(audience)}.", 4))
    elif structure == 0:  # question lead
        parts.append(Part(_QUESTIONS[variant].format(**fmt), 0))
        if angle:
            parts.append(Part(angle, 2))
        if brief:
            parts.append(Part(brief, 3))
    elif structure == 1:  # benefit lead
        lead = _BENEFITS[variant].format(**fmt)
        if angle:
            lead = f"{_upper_first(topic)}: {_lower_first(angle)}"
        parts.append(Part(lead, 0))
        if brief:
            parts.append(Part(brief, 3))
        if audience:
            parts.append(Part(f"Made for {_lower_first(audience)}.", 4))
    else:  # short punchy
        parts.append(Part(_PUNCHY[variant].format(**fmt), 0))
    if cta:
        parts.append(Part(cta, 1))
    return parts


def _subject(topic: str) -> str:
    """What a title is about: "Did you know? Harvest stories" → "Harvest
    stories", "Small-batch roasting, explained" → "Small-batch roasting"."""
    parts = [p for p in re.split(r"[:?!]", topic) if p.strip()]
    last = parts[-1] if parts else topic
    return last.split(",", 1)[0].strip()


def draft_hashtags(task: CopyTask) -> list[str]:
    tags = [as_hashtag(t) for t in task.brand.required_hashtags if t.strip()]
    subject = _subject(task.topic)
    words = [w for w in re.findall(r"[^\W_]+", subject) if w.lower() not in STOP][:3]
    if words:
        derived = "#" + "".join(_upper_first(w) for w in words)
        if derived.lower() not in {t.lower() for t in tags}:
            tags.append(derived)
    return tags


def limit_tags(task: CopyTask, tags: list[str], max_tags: int | None) -> list[str]:
    if max_tags is None:
        return tags
    required = [as_hashtag(t) for t in task.brand.required_hashtags if t.strip()]
    optional = [t for t in tags if t not in required]
    return required + optional[: max(0, max_tags - len(required))]


def as_hashtag(tag: str) -> str:
    tag = tag.strip()
    return tag if tag.startswith("#") else f"#{tag}"


def sentences(text: str) -> list[str]:
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


def as_json(v: DraftVariant) -> dict[str, object]:
    return {
        "label": v.label,
        "texts": dict(v.texts),
        "hashtags": list(v.hashtags),
        "link_placement": v.link_placement,
        "alt_text": v.alt_text,
        "image_prompt": v.image_prompt,
        "rationale": v.rationale,
    }
