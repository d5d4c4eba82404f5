"""Tenancy rules: every write to organizations, workspaces and members goes
through these functions, whoever calls (UI, API, commands); invitations and
API keys have their own modules (`services.invitations`, `services.api_keys`).

Callers check permissions (`workspaces.permissions`) before calling; these
functions hold the invariants that do not depend on who asks (the last owner
cannot leave, a workspace's slug is unique, …).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from core.errors import ConflictError
from workspaces.models import (
    Membership,
    Organization,
    Role,
    User,
    Workspace,
    WorkspaceSettingChange,
)
from workspaces.permissions import APPROVAL_POLICY_FORBIDDEN, Action, can

if TYPE_CHECKING:
    from workspaces.permissions import Principal


def _unique_slug(model: type[Organization] | type[Workspace], base: str) -> str:
    root = slugify(base)[:50] or "workspace"
    if root.isdigit():  # "2026" would read as an id in the API
        root = f"{model._meta.model_name}-{root}"
    slug, n = root, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{root}-{n}", n + 1
    return slug


def _check_slug(slug: str | None) -> None:
    """The API takes an id or a slug in one place: a slug of digits alone
    would be read as an id, so it is refused."""
    if slug and slug.isdigit():
        raise ValidationError(
            {"slug": "A slug needs a letter: a number alone reads as an id."}
        )


def _validate_time_zone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            {"time_zone": f"{name!r} is not an IANA time zone (e.g. Europe/Berlin)."}
        ) from None


# --- organizations and workspaces ---------------------------------------------


@transaction.atomic
def organization_create(
    *, name: str, owner: User, slug: str | None = None
) -> Organization:
    """A new organization with its creator as organization-wide owner."""
    if not name.strip():
        raise ValidationError({"name": "Name is required."})
    _check_slug(slug)
    if slug and Organization.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"The slug {slug!r} is taken."})
    org = Organization.objects.create(
        name=name.strip(), slug=slug or _unique_slug(Organization, name)
    )
    Membership.objects.create(user=owner, organization=org, role=Role.OWNER)
    return org


@transaction.atomic
def workspace_create(
    *,
    organization: Organization,
    name: str,
    slug: str | None = None,
    time_zone: str = "UTC",
    approval_required: bool = True,
) -> Workspace:
    if not name.strip():
        raise ValidationError({"name": "Name is required."})
    _validate_time_zone(time_zone)
    _check_slug(slug)
    if slug and Workspace.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"The slug {slug!r} is taken."})
    return Workspace.objects.create(
        organization=organization,
        name=name.strip(),
        slug=slug or _unique_slug(Workspace, name),
        time_zone=time_zone,
        approval_required=approval_required,
    )


@transaction.atomic
def workspace_update(
    *,
    workspace: Workspace,
    by: Principal,
    name: str | None = None,
    time_zone: str | None = None,
    approval_required: bool | None = None,
) -> Workspace:
    """Change a workspace's settings (the caller checked manage_workspace).

    Switching `approval_required` also needs `set_approval_policy`: a signed-in
    owner or admin, never an API key (a key may not approve, so it may not
    remove the rule either). The switch is recorded (`WorkspaceSettingChange`).
    """
    policy_changes = (
        approval_required is not None
        and approval_required != workspace.approval_required
    )
    if policy_changes and not can(by, Action.SET_APPROVAL_POLICY, workspace):
        raise PermissionDenied(APPROVAL_POLICY_FORBIDDEN)
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": "Name is required."})
        workspace.name = name.strip()
    if time_zone is not None:
        _validate_time_zone(time_zone)
        workspace.time_zone = time_zone
    if policy_changes:
        # Only a person may change the policy (`can` above), so `by` is a User.
        assert isinstance(by, User)
        WorkspaceSettingChange.objects.create(
            workspace=workspace,
            setting="approval_required",
            old_value=workspace.approval_required,
            new_value=approval_required,
            actor=by,
            actor_label=getattr(by, "email", ""),
        )
        workspace.approval_required = bool(approval_required)
    workspace.save()
    return workspace


# --- memberships ----------------------------------------------------------------


def _owners_left(organization: Organization, excluding: Membership) -> bool:
    return (
        Membership.objects.filter(
            organization=organization, workspace__isnull=True, role=Role.OWNER
        )
        .exclude(pk=excluding.pk)
        .exists()
    )


@transaction.atomic
def membership_set(
    *,
    user: User,
    organization: Organization,
    role: str,
    workspace: Workspace | None = None,
) -> Membership:
    """Give a person a role in a workspace (or organization-wide); idempotent."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    if workspace is not None and workspace.organization_id != organization.pk:
        raise ValidationError(
            {"workspace": "The workspace is not in this organization."}
        )
    if workspace is not None and role == Role.OWNER:
        raise ValidationError(
            {"role": "Owner is an organization-wide role; use admin for a workspace."}
        )
    membership, created = Membership.objects.select_for_update().get_or_create(
        user=user,
        organization=organization,
        workspace=workspace,
        defaults={"role": role},
    )
    if not created and membership.role != role:
        if (
            membership.role == Role.OWNER
            and workspace is None
            and not _owners_left(organization, membership)
        ):
            raise ConflictError("An organization needs at least one owner.")
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    if (
        membership.workspace_id is None
        and membership.role == Role.OWNER
        and not _owners_left(membership.organization, membership)
    ):
        raise ConflictError("The last owner of an organization cannot be removed.")
    membership.delete()
