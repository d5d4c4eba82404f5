"""What an AI-made image says about itself: a C2PA-style provenance note (what
made it, from what inputs, the IPTC digital source type) and the brand's
AI-disclosure policy for it, including whether its renditions carry a visible
label (`IMAGE_VISIBLE_AI_LABEL`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings

from campaigns.models import AIDisclosure, BrandProfile
from content.images import GeneratedImage

DISCLOSURE_LABEL = "Made with AI"
# IPTC digital source types, as C2PA uses them.
_TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
_ALGORITHMIC = "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"


def disclosure_for(brand: BrandProfile, ai_generated: bool) -> dict[str, Any]:
    """What the brand's AI-disclosure policy says about one image."""
    policy = brand.ai_disclosure
    networks = list(brand.ai_disclosure_networks or [])
    label = ""
    if ai_generated and policy != AIDisclosure.NEVER:
        label = DISCLOSURE_LABEL
    return {
        "policy": policy,
        "label": label,
        "networks": networks if policy == AIDisclosure.PER_CHANNEL else [],
    }


def visible_label(disclosure: dict[str, Any]) -> dict[str, Any]:
    """The renditions' visible label, when IMAGE_VISIBLE_AI_LABEL is on and the
    brand's policy labels this image: on every network ("always") or on the
    policy's networks ("per channel"). Off, the disclosure stays in the asset's
    provenance note (and the networks' own AI labels) only."""
    label = disclosure.get("label") or ""
    if not settings.IMAGE_VISIBLE_AI_LABEL or not label:
        return {"label": "", "label_networks": None}
    networks = disclosure.get("networks") or []
    if disclosure.get("policy") == AIDisclosure.PER_CHANNEL:
        return {"label": label, "label_networks": frozenset(networks)}
    return {"label": label, "label_networks": None}


def provenance_note(
    result: GeneratedImage, *, brand: BrandProfile, created: str
) -> dict[str, Any]:
    """A C2PA-style note: what made the image, from what, and how to label it.

    `inputs_hash` is the SHA-256 of the canonical JSON of every input that
    decides the pixels (provider, model, prompts, seed, steps, guidance, size),
    so two assets with the same hash were made the same way.
    """
    inputs = {
        "provider": result.provider,
        "model": result.model,
        "prompt": result.final_prompt,
        "negative_prompt": result.negative_prompt,
        "seed": result.seed,
        "steps": result.steps,
        "guidance": result.guidance,
        "width": result.width,
        "height": result.height,
    }
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"))
    return {
        "claim_generator": "AdLoop",
        "created": created,
        "generator": {
            "provider": result.provider,
            "model": result.model,
            "device": result.device,
            "dtype": result.dtype,
            "seconds": round(result.seconds, 3),
        },
        "inputs_hash": hashlib.sha256(canonical.encode()).hexdigest(),
        "ai_generated": result.ai_generated,
        "digital_source_type": _TRAINED if result.ai_generated else _ALGORITHMIC,
        "actions": [{"action": "c2pa.created"}],
        "disclosure": disclosure_for(brand, result.ai_generated),
        "extra": {k: v for k, v in result.extra.items() if isinstance(v, str | int)},
    }
