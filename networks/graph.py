"""The Graph API, shared by the Facebook Page and Instagram connectors: the
versioned base URL, one request helper, and the mapping of Graph error codes
(https://developers.facebook.com/docs/graph-api/guides/error-handling) and
rate-limit headers (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).

Errors arrive as `{"error": {"message", "type", "code", "error_subcode",
"error_user_msg", "is_transient", "fbtrace_id"}}`:
- 190 (OAuthException): the token is invalid or revoked → reconnect (unless
  the stored token merely expired: the refresh job's business).
- 4, 17, 32, 613 and 80001-80014: rate limits → transient; the wait comes from
  `X-Business-Use-Case-Usage` (`estimated_time_to_regain_access`, minutes),
  else from `X-App-Usage`/`X-Page-Usage` at 100 % (the window is a rolling hour).
- 1, 2 (unknown / service error) and `is_transient: true` → transient.
- 368 (blocked for policy), 506 (duplicate post) → permanent.
- 9004 and Instagram's 2207xxx subcodes (media refused) → permanent with the
  reason Instagram gives (`error_user_msg`).
- 10 and 200-299: a permission is missing → permanent (reconnect granting it).
- Anything else → permanent with Graph's message; a 5xx without an error
  object → transient.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

from core import http
from core.retry_after import retry_after_seconds
from networks import apicall
from networks.base import ConnectorError

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
# With no estimate from the headers, a usage at 100 % waits this long.
FULL_USAGE_WAIT_SECONDS = 600.0


def url(path: str, query: Mapping[str, Any] | None = None) -> str:
    base = f"{settings.GRAPH_API_BASE_URL}/{settings.GRAPH_API_VERSION}"
    return f"{base}/{path.lstrip('/')}" + (f"?{urlencode(query)}" if query else "")


def call(
    method: str,
    path: str,
    *,
    network: str,
    token: str,
    query: Mapping[str, Any] | None = None,
    form: Mapping[str, Any] | None = None,
    content: bytes | None = None,
    content_type: str = "",
    creates_post: bool = False,
) -> http.Response:
    """One Graph request with the token as a bearer header (never in the URL)."""
    headers = {"Authorization": f"Bearer {token}"}
    if form is not None:
        content = urlencode(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in form.items()}
        ).encode()
        content_type = "application/x-www-form-urlencoded"
    if content_type:
        headers["Content-Type"] = content_type
    return apicall.call(
        method,
        url(path, query),
        network=network,
        content=content,
        headers=headers,
        secrets_=(token,),
        creates_post=creates_post,
    )


def usage_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from the usage headers, or None when they give no hint."""
    estimate = 0.0
    try:
        buc = json.loads(headers.get("x-business-use-case-usage") or "{}")
    except ValueError:
        buc = {}
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    minutes = entry.get("estimated_time_to_regain_access") or 0
                    if isinstance(minutes, (int, float)):
                        estimate = max(estimate, float(minutes) * 60)
    if estimate:
        return estimate
    for name in ("x-app-usage", "x-page-usage", "x-ad-account-usage"):
        try:
            usage = json.loads(headers.get(name) or "{}")
        except ValueError:
            continue
        if isinstance(usage, dict) and any(
            isinstance(v, (int, float)) and v >= 100 for v in usage.values()
        ):
            return FULL_USAGE_WAIT_SECONDS
    return retry_after_seconds(headers.get("retry-after"))


def page_token(credentials: Mapping[str, Any]) -> str:
    """The token a Page (and its Instagram account) posts with: the Page's own
    token, else the user token it was connected with."""
    token = credentials.get("page_access_token") or credentials.get("access_token")
    return str(token or "")


def error_of(
    answer: http.Response,
    *,
    account: Any,
    network: str,
    token: str,
    what: str = "the post",
) -> ConnectorError:
    """The `ConnectorError` for a Graph error answer (see the module docstring)."""
    # One piece: an ordered ladder, the first match wins (an answer without
    # Graph's error object, then the token, rate-limit and transient codes,
    # then the refusals that each get their own message).
    status = answer.status
    detail = apicall.snippet(answer, (token,))
    error = apicall.json_of(answer).get("error")
    if not isinstance(error, dict):
        if status == 429 or status >= 500:
            return ConnectorError(
                f"{network} is having trouble (HTTP {status}); trying again.",
                kind="transient",
                retry_after=usage_wait(answer.headers),
                http_status=status,
                detail=detail,
            )
        return ConnectorError(
            f"{network} rejected {what} (HTTP {status}).",
            kind="permanent",
            http_status=status,
            detail=detail,
        )
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    reason = str(error.get("error_user_msg") or error.get("message") or "")[:300]
    if code == 190:
        return apicall.auth_refused(
            account, network=network, status=status, detail=detail
        )
    if code in RATE_LIMIT_CODES:
        return ConnectorError(
            f"{network}'s rate limit is reached (error {code}); trying again "
            "when it allows.",
            kind="transient",
            retry_after=usage_wait(answer.headers),
            http_status=status,
            detail=detail,
        )
    if code in TRANSIENT_CODES or error.get("is_transient") is True:
        return ConnectorError(
            f"{network} had a temporary problem (error {code}); trying again.",
            kind="transient",
            http_status=status,
            detail=detail,
        )
    if code == 506:
        message = (
            f"{network} refused the post as a duplicate of a recent one. Change "
            "the copy to post it again."
        )
    elif code == 368:
        message = f"{network} blocked this post or account for its policies: {reason}"
    elif code == 9004 or 2207000 <= subcode <= 2207999:
        message = f"{network} refused the media: {reason or 'no reason given'}"
    elif code == 10 or 200 <= code <= 299:
        message = (
            f"{network} says AdLoop lacks a permission for this ({reason}); "
            "reconnect the account and grant it."
        )
    else:
        message = f"{network} rejected {what}: {reason or f'error {code}'}"
    return ConnectorError(
        message.rstrip(".") + ".",
        kind="permanent",
        http_status=status,
        detail=detail,
    )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
