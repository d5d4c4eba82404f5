"""The home page: the current workspace at a glance, or onboarding without one.

What it shows (next posts due, approvals, failures, running campaigns) is read
by `workflow.overview`; this view only adds what the person may do.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from connections.forms import CONNECT_FORMS
from content.services.budget import ai_settings_for, month_spend
from workflow.overview import workspace_overview
from workspaces import selectors
from workspaces.forms import OnboardingForm
from workspaces.middleware import SESSION_KEY
from workspaces.models import Role
from workspaces.permissions import Action, can, role_in_workspace
from workspaces.services.tenancy import organization_create, workspace_create
from workspaces.views.common import SignedInRequest, apply_validation_error


@login_required
def dashboard(request: SignedInRequest) -> HttpResponse:
    workspace = request.workspace
    if workspace is None:
        return render(request, "campaigns/onboarding.html", {"form": OnboardingForm()})
    user = request.user
    role = role_in_workspace(user, workspace)
    members = selectors.workspace_members(workspace)
    context = {
        "section": "dashboard",
        "workspace": workspace,
        "role_label": Role(role).label if role else "",
        "members_count": members.values("user_id").distinct().count(),
        "pending_invitations": selectors.workspace_pending_invitations(
            workspace
        ).count(),
        "can_manage_members": can(user, Action.MANAGE_MEMBERS, workspace),
        "can_manage_workspace": can(user, Action.MANAGE_WORKSPACE, workspace),
        "can_manage_keys": can(user, Action.MANAGE_API_KEYS, workspace),
    }
    context["ai_spend"], context["ai_tokens"] = month_spend(workspace)
    context["ai_settings"] = ai_settings_for(workspace)
    context["overview"] = workspace_overview(workspace, user)
    context["can_edit"] = can(user, Action.EDIT_CONTENT, workspace)
    context["can_manage_channels"] = can(user, Action.MANAGE_CHANNELS, workspace)
    context["credential_networks"] = sorted(CONNECT_FORMS)
    return render(request, "campaigns/dashboard.html", context)


@require_POST
@login_required
def onboarding(request: SignedInRequest) -> HttpResponse:
    """Create an organization (the person owns it) and its first workspace."""
    form = OnboardingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                organization = organization_create(
                    name=data["organization_name"],
                    owner=request.user,
                )
                workspace = workspace_create(
                    organization=organization,
                    name=data["workspace_name"],
                    time_zone=data["time_zone"],
                )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            request.session[SESSION_KEY] = workspace.pk
            messages.success(request, f"Welcome to {workspace.name}.")
            return redirect("dashboard")
    return render(request, "campaigns/onboarding.html", {"form": form}, status=400)
