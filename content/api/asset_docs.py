"""The media library API's examples and documented parameters and responses
(the OpenAPI schema's), kept apart from the views they describe."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
)

from campaigns.api.docs import ErrorResponseSerializer
from campaigns.api.workspace_refs import HELP as WORKSPACE_HELP
from content.models import AssetSource

# --- Examples and docs --------------------------------------------------------

ASSET_EXAMPLE = {
    "id": 12,
    "workspace": 1,
    "url": "https://adloop.example/media/assets/1/3f9a…-1c2d.png",
    "thumbnail_url": "https://adloop.example/media/assets/1/thumbs/3f9a…-thumb.jpg",
    "original_filename": "",
    "content_type": "image/png",
    "byte_size": 843211,
    "checksum": "3f9a…",
    "width": 512,
    "height": 512,
    "alt_text": "A latte on an oak table",
    "tags": ["autumn"],
    "source": "generated",
    "ai_generated": True,
    "provenance": {
        "provider": "diffusers",
        "model": "stabilityai/sd-turbo",
        "prompt": "A latte on an oak table. mood: warm. colour palette: teal. "
        "no text or lettering in the image.",
        "negative_prompt": "cheap, text, letters, watermark",
        "seed": 1234,
        "steps": 1,
        "guidance": 0.0,
        "device": "cuda",
        "variant": 31,
        "made_for_post": 7,
        "job": 42,
        "note": {
            "claim_generator": "AdLoop",
            "created": "2026-03-02T09:00:04Z",
            "generator": {"provider": "diffusers", "model": "stabilityai/sd-turbo"},
            "inputs_hash": "9c1e…",
            "ai_generated": True,
            "disclosure": {"policy": "always", "label": "Made with AI"},
        },
    },
    "renditions_state": "ready",
    "renditions": [
        {
            "format": "square",
            "network": "bluesky",
            "width": 1080,
            "height": 1080,
            "content_type": "image/jpeg",
            "bytes": 412004,
            "quality": 85,
            "crop_box": [0, 0, 768, 768],
            "url": "https://adloop.example/media/assets/1/renditions/…-square.jpg",
        }
    ],
    "created_by": 3,
    "created_at": "2026-03-02T09:00:04Z",
    "updated_at": "2026-03-02T09:00:04Z",
}
UPLOAD_400 = OpenApiResponse(
    ErrorResponseSerializer,
    description="A refused upload: `code` is the check's (`not_image`, "
    "`too_large`, `too_many_pixels`, `animated`, `truncated`, "
    "`unsupported_format`, `empty`) and `fields.file` says why; nothing was "
    "kept. Other bad fields answer `invalid`.",
    examples=[
        OpenApiExample(
            "A PDF renamed .png",
            value={
                "error": {
                    "code": "not_image",
                    "message": "invoice.png is a PDF document, not an image.",
                    "fields": {
                        "file": ["invoice.png is a PDF document, not an image."]
                    },
                }
            },
        )
    ],
)
LIST_PARAMETERS = [
    OpenApiParameter("workspace", str, description=WORKSPACE_HELP),
    OpenApiParameter("tag", str, description="One tag name (any case)."),
    OpenApiParameter(
        "source", str, enum=AssetSource.values, description="How it arrived."
    ),
    OpenApiParameter(
        "search",
        str,
        description="Words in the filename, alt text, prompt or a tag name.",
    ),
    OpenApiParameter("ai_generated", bool, description="Made by a model or not."),
]
