"""The offline writer: rule-based drafts with no network, no key and no AI.

It exists so the demo and the tests run without a model, and it says what it is:
provider "offline", model "offline-draft-v1", and every rationale starts with
"offline draft: rules, no AI". Same task in, same drafts out.

Each variant assembles the topic, angle, a sentence of the brand's own facts
(its description, else its do-words), its audience, the brand's CTA, link,
required mentions and hashtags in a different structure per label (A: question
lead, B: benefit lead, C: short and punchy, then the three again with other
openers; `drafts`). The brief steers the topic and angle but is never pasted
into the copy: a draft reads as the brand talking, not as the brief to a
copywriter. Each text fits its channel's `max_length` by dropping the least
important parts and, only if the lead alone is still too long, shortening it at
a word boundary with an ellipsis, measured conservatively (`lengths`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from content.offline_writer.drafts import (
    STRUCTURES,
    Part,
    as_hashtag,
    as_json,
    body_parts,
    brand_fact,
    draft_hashtags,
    limit_tags,
    sentences,
)
from content.offline_writer.lengths import measure, shorten
from networks import registry
from networks.copy_types import (
    Angle,
    AngleTask,
    ChannelSpec,
    CopyResult,
    CopyTask,
    DraftVariant,
    ModerationResult,
    Usage,
)

__all__ = ["RATIONALE_PREFIX", "OfflineWriter", "brand_fact", "measure", "shorten"]

RATIONALE_PREFIX = "offline draft: rules, no AI"
# Networks whose posts do not make a URL in the text clickable (their profiles say).
_NO_LINKS = {k for k, p in registry.profiles().items() if not p.links_clickable}


class OfflineWriter:
    """Deterministic, rule-based copy (see the module docstring)."""

    name = "offline"
    model = "offline-draft-v1"

    def write(self, task: CopyTask) -> CopyResult:
        variants = tuple(self._variant(task, i) for i in range(max(1, task.count)))
        raw = {"variants": [as_json(v) for v in variants]}
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
            shorten(s, 80) for s in sentences(task.brief) if len(s.split()) >= 3
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
        structure = STRUCTURES[index % 3]
        label = chr(ord("A") + index) if index < 26 else f"V{index + 1}"
        hashtags = draft_hashtags(task)
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
        parts = body_parts(task, index)
        tags = limit_tags(task, hashtags, channel.max_hashtags)
        required = {as_hashtag(t) for t in task.brand.required_hashtags}
        mentions = [
            m if m.startswith("@") else f"@{m}" for m in task.brand.required_mentions
        ]
        link = ""
        if task.link:
            link = "Link in bio." if channel.network in _NO_LINKS else task.link
        optional_tags = [t for t in tags if t not in required]
        required_tags = [t for t in tags if t in required]

        def compose(body: list[Part], extra: list[str], with_link: bool) -> str:
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
            rest = measure(compose([Part("", 0)], extra, False))
            sep = 2 if rest else 0  # the blank line before the footer
            lead = shorten(body[0].text, max(0, limit - rest - sep))
            body = [Part(lead, 0)]
            # Tried with the link again: a shorter lead may leave room for it.
            with_link = measure(compose(body, extra, True)) <= limit
        text = compose(body, extra, with_link)
        if measure(text) > limit:  # required tags alone exceed the limit
            text = shorten(text, limit)
        return text
