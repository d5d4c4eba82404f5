"""The demo inbox: a local receiver for trying publishing; not a real network.

A newcomer's demo has no real network to publish to, so `seed_demo` makes one
webhook channel whose URL is this app's own receiver
(`/demo/inbox/hook/<account id>/`). The receiver checks the request the way the
README tells webhook receivers to (HMAC-SHA256 of "<timestamp>.<body>" with the
account's secret, a timestamp at most `MAX_AGE_SECONDS` old), records every
request (verified or not) for the account's workspace, and answers 2xx only to
a verified one, so a wrong secret shows as a failed publication, as a real
receiver would make it.

Enabled only with `settings.DEMO_INBOX` (default: DEBUG). Outbound calls to
loopback stay refused; `core.http` allows exactly this receiver's URL on
SITE_URL's origin while the inbox is on.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from connections.models import ChannelAccount, Network
from demo.models import DemoDelivery
from networks.webhook.connector import account_webhook_settings, sign
from workspaces.models import Workspace

LABEL = "Demo inbox — a local receiver for trying publishing; not a real network"
HOOK_VIEW = "demo:inbox-hook"
MAX_AGE_SECONDS = 300
MAX_BODY_BYTES = 256 * 1024


def enabled() -> bool:
    """Whether the inbox (page and receiver) exists on this installation."""
    return bool(getattr(settings, "DEMO_INBOX", False))


def hook_url(account_id: int) -> str:
    """The address a webhook channel posts to so that the inbox receives it."""
    return settings.SITE_URL.rstrip("/") + reverse(HOOK_VIEW, args=[account_id])


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> tuple[bool, str]:
    """(verified, why) for one request, as the README's receiver snippet does."""
    stamp = headers.get("X-AdLoop-Timestamp", "")
    given = headers.get("X-AdLoop-Signature", "")
    if not given or not stamp:
        return (
            False,
            "No signature: the X-AdLoop-Signature or -Timestamp header is missing.",
        )
    if not secret:
        return False, "The channel has no signing secret to check against."
    if not hmac.compare_digest(sign(secret, stamp, body), given):
        return False, "The signature does not match the channel's signing secret."
    try:
        age = (time.time() if now is None else now) - int(stamp)
    except ValueError:
        return False, "The timestamp is not a number of seconds."
    if abs(age) > MAX_AGE_SECONDS:
        return False, f"Signed {int(age)} s ago: too old (a replay is refused)."
    return True, "The signature matches the channel's signing secret."


@dataclass(frozen=True)
class Received:
    delivery: DemoDelivery
    repeated: bool  # the same Idempotency-Key again: acknowledged, not stored


def receive(
    account_id: int, headers: Mapping[str, str], body: bytes
) -> Received | None:
    """Record one request for a webhook account that delivers to the inbox;
    None for any other id (a customer's real webhook is not an inbox).

    A verified request repeating an Idempotency-Key already received is
    acknowledged with the first delivery, the contract the connector relies on.
    """
    account = (
        ChannelAccount.objects.filter(pk=account_id, network=Network.WEBHOOK)
        .select_related("workspace")
        .first()
    )
    if account is None:
        return None
    url, secret = account_webhook_settings(account)
    if url != hook_url(account.pk):  # a customer's webhook, not an inbox channel
        return None
    verified, note = verify(secret, headers, body)
    key = headers.get("Idempotency-Key", "")[:100]
    if verified and key:
        first = DemoDelivery.objects.filter(
            account=account, idempotency_key=key, verified=True
        ).first()
        if first is not None:
            return Received(first, repeated=True)
    event = headers.get("X-AdLoop-Event", "")[:100]
    text = body[:MAX_BODY_BYTES].decode("utf-8", errors="replace")
    delivery = DemoDelivery.objects.create(
        workspace=account.workspace,
        account=account,
        event=event,
        idempotency_key=key,
        verified=verified,
        check_note=note[:300],
        body=text,
    )
    return Received(delivery, repeated=False)


def deliveries(workspace: Workspace, *, limit: int = 50) -> QuerySet[DemoDelivery]:
    """What arrived for `workspace`'s channels, newest first (never another's)."""
    return DemoDelivery.objects.filter(workspace=workspace).select_related("account")[
        :limit
    ]


def inbox_accounts(workspace: Workspace) -> list[ChannelAccount]:
    """The workspace's webhook channels that deliver to this inbox."""
    accounts = ChannelAccount.objects.filter(
        workspace=workspace, network=Network.WEBHOOK
    )
    return [a for a in accounts if account_webhook_settings(a)[0] == hook_url(a.pk)]


def pretty(body: str) -> str:
    """The body as indented JSON when it is JSON, else as received."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body
