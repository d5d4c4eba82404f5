"""Token refresh before expiry, and what a refused refresh means.

`refresh_due_tokens()` (a periodic job) refreshes tokens that expire within
`OAUTH_REFRESH_MARGIN_SECONDS`. Only a definite answer that the grant is gone
marks the account `needs_reconnect` (the one rule, `connections.reconnect`, which
also emails the workspace's owners and admins). A 5xx, a 429, a timeout or a
connection error leaves the account connected: the next run tries again.
Refresh tokens are never dropped: a token answer without one keeps the old.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from connections.models import AccountStatus, ChannelAccount
from connections.oauth.instances import provider_for
from connections.oauth.providers import OAuthError, Provider, refresh_margin, setting
from connections.oauth.tokens import merged_tokens, token_expiry, token_request
from connections.reconnect import account_mark_needs_reconnect

logger = logging.getLogger("adloop.oauth")


def _lease_seconds() -> float:
    return 2 * float(setting("OUTBOUND_READ_TIMEOUT_SECONDS", 20.0)) + 30


def _claim(account_id: int, now: datetime) -> datetime | None:
    """Lease a connected account for one refresh (a conditional UPDATE, so
    only one process uses its refresh token); None if another holds it."""
    lease = now + timedelta(seconds=_lease_seconds())
    claimed = (
        ChannelAccount.objects.filter(pk=account_id, status=AccountStatus.CONNECTED)
        .filter(Q(refresh_lease_until__isnull=True) | Q(refresh_lease_until__lt=now))
        .update(refresh_lease_until=lease)
    )
    return lease if claimed else None


@sensitive_variables("old", "form", "tokens")
def refresh_account(account_id: int, *, force: bool = False) -> str:
    """Refresh one account's token. Returns "refreshed", "skipped" (not due,
    or another process holds it), "revoked", "transient" or "error"."""
    now = timezone.now()
    lease = _claim(account_id, now)
    if lease is None:
        return "skipped"
    account = ChannelAccount.objects.get(pk=account_id)
    try:
        due = account.token_expires_at is not None and (
            account.token_expires_at <= now + refresh_margin()
        )
        old = dict(account.credentials or {})
        if not (due or force):  # refreshed by another process a moment ago
            ChannelAccount.objects.filter(pk=account_id).update(
                refresh_lease_until=None
            )
            return "skipped"
        provider = provider_for(
            account.network,
            instance_url=old.get("instance_url", ""),
            client=old.get("client"),
        )
        form = _refresh_form(provider, old)
        if form is None:
            _record(
                account,
                error="This token cannot be refreshed: reconnect before it expires.",
            )
            return "error"
        tokens = token_request(provider, form)
    except OAuthError as exc:
        if exc.kind == "revoked":
            return _mark_revoked(account, message=str(exc))
        _record(account, error=str(exc))
        logger.warning(
            "token refresh of account %s: %s (%s)", account_id, exc, exc.kind
        )
        return "transient" if exc.kind == "transient" else "error"
    except Exception:
        _record(account, error="")
        raise
    # Stored only if the lease is still ours: a disconnect (credentials wiped)
    # or a reconnect (a new grant) during the request cleared it, and these
    # tokens of the old grant must not come back.
    stored = ChannelAccount.objects.filter(
        pk=account_id, status=AccountStatus.CONNECTED, refresh_lease_until=lease
    ).update(
        credentials=merged_tokens(old, tokens),
        token_expires_at=token_expiry(tokens, timezone.now()),
        last_error="",
        last_checked_at=timezone.now(),
        refresh_lease_until=None,
    )
    return "refreshed" if stored else "skipped"


@sensitive_variables("old")
def _refresh_form(provider: Provider, old: dict[str, Any]) -> dict[str, str] | None:
    """The token request that refreshes `old`; None when it cannot be refreshed."""
    if provider.refresh == "fb_exchange_token":
        return {
            "grant_type": "fb_exchange_token",
            "fb_exchange_token": old["access_token"],
        }
    if provider.refresh and old.get("refresh_token"):
        return {"grant_type": "refresh_token", "refresh_token": old["refresh_token"]}
    return None


def _record(account: ChannelAccount, *, error: str) -> None:
    """Release the lease; keep the status (only a revocation changes it)."""
    fields: dict[str, Any] = {
        "refresh_lease_until": None,
        "last_checked_at": timezone.now(),
    }
    if error:
        fields["last_error"] = error
    ChannelAccount.objects.filter(pk=account.pk).update(**fields)


def _mark_revoked(account: ChannelAccount, *, message: str) -> str:
    """The grant is gone: the one rule (`connections.reconnect`) marks the account,
    unless it was reconnected or refreshed meanwhile; the lease is released."""
    marked = account_mark_needs_reconnect(account=account, message=message)
    ChannelAccount.objects.filter(pk=account.pk).update(refresh_lease_until=None)
    return "revoked" if marked else "skipped"


def refresh_due_tokens(*, limit: int = 200) -> Counter[str]:
    """Refresh every connected account whose token expires within the margin.

    Safe to run from several processes at once: each account is leased by a
    conditional UPDATE before its refresh token is used (a rotated refresh
    token used twice would read as revoked).
    """
    horizon = timezone.now() + refresh_margin()
    ids = list(
        ChannelAccount.objects.filter(
            status=AccountStatus.CONNECTED,
            credentials__isnull=False,
            token_expires_at__lte=horizon,
        )
        .order_by("token_expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    return Counter(refresh_account(pk) for pk in ids)
