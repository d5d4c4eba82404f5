"""A workspace's AI settings: providers, models and budgets for copy and images."""

from __future__ import annotations

from django.db import models


class AISettings(models.Model):
    """A workspace's choices for AI copy: provider and model overrides, budgets.

    Empty `provider`/`model` mean the server's default (settings.LLM_PROVIDER,
    settings.LLM_MODEL). Budgets are per calendar month (UTC); null means none.
    """

    workspace = models.OneToOneField(
        "campaigns.Workspace", on_delete=models.CASCADE, related_name="ai_settings"
    )
    provider = models.CharField(
        max_length=40, blank=True, help_text="Empty: the server's default provider."
    )
    model = models.CharField(
        max_length=200, blank=True, help_text="Empty: the provider's default model."
    )
    monthly_budget = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="USD per calendar month; empty: no limit.",
    )
    monthly_token_budget = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Tokens per calendar month; empty: no limit."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "AI settings"
        verbose_name_plural = "AI settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(monthly_budget__isnull=True)
                | models.Q(monthly_budget__gte=0),
                name="ai_settings_budget_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"AI settings of {self.workspace}"
