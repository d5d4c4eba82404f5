"""What every X call shares: the API address, X's reason for a refusal, and
the `ConnectorError` for an answer that is not a success."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from core.retry_after import retry_after_seconds
from networks import apicall
from networks.base import ConnectorError, PublishRequest

NETWORK = "X"


def api_base() -> str:
    return settings.X_API_BASE_URL


def reason_of(data: dict[str, Any]) -> str:
    """X's own words: `detail` (problem+json), else the first error's message."""
    detail = data.get("detail") or data.get("title") or ""
    errors = data.get("errors")
    if not detail and isinstance(errors, list) and errors:
        first = errors[0] if isinstance(errors[0], dict) else {}
        detail = first.get("message") or first.get("detail") or ""
    return str(detail)[:300]


def parts_of(request: PublishRequest) -> list[str]:
    """The texts posted, in order: the first part carries the link."""
    return [apicall.with_link(request.text, request.link), *request.thread]


def post_url(account: Any, tweet_id: str) -> str:
    handle = str(getattr(account, "handle", "") or "").lstrip("@")
    if handle:
        return f"https://x.com/{handle}/status/{tweet_id}"
    return f"https://x.com/i/web/status/{tweet_id}"


def error_for(
    answer: Any,
    data: dict[str, Any],
    account: Any,
    token: str,
    *,
    what: str = "the post",
) -> ConnectorError:
    """The error for X's non-success answer about `what` (see the package
    docstring: 401, 429, 5xx, 403 duplicate, other refusals)."""
    status = answer.status
    detail = apicall.snippet(answer, (token,))
    reason = reason_of(data)
    if status == 401:
        return apicall.auth_refused(
            account, network=NETWORK, status=status, detail=detail
        )
    if status == 429:
        wait = apicall.until_epoch(answer.headers.get("x-rate-limit-reset"))
        if wait is None:
            wait = retry_after_seconds(answer.headers.get("retry-after"))
        return ConnectorError(
            "X's rate limit for this account is reached; trying again when it resets.",
            kind="transient",
            retry_after=wait,
            http_status=status,
            detail=detail,
        )
    if status >= 500:
        return ConnectorError(
            f"X is having trouble (HTTP {status}); trying again.",
            kind="transient",
            retry_after=retry_after_seconds(answer.headers.get("retry-after")),
            http_status=status,
            detail=detail,
        )
    if status == 403 and "duplicate" in reason.lower():
        message = (
            "X refused the post as a duplicate: the account already has a "
            "post with the same text. Change the copy to post it again."
        )
    elif status == 403:
        message = f"X refused {what}: {reason or 'forbidden'}."
    else:
        message = f"X rejected {what} (HTTP {status}): {reason or 'no reason'}."
    return ConnectorError(message, kind="permanent", http_status=status, detail=detail)


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
