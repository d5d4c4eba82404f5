"""Personal access tokens: create (secret shown once), revoke, authenticate.

A token is its person on the API (see `workspaces.token_models`). Only that
person manages their tokens; where an organization of theirs requires
two-factor sign-in, they get none until enrolled, and an existing one stops
working while they are not (the rule is checked at every use).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from workspaces import twofactor
from workspaces.models import PersonalAccessToken, User

TOKEN_PREFIX = "adp"  # noqa: S105 (a public marker, not a secret)
MAX_ACTIVE_TOKENS = 20
ENROL_FIRST = (
    "Your organization requires two-factor sign-in: set it up (Settings → "
    "Security) before using personal access tokens."
)


@dataclass(frozen=True)
class IssuedToken:
    token: PersonalAccessToken
    secret: str  # shown once, never stored


def _hash(secret: str) -> str:
    # 256 random bits: a fast hash is as safe as a slow one here.
    return hashlib.sha256(secret.encode()).hexdigest()


def tokens_of(user: User) -> QuerySet[PersonalAccessToken]:
    """The person's own tokens, revoked and expired ones included."""
    return PersonalAccessToken.objects.filter(user=user)


def token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> IssuedToken:
    """Mint a token for `user`. The returned secret is the only copy."""
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the token a name, so you know where it is used."
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "Pick a time in the future (or none)."
    if errors:
        raise ValidationError(errors)
    if twofactor.enrolment_required(user):
        raise ValidationError(ENROL_FIRST, code="two_factor_required")
    active = tokens_of(user).filter(revoked_at__isnull=True)
    if active.count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            f"You have {MAX_ACTIVE_TOKENS} active tokens; revoke one first.",
            code="too_many",
        )
    prefix = secrets.token_hex(4)
    while PersonalAccessToken.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = PersonalAccessToken.objects.create(
        user=user,
        name=name[:100],
        prefix=prefix,
        token_hash=_hash(secret),
        expires_at=expires_at,
    )
    return IssuedToken(token=token, secret=secret)


def token_revoke(*, token: PersonalAccessToken) -> PersonalAccessToken:
    """Stop the token at once; the row stays so the history keeps its name."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def is_token_secret(secret: str) -> bool:
    """Does this look like a personal token (not a workspace key)?"""
    return secret.startswith(f"{TOKEN_PREFIX}_")


_LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenCheck:
    token: PersonalAccessToken | None
    problem: str = ""


def token_authenticate(secret: str) -> TokenCheck:
    """The token for a presented secret, or why it is refused.

    Unknown, revoked and expired tokens, and inactive people, all answer the
    same "invalid" (nothing to learn); a person who must enrol first is told so.
    """
    invalid = TokenCheck(None, "Invalid, expired or revoked personal access token.")
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return invalid
    token = (
        PersonalAccessToken.objects.select_related("user")
        .filter(prefix=parts[1])
        .first()
    )
    if token is None or not secrets.compare_digest(token.token_hash, _hash(secret)):
        return invalid
    if not token.is_active or not token.user.is_active:
        return invalid
    if twofactor.enrolment_required(token.user):
        return TokenCheck(None, ENROL_FIRST)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return TokenCheck(token)
