"""Reads of tenancy that need more than a filter: each returns a queryset scoped
to a workspace or a caller."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from workspaces.models import ApiKey, Invitation, Membership, Workspace
from workspaces.permissions import visible_workspaces

if TYPE_CHECKING:  # `Principal` exists only for type checkers.
    from workspaces.permissions import Principal


def workspace_members(workspace: Workspace) -> QuerySet[Membership]:
    """Everyone with a role in the workspace: direct and organization-wide."""
    from django.db.models import Q

    return (
        Membership.objects.filter(
            Q(workspace=workspace)
            | Q(workspace__isnull=True, organization_id=workspace.organization_id)
        )
        .select_related("user", "workspace", "organization")
        .order_by("user__email")
    )


def workspace_pending_invitations(workspace: Workspace) -> QuerySet[Invitation]:
    from django.utils import timezone

    return Invitation.objects.filter(
        workspace=workspace,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).select_related("invited_by")


def workspace_api_keys(workspace: Workspace) -> QuerySet[ApiKey]:
    """Keys that reach the workspace: its own and its organization's."""
    from django.db.models import Q

    return ApiKey.objects.filter(
        Q(workspace=workspace)
        | Q(workspace__isnull=True, organization_id=workspace.organization_id)
    ).select_related("created_by", "workspace")


def switcher_workspaces(principal: Principal) -> QuerySet[Workspace]:
    return visible_workspaces(principal).order_by("organization__name", "name")


def find_workspace(value: Any, among: QuerySet[Workspace]) -> Workspace | None:
    """The workspace of `among` that `value` names (an id or a slug), or None."""
    if isinstance(value, bool):  # JSON true is not the id 1
        return None
    if isinstance(value, int):
        return among.filter(pk=value).first()
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value:
        return None
    # isdigit() alone accepts "²" and other digits int() refuses (a 500).
    if value.isascii() and value.isdigit():
        found = among.filter(pk=int(value)).first()
        if found is not None:
            return found
    return among.filter(slug=value).first()
