"""The two requests every OAuth step makes, token and profile, through
`core.http` (timeouts, private-network refusal, redacted logs), and what
their answers mean: which errors say the grant is definitely gone
(`invalid_grant`, Graph API error 190) and which are worth retrying.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.views.decorators.debug import sensitive_variables

from connections.oauth.providers import OAuthError, Provider
from core import http
from networks import registry
from networks.oauth import OAuthProfile, read_graph_profile


def _label(url: str) -> str:
    return urlsplit(url).hostname or "the network"


@sensitive_variables("body", "headers")
def post_json(
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
def token_request(provider: Provider, form: dict[str, str]) -> dict[str, Any]:
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
    data = post_json(
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


@sensitive_variables("access_token")
def fetch_profile(provider: Provider, access_token: str) -> OAuthProfile:
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
    # Each network reads its own answer (`networks/<key>/oauth.py`).
    entry = registry.oauth_entries().get(provider.network)
    read = entry.read_profile if entry is not None else read_graph_profile
    return read(data, provider.profile_url)


def merged_tokens(old: dict[str, Any] | None, tokens: dict[str, Any]) -> dict[str, Any]:
    """New credentials from a token answer; a missing refresh token keeps the old."""
    merged = dict(old or {})
    merged["access_token"] = tokens["access_token"]
    for key in ("refresh_token", "token_type", "scope"):
        if tokens.get(key):
            merged[key] = tokens[key]
    return merged


def token_expiry(tokens: dict[str, Any], now: datetime) -> datetime | None:
    try:
        seconds = int(tokens.get("expires_in") or 0)
    except (TypeError, ValueError):
        seconds = 0
    return now + timedelta(seconds=seconds) if seconds > 0 else None
