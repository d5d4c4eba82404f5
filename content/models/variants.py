"""Copy variants (the texts a generation or a person wrote for a post) and the
edits made to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from content.models.generations import Generation


class VariantStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    CHOSEN = "chosen", "Chosen"
    DISCARDED = "discarded", "Discarded"


class MadeBy(models.TextChoices):
    MACHINE = "machine", "Written by a model (or the offline writer)"
    PERSON = "person", "Written by a person"


class Variant(models.Model):
    """Copy for one post on one network: one of the labelled variants (A, B, …).

    Carries what the rules (`rule_report`) and the brand-safety gate (`gate`,
    `gate_passed`) said about it, and its provenance: which provider, model,
    prompt template and version, inputs hash, tokens, cost and latency made it.
    At most one variant per post and network is `chosen`. Human edits keep
    `made_by` (who wrote it first) and add a `VariantEdit` row each.
    """

    workspace = models.ForeignKey(
        "campaigns.Workspace", on_delete=models.CASCADE, related_name="variants"
    )
    post = models.ForeignKey(
        "campaigns.Post", on_delete=models.CASCADE, related_name="variants"
    )
    generation = models.ForeignKey(
        Generation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="variants",
    )
    network = models.CharField(max_length=20)
    account = models.ForeignKey(
        "channels.ChannelAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    label = models.CharField(max_length=4)
    text = models.TextField()
    hashtags = models.JSONField(default=list, blank=True)
    link_placement = models.CharField(max_length=20, default="end")
    alt_text = models.TextField(blank=True)
    image_prompt = models.TextField(blank=True)
    rationale = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=VariantStatus.choices, default=VariantStatus.PROPOSED
    )
    rule_report = models.JSONField(
        default=dict, blank=True, help_text="measure, limit, violations, shortened"
    )
    gate = models.JSONField(
        default=dict, blank=True, help_text="The brand-safety verdict."
    )
    gate_passed = models.BooleanField(default=True)
    gate_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    gate_overridden_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=40, blank=True)
    model = models.CharField(max_length=200, blank=True)
    prompt_template = models.CharField(max_length=100, blank=True)
    prompt_version = models.CharField(max_length=20, blank=True)
    inputs_hash = models.CharField(max_length=64, blank=True)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    made_by = models.CharField(
        max_length=10, choices=MadeBy.choices, default=MadeBy.MACHINE
    )
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
    updated_at = models.DateTimeField(auto_now=True)

    # Not columns: content.views.panel sets these on the variants it shows, the
    # messages of the checks each fails, for the panel's badge and Choose button.
    limit_problems: list[str]
    fit_problems: list[str]
    brand_problems: list[str]
    problems: list[str]
    gate_problems: list[str]

    class Meta:
        ordering = ["post_id", "network", "label", "pk"]
        indexes = [
            models.Index(fields=["post", "network"], name="variant_post_network"),
            models.Index(fields=["workspace", "created_at"], name="variant_ws_when"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "network"],
                condition=models.Q(status="chosen"),
                name="variant_one_chosen_per_channel",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=VariantStatus.values),
                name="variant_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(made_by__in=MadeBy.values),
                name="variant_made_by_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.label} of post {self.post_id}"

    @property
    def is_offline_draft(self) -> bool:
        return self.provider == "offline"


class VariantEdit(models.Model):
    """One human edit of a variant's text: who, when, before, after, and the diff."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="edits")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    by_key = models.ForeignKey(
        "campaigns.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(auto_now_add=True)
    before = models.TextField()
    after = models.TextField()
    diff = models.TextField(help_text="Unified diff from before to after.")

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["variant", "at"], name="variant_edit_when")]

    def __str__(self) -> str:
        return f"Edit of variant {self.variant_id} at {self.at:%Y-%m-%d %H:%M}"
