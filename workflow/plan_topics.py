"""Offline topics and angles for planned posts: key phrases of the brief and
the pillar, and title and angle templates per objective. No AI; the planner
says so in each post's `plan_reason["topic"]`.

A title reads like a person's: a template per objective around one key phrase
("Behind the scenes: moka pot brewing", "Why single-origin espresso matters
now"), never "<pillar>: <a word of the pillar>" (a phrase made only of the
pillar's own words is dropped), with multi-word phrases first and the words'
case as the text writes them mid-sentence ("farmers", "Huila").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from campaigns.models import Campaign, Objective, Pillar

_STOP_WORDS = """
a about above after again against all am an and any are as at be because
been before being below between both but by can could did do does doing down
during each few for from further get gets had has have having he her here hers
him his how i if in into is it its itself just let lets me more most my new
no nor not now of off on once only or other our ours out over own per same
she should so some such than that the their theirs them then there these they
this those through to too under until up us very via was we were what when
where which while who whom why will with would you your yours also make makes
want wants every ourselves across launch launches launching behind show
shows showing bring brings take takes tell tells try tries choose chooses
chose pick picks select selects use uses using find finds need needs like
"""
_STOP = frozenset(_STOP_WORDS.split())
_APOSTROPHES = "'\u2019"
_WORD = re.compile(rf"[^\W_][\w{_APOSTROPHES}-]*")
_BREAK = re.compile(r"[.,;:!?()\[\]\n\"“”]")


def key_phrases(text: str, *, limit: int = 8) -> list[str]:
    """Candidate topics of a text, best first (RAKE: runs of content words
    between stop words and punctuation, scored by the sum of word degree over
    frequency). Deterministic: ties keep the order of first appearance."""
    phrases: list[list[str]] = []
    for chunk in _BREAK.split(text):
        run: list[str] = []
        for raw in _WORD.findall(chunk):
            word = raw.strip(f"{_APOSTROPHES}-_")
            if not word:
                continue
            if word.lower() in _STOP or word.isdigit() or len(word) < 2:
                if run:
                    phrases.append(run)
                run = []
            else:
                run.append(word)
                if len(run) == 3:
                    phrases.append(run)
                    run = []
        if run:
            phrases.append(run)
    freq: Counter[str] = Counter()
    degree: Counter[str] = Counter()
    for phrase in phrases:
        for word in phrase:
            freq[word.lower()] += 1
            degree[word.lower()] += len(phrase)
    seen: dict[str, tuple[float, int, str]] = {}
    for position, phrase in enumerate(phrases):
        text_ = " ".join(phrase)
        norm = text_.lower()
        if norm in seen:
            continue
        score = sum(degree[w.lower()] / freq[w.lower()] for w in phrase)
        seen[norm] = (score, position, text_)
    ranked = sorted(seen.values(), key=lambda s: (-s[0], s[1]))
    return [text_ for _, _, text_ in ranked[:limit]]


# (title, angle) per objective; {phrase} in the title, {topic} and {brand} in
# the angle. Rotated per pillar, offset by the pillar's place, so neighbours differ.
TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    Objective.AWARENESS: (
        (
            "{Phrase}, explained",
            "Introduce {topic} to someone who has never heard of {brand}",
        ),
        (
            "Behind the scenes: {phrase}",
            "Behind the scenes: how {brand} approaches {topic}",
        ),
        ("Did you know? {Phrase}", "One surprising fact about {topic}"),
        ("The case for {phrase}", "What makes {topic} worth a look now"),
        (
            "{Phrase}: a short story",
            "A short story from the people behind {topic}",
        ),
    ),
    Objective.ENGAGEMENT: (
        (
            "Your take on {phrase}?",
            "Ask the audience: what is your take on {topic}?",
        ),
        ("{Phrase}: this or that", "This or that: two ways to enjoy {topic}"),
        ("A myth about {phrase}", "A myth about {topic}, and the truth"),
        ("Share your {phrase} moment", "Share your {topic} moment"),
        ("Quick poll: {phrase}", "Quick poll on {topic}"),
    ),
    Objective.TRAFFIC: (
        (
            "A practical guide to {phrase}",
            "A practical guide to {topic} (read more on the site)",
        ),
        (
            "Five things to know about {phrase}",
            "Five things to know about {topic}, with the full list behind the link",
        ),
        (
            "{Phrase}: the question everyone asks",
            "The question everyone asks about {topic}, answered in depth",
        ),
        ("A checklist for {phrase}", "A checklist for {topic}"),
        (
            "What we learned about {phrase}",
            "What we learned about {topic} (full write-up)",
        ),
    ),
    Objective.CONVERSIONS: (
        (
            "What {phrase} solves",
            "The problem {topic} solves, and how to start today",
        ),
        ("Customers on {phrase}", "What customers say about {topic}"),
        ("An offer on {phrase}", "A limited offer around {topic}"),
        (
            "{Phrase}, step by step",
            "From first try to favourite: {topic} step by step",
        ),
        ("Choosing {phrase}", "Compare before you choose: {topic}"),
    ),
}
# Kept for callers that read the angle templates alone.
ANGLES: dict[str, tuple[str, ...]] = {
    key: tuple(angle for _, angle in pairs) for key, pairs in TEMPLATES.items()
}


def natural_case(phrase: str, text: str) -> str:
    """`phrase` with each word as `text` writes it mid-sentence: a name
    ("Huila", capitalised after the start of a sentence) or an acronym keeps
    its capitals, any other word ("Recipes" opening a sentence) is lowered."""
    names = set()
    for sentence in re.split(r"[.!?:;\n]+", text):
        names |= {w for w in _WORD.findall(sentence)[1:] if w[:1].isupper()}
    words = []
    for word in phrase.split():
        if word[:1].isupper() and word not in names and not word.isupper():
            word = word.lower()
        words.append(word)
    return " ".join(words)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class TopicSource:
    """Rotates a pillar's key phrases and its objective's templates."""

    phrases: list[str]
    origin: str
    used: int = 0

    def next(self) -> tuple[str, int]:
        index = self.used
        self.used += 1
        return self.phrases[index % len(self.phrases)], index


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def _related(phrase: str, words: set[str]) -> bool:
    # Shares a word, or a stem ("brew" ~ "brewing"), with the pillar.
    return any(
        w in words or any(len(w) >= 4 and o.startswith(w[:4]) for o in words)
        for w in _words(phrase)
    )


def phrases_for(pillar: Pillar | None, brief: str, fallback: str) -> list[str]:
    """The phrases a pillar's posts are about, in this order: its description's,
    the brief's that relate to the pillar, the rest of the brief's; multi-word
    ones first in each group; none made only of the pillar's own words."""
    own = key_phrases(pillar.description) if pillar is not None else []
    text = f"{pillar.description if pillar else ''} {brief}"
    name = _words(pillar.name) if pillar is not None else set()
    about = name | (_words(pillar.description) if pillar is not None else set())
    brief_phrases = key_phrases(brief)
    groups = [
        own,
        [p for p in brief_phrases if _related(p, about)],
        brief_phrases,
    ]
    ordered: list[str] = []
    for group in groups:
        cased = [natural_case(p, text) for p in group if not _words(p) <= name]
        ordered += [p for p in cased if len(p.split()) > 1]
        ordered += [p for p in cased if len(p.split()) == 1]
    return list(dict.fromkeys(ordered)) or [fallback]


def topic_sources(campaign: Campaign, pillars: list[Pillar]) -> dict[int, TopicSource]:
    """One rotating source per pillar (key 0: posts without a pillar)."""
    fallback = campaign.name
    sources = {
        p.pk: TopicSource(
            phrases_for(p, campaign.brief, p.name.lower()), "pillar and brief"
        )
        for p in pillars
    }
    sources[0] = TopicSource(phrases_for(None, campaign.brief, fallback), "brief")
    return sources


def topic_and_angle(
    campaign: Campaign, pillar: Pillar | None, source: TopicSource, offset: int
) -> tuple[str, str, str]:
    """(title, angle, reason) of the next post of `pillar`."""
    phrase, index = source.next()
    pairs = TEMPLATES.get(campaign.objective, TEMPLATES[Objective.AWARENESS])
    choice = (index + offset) % len(pairs)
    title_template, angle_template = pairs[choice]
    title = title_template.format(phrase=phrase, Phrase=_upper_first(phrase))
    angle = angle_template.format(topic=phrase, brand=campaign.brand.name)
    reason = (
        f'About "{phrase}", a key phrase of the {source.origin}, with a title '
        f"and angle for {campaign.get_objective_display().lower()} posts "
        f"({choice + 1} of {len(pairs)}); written by rules offline, no AI."
    )
    return _upper_first(title)[:300], _upper_first(angle)[:300], reason
