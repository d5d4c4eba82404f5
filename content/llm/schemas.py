"""The JSON schemas a model's answer must match: a copy answer and an angles answer.

Sent as `response_format: json_schema` (strict) and, for servers without it, in
the prompt; the answer is validated against them either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

LINK_PLACEMENTS = ("end", "inline", "first_comment", "none")
COPY_SCHEMA_NAME = "adloop_copy"
ANGLES_SCHEMA_NAME = "adloop_angles"


def copy_schema(networks: Sequence[str] | None = None) -> dict[str, Any]:
    """The JSON schema of a copy answer.

    With `networks`, `texts` has exactly those keys, all required: the strict
    form OpenAI's structured outputs demand (every object closed, every property
    required). Without, `texts` is an open network -> text map (`COPY_SCHEMA`).
    """
    # One piece: it is one schema literal, read best whole.
    if networks:
        texts: dict[str, Any] = {
            "type": "object",
            "properties": {n: {"type": "string"} for n in networks},
            "required": list(networks),
            "additionalProperties": False,
        }
    else:
        texts = {"type": "object", "additionalProperties": {"type": "string"}}
    texts["description"] = (
        "The post text per network, ready to publish: hashtags and the link "
        "included where link_placement says so."
    )
    variant = {
        "type": "object",
        "properties": {
            "label": {"type": "string", "description": "A, B, C..."},
            "texts": texts,
            "hashtags": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The hashtags used in the texts, with '#'.",
            },
            "link_placement": {"type": "string", "enum": list(LINK_PLACEMENTS)},
            "alt_text": {
                "type": "string",
                "description": "Alt text for the post's image.",
            },
            "image_prompt": {
                "type": "string",
                "description": "A prompt for an image generator, no text in it.",
            },
            "rationale": {
                "type": "string",
                "description": "One or two sentences: why this variant may work.",
            },
        },
        "required": [
            "label",
            "texts",
            "hashtags",
            "link_placement",
            "alt_text",
            "image_prompt",
            "rationale",
        ],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"variants": {"type": "array", "items": variant}},
        "required": ["variants"],
        "additionalProperties": False,
    }


COPY_SCHEMA: dict[str, Any] = copy_schema()

ANGLES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "angles": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "topic": {"type": "string"},
                    "angle": {"type": "string"},
                    "rationale": {"type": "string"},
                },
                "required": ["topic", "angle", "rationale"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["angles"],
    "additionalProperties": False,
}
