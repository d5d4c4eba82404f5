"""The connect flow: authorization code with state and PKCE (S256).

- `oauth_start(target, network, user=...)` stores an `OAuthState` row (the PKCE
  verifier encrypted) and returns the network's authorization URL. The `state`
  it sends is a signed, expiring reference to that row, bound to the workspace
  and the person who started it.
- `oauth_callback(request)` checks the state (signature, age, workspace, person,
  single use), exchanges the code with the verifier, reads the profile, and
  stores the tokens encrypted on the account (created, or the one reconnected).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from connections.models import AccountStatus, ChannelAccount, Network, OAuthState
from connections.oauth.instances import normalize_instance, provider_for
from connections.oauth.providers import (
    STATE_SALT,
    OAuthError,
    Provider,
    redirect_uri,
    state_max_age,
)
from connections.oauth.tokens import (
    fetch_profile,
    merged_tokens,
    token_expiry,
    token_request,
)
from networks import registry
from networks.oauth import OAuthProfile
from workspaces.models import User, Workspace
from workspaces.permissions import Action, can

logger = logging.getLogger("adloop.oauth")


@dataclass(frozen=True)
class PendingConnection:
    """A new account to connect (it exists once the network says who it is)."""

    workspace: Workspace
    instance_url: str = ""  # Mastodon


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@sensitive_variables("verifier")
def oauth_start(
    target: ChannelAccount | PendingConnection, network: str, *, user: User
) -> str:
    """The URL to send the person to. The caller checked they may manage
    channels in the workspace; reconnecting keeps the account's network."""
    if isinstance(target, ChannelAccount):
        workspace, account = target.workspace, target
        credentials: dict[str, Any] = target.credentials or {}
        instance_url = credentials.get("instance_url", "")
        if network != target.network:
            raise OAuthError("That account is on another network.", kind="refused")
    else:
        workspace, account, instance_url = target.workspace, None, target.instance_url
    provider = provider_for(network, instance_url=instance_url)
    client_id, _ = provider.credentials()
    entry = registry.oauth_entries().get(network)
    if entry is not None and entry.per_instance:
        instance_url = normalize_instance(instance_url)

    now = timezone.now()
    OAuthState.objects.filter(expires_at__lt=now).delete()  # tidy expired ones
    verifier = secrets.token_urlsafe(64)  # 86 characters: within RFC 7636's 43-128
    nonce = secrets.token_urlsafe(24)
    OAuthState.objects.create(
        nonce=nonce,
        workspace=workspace,
        user=user,
        network=network,
        account=account,
        instance_url=instance_url,
        pkce={"verifier": verifier},
        expires_at=now + timedelta(seconds=state_max_age()),
    )
    state = signing.dumps({"n": nonce, "w": workspace.pk}, salt=STATE_SALT)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri(),
        "scope": provider.scope_separator.join(provider.scopes),
        "state": state,
    }
    if provider.pkce:
        params |= {
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
    return f"{provider.authorize_url}?{urlencode(params)}"


def _refused(reason: str) -> OAuthError:
    return OAuthError(f"This connection link is not valid: {reason}", kind="refused")


def _claim_state(request: HttpRequest) -> OAuthState:
    """The state row this callback may use, consumed (one use only)."""
    try:
        payload = signing.loads(
            request.GET.get("state", ""), salt=STATE_SALT, max_age=state_max_age()
        )
    except signing.SignatureExpired:
        raise _refused("it expired. Start connecting again.") from None
    except signing.BadSignature:
        raise _refused("it was altered.") from None
    row = (
        OAuthState.objects.select_related("workspace", "account")
        .filter(nonce=payload.get("n"), workspace_id=payload.get("w"))
        .first()
    )
    if row is None:
        raise _refused("it was already used, or it expired.")
    user = request.user
    if not user.is_authenticated or row.user_id != user.pk:
        raise _refused("it was started by someone else.")
    if row.expires_at <= timezone.now():
        raise _refused("it expired. Start connecting again.")
    if not can(user, Action.MANAGE_CHANNELS, row.workspace):
        raise _refused("you may no longer manage this workspace's channels.")
    deleted, _ = OAuthState.objects.filter(pk=row.pk).delete()
    if not deleted:  # another request consumed it a moment ago
        raise _refused("it was already used.")
    return row


@sensitive_variables("tokens", "verifier", "form")
def oauth_callback(request: HttpRequest) -> ChannelAccount:
    """Finish a connect: check the state, exchange the code, store the tokens.

    Raises `OAuthError` (kind "refused" for a bad state) with a message for a
    person; nothing is stored then.
    """
    row = _claim_state(request)
    if request.GET.get("error"):
        raise OAuthError(
            f"{Network(row.network).label} did not grant access "
            f"({request.GET['error'][:100]}).",
            kind="refused",
        )
    code = request.GET.get("code", "")
    if not code:
        raise _refused("the network sent no authorization code.")
    provider = provider_for(row.network, instance_url=row.instance_url)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(),
    }
    if provider.pkce:
        form["code_verifier"] = row.pkce["verifier"]
    tokens = token_request(provider, form)
    profile = fetch_profile(provider, tokens["access_token"])
    account = _account_connect(
        row=row, provider=provider, tokens=tokens, profile=profile
    )
    entry = registry.oauth_entries().get(account.network)
    if entry is not None and entry.signed_in_limits is not None:
        _store_signed_in_limits(account, entry.signed_in_limits)
    return account


def _store_signed_in_limits(
    account: ChannelAccount, read: Callable[[Any], Mapping[str, Any]]
) -> None:
    """Keep the server's own limits on the account (an instance's max_characters
    may be far from 500), so copy is checked against them before anything is
    sent. Best effort: the connector answers the defaults when the server is
    silent."""
    from networks.limits import clean_account_limits

    limits = clean_account_limits(read(account))
    ChannelAccount.objects.filter(pk=account.pk).update(limits=limits)
    account.limits = limits


def _same_instance(
    account: ChannelAccount, row: OAuthState, profile: OAuthProfile
) -> bool:
    """Whether `account` lives where this sign-in happened (always, except on
    Mastodon). A disconnected account kept no credentials: its handle,
    `@user@host`, tells the instance."""
    if not row.instance_url:
        return True
    credentials: dict[str, Any] = account.credentials or {}
    stored = credentials.get("instance_url")
    return stored == row.instance_url if stored else account.handle == profile.handle


@sensitive_variables("tokens")
@transaction.atomic
def _account_connect(
    *,
    row: OAuthState,
    provider: Provider,
    tokens: dict[str, Any],
    profile: OAuthProfile,
) -> ChannelAccount:
    now = timezone.now()
    account = row.account
    if account is not None:
        account = ChannelAccount.objects.select_for_update().get(pk=account.pk)
        if account.external_id and profile.external_id != account.external_id:
            raise OAuthError(
                "You signed in as another account than the one being reconnected.",
                kind="refused",
            )
    else:
        # The same person signing in again: update their account. A Mastodon id
        # is only unique on its instance (two instances both have an account 1).
        same = ChannelAccount.objects.select_for_update().filter(
            workspace=row.workspace,
            network=row.network,
            external_id=profile.external_id,
        )
        account = next(
            (c for c in same.order_by("pk") if _same_instance(c, row, profile)),
            None,
        ) or ChannelAccount(workspace=row.workspace, network=row.network)
    if not account.pk:
        account.name = (profile.name or profile.handle or row.get_network_display())[
            :200
        ]
        taken = ChannelAccount.objects.filter(
            workspace=row.workspace, network=row.network, name=account.name
        ).exists()
        if taken:
            account.name = f"{account.name} ({profile.handle or profile.external_id})"[
                :200
            ]
    account.external_id = profile.external_id
    account.handle = profile.handle[:255] or account.handle
    account.avatar_url = profile.avatar_url[:1000]
    credentials = merged_tokens(account.credentials, tokens)
    if row.instance_url:  # Mastodon: where, and which app, for the refresh
        credentials["instance_url"] = row.instance_url
        credentials["client"] = {
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
        }
    account.credentials = credentials
    account.token_expires_at = token_expiry(tokens, now)
    account.status = AccountStatus.CONNECTED
    account.last_error = ""
    account.connected_at = account.last_checked_at = now
    account.refresh_lease_until = None
    account.save()
    logger.info("connected channel account %s (%s)", account.pk, account.network)
    return account
