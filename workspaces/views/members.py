"""Members and invitations of the current workspace.

Everyone who sees the workspace sees who else is in it; changing anything
needs MANAGE_MEMBERS. A row that is organization-wide (an owner, an org
admin) is the organization's business: changing it needs MANAGE_ORGANIZATION
in the organization, so a workspace admin cannot demote the agency's owner.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from core.errors import ConflictError
from workspaces import selectors
from workspaces.forms import WORKSPACE_ROLES, InviteForm, MemberRoleForm
from workspaces.models import Membership, Role, Workspace
from workspaces.permissions import (
    Action,
    can,
    can_manage_membership,
    forget_cached_roles,
    visible_workspaces,
)
from workspaces.services.invitations import invitation_create, invitation_revoke
from workspaces.services.tenancy import membership_remove, membership_set
from workspaces.views.common import (
    WorkspaceRequest,
    apply_validation_error,
    is_htmx,
    render_panel,
    require,
    workspace_view,
)

PAGE = "campaigns/settings/members/page.html"
FORBIDDEN = "Only owners and admins can manage the members of this workspace."


def _may_change(request: WorkspaceRequest, membership: Membership) -> bool:
    return can_manage_membership(request.user, membership)


def _page(
    request: WorkspaceRequest,
    *,
    invite_form: InviteForm | None = None,
    row_errors: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    workspace: Workspace = request.workspace
    manage = can(request.user, Action.MANAGE_MEMBERS, workspace)
    rows = [
        {
            "membership": m,
            "editable": manage and _may_change(request, m),
            "roles": Role.choices if m.workspace_id is None else WORKSPACE_ROLES,
            "error": (row_errors or {}).get(m.pk),
        }
        for m in selectors.workspace_members(workspace)
    ]
    context: dict[str, Any] = {
        "section": "settings",
        "settings_tab": "members",
        "rows": rows,
        "invitations": selectors.workspace_pending_invitations(workspace),
        "invite_form": invite_form or InviteForm(),
        "manage": manage,
    }
    return render_panel(request, PAGE, context, status=status)


def _done(request: WorkspaceRequest, message: str) -> HttpResponse:
    """After a change: HTMX gets the fresh panel, a plain form a redirect (PRG)."""
    messages.success(request, message)
    return _page(request) if is_htmx(request) else redirect("members")


def _membership(request: WorkspaceRequest, pk: int) -> Membership:
    """A membership of the current workspace (404 otherwise) the person may change."""
    require(request, Action.MANAGE_MEMBERS, FORBIDDEN)
    membership = get_object_or_404(
        selectors.workspace_members(request.workspace),
        pk=pk,
    )
    if not _may_change(request, membership):
        raise PermissionDenied(
            "Organization-wide roles are changed by the organization's owners."
        )
    return membership


@workspace_view
def members(request: WorkspaceRequest) -> HttpResponse:
    return _page(request)


@require_POST
@workspace_view
def invite(request: WorkspaceRequest) -> HttpResponse:
    workspace = require(request, Action.MANAGE_MEMBERS, FORBIDDEN)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            issued = invitation_create(
                organization=workspace.organization,
                workspace=workspace,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return _done(request, f"Invitation sent to {issued.invitation.email}.")
    return _page(request, invite_form=form, status=400)


@require_POST
@workspace_view
def change_role(request: WorkspaceRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    form = MemberRoleForm(request.POST)
    error = "Choose a role."
    if form.is_valid():
        try:
            membership_set(
                user=membership.user,
                organization=membership.organization,
                workspace=membership.workspace,
                role=form.cleaned_data["role"],
            )
        except (ValidationError, ConflictError) as exc:
            error = " ".join(getattr(exc, "messages", None) or [str(exc)])
        else:
            forget_cached_roles(request.user)
            return _done(request, f"{membership.user.display_name}'s role is changed.")
    return _page(request, row_errors={membership.pk: error}, status=409)


@require_POST
@workspace_view
def remove(request: WorkspaceRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    try:
        membership_remove(membership=membership)
    except ConflictError as exc:
        return _page(request, row_errors={membership.pk: str(exc)}, status=409)
    forget_cached_roles(request.user)
    workspace: Workspace = request.workspace
    if not visible_workspaces(request.user).filter(pk=workspace.pk).exists():
        # The person removed themselves: this page is no longer theirs to see.
        messages.info(request, f"You left {workspace.name}.")
        dashboard = redirect("dashboard")
        if is_htmx(request):
            return HttpResponse(headers={"HX-Redirect": dashboard.url})
        return dashboard
    return _done(request, f"{membership.user.display_name} is removed.")


@require_POST
@workspace_view
def revoke_invitation(request: WorkspaceRequest, pk: int) -> HttpResponse:
    workspace = require(request, Action.MANAGE_MEMBERS, FORBIDDEN)
    invitation = get_object_or_404(
        selectors.workspace_pending_invitations(workspace), pk=pk
    )
    invitation_revoke(invitation=invitation)
    return _done(request, f"The invitation of {invitation.email} is revoked.")
