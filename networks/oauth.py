"""How a network connects by OAuth 2.0, as data: its package's `oauth.py`
declares `OAUTH`, an `OAuthEntry`; `connections.oauth` builds its providers
from these (through `networks.registry`) and names no network.

URLs are templates: `{NAME}` is the Django setting NAME, read at call time (so
tests and staging can point them at local servers); `{instance}` is the
account's own server where the network has one per instance (`per_instance`:
AdLoop registers itself there as an app on first use, at `register_url`).

`read_profile` reads the network's "who am I" answer (at `profile_url`) into an
`OAuthProfile`; `signed_in_limits`, where a network has one, asks the new
account's server for its own limits right after sign-in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OAuthProfile:
    """Who signed in, as the account keeps it."""

    external_id: str
    name: str
    handle: str
    avatar_url: str


# (the profile answer's JSON, the URL it came from) -> the profile.
ReadProfile = Callable[[Mapping[str, Any], str], OAuthProfile]


def read_graph_profile(data: Mapping[str, Any], profile_url: str) -> OAuthProfile:
    """A Graph API `/me?fields=id,name,picture` answer: the default reading."""
    picture = ((data.get("picture") or {}).get("data") or {}).get("url", "")
    return OAuthProfile(str(data.get("id", "")), data.get("name", ""), "", picture)


@dataclass(frozen=True)
class OAuthEntry:
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
    client_auth: str = "body"  # "basic": HTTP Basic (confidential clients)
    refresh: str = "refresh_token"  # or "fb_exchange_token", or "" (none)
    per_instance: bool = False
    register_url: str = ""  # per_instance: where the app registers itself
    instance_hint: str = ""  # per_instance: what to type when the address is unusable
    instance_https: str = ""  # per_instance: the refusal of a plain-http address
    read_profile: ReadProfile = read_graph_profile
    # The account (signed in) -> its server's own limits, as an account stores them.
    signed_in_limits: Callable[[Any], Mapping[str, Any]] | None = None
