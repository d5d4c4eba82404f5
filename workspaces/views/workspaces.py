"""Switching the current workspace, and the workspace's own settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from workspaces.forms import WorkspaceSettingsForm
from workspaces.middleware import SESSION_KEY
from workspaces.permissions import Action, can, visible_workspaces
from workspaces.services.tenancy import workspace_update
from workspaces.views.common import (
    SignedInRequest,
    WorkspaceRequest,
    apply_validation_error,
    require,
    safe_next,
    workspace_view,
)


@require_POST
@login_required
def switch(request: SignedInRequest) -> HttpResponse:
    """Make a visible workspace current; any other id is 404, like it never was."""
    raw = request.POST.get("workspace_id", "")
    workspace = get_object_or_404(
        visible_workspaces(request.user),
        pk=int(raw) if raw.isdigit() else 0,
    )
    request.session[SESSION_KEY] = workspace.pk
    messages.success(request, f"Switched to {workspace.name}.")
    return redirect(safe_next(request, reverse("dashboard")))


@workspace_view
def settings_page(request: WorkspaceRequest) -> HttpResponse:
    """Everyone who sees the workspace may read its settings; managers edit them."""
    workspace = request.workspace
    may_edit = can(request.user, Action.MANAGE_WORKSPACE, workspace)
    initial = {
        "name": workspace.name,
        "time_zone": workspace.time_zone,
        "approval_required": workspace.approval_required,
    }
    status = 200
    if request.method == "POST":
        require(
            request,
            Action.MANAGE_WORKSPACE,
            "Only owners and admins can change this workspace's settings.",
        )
        form = WorkspaceSettingsForm(request.POST, initial=initial)
        if form.is_valid():
            try:
                workspace_update(
                    workspace=workspace, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, "Workspace settings saved.")
                return redirect("workspace-settings")
        status = 400
    else:
        form = WorkspaceSettingsForm(initial=initial, read_only=not may_edit)
    context = {
        "section": "settings",
        "settings_tab": "workspace",
        "form": form,
        "may_edit": may_edit,
        # Who switched approval, newest first (WorkspaceSettingChange).
        "approval_changes": workspace.setting_changes.filter(
            setting="approval_required"
        )
        .select_related("actor")
        .order_by("-at", "-pk")[:10],
    }
    return render(request, "campaigns/settings/workspace.html", context, status=status)
