"""The media library API's examples, documented parameters and responses, and
the whole schema of its two longest-documented actions (upload, generate
images): the OpenAPI text, kept apart from the views it describes."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)

from campaigns.api.jobs import JOB_EXAMPLE, JobSerializer
from content.api.asset_serializers import (
    AssetDetailSerializer,
    AssetUploadSerializer,
    ImageGenerateSerializer,
)
from content.models import AssetSource
from core.api.docs import ErrorResponseSerializer, errors
from workspaces.api.workspace_refs import HELP as WORKSPACE_HELP

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


# `POST /api/v1/assets/` (AssetViewSet.create).
UPLOAD_SCHEMA = extend_schema(
    summary="Upload an image",
    description="Multipart: `workspace`, `file`, optional `alt_text` and "
    "`tags` (repeated, or comma-separated). Checked by content, metadata "
    "(EXIF, GPS) stripped and the original stored; the thumbnail and the "
    "renditions for the workspace's networks are made by the images worker "
    "right after (`renditions_state` reads `processing` until then, and "
    "`thumbnail_url` is null). Each workspace may upload "
    "`MEDIA_UPLOADS_PER_MINUTE` images and `MEDIA_MEGAPIXELS_PER_MINUTE` "
    "megapixels a minute; past either, **429** `upload_rate` with "
    "`Retry-After`. **201**: a new asset. **200**: the same file "
    "is already in the workspace; that asset (with the new tags) is "
    "returned. Needs edit_content (owner, admin, editor, write key).",
    request={"multipart/form-data": AssetUploadSerializer},
    responses={
        201: OpenApiResponse(AssetDetailSerializer, description="Stored."),
        200: OpenApiResponse(
            AssetDetailSerializer, description="Already there: reused."
        ),
        400: UPLOAD_400,
        **errors(403, 413, 415),
    },
    examples=[
        OpenApiExample(
            "Uploaded",
            value={**ASSET_EXAMPLE, "source": "upload", "ai_generated": False},
            response_only=True,
            status_codes=[201],
        )
    ],
)


# `POST /api/v1/posts/{id}/images/` (PostImagesViewSet.images).
IMAGES_SCHEMA = extend_schema(
    summary="Generate images for a post",
    description="Makes `count` images from the variant's image prompt (or "
    "`prompt`, or the post's topic) in the brand's style, with the server's "
    "image provider or `provider`. **202**: a queued job of kind "
    "`image_generation`; poll `/api/v1/jobs/{id}/` (`progress`, `message`, "
    "`error`); when it succeeded, `result.assets` lists the new assets, "
    "already in the post's gallery as candidates. Needs edit_content.",
    request=ImageGenerateSerializer,
    responses={
        202: OpenApiResponse(JobSerializer, description="Queued."),
        **errors(400, 403, 404, 409, 413, 415),
    },
    examples=[
        OpenApiExample(
            "Two images from variant 31",
            value={"variant": 31, "count": 2, "seed": 1234},
            request_only=True,
        ),
        OpenApiExample(
            "Queued",
            value={
                **JOB_EXAMPLE,
                "kind": "image_generation",
                "status": "queued",
                "progress": 0,
                "message": "Queued",
                "input": {
                    "post_id": 7,
                    "variant_id": 31,
                    "prompt": "A latte on an oak table",
                    "count": 2,
                    "width": 0,
                    "height": 0,
                    "seed": 1234,
                    "provider": "diffusers",
                },
                "started_at": None,
            },
            response_only=True,
            status_codes=[202],
        ),
    ],
)
