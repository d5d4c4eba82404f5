"""OAuth 2.0 connect flows: authorization code with state and PKCE (S256),
token refresh before expiry, and what a refused refresh means.

- `oauth_start(target, network, user=...)` stores an `OAuthState` row (the PKCE
  verifier encrypted) and returns the network's authorization URL. The `state`
  it sends is a signed, expiring reference to that row, bound to the workspace
  and the person who started it.
- `oauth_callback(request)` checks the state (signature, age, workspace, person,
  single use), exchanges the code with the verifier, reads the profile, and
  stores the tokens encrypted on the account (created, or the one reconnected).
- `refresh_due_tokens()` (a periodic job) refreshes tokens that expire within
  `OAUTH_REFRESH_MARGIN_SECONDS`. Only a definite answer that the grant is gone
  (`invalid_grant`, RFC 6749 §5.2; Graph API error 190) marks the account
  `needs_reconnect` and emails the workspace's owners and admins (the one
  rule, `channels.reconnect`). A 5xx, a 429,
  a timeout or a connection error leaves the account connected: the next run
  tries again.
- Refresh tokens are never dropped: a token answer without one keeps the old.

Every request goes through `channels.http` (timeouts, private-network refusal,
redacted logs). Errors carry a message for a person and never a token.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from campaigns.models import User, Workspace
from campaigns.permissions import Action, can
from channels import http, outbound_urls
from channels.models import (
    AccountStatus,
    ChannelAccount,
    MastodonApp,
    Network,
    OAuthState,
)
from channels.reconnect import account_mark_needs_reconnect
from channels.reconnect import (  # where channels.tasks and publishing look it up
    account_reconnect_notice_send as account_reconnect_notice_send,
)

logger = logging.getLogger("adloop.oauth")

STATE_SALT = "channels.oauth.state"


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def state_max_age() -> int:
    return int(_setting("OAUTH_STATE_MAX_AGE_SECONDS", 600))


def refresh_margin() -> timedelta:
    return timedelta(seconds=int(_setting("OAUTH_REFRESH_MARGIN_SECONDS", 900)))


class OAuthError(Exception):
    """A connect or refresh that did not work. `kind`: "transient" (try again
    later), "revoked" (the grant is definitely gone), "refused" (our state check
    failed), "config" (a missing client id, a protocol error)."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Provider:
    """One network's OAuth endpoints and habits."""

    network: str
    authorize_url: str
    token_url: str
    profile_url: str
    scopes: tuple[str, ...]
    client_id_setting: str = ""
    client_secret_setting: str = ""
    scope_separator: str = " "
    pkce: bool = True
    client_auth: str = "body"  # "basic": HTTP Basic (X's confidential clients)
    refresh: str = "refresh_token"  # or "fb_exchange_token", or "" (none)
    client_id: str = ""  # Mastodon: from the per-instance app registration
    client_secret: str = ""

    def credentials(self) -> tuple[str, str]:
        client_id = self.client_id or _setting(self.client_id_setting, "")
        secret = self.client_secret or _setting(self.client_secret_setting, "")
        if not client_id:
            raise OAuthError(
                f"Connecting {Network(self.network).label} is not set up: "
                f"{self.client_id_setting} is empty.",
                kind="config",
            )
        return client_id, secret


# Official endpoints. X: https://docs.x.com/resources/fundamentals/authentication/
# oauth-2-0/authorization-code ; LinkedIn: https://learn.microsoft.com/linkedin/
# shared/authentication/authorization-code-flow ; Facebook Login:
# https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow
# The hosts come from settings (read at call time) so tests and staging can point
# them at local servers: see config/settings.py, "Channel connectors".
def oauth_providers() -> dict[str, Provider]:
    """The OAuth networks other than Mastodon (whose endpoints are per instance)."""
    x_api = settings.X_API_BASE_URL
    graph = f"{settings.GRAPH_API_BASE_URL}/{settings.GRAPH_API_VERSION}"
    dialog = f"{settings.FACEBOOK_DIALOG_BASE_URL}/{settings.GRAPH_API_VERSION}"
    facebook = Provider(
        network=Network.FACEBOOK,
        authorize_url=f"{dialog}/dialog/oauth",
        token_url=f"{graph}/oauth/access_token",
        profile_url=f"{graph}/me?fields=id,name,picture",
        scopes=("pages_show_list", "pages_manage_posts", "pages_read_engagement"),
        client_id_setting="FACEBOOK_APP_ID",
        client_secret_setting="FACEBOOK_APP_SECRET",
        scope_separator=",",
        refresh="fb_exchange_token",
    )
    return {
        Network.X: Provider(
            network=Network.X,
            authorize_url=settings.X_OAUTH_AUTHORIZE_URL,
            token_url=f"{x_api}/2/oauth2/token",
            profile_url=f"{x_api}/2/users/me?user.fields=profile_image_url",
            scopes=(
                "tweet.read",
                "tweet.write",
                "users.read",
                "media.write",
                "offline.access",
            ),
            client_id_setting="X_CLIENT_ID",
            client_secret_setting="X_CLIENT_SECRET",
            client_auth="basic",
        ),
        Network.LINKEDIN: Provider(
            network=Network.LINKEDIN,
            authorize_url=f"{settings.LINKEDIN_OAUTH_BASE_URL}/oauth/v2/authorization",
            token_url=f"{settings.LINKEDIN_OAUTH_BASE_URL}/oauth/v2/accessToken",
            profile_url=f"{settings.LINKEDIN_API_BASE_URL}/v2/userinfo",
            scopes=("openid", "profile", "w_member_social"),
            client_id_setting="LINKEDIN_CLIENT_ID",
            client_secret_setting="LINKEDIN_CLIENT_SECRET",
            pkce=False,  # LinkedIn's web flow authenticates with the client secret
        ),
        Network.FACEBOOK: facebook,
        # Instagram publishes through the Facebook Login grant of its Page.
        Network.INSTAGRAM: replace(
            facebook,
            network=Network.INSTAGRAM,
            scopes=(
                "pages_show_list",
                "instagram_basic",
                "instagram_content_publish",
                "business_management",
            ),
        ),
    }


MASTODON_SCOPES = ("read:accounts", "write:statuses", "write:media")


def redirect_uri() -> str:
    return f"{settings.SITE_URL}{reverse('channel-oauth-callback')}"


# --- Mastodon: one app registration per instance -----------------------------


def normalize_instance(url: str) -> str:
    """`https://host[:port]` of a Mastodon instance (a bare host is accepted)."""
    url = url.strip()
    if "://" not in url:
        url = f"https://{url}"
    hint = "Give the Mastodon instance, e.g. mastodon.social."
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:  # "[::1" or a port that is not a number
        raise OAuthError(hint, kind="config") from None
    allow_http = _setting("OUTBOUND_ALLOW_PRIVATE", False)
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise OAuthError("A Mastodon instance is reached over https.", kind="config")
    if not host:
        raise OAuthError(hint, kind="config")
    # An address written as such ([::1], [::ffff:127.0.0.1], 2130706433) is
    # refused here, like every channel URL; a name is checked when called.
    if outbound_urls.is_private_host(host) and not outbound_urls.allows_private():
        raise OAuthError(outbound_urls.PRIVATE_REFUSED, kind="config")
    host = outbound_urls.url_host(host)  # brackets back on an IPv6 address
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


@sensitive_variables("data", "client")
def mastodon_app(instance_url: str) -> MastodonApp:
    """The app registered on `instance_url`, registering it on first use
    (`POST /api/v1/apps`, https://docs.joinmastodon.org/methods/apps/)."""
    instance_url = normalize_instance(instance_url)
    scopes = " ".join(MASTODON_SCOPES)
    app = MastodonApp.objects.filter(instance_url=instance_url).first()
    if app and app.redirect_uri == redirect_uri() and app.scopes == scopes:
        return app
    body = urlencode(
        {
            "client_name": "AdLoop",
            "redirect_uris": redirect_uri(),
            "scopes": scopes,
            "website": settings.SITE_URL,
        }
    ).encode()
    data = _post_json(
        f"{instance_url}/api/v1/apps", body, headers={}, what="register AdLoop on"
    )
    client = {
        "client_id": data.get("client_id"),
        "client_secret": data.get("client_secret"),
    }
    if not client["client_id"]:
        raise OAuthError(f"{instance_url} did not register the app.", kind="config")
    fields = {"redirect_uri": redirect_uri(), "scopes": scopes, "client": client}
    try:
        with transaction.atomic():
            app, _ = MastodonApp.objects.update_or_create(
                instance_url=instance_url, defaults=fields
            )
    except IntegrityError:  # registered concurrently: use the stored one
        app = MastodonApp.objects.get(instance_url=instance_url)
    return app


def provider_for(
    network: str, *, instance_url: str = "", client: dict[str, Any] | None = None
) -> Provider:
    """`client`: the Mastodon app that issued an account's tokens. A refresh must
    use it: the instance's current registration may be a newer one (SITE_URL
    changed), and its client id would be told `invalid_grant`."""
    if network == Network.MASTODON:
        if client and client.get("client_id"):
            base = normalize_instance(instance_url)
        else:
            app = mastodon_app(instance_url)
            base, client = app.instance_url, app.client
        return Provider(
            network=network,
            authorize_url=f"{base}/oauth/authorize",
            token_url=f"{base}/oauth/token",
            profile_url=f"{base}/api/v1/accounts/verify_credentials",
            scopes=MASTODON_SCOPES,
            refresh="refresh_token",
            client_id=client["client_id"],
            client_secret=client.get("client_secret") or "",
        )
    providers = oauth_providers()
    if network not in providers:
        raise OAuthError(
            f"{Network(network).label} does not connect with OAuth.", kind="config"
        )
    return providers[network]


# --- HTTP -----------------------------------------------------------------------


def _label(url: str) -> str:
    return urlsplit(url).hostname or "the network"


@sensitive_variables("body", "headers")
def _post_json(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str],
    what: str,
    secrets_: tuple[str, ...] = (),
) -> dict[str, Any]:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        **headers,
    }
    return _answer(
        lambda: http.request(
            "POST", url, content=body, headers=headers, secrets=secrets_
        ),
        url=url,
        what=what,
    )


def _answer(call: Any, *, url: str, what: str) -> dict[str, Any]:
    """Run one request and classify the answer (see the module docstring)."""
    host = _label(url)
    try:
        response = call()
    except http.OutboundRefused as exc:
        raise OAuthError(f"Could not {what} {host}: {exc}", kind="config") from None
    except http.OutboundError as exc:
        raise OAuthError(f"Could not {what} {host}: {exc}", kind="transient") from None
    try:
        data = response.json()
    except ValueError:
        data = None
    data = data if isinstance(data, dict) else {}
    if response.status == 429 or response.status >= 500:
        raise OAuthError(
            f"Could not {what} {host}: it answered {response.status}; "
            "trying again later.",
            kind="transient",
        )
    if response.status >= 400:
        error = data.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        if error == "invalid_grant" or code == 190:
            raise OAuthError(
                f"{host} says AdLoop's access was revoked or has expired "
                f"({'invalid_grant' if code is None else 'error 190'}): reconnect "
                "the account.",
                kind="revoked",
            )
        name = error if isinstance(error, str) else f"HTTP {response.status}"
        raise OAuthError(f"Could not {what} {host}: {name}.", kind="config")
    return data


@sensitive_variables("data", "client_secret", "form", "headers")
def _token_request(provider: Provider, form: dict[str, str]) -> dict[str, Any]:
    client_id, client_secret = provider.credentials()
    headers: dict[str, str] = {}
    if provider.client_auth == "basic" and client_secret:
        pair = f"{client_id}:{client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        form = {**form, "client_id": client_id}
    else:
        form = {**form, "client_id": client_id}
        if client_secret:
            form["client_secret"] = client_secret
    hidden = tuple(v for k, v in form.items() if k != "grant_type")
    data = _post_json(
        provider.token_url,
        urlencode(form).encode(),
        headers=headers,
        what="get a token from",
        secrets_=hidden,
    )
    if not data.get("access_token"):
        raise OAuthError(
            f"{_label(provider.token_url)} answered without an access token.",
            kind="config",
        )
    return data


@dataclass(frozen=True)
class Profile:
    external_id: str
    name: str
    handle: str
    avatar_url: str


@sensitive_variables("access_token")
def _profile(provider: Provider, access_token: str) -> Profile:
    data = _answer(
        lambda: http.request(
            "GET",
            provider.profile_url,
            headers={
                "Authorization": f"Bearer {access_token}",
                "Accept": "application/json",
            },
            secrets=(access_token,),
        ),
        url=provider.profile_url,
        what="read the profile from",
    )
    if provider.network == Network.X:
        user = data.get("data") or {}
        return Profile(
            str(user.get("id", "")),
            user.get("name", ""),
            f"@{user.get('username', '')}",
            user.get("profile_image_url", ""),
        )
    if provider.network == Network.LINKEDIN:  # OpenID Connect userinfo
        return Profile(
            str(data.get("sub", "")), data.get("name", ""), "", data.get("picture", "")
        )
    if provider.network == Network.MASTODON:
        acct = str(data.get("acct", ""))  # local accounts have no "@instance"
        host = urlsplit(provider.profile_url).hostname
        return Profile(
            str(data.get("id", "")),
            data.get("display_name") or data.get("username", ""),
            f"@{acct}" if "@" in acct else f"@{acct}@{host}",
            data.get("avatar", ""),
        )
    picture = ((data.get("picture") or {}).get("data") or {}).get("url", "")
    return Profile(str(data.get("id", "")), data.get("name", ""), "", picture)


def _merged(old: dict[str, Any] | None, tokens: dict[str, Any]) -> dict[str, Any]:
    """New credentials from a token answer; a missing refresh token keeps the old."""
    merged = dict(old or {})
    merged["access_token"] = tokens["access_token"]
    for key in ("refresh_token", "token_type", "scope"):
        if tokens.get(key):
            merged[key] = tokens[key]
    return merged


def _expiry(tokens: dict[str, Any], now: datetime) -> datetime | None:
    try:
        seconds = int(tokens.get("expires_in") or 0)
    except (TypeError, ValueError):
        seconds = 0
    return now + timedelta(seconds=seconds) if seconds > 0 else None


# --- start and callback -----------------------------------------------------------


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
        instance_url = (target.credentials or {}).get("instance_url", "")
        if network != target.network:
            raise OAuthError("That account is on another network.", kind="refused")
    else:
        workspace, account, instance_url = target.workspace, None, target.instance_url
    provider = provider_for(network, instance_url=instance_url)
    client_id, _ = provider.credentials()
    if network == Network.MASTODON:
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
    if not can(user, Action.MANAGE_CHANNELS, row.workspace):  # type: ignore[arg-type]
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
    tokens = _token_request(provider, form)
    profile = _profile(provider, tokens["access_token"])
    account = _account_connect(
        row=row, provider=provider, tokens=tokens, profile=profile
    )
    if account.network == Network.MASTODON:
        _store_instance_limits(account)
    return account


def _store_instance_limits(account: ChannelAccount) -> None:
    """Keep the instance's own limits on the account (its max_characters may be
    far from 500), so copy is checked against them before anything is sent.
    Best effort: the connector answers the defaults when the instance is silent."""
    from channels.connectors import get_connector
    from channels.connectors.mastodon import account_limits
    from content.copy_limits import clean_account_limits

    connector: Any = get_connector(Network.MASTODON)
    limits = clean_account_limits(account_limits(connector.limits(account)))
    ChannelAccount.objects.filter(pk=account.pk).update(limits=limits)
    account.limits = limits


def _same_instance(account: ChannelAccount, row: OAuthState, profile: Profile) -> bool:
    """Whether `account` lives where this sign-in happened (always, except on
    Mastodon). A disconnected account kept no credentials: its handle,
    `@user@host`, tells the instance."""
    if not row.instance_url:
        return True
    stored = (account.credentials or {}).get("instance_url")
    return stored == row.instance_url if stored else account.handle == profile.handle


@sensitive_variables("tokens")
@transaction.atomic
def _account_connect(
    *, row: OAuthState, provider: Provider, tokens: dict[str, Any], profile: Profile
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
    credentials = _merged(account.credentials, tokens)
    if row.instance_url:  # Mastodon: where, and which app, for the refresh
        credentials["instance_url"] = row.instance_url
        credentials["client"] = {
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
        }
    account.credentials = credentials
    account.token_expires_at = _expiry(tokens, now)
    account.status = AccountStatus.CONNECTED
    account.last_error = ""
    account.connected_at = account.last_checked_at = now
    account.refresh_lease_until = None
    account.save()
    logger.info("connected channel account %s (%s)", account.pk, account.network)
    return account


# --- refresh ------------------------------------------------------------------------


def _lease_seconds() -> float:
    return 2 * float(_setting("OUTBOUND_READ_TIMEOUT_SECONDS", 20.0)) + 30


@sensitive_variables("old", "form", "tokens")
def refresh_account(account_id: int, *, force: bool = False) -> str:
    """Refresh one account's token. Returns "refreshed", "skipped" (not due,
    or another process holds it), "revoked", "transient" or "error"."""
    now = timezone.now()
    lease = now + timedelta(seconds=_lease_seconds())
    claimed = (
        ChannelAccount.objects.filter(pk=account_id, status=AccountStatus.CONNECTED)
        .filter(Q(refresh_lease_until__isnull=True) | Q(refresh_lease_until__lt=now))
        .update(refresh_lease_until=lease)
    )
    if not claimed:
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
        if provider.refresh == "fb_exchange_token":
            form = {
                "grant_type": "fb_exchange_token",
                "fb_exchange_token": old["access_token"],
            }
        elif provider.refresh and old.get("refresh_token"):
            form = {
                "grant_type": "refresh_token",
                "refresh_token": old["refresh_token"],
            }
        else:
            _record(
                account,
                error="This token cannot be refreshed: reconnect before it expires.",
            )
            return "error"
        tokens = _token_request(provider, form)
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
        credentials=_merged(old, tokens),
        token_expires_at=_expiry(tokens, timezone.now()),
        last_error="",
        last_checked_at=timezone.now(),
        refresh_lease_until=None,
    )
    return "refreshed" if stored else "skipped"


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
    """The grant is gone: the one rule (`channels.reconnect`) marks the account,
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
