"""The workspace's AI settings: provider and model overrides, monthly budgets."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from campaigns.services.brands import require
from content.models import AISettings
from workspaces.models import Workspace
from workspaces.permissions import Action

if TYPE_CHECKING:
    from workspaces.permissions import Principal

PROVIDERS = ("", "offline", "openai")


def ai_settings_update(
    *,
    workspace: Workspace,
    by: Principal,
    provider: str,
    model: str,
    monthly_budget: Decimal | None,
    monthly_token_budget: int | None,
) -> AISettings:
    """Create or update the workspace's row; owners and admins only."""
    require(by, Action.MANAGE_WORKSPACE, workspace)
    if provider not in PROVIDERS:
        raise ValidationError({"provider": ["Unknown provider."]})
    if monthly_budget is not None and monthly_budget < 0:
        raise ValidationError({"monthly_budget": ["A budget cannot be negative."]})
    row, _ = AISettings.objects.update_or_create(
        workspace=workspace,
        defaults={
            "provider": provider,
            "model": (model or "").strip(),
            "monthly_budget": monthly_budget,
            "monthly_token_budget": monthly_token_budget,
        },
    )
    return row
