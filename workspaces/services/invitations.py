"""Invitations: a link emailed to a person, accepted once into a membership.

The token lives only in the email; the database keeps its hash. Callers check
permissions (`workspaces.permissions`) first, as for the rest of tenancy.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import ConflictError
from workspaces.models import (
    Invitation,
    Membership,
    Organization,
    Role,
    User,
    Workspace,
)
from workspaces.services.tenancy import membership_set


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
        from workspaces.tasks import send_invitation_email

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
