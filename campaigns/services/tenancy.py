"""Tenancy rules: every write to organizations, workspaces, members, invitations
and API keys goes through these functions, whoever calls (UI, API, commands).

Callers check permissions (`campaigns.permissions`) before calling; these
functions hold the invariants that do not depend on who asks (the last owner
cannot leave, a key belongs to its workspace's organization, …).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from campaigns.errors import ConflictError
from campaigns.models import (
    ApiKey,
    ApiKeyScope,
    Invitation,
    Membership,
    Organization,
    Role,
    User,
    Workspace,
    WorkspaceSettingChange,
)
from campaigns.permissions import APPROVAL_POLICY_FORBIDDEN, Action, can

if TYPE_CHECKING:
    from campaigns.permissions import Principal


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


# --- invitations ----------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str

    @property
    def accept_path(self) -> str:
        return f"/invitations/{self.token}/"


@transaction.atomic
def invitation_create(
    *,
    organization: Organization,
    email: str,
    role: str,
    invited_by: User | None,
    workspace: Workspace | None = None,
    send: bool = True,
) -> IssuedInvitation:
    """Record an invitation and (after commit) email its link.

    The token lives only in the email; the database keeps its hash.
    """
    from django.core.validators import validate_email

    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid email address."}) from None
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
    existing = Membership.objects.filter(
        user__email=email, organization=organization
    ).filter(workspace=workspace)
    if existing.exists():
        raise ValidationError({"email": f"{email} is already a member."})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        workspace=workspace,
        email=email,
        role=role,
        token_hash=_hash(token),
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    if send:
        from campaigns.tasks import send_invitation_email

        transaction.on_commit(lambda: send_invitation_email.delay(invitation.pk, token))
    return IssuedInvitation(invitation=invitation, token=token)


def invitation_by_token(token: str) -> Invitation | None:
    """The pending invitation behind a link, or None (unknown, used, expired)."""
    invitation = (
        Invitation.objects.select_related("organization", "workspace")
        .filter(token_hash=_hash(token))
        .first()
    )
    return invitation if invitation and invitation.is_pending else None


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ConflictError("This invitation was already used, revoked or has expired.")
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            {
                "email": f"This invitation was sent to {invitation.email}; "
                "sign in with that address."
            }
        )
    membership = membership_set(
        user=user,
        organization=invitation.organization,
        workspace=invitation.workspace,
        role=invitation.role,
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    if invitation.accepted_at is not None:
        raise ConflictError(
            "An accepted invitation cannot be revoked; remove the member."
        )
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_email_send(*, invitation_id: int, token: str) -> bool:
    """Send the invitation link. Returns False when it is no longer pending."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    invitation = (
        Invitation.objects.select_related("organization", "workspace", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or not invitation.is_pending:
        return False
    context = {
        "invitation": invitation,
        "url": f"{settings.SITE_URL}/invitations/{token}/",
        "target": invitation.workspace or invitation.organization,
    }
    send_mail(
        subject=f"You are invited to {context['target']} on AdLoop",
        message=render_to_string("campaigns/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
    return True


# --- API keys -------------------------------------------------------------------

KEY_PREFIX = "adl"


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    secret: str  # shown once, never stored


@transaction.atomic
def api_key_create(
    *,
    organization: Organization,
    name: str,
    scope: str = ApiKeyScope.READ,
    workspace: Workspace | None = None,
    created_by: User | None = None,
) -> IssuedApiKey:
    """Mint a key. The returned secret is the only copy; the row keeps its hash."""
    if scope not in ApiKeyScope.values:
        raise ValidationError(
            {"scope": f"Scope must be one of {', '.join(ApiKeyScope.values)}."}
        )
    if not name.strip():
        raise ValidationError({"name": "Name is required."})
    if workspace is not None and workspace.organization_id != organization.pk:
        raise ValidationError(
            {"workspace": "The workspace is not in this organization."}
        )
    prefix = secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exists():  # 1 in 4 billion
        prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        organization=organization,
        workspace=workspace,
        name=name.strip()[:100],
        scope=scope,
        prefix=prefix,
        key_hash=_hash(secret),
        created_by=created_by,
    )
    return IssuedApiKey(api_key=key, secret=secret)


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


# Writing last_used_at on every request would turn each read into a write;
# once a minute is precise enough for "last used" and keeps reads cheap.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_authenticate(secret: str) -> ApiKey | None:
    """The active key for a presented secret, or None. Records its last use."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key = (
        ApiKey.objects.select_related("organization", "workspace")
        .filter(prefix=parts[1])
        .first()
    )
    if key is None or not secrets.compare_digest(key.key_hash, _hash(secret)):
        return None
    if not key.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
