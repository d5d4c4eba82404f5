"""Every network package, listed once: the one registration a new network needs.

A network is a package `networks/<key>/` with
- `profile.py`: `PROFILE` (its connector's dotted path, rate limits, posting-
  time prior, preferred rendition formats; `networks.profile`);
- `rules.py`: `RULES` and `NAME`, its text rules (`networks.textrules`);
- `credentials.py` (optional): `CREDENTIALS`, the fields a person types to
  connect it (`networks.credentials`);
- `oauth.py` (optional): `OAUTH`, how it connects by OAuth 2.0
  (`networks.oauth`).
The connector registry, the text rules, the connect forms and API, the OAuth
flow, the rate limiter and the posting-time model all read these through the
functions below; none of them names a network.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.util import find_spec
from types import ModuleType
from typing import Any

from networks.credentials import CredentialForm
from networks.oauth import OAuthEntry
from networks.profile import DEFAULT_FORMATS, Limit, NetworkPrior, Profile

# The network packages, in the order the connect forms and fields show them.
NETWORKS: tuple[str, ...] = (
    "webhook",
    "bluesky",
    "email",
    "wordpress",
    "mastodon",
    "x",
    "linkedin",
    "facebook",
    "instagram",
)

__all__ = [
    "DEFAULT_FORMATS",
    "NETWORKS",
    "credential_forms",
    "declared",
    "oauth_entries",
    "part",
    "posting_priors",
    "preferred_formats",
    "profile",
    "profiles",
    "rate_limits",
]


@cache
def part(key: str, name: str) -> ModuleType | None:
    """`networks.<key>.<name>`, or None where the package has no such module."""
    dotted = f"networks.{key}.{name}"
    if find_spec(dotted) is None:
        return None
    return import_module(dotted)


def declared(name: str, attribute: str) -> dict[str, Any]:
    """`attribute` of each network's `name` module, by key, for those that have one."""
    out: dict[str, Any] = {}
    for key in NETWORKS:
        module = part(key, name)
        if module is not None:
            out[key] = getattr(module, attribute)
    return out


@cache
def profiles() -> dict[str, Profile]:
    return {key: part(key, "profile").PROFILE for key in NETWORKS}  # type: ignore[union-attr]


def profile(key: str) -> Profile | None:
    return profiles().get(key)


def rate_limits() -> dict[str, dict[str, Limit | None]]:
    """Each network's declared rate limits (networks without any left out)."""
    return {k: dict(p.rate_limits) for k, p in profiles().items() if p.rate_limits}


def posting_priors() -> dict[str, NetworkPrior]:
    return {k: p.prior for k, p in profiles().items()}


def preferred_formats() -> dict[str, tuple[str, ...]]:
    """Which rendition format goes out first, per network (the others are fallbacks)."""
    return {
        k: p.preferred_formats for k, p in profiles().items() if p.preferred_formats
    }


def oauth_entries() -> dict[str, OAuthEntry]:
    """The networks that connect by OAuth 2.0, and how."""
    return declared("oauth", "OAUTH")


def credential_forms() -> dict[str, CredentialForm]:
    """The networks a person connects by typing settings, and which."""
    return declared("credentials", "CREDENTIALS")
