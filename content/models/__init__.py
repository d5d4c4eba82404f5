"""Creative assets: the media library (assets, tags, renditions, which posts use
them) and copy generation (settings, jobs, variants, edits), one module per
aggregate. Every model is imported here so Django finds them and importers keep
`from content.models import ...`; the upload paths too, which the migrations
name as `content.models._asset_path` and so on."""

from __future__ import annotations

from content.models.assets import (
    Asset,
    AssetSource,
    AssetTag,
    PostImage,
    Rendition,
    RenditionFormat,
    RenditionsState,
    _asset_path,
    _rendition_path,
    _thumbnail_path,
)
from content.models.generations import Generation, GenerationStatus
from content.models.settings import AISettings
from content.models.variants import MadeBy, Variant, VariantEdit, VariantStatus

__all__ = [
    "AISettings",
    "Asset",
    "AssetSource",
    "AssetTag",
    "Generation",
    "GenerationStatus",
    "MadeBy",
    "PostImage",
    "Rendition",
    "RenditionFormat",
    "RenditionsState",
    "Variant",
    "VariantEdit",
    "VariantStatus",
    "_asset_path",
    "_rendition_path",
    "_thumbnail_path",
]
