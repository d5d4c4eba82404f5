"""The OAuth 2.0 providers, built from each network's entry
(`networks/<key>/oauth.py`: endpoints, scopes, client credentials from settings
or a per-instance app registration, PKCE, how a token is refreshed). Also
`OAuthError`, the one error every step of a connect or refresh raises.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse

from connections.models import Network
from networks import registry
from networks.oauth import OAuthEntry

STATE_SALT = "connections.oauth.state"


def setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def state_max_age() -> int:
    return int(setting("OAUTH_STATE_MAX_AGE_SECONDS", 600))


def refresh_margin() -> timedelta:
    return timedelta(seconds=int(setting("OAUTH_REFRESH_MARGIN_SECONDS", 900)))


class OAuthError(Exception):
    """A connect or refresh that did not work. `kind`: "transient" (try again
    later), "revoked" (the grant is definitely gone), "refused" (our state check
    failed), "config" (a missing client id, a protocol error)."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Provider(OAuthEntry):
    """A network's OAuth entry with its URLs read (settings, the instance) and,
    for a per-instance network, the client AdLoop registered there."""

    client_id: str = ""
    client_secret: str = ""

    def credentials(self) -> tuple[str, str]:
        client_id = self.client_id or setting(self.client_id_setting, "")
        secret = self.client_secret or setting(self.client_secret_setting, "")
        if not client_id:
            raise OAuthError(
                f"Connecting {Network(self.network).label} is not set up: "
                f"{self.client_id_setting} is empty.",
                kind="config",
            )
        return client_id, secret


class _Settings(dict[str, str]):
    """Reads `{NAME}` in an entry's URL templates as the setting NAME."""

    def __missing__(self, name: str) -> str:
        return str(getattr(settings, name))


def endpoint(template: str, **values: str) -> str:
    """An entry's URL template filled in: `values` (`instance`), else settings."""
    return template.format_map(_Settings(values))


def provider_of(entry: OAuthEntry, **values: str) -> Provider:
    """The provider an entry declares, its URLs read now."""
    declared = {f.name: getattr(entry, f.name) for f in fields(entry)}
    return Provider(
        **declared
        | {
            name: endpoint(declared[name], **values)
            for name in ("authorize_url", "token_url", "profile_url")
        }
    )


# Each network's entry lives in its package (`networks/<key>/oauth.py`); the
# hosts come from settings, read at call time, so tests and staging can point
# them at local servers: see config/settings.py, "Channel connectors".
def oauth_providers() -> dict[str, Provider]:
    """The OAuth networks whose endpoints are fixed (not per instance)."""
    return {
        key: provider_of(entry)
        for key, entry in registry.oauth_entries().items()
        if not entry.per_instance
    }


def instance_entry() -> OAuthEntry:
    """The entry of the network whose endpoints are per instance."""
    return next(e for e in registry.oauth_entries().values() if e.per_instance)


def redirect_uri() -> str:
    return f"{settings.SITE_URL}{reverse('channel-oauth-callback')}"
