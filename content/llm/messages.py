"""What is said to the model and how its answer is read back.

The messages of a copy request and of an angles request (the rendered prompt plus
the output contract: how many variants, which channels, their limits), the
fallbacks' extra messages, and the parsing of an answer into `DraftVariant`s or
`Angle`s. An answer that is not JSON of the schema raises `Malformed`, which the
provider answers with one more try (`malformed_feedback`).
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema

from networks.copy_types import Angle, AngleTask, CopyTask, DraftVariant


class Malformed(Exception):
    """The answer is not JSON, or not JSON of the schema."""


def _copy_contract(task: CopyTask) -> str:
    limits = "; ".join(
        f"{c.network}: at most {c.max_length} characters"
        + (f", at most {c.max_hashtags} hashtags" if c.max_hashtags is not None else "")
        for c in task.channels
        if c.max_length is not None or c.max_hashtags is not None
    )
    labels = ", ".join(chr(ord("A") + i) for i in range(min(task.count, 26)))
    networks = ", ".join(c.network for c in task.channels)
    lines = [
        f"Return JSON with {task.count} variants (labels {labels}). Each variant "
        f"has a text for each of these channels: {networks}.",
    ]
    if limits:
        lines.append(f"Limits: {limits}.")
    return "\n".join(lines)


def copy_messages(task: CopyTask) -> list[dict[str, str]]:
    messages = [
        {
            "role": "system",
            "content": f"{task.prompt.system}\n\n{_copy_contract(task)}",
        },
        {"role": "user", "content": task.prompt.user},
    ]
    if task.feedback:
        messages.append(
            {
                "role": "user",
                "content": "Your previous variants broke these rules; fix them: "
                f"{task.feedback}",
            }
        )
    return messages


def angle_messages(task: AngleTask) -> list[dict[str, str]]:
    contract = (
        f"Return JSON with {task.count} angles: a topic, the angle to take on "
        "it, and a one-sentence rationale each."
    )
    if task.prompt is not None:
        return [
            {"role": "system", "content": f"{task.prompt.system}\n\n{contract}"},
            {"role": "user", "content": task.prompt.user},
        ]
    brand = task.brand
    lines = [
        f"Brand: {brand.name}.",
        f"Voice: {brand.voice}." if brand.voice else "",
        f"Audience: {brand.audience}." if brand.audience else "",
        f"Campaign objective: {task.objective}.",
        f"Brief: {task.brief}",
        f"Content pillar: {task.pillar}.",
        f"Language: {task.language}.",
    ]
    if task.past_winners:
        lines.append("Posts that performed best so far:")
        lines.extend(f"- {w}" for w in task.past_winners)
    return [
        {
            "role": "system",
            "content": "You plan social media posts for a brand: distinct, "
            f"concrete topics, each with a clear angle.\n\n{contract}",
        },
        {"role": "user", "content": "\n".join(line for line in lines if line)},
    ]


def with_schema_in_prompt(
    messages: list[dict[str, str]], schema: dict[str, Any]
) -> list[dict[str, str]]:
    instruction = (
        "Answer with one JSON object and nothing else. It must match this JSON "
        f"Schema:\n{json.dumps(schema, separators=(',', ':'))}"
    )
    first, *rest = messages
    return [{**first, "content": f"{first['content']}\n\n{instruction}"}, *rest]


def completion_arguments(
    model: str,
    messages: list[dict[str, str]],
    schema_name: str,
    schema: dict[str, Any],
    *,
    mode: str,
    max_tokens: int,
) -> dict[str, Any]:
    """A chat completion's arguments in `mode` (json_schema or json_object)."""
    kwargs: dict[str, Any] = {"model": model, "max_tokens": max_tokens}
    if mode == "json_schema":
        kwargs["messages"] = messages
        kwargs["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "schema": schema, "strict": True},
        }
    else:
        kwargs["messages"] = with_schema_in_prompt(messages, schema)
        kwargs["response_format"] = {"type": "json_object"}
    return kwargs


def malformed_feedback(content: str, error: Exception) -> list[dict[str, str]]:
    return [
        {"role": "assistant", "content": content[:4000]},
        {
            "role": "user",
            "content": f"That answer was not valid: {error}. Answer again with only "
            "the JSON object, matching the schema.",
        },
    ]


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)


def parse_json(
    content: str, schema: dict[str, Any], finish_reason: str | None = None
) -> dict[str, Any]:
    if finish_reason == "length":
        raise Malformed("the answer was cut off at the token limit")
    text = content.strip()
    fenced = _FENCE.match(text)  # some local models wrap JSON in a code fence
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise Malformed(f"not JSON ({exc})") from None
    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the top level"
        raise Malformed(f"at {where}: {exc.message}") from None
    return data


def _hashtag(tag: str) -> str:
    tag = tag.strip()
    return tag if tag.startswith("#") else f"#{tag}"


def variants_from(data: dict[str, Any], task: CopyTask) -> tuple[DraftVariant, ...]:
    items = data["variants"][: max(1, task.count)]
    if not items:
        raise Malformed("no variants")
    networks = [c.network for c in task.channels]
    variants = []
    for i, item in enumerate(items):
        variants.append(
            DraftVariant(
                # Labels by position: the model's own may repeat or skip.
                label=chr(ord("A") + i) if i < 26 else f"V{i + 1}",
                texts={n: item["texts"][n].strip() for n in networks},
                hashtags=tuple(_hashtag(t) for t in item["hashtags"] if t.strip()),
                link_placement=item["link_placement"],
                alt_text=item["alt_text"].strip(),
                image_prompt=item["image_prompt"].strip(),
                rationale=item["rationale"].strip(),
            )
        )
    return tuple(variants)


def angles_from(data: dict[str, Any], count: int) -> list[Angle]:
    angles = [
        Angle(
            topic=a["topic"].strip(),
            angle=a["angle"].strip(),
            rationale=a["rationale"].strip(),
        )
        for a in data["angles"]
        if a["topic"].strip()
    ][: max(1, count)]
    if not angles:
        raise Malformed("no angles")
    return angles
