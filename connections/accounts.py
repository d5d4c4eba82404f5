"""Channel accounts: connecting, renaming, disabling, testing and disconnecting.

The API (`connections.api.accounts`) and the Channels page both call these; the
rules live here once. Who may: `Action.MANAGE_CHANNELS` (owners, admins and
write keys) for every change and for "Test connection" (it stores the outcome
on the account).

Credential-based networks store a JSON object, encrypted at rest
(`ChannelAccount.credentials`): what each network's declared form builds
(`networks/<key>/credentials.py`), which also says the external id and handle
the account shows. OAuth networks (those with `networks/<key>/oauth.py`)
connect through `connections.oauth`: `account_oauth_start` returns the
network's authorization URL.

Disconnecting keeps the row (its published history stays readable) but wipes the
credentials, disables it and cancels what it still had scheduled, with a reason.
What "scheduled" means is publishing's: it registers a disconnect listener
(`register_disconnect_listener`, from its AppConfig.ready) that cancels them in
the same transaction, since this package sits below publishing and cannot
import it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from connections.connector_store import check_store
from connections.models import AccountStatus, ChannelAccount, Network
from connections.reconnect import account_mark_needs_reconnect
from core import outbound_deadline
from core.errors import ConflictError
from networks import ConnectorError, ConnectorNotAvailable, get_connector, registry
from networks.limits import clean_account_limits
from workspaces.models import Workspace
from workspaces.permissions import Action, can

logger = logging.getLogger("adloop.channels")

# Which networks connect how, as their packages declare it.
CREDENTIAL_NETWORKS = frozenset(
    key for key, form in registry.credential_forms().items() if form.build is not None
)
OAUTH_NETWORKS = frozenset(registry.oauth_entries())
DISCONNECTED_REASON = "The channel account was disconnected."
FORBIDDEN = "Only owners and admins can manage channel accounts."
NAME_TAKEN = "This workspace already has an account with this name here."


def _require(by: Any, workspace: Workspace) -> None:
    if by is None or not can(by, Action.MANAGE_CHANNELS, workspace):
        raise PermissionDenied(FORBIDDEN)


def capabilities_for(network: str) -> dict[str, Any] | None:
    """The registered connector's capabilities as a dict; None when the network
    has no connector yet (so the editor and the API can say so)."""
    try:
        connector = get_connector(network)
    except (ConnectorNotAvailable, ImportError, AttributeError):
        return None
    caps = connector.capabilities
    return {
        "text_limit": caps.text_limit,
        "max_images": caps.max_images,
        "max_image_bytes": caps.max_image_bytes,
        "threads": caps.threads,
        "first_comment": caps.first_comment,
        "link_cards": caps.link_cards,
    }


@sensitive_variables("credentials")
def _identity(network: str, credentials: dict[str, Any], url: str) -> tuple[str, str]:
    """(external id, handle) shown for a credential-based account: never a
    secret (the network's declared `identity`)."""
    return registry.credential_forms()[network].identity(credentials, url)


def _unique_name(workspace: Workspace, network: str, name: str, pk: int | None) -> None:
    taken = ChannelAccount.objects.filter(
        workspace=workspace, network=network, name=name
    )
    if pk is not None:
        taken = taken.exclude(pk=pk)
    if taken.exists():
        raise ValidationError({"name": [NAME_TAKEN]})


@sensitive_variables("credentials", "secret")
def account_connect(
    *,
    workspace: Workspace,
    network: str,
    name: str,
    credentials: dict[str, Any],
    by: Any,
    url: str = "",
    account: ChannelAccount | None = None,
) -> ChannelAccount:
    """Store a credential-based account (new, or `account` being reconnected).

    The credentials are not tried here: "Test connection" (`account_check`)
    does that, so a network that is down does not block saving the settings.
    `url` is the webhook's address (kept as the external id, not a secret).
    """
    _require(by, workspace)
    if network not in CREDENTIAL_NETWORKS:
        raise ValidationError(
            {"network": [f"{Network(network).label} connects by signing in (OAuth)."]}
        )
    name = name.strip()
    external_id, handle = _identity(network, credentials, url)
    if account is not None and account.network != network:
        raise ValidationError({"network": ["That account is on another network."]})
    now = timezone.now()
    with transaction.atomic():
        if account is None:
            account = ChannelAccount(workspace=workspace, network=network)
        else:
            account = ChannelAccount.objects.select_for_update().get(pk=account.pk)
        account.name = (name or account.name or handle or Network(network).label)[:200]
        _unique_name(workspace, network, account.name, account.pk)
        account.handle = handle[:255]
        account.external_id = external_id[:255]
        account.credentials = dict(credentials)
        account.status = AccountStatus.CONNECTED
        account.last_error = ""
        account.connected_at = now
        account.token_expires_at = None
        _save_unique(account)
    logger.info("connected channel account %s (%s)", account.pk, network)
    return account


def account_add_for_planning(
    *, workspace: Workspace, name: str, network: str, handle: str
) -> ChannelAccount:
    """A planning-only account (no credentials: campaigns plan for it, nothing
    is published to it); the caller has checked who may add one."""
    account = ChannelAccount(
        workspace=workspace,
        name=name.strip(),
        network=network,
        handle=handle.strip(),
        status=AccountStatus.CONNECTED,
    )
    account.full_clean(exclude=["workspace"], validate_unique=False)
    _save_unique(account)
    return account


def _save_unique(account: ChannelAccount) -> None:
    """Save; a name another account of the network took meanwhile is a field
    error, not a 500 (`_unique_name` checked before, without a lock)."""
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as exc:
        raise ValidationError({"name": [NAME_TAKEN]}) from exc


def account_oauth_start(
    *,
    workspace: Workspace,
    network: str,
    by: Any,
    instance_url: str = "",
    account: ChannelAccount | None = None,
) -> str:
    """The network's authorization URL for a new account or a reconnect.

    `connections.oauth.OAuthError` becomes a 400 on `instance_url` (a bad
    instance) or a 409 (the network is not set up on this server).
    """
    from connections import oauth

    _require(by, workspace)
    if network not in OAUTH_NETWORKS:
        raise ValidationError(
            {"network": [f"{Network(network).label} connects with its own settings."]}
        )
    if getattr(by, "is_authenticated", False) is not True or not hasattr(by, "email"):
        raise PermissionDenied("Connecting by signing in needs a person, not a key.")
    target: Any = (
        account
        if account is not None
        else oauth.PendingConnection(workspace=workspace, instance_url=instance_url)
    )
    try:
        return oauth.oauth_start(target, network, user=by)
    except oauth.OAuthError as exc:
        per_instance = registry.oauth_entries()[network].per_instance
        if per_instance and exc.kind in ("config", "transient"):
            raise ValidationError({"instance_url": [str(exc)]}) from None
        raise ConflictError(str(exc), code="oauth_unavailable") from None


def account_update(
    account: ChannelAccount,
    *,
    by: Any,
    name: str | None = None,
    enabled: bool | None = None,
) -> ChannelAccount:
    """Rename, disable or enable an account.

    Enabling an account that was disconnected (no credentials left) is refused
    for networks that need them: reconnect it instead.
    """
    _require(by, account.workspace)
    with transaction.atomic():
        account = ChannelAccount.objects.select_for_update().get(pk=account.pk)
        if name is not None:
            name = name.strip()
            if not name:
                raise ValidationError({"name": ["Give the account a name."]})
            _unique_name(account.workspace, account.network, name, account.pk)
            account.name = name[:200]
        if enabled is False:
            account.status = AccountStatus.DISABLED
        elif enabled is True and account.status == AccountStatus.DISABLED:
            needs = account.network in CREDENTIAL_NETWORKS | OAUTH_NETWORKS
            if needs and account.connected_at and not account.credentials:
                raise ConflictError(
                    "This account was disconnected: reconnect it instead.",
                    code="needs_reconnect",
                )
            account.status = AccountStatus.CONNECTED
        account.save()
    return account


DisconnectListener = Callable[[ChannelAccount, str], list[int]]
"""Called with the account and the reason, inside the disconnect's transaction
(an exception undoes the disconnect); returns the ids of what it canceled."""

_disconnect_listeners: list[DisconnectListener] = []


def register_disconnect_listener(listener: DisconnectListener) -> None:
    """Have `listener` run on every disconnect; registering twice is harmless
    (AppConfig.ready may run more than once in tests)."""
    if listener not in _disconnect_listeners:
        _disconnect_listeners.append(listener)


def account_disconnect(account: ChannelAccount, *, by: Any) -> list[int]:
    """Disconnect: cancel its scheduled publications (with the reason), wipe the
    credentials and disable it. Returns the ids of the canceled publications."""
    _require(by, account.workspace)
    with transaction.atomic():
        canceled = [
            pk
            for listener in _disconnect_listeners
            for pk in listener(account, DISCONNECTED_REASON)
        ]
        ChannelAccount.objects.filter(pk=account.pk).update(
            credentials=None,
            token_expires_at=None,
            refresh_lease_until=None,
            status=AccountStatus.DISABLED,
            last_error=DISCONNECTED_REASON,
        )
    logger.info(
        "disconnected channel account %s; %d publications canceled",
        account.pk,
        len(canceled),
    )
    return canceled


@dataclass(frozen=True)
class CheckOutcome:
    ok: bool
    message: str
    account: ChannelAccount


def _check_of(account: ChannelAccount, label: str) -> Any:
    """The connector's `check`, or the 409 that says why there is none."""
    try:
        connector = get_connector(account.network)
    except (ConnectorNotAvailable, ImportError):
        raise ConflictError(
            f"Publishing to {label} is not available yet, so the connection "
            "cannot be tested.",
            code="connector_unavailable",
        ) from None
    check = getattr(connector, "check", None)
    if check is None:
        raise ConflictError(
            f"The {label} connector cannot test a connection yet.",
            code="check_unavailable",
        )
    if not account.credentials:
        raise ConflictError(
            "This account has no credentials: connect it first.",
            code="not_connected",
        )
    return check


def account_check(account: ChannelAccount, *, by: Any) -> CheckOutcome:
    """Run the connector's `check()` and record when, what and the status.

    A refused credential (`ConnectorError.reconnect`) marks the account
    `needs_reconnect` by the rule publishing and refresh use too
    (`connections.reconnect`: fenced, and the owners and admins are emailed);
    any other failure (a
    network that is down or too slow: the whole check has
    OUTBOUND_CHECK_TIMEOUT_SECONDS; an answer too large) only records the
    message. A network
    without a connector, or a connector without `check()`, is a 409.
    """
    _require(by, account.workspace)
    label = Network(account.network).label
    check = _check_of(account, label)
    now = timezone.now()
    fields: dict[str, Any] = {"last_checked_at": now}
    try:
        # A web thread waits for it: every call of the check together ends
        # within OUTBOUND_CHECK_TIMEOUT_SECONDS, however slowly a server answers.
        with outbound_deadline.deadline(settings.OUTBOUND_CHECK_TIMEOUT_SECONDS):
            found = check(account, store=check_store())
    except ConnectorError as exc:
        ok, message = False, exc.message
        fields["last_error"] = exc.message[:2000]
        # Only a definite refusal of the credentials; a permanent problem that
        # is not about them (an answer too large, a refused address) is shown
        # without taking the account out of publishing.
        if exc.reconnect:
            account_mark_needs_reconnect(account=account, message=exc.message)
    except Exception:  # a connector bug: say so, do not answer 500
        logger.exception("channel account %s: check crashed", account.pk)
        ok, message = False, "The connection test stopped with an internal error."
        fields["last_error"] = message
    else:
        ok, message = True, f"Connected to {label}."
        fields["last_error"] = ""
        if account.status == AccountStatus.NEEDS_RECONNECT:
            fields["status"] = AccountStatus.CONNECTED
        if found.avatar_url:
            fields["avatar_url"] = found.avatar_url[:1000]
        if found.handle and account.network != Network.WEBHOOK:
            fields["handle"] = found.handle[:255]
        if found.external_id and not account.external_id:
            fields["external_id"] = found.external_id[:255]
        if isinstance(found.detail.get("limits"), dict):  # e.g. a Mastodon instance's
            fields["limits"] = clean_account_limits(found.detail["limits"])
    ChannelAccount.objects.filter(pk=account.pk).update(**fields)
    return CheckOutcome(ok, message, ChannelAccount.objects.get(pk=account.pk))
