"""API keys: a workspace's or organization's machine credential for the REST
API. The secret is shown once; the row keeps its SHA-256 and a public prefix
that finds it in one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from workspaces.models import ApiKey, ApiKeyScope, Organization, User, Workspace

KEY_PREFIX = "adl"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


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
