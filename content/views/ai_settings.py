"""Workspace settings → AI: provider and model overrides, monthly budgets.

Everyone who sees the workspace reads them (and this month's spend); owners
and admins change them.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from content.forms import AISettingsForm
from content.services.ai_settings import ai_settings_update
from content.services.budget import ai_settings_for, month_spend, resolve_provider
from workspaces.permissions import Action, can
from workspaces.views.common import (
    WorkspaceRequest,
    apply_validation_error,
    require,
    workspace_view,
)

FORBIDDEN = "Only owners and admins can change the AI settings."


@workspace_view
def ai_settings_page(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    may_edit = can(request.user, Action.MANAGE_WORKSPACE, workspace)
    row = ai_settings_for(workspace)
    initial = {
        "provider": row.provider if row else "",
        "model": row.model if row else "",
        "monthly_budget": row.monthly_budget if row else None,
        "monthly_token_budget": row.monthly_token_budget if row else None,
    }
    status = 200
    if request.method == "POST":
        require(request, Action.MANAGE_WORKSPACE, FORBIDDEN)
        form = AISettingsForm(request.POST, initial=initial)
        if form.is_valid():
            try:
                ai_settings_update(
                    workspace=workspace,
                    by=request.user,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, "AI settings saved.")
                return redirect("ai-settings")
        status = 400
    else:
        form = AISettingsForm(initial=initial, read_only=not may_edit)
    spend, tokens = month_spend(workspace)
    context = {
        "section": "settings",
        "settings_tab": "ai",
        "form": form,
        "may_edit": may_edit,
        "row": row,
        "spend": spend,
        "tokens": tokens,
        "choice": resolve_provider(workspace),
    }
    return render(request, "content/settings/ai.html", context, status=status)
