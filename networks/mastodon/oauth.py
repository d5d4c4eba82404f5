"""Mastodon's OAuth 2.0: endpoints on each account's own instance, where AdLoop
registers itself as an app the first time someone connects an account there
(https://docs.joinmastodon.org/methods/apps/); the app's client id and secret
come from that registration, not from settings."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from networks.oauth import OAuthEntry, OAuthProfile


def _read_profile(data: Mapping[str, Any], profile_url: str) -> OAuthProfile:
    acct = str(data.get("acct", ""))  # local accounts have no "@instance"
    host = urlsplit(profile_url).hostname
    return OAuthProfile(
        str(data.get("id", "")),
        data.get("display_name") or data.get("username", ""),
        f"@{acct}" if "@" in acct else f"@{acct}@{host}",
        data.get("avatar", ""),
    )


def _signed_in_limits(account: Any) -> dict[str, int]:
    """The instance's own limits (its max_characters may be far from 500);
    the connector answers the defaults when the instance is silent. Imported
    here, on use, so that reading the declarations imports no client."""
    from networks import get_connector
    from networks.mastodon.client import account_limits

    connector: Any = get_connector("mastodon")
    return account_limits(connector.limits(account))


OAUTH = OAuthEntry(
    network="mastodon",
    authorize_url="{instance}/oauth/authorize",
    token_url="{instance}/oauth/token",  # noqa: S106 (a URL)
    profile_url="{instance}/api/v1/accounts/verify_credentials",
    scopes=("read:accounts", "write:statuses", "write:media"),
    per_instance=True,
    register_url="{instance}/api/v1/apps",
    instance_hint="Give the Mastodon instance, e.g. mastodon.social.",
    instance_https="A Mastodon instance is reached over https.",
    read_profile=_read_profile,
    signed_in_limits=_signed_in_limits,
)
