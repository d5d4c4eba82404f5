"""Copy generation jobs: one row per request to write a post's copy."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class GenerationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


class Generation(models.Model):
    """One request to write copy variants for one post on some of its channels.

    The row is the truth about the job (status, progress, cost, error) and its
    provenance: `inputs_hash` is the SHA-256 of the canonical JSON of every input
    (brand, campaign, post, channels, options, provider, model, template and
    version), so an identical request can reuse the stored result (`cache_hit`).
    """

    workspace = models.ForeignKey(
        "campaigns.Workspace", on_delete=models.CASCADE, related_name="generations"
    )
    post = models.ForeignKey(
        "campaigns.Post", on_delete=models.CASCADE, related_name="generations"
    )
    networks = models.JSONField(default=list, blank=True)
    accounts = models.JSONField(
        default=list, blank=True, help_text="Channel account ids asked for."
    )
    count = models.PositiveSmallIntegerField(default=3)
    options = models.JSONField(
        default=dict, blank=True, help_text="tone, language, fresh"
    )
    status = models.CharField(
        max_length=20,
        choices=GenerationStatus.choices,
        default=GenerationStatus.QUEUED,
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="0 to 100")
    message = models.CharField(max_length=300, blank=True)
    provider = models.CharField(max_length=40)
    model = models.CharField(max_length=200, blank=True)
    prompt_template = models.CharField(max_length=100)
    prompt_version = models.CharField(max_length=20)
    inputs_hash = models.CharField(max_length=64)
    cache_hit = models.BooleanField(default=False)
    reused_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    estimated_cost = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    estimated_tokens = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by_key = models.ForeignKey(
        "campaigns.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["workspace", "created_at"], name="generation_ws_when"),
            models.Index(
                fields=["workspace", "inputs_hash", "status"],
                name="generation_ws_hash",
            ),
            models.Index(fields=["post", "created_at"], name="generation_post_when"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=GenerationStatus.values),
                name="generation_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="generation_progress_range"
            ),
            models.CheckConstraint(
                condition=models.Q(count__gte=1) & models.Q(count__lte=6),
                name="generation_count_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Generation #{self.pk} of post {self.post_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (
            GenerationStatus.SUCCEEDED,
            GenerationStatus.FAILED,
            GenerationStatus.CANCELED,
        )
