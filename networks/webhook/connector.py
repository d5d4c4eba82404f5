"""Webhook: a signed JSON POST to a URL the customer gives (Zapier, Make, Slack
relays, their own endpoint).

Headers:
- `X-AdLoop-Timestamp`: Unix seconds when the request was signed.
- `X-AdLoop-Signature: sha256=<hex>`: HMAC-SHA256 with the account's secret over
  `<timestamp>.<body>` (the exact bytes sent). Receivers recompute it and should
  refuse a timestamp older than a few minutes (replay).
- `Idempotency-Key`: the same for every try of one publication. The contract
  with receivers is that a repeated key is acknowledged without acting twice;
  AdLoop relies on it (`dedupes=True`) to re-send after a timeout or a worker
  that died mid-call instead of leaving the post "unconfirmed".

A 2xx answer publishes; its JSON `id` and `url` (when given) become the
external id and URL, otherwise the idempotency key is the external id.

"Test connection" (`check`) sends a signed `{"event": "ping"}` with the header
`X-AdLoop-Event: ping` (publications carry `post.published`): receivers should
answer 2xx and act on nothing, which proves the URL and the secret agree.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from core import http, outbound_urls
from core.retry_after import retry_after_seconds
from networks import apicall
from networks.base import (
    AccountCheck,
    Capabilities,
    ConnectorError,
    ConnectorStore,
    PublishRequest,
    PublishResult,
    credentials_of,
)

USER_AGENT = "AdLoop-Webhook/1"


def account_webhook_settings(account: Any) -> tuple[str, str]:
    """(URL, signing secret) of a webhook account.

    For now the URL is `account.external_id`, and the secret comes from the
    encrypted `credentials` field (a JSON object with "secret") when the
    account has one; "" when it does not. When the connect flow lands, this is
    the one place to change.
    """
    url = (getattr(account, "external_id", "") or "").strip()
    credentials = credentials_of(account)
    secret = credentials.get("secret") or credentials.get("webhook_secret") or ""
    return url, str(secret)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<body>")."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookConnector:
    key = "webhook"
    capabilities = Capabilities(
        text_limit=None, max_images=4, link_cards=False, dedupes=True, lookup=False
    )

    def validate(self, request: PublishRequest) -> list[str]:
        url, secret = account_webhook_settings(request.account)
        problems = []
        if not url.startswith(("https://", "http://")):
            problems.append("The webhook has no valid URL; add one in the channel.")
        if not secret:
            problems.append(
                "The webhook has no signing secret; add one in the channel."
            )
        return problems

    def payload(self, request: PublishRequest) -> dict[str, Any]:
        return {
            "event": "post.published",
            "publication_id": request.publication_id,
            "post_id": request.post_id,
            "network": "webhook",
            "text": request.text,
            "link": request.link,
            "scheduled_at": (
                request.scheduled_at.isoformat() if request.scheduled_at else None
            ),
            "idempotency_key": request.idempotency_key,
            **request.extra,
        }

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.validate(request)
        if problems:
            raise ConnectorError(" ".join(problems), kind="permanent")
        url, secret = account_webhook_settings(request.account)
        answer = self._send(
            url,
            secret,
            self.payload(request),
            event="post.published",
            idempotency_key=request.idempotency_key,
        )
        return self._result(answer, request)

    def check(
        self, account: Any, *, store: ConnectorStore | None = None
    ) -> AccountCheck:
        """One signed ping: a 2xx proves the URL answers and accepts the secret."""
        url, secret = account_webhook_settings(account)
        if not url.startswith(("https://", "http://")) or not secret:
            raise ConnectorError(
                "The webhook needs a URL and a signing secret; reconnect it.",
                kind="permanent",
                reconnect=True,
            )
        ping = {"event": "ping", "account_id": account.pk, "network": "webhook"}
        try:
            answer = self._send(url, secret, ping, event="ping", idempotency_key="")
            self._result(answer, None)  # raises unless 2xx
        except ConnectorError as error:
            if error.kind == "ambiguous":  # a ping changes nothing: just retry
                error.kind = "transient"
            raise
        return AccountCheck(
            external_id=url, name=http.safe_url(url), detail={"status": answer.status}
        )

    def _send(
        self,
        url: str,
        secret: str,
        payload: dict[str, Any],
        *,
        event: str,
        idempotency_key: str,
    ) -> http.Response:
        body = json.dumps(payload, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-AdLoop-Event": event,
            "X-AdLoop-Timestamp": timestamp,
            "X-AdLoop-Signature": sign(secret, timestamp, body),
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return apicall.call(
            "POST",
            url,
            network="the webhook",
            content=body,
            headers=headers,
            secrets_=[secret],
            creates_post=event != "ping",
            refused=outbound_urls.refused("The webhook URL"),
        )

    def _result(
        self, answer: http.Response, request: PublishRequest | None
    ) -> PublishResult:
        status = answer.status
        detail = answer.body[:500].decode(errors="replace")
        if 200 <= status < 300:
            data: Any = None
            try:
                data = answer.json()
            except ValueError:
                data = None
            external_id = request.idempotency_key if request else ""
            url = ""
            if isinstance(data, dict):
                external_id = str(data.get("id") or external_id)[:500]
                url = str(data.get("url") or "")[:1000]
            return PublishResult(external_id=external_id, url=url, http_status=status)
        if status in (408, 425, 429) or status >= 500:
            raise ConnectorError(
                f"The webhook is temporarily unavailable (HTTP {status}); trying "
                "again.",
                kind="transient",
                retry_after=retry_after_seconds(answer.headers.get("retry-after")),
                http_status=status,
                detail=detail,
            )
        if 300 <= status < 400:
            message = (
                "The webhook URL redirects elsewhere; enter the address it "
                "redirects to."
            )
        elif status in (401, 403):
            message = (
                f"The webhook refused the request (HTTP {status}); check that it "
                "has the same signing secret as the channel."
            )
        elif status in (404, 410):
            message = (
                f"The webhook URL no longer exists (HTTP {status}); check the address."
            )
        else:
            message = f"The webhook rejected the post (HTTP {status})."
        raise ConnectorError(
            message,
            kind="permanent",
            http_status=status,
            detail=detail,
            # The receiver refused our signature: only new settings can fix it.
            reconnect=status in (401, 403),
        )
