"""The media library: assets, their tags and renditions, and which posts use
them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def _asset_path(asset: Asset, filename: str) -> str:
    return f"assets/{asset.workspace_id}/{filename}"


def _thumbnail_path(asset: Asset, filename: str) -> str:
    return f"assets/{asset.workspace_id}/thumbs/{filename}"


def _rendition_path(rendition: Rendition, filename: str) -> str:
    return f"assets/{rendition.asset.workspace_id}/renditions/{filename}"


class AssetSource(models.TextChoices):
    UPLOAD = "upload", "Uploaded"
    GENERATED = "generated", "Generated"
    IMPORTED = "imported", "Imported"


class RenditionsState(models.TextChoices):
    """Where an asset's thumbnail and renditions are. An upload stores its
    original at once and is `processing` until the images worker has cut it
    (content.tasks.render_asset); generated images are made `ready`."""

    READY = "ready", "Ready"
    PROCESSING = "processing", "Processing"
    FAILED = "failed", "Renditions failed"


class AssetTag(models.Model):
    """A label a workspace gives its images ("summer", "product shots").

    A row per (workspace, name) rather than a JSON list on the asset, so tag
    search is one indexed join on SQLite and PostgreSQL alike. Names are stored
    lower-case (see `content.services.assets.clean_tags`).
    """

    workspace = models.ForeignKey(
        "campaigns.Workspace", on_delete=models.CASCADE, related_name="asset_tags"
    )
    name = models.CharField(max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], name="asset_tag_unique_name"
            ),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="asset_tag_name_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Asset(models.Model):
    """An image of a workspace: uploaded by a person or made by a model.

    One row per distinct picture: `checksum` (SHA-256 of the stored bytes) is
    unique per workspace, so uploading the same file twice reuses the row.
    Generated images carry their provenance (provider, model, final prompt,
    seed, steps, guidance, device, the variant and post they were made for) so
    a result can be explained and remade; `provenance` is a C2PA-style note
    (generator, model, time, inputs hash, disclosure label per the brand's AI
    disclosure policy). Files are the original (metadata stripped), a
    thumbnail, and one `Rendition` per network and format.
    """

    workspace = models.ForeignKey(
        "campaigns.Workspace", on_delete=models.CASCADE, related_name="assets"
    )
    file = models.ImageField(
        upload_to=_asset_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    alt_text = models.CharField(max_length=500, blank=True)
    source = models.CharField(
        max_length=20, choices=AssetSource.choices, default=AssetSource.UPLOAD
    )
    original_filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=50, blank=True)
    byte_size = models.PositiveBigIntegerField(default=0)
    checksum = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the stored file (hex)."
    )
    thumbnail = models.ImageField(upload_to=_thumbnail_path, blank=True)
    renditions_state = models.CharField(
        max_length=20,
        choices=RenditionsState.choices,
        default=RenditionsState.READY,
        help_text="processing: the worker has not made the thumbnail and "
        "renditions yet.",
    )
    tags = models.ManyToManyField(AssetTag, blank=True, related_name="assets")
    # Provenance of a generated image (empty for uploads).
    ai_generated = models.BooleanField(default=False)
    provider = models.CharField(max_length=40, blank=True)
    model = models.CharField(max_length=300, blank=True)
    prompt = models.TextField(blank=True, help_text="The final prompt sent.")
    negative_prompt = models.TextField(blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    steps = models.PositiveSmallIntegerField(null=True, blank=True)
    guidance = models.FloatField(null=True, blank=True)
    device = models.CharField(max_length=20, blank=True)
    variant = models.ForeignKey(
        "content.Variant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assets",
    )
    made_for_post = models.ForeignKey(
        "campaigns.Post",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    job = models.ForeignKey(
        "campaigns.Job",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    provenance = models.JSONField(
        default=dict, blank=True, help_text="C2PA-style note: how it was made."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_by_key = models.ForeignKey(
        "campaigns.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["workspace", "created_at"], name="asset_ws_when"),
            models.Index(fields=["workspace", "source"], name="asset_ws_source"),
        ]
        constraints = [
            # The same picture once per workspace; old rows without a checksum
            # (before the media library) are left alone.
            models.UniqueConstraint(
                fields=["workspace", "checksum"],
                condition=~models.Q(checksum=""),
                name="asset_unique_checksum",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=AssetSource.values),
                name="asset_source_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(ai_generated=False) | ~models.Q(provider=""),
                name="asset_ai_generated_has_provider",
            ),
            models.CheckConstraint(
                condition=models.Q(guidance__isnull=True) | models.Q(guidance__gte=0),
                name="asset_guidance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.original_filename or self.file.name


class RenditionFormat(models.TextChoices):
    """The sizes of `content.renditions.FORMATS`."""

    SQUARE = "square", "Square 1:1"
    PORTRAIT = "portrait", "Portrait 4:5"
    LANDSCAPE = "landscape", "Landscape 1.91:1"
    STORY = "story", "Story 9:16"
    WIDE = "wide", "Wide 16:9"


class Rendition(models.Model):
    """One stored cut of an asset: a format for one network (blank = generic).

    Made by `content.renditions` (exact size, subject-keeping crop, the
    network's byte and codec limits met), so publishing never resizes.
    """

    asset = models.ForeignKey(
        Asset, on_delete=models.CASCADE, related_name="renditions"
    )
    format = models.CharField(max_length=20, choices=RenditionFormat.choices)
    network = models.CharField(
        max_length=20, blank=True, help_text="Empty: generic, no network's limits."
    )
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    content_type = models.CharField(max_length=50)
    bytes = models.PositiveIntegerField()
    quality = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="JPEG/WebP quality; empty for PNG."
    )
    crop_box = models.JSONField(
        default=list, help_text="[left, top, right, bottom] in source pixels."
    )
    file = models.FileField(upload_to=_rendition_path)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asset_id", "network", "format"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "network", "format"],
                name="rendition_unique_per_network_format",
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=RenditionFormat.values),
                name="rendition_format_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(width__gt=0) & models.Q(height__gt=0),
                name="rendition_size_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(quality__isnull=True)
                | (models.Q(quality__gte=1) & models.Q(quality__lte=100)),
                name="rendition_quality_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.format} ({self.network or 'generic'}) of asset {self.asset_id}"


class PostImage(models.Model):
    """An asset used by a post (the post editor's gallery), in order.

    `chosen` marks the images that go out with the post; the others are
    candidates (e.g. the results of an image generation). The relation lives
    here so `campaigns.Post` need not know about the media library.
    """

    post = models.ForeignKey(
        "campaigns.Post", on_delete=models.CASCADE, related_name="images"
    )
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="usages")
    position = models.PositiveSmallIntegerField(default=0)
    chosen = models.BooleanField(default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_by_key = models.ForeignKey(
        "campaigns.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["post_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "asset"], name="post_image_unique_asset"
            ),
        ]

    def __str__(self) -> str:
        return f"Asset {self.asset_id} on post {self.post_id}"
