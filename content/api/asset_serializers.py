"""The media library's API shapes: what an asset reads as (output) and what
each write accepts (input). Views are in `content.api.assets`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    extend_schema_field,
)
from rest_framework import serializers

from campaigns.models import Post
from connections.api.channel_accounts import VisibleField, named_choice
from content import services
from content.images import PROVIDERS
from content.models import Asset, AssetSource, PostImage, Rendition, Variant
from content.services.image_generation import MAX_SEED, MAX_SIDE, MIN_SIDE
from core.api.common import StrictSerializer
from workspaces.api.workspace_refs import WorkspaceField

# --- Output -------------------------------------------------------------------


def _url(serializer: serializers.Serializer[Any], field: Any) -> str | None:
    if not field:
        return None
    url = field.url
    request = serializer.context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


class RenditionSerializer(serializers.ModelSerializer[Rendition]):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Rendition
        fields = [
            "format",
            "network",
            "width",
            "height",
            "content_type",
            "bytes",
            "quality",
            "crop_box",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: Rendition) -> str | None:
        return _url(self, obj.file)


class AssetProvenanceSerializer(serializers.ModelSerializer[Asset]):
    note = serializers.JSONField(
        source="provenance",
        help_text="C2PA-style: claim_generator, created, generator, inputs_hash, "
        "digital_source_type, disclosure (policy, label, networks).",
    )

    class Meta:
        model = Asset
        fields = [
            "provider",
            "model",
            "prompt",
            "negative_prompt",
            "seed",
            "steps",
            "guidance",
            "device",
            "variant",
            "made_for_post",
            "job",
            "note",
        ]
        read_only_fields = fields


class AssetSerializer(serializers.ModelSerializer[Asset]):
    # The stubs see DRF's Field.source attribute here; the serializer's metaclass
    # moves declared fields out of the class, so this is the API's `source` field.
    source = named_choice(  # type: ignore[assignment]  # a field: see above
        "AssetSource", AssetSource.choices, read_only=True
    )
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    provenance = AssetProvenanceSerializer(source="*", read_only=True)
    renditions = RenditionSerializer(many=True, read_only=True)

    class Meta:
        model = Asset
        fields = [
            "id",
            "workspace",
            "url",
            "thumbnail_url",
            "original_filename",
            "content_type",
            "byte_size",
            "checksum",
            "width",
            "height",
            "alt_text",
            "tags",
            "source",
            "ai_generated",
            "provenance",
            "renditions_state",
            "renditions",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: Asset) -> str | None:
        return _url(self, obj.file)

    # Null while the worker makes the renditions (and for a file it could not).
    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail_url(self, obj: Asset) -> str | None:
        return _url(self, obj.thumbnail)

    def get_tags(self, obj: Asset) -> list[str]:
        return sorted(t.name for t in obj.tags.all())


class UsageSerializer(serializers.Serializer[Any]):
    post = serializers.IntegerField()
    topic = serializers.CharField()
    status = serializers.CharField()
    scheduled_at = serializers.DateTimeField(allow_null=True)
    chosen = serializers.BooleanField(
        help_text="In the post's gallery and going out with it; false for a "
        "candidate, or when the post names it as its image only."
    )


class AssetDetailSerializer(AssetSerializer):
    usage = serializers.SerializerMethodField()

    class Meta(AssetSerializer.Meta):
        fields = [*AssetSerializer.Meta.fields, "usage"]
        read_only_fields = fields

    @extend_schema_field(UsageSerializer(many=True))
    def get_usage(self, obj: Asset) -> list[dict[str, Any]]:
        chosen = dict(
            PostImage.objects.filter(asset=obj).values_list("post_id", "chosen")
        )
        return [
            {
                "post": post.pk,
                "topic": post.topic,
                "status": post.status,
                "scheduled_at": post.scheduled_at,
                "chosen": chosen.get(post.pk, False),
            }
            for post in services.asset_usage(obj)
        ]


# --- Input --------------------------------------------------------------------


class TagsField(serializers.ListField):
    """A list of tag names; a comma-separated text is accepted too (forms)."""

    child = serializers.CharField(max_length=200, allow_blank=True)

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, str):
            data = data.split(",")
        items = super().to_internal_value(data)
        return [part for item in items for part in item.split(",")]


class AssetUploadSerializer(StrictSerializer):
    workspace = WorkspaceField()
    # An empty file goes on to the upload check, which answers its documented
    # code `empty` (DRF's own refusal would say `invalid`).
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="JPEG, PNG, WebP or a still GIF; checked by its content.",
    )
    alt_text = serializers.CharField(max_length=500, allow_blank=True, default="")
    tags = TagsField(required=False, default=list)


class AssetUpdateSerializer(StrictSerializer):
    alt_text = serializers.CharField(max_length=500, allow_blank=True, required=False)
    tags = TagsField(required=False, help_text="Replaces the tags whole.")


class AttachSerializer(StrictSerializer):
    post = VisibleField(Post)
    chosen = serializers.BooleanField(
        default=True, help_text="Goes out with the post (false: a candidate)."
    )
    position = serializers.IntegerField(
        min_value=0, max_value=1000, required=False, help_text="Default: last."
    )


class DetachSerializer(StrictSerializer):
    post = VisibleField(Post)


class ImageGenerateSerializer(StrictSerializer):
    variant = VisibleField(
        Variant,
        required=False,
        allow_null=True,
        help_text="Use its image prompt (and alt text).",
    )
    prompt = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="Overrides the variant's image prompt; neither: the post's "
        "topic and angle.",
    )
    count = serializers.IntegerField(default=1, help_text="Images to make.")
    width = serializers.IntegerField(
        default=0, help_text=f"0: the model's native size; else {MIN_SIDE}-{MAX_SIDE}."
    )
    height = serializers.IntegerField(default=0, help_text="As width.")
    seed = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_SEED,
        help_text="Reproduce a result; image n gets seed + n.",
    )
    provider = serializers.ChoiceField(
        choices=list(PROVIDERS),
        required=False,
        help_text="Overrides the server's IMAGE_PROVIDER for this job.",
    )
