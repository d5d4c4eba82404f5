"""README promises that tests keep true: the webhook receiver's verification
snippet, run as written against requests the connector really sent, and the
configuration table naming every publishing and outbound setting."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from django.utils.datastructures import CaseInsensitiveMapping

from connections.models import Network
from networks.base import PublishRequest
from networks.webhook.connector import WebhookConnector
from tests.factories import ChannelAccountFactory
from tests.fakes.recording import FakeServer, Recorded, Reply

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SECRET = "whsec-readme-snippet-secret-0123"
WEBHOOK_SECTION = "### Webhook: headers, signature and how to verify it"


def _section(title: str) -> str:
    start = README.index(title)
    after = README.find("\n#", start + len(title))
    return README[start : after if after != -1 else len(README)]


def _python_block(text: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 1, "expected one Python snippet in the webhook section"
    return blocks[0]


class Inbox(FakeServer):
    """A receiver that keeps every request and answers as a publication wants."""

    name = "readme-webhook-receiver"

    def handle(self, request: Recorded) -> Reply:
        return Reply(200, {"id": "received-1"})


@pytest.fixture
def inbox(settings) -> Iterator[Inbox]:
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the receiver runs on loopback
    with Inbox() as server:
        yield server


@pytest.fixture
def verify() -> Callable[..., bool]:
    namespace: dict[str, Any] = {}
    exec(_python_block(_section(WEBHOOK_SECTION)), namespace)  # noqa: S102 - our README
    return namespace["verify_adloop_webhook"]


def _publish(url: str) -> None:
    account = ChannelAccountFactory(
        network=Network.WEBHOOK, external_id=url, credentials={"secret": SECRET}
    )
    WebhookConnector().publish(
        PublishRequest(
            publication_id=41,
            post_id=7,
            account=account,
            text="Spring beans are in. ☕",
            link="https://roastery.example/spring",
            scheduled_at=timezone.now(),
            idempotency_key="pub-41-key",
        )
    )
    WebhookConnector().check(account)


@pytest.mark.django_db
def test_readme_snippet_verifies_what_the_connector_sends(
    inbox: Inbox, verify: Callable[..., bool]
) -> None:
    _publish(inbox.base_url + "/hook")
    published, ping = inbox.requests
    for request in (published, ping):
        headers = CaseInsensitiveMapping(request.headers)
        assert verify(SECRET, headers, request.body) is True
        assert verify(SECRET, headers, request.body + b" ") is False
        assert (
            verify("another-secret-of-same-size-0123", headers, request.body) is False
        )
        forged = CaseInsensitiveMapping(
            {
                **request.headers,
                "x-adloop-timestamp": str(int(timezone.now().timestamp()) + 1),
            }
        )
        assert verify(SECRET, forged, request.body) is False
    with time_machine.travel(timezone.now() + timedelta(seconds=200)):
        assert verify(SECRET, CaseInsensitiveMapping(ping.headers), ping.body) is True
    with time_machine.travel(timezone.now() + timedelta(seconds=400)):
        assert verify(SECRET, CaseInsensitiveMapping(ping.headers), ping.body) is False


@pytest.mark.django_db
def test_readme_names_every_header_and_body_field_the_connector_sends(
    inbox: Inbox,
) -> None:
    _publish(inbox.base_url + "/hook")
    published, ping = inbox.requests
    section = _section(WEBHOOK_SECTION)
    documented = {h.lower() for h in re.findall(r"^\| `([\w-]+)` \|", section, re.M)}
    sent = {
        name
        for request in (published, ping)
        for name in request.headers
        if name.startswith("x-adloop-") or name in {"idempotency-key", "user-agent"}
    }
    assert sent <= documented, sent - documented
    assert "idempotency-key" in published.headers
    assert published.headers["x-adloop-event"] == "post.published"
    assert ping.headers["x-adloop-event"] == "ping"
    assert f"`{published.headers['user-agent']}`" in section
    for field in json.loads(published.body):
        assert f"`{field}`" in section, f"README does not name the body's {field!r}"


def test_configuration_table_names_every_publishing_and_outbound_setting() -> None:
    settings_py = "\n".join(
        part.read_text() for part in sorted((ROOT / "config" / "settings").glob("*.py"))
    )
    names = set(
        re.findall(r"^((?:PUBLISH|DISPATCH|OUTBOUND)_[A-Z_]+)\b", settings_py, re.M)
    )
    # And the abuse limits of the public forms and uploads.
    names |= set(
        re.findall(
            r"^((?:NEWSLETTER|MEDIA_UPLOADS|MEDIA_MEGAPIXELS)_[A-Z_]*)\b",
            settings_py,
            re.M,
        )
    )
    assert "OUTBOUND_ALLOW_PRIVATE" in names and len(names) > 10, names
    table = _section("## Configuration")
    missing = sorted(name for name in names if f"`{name}`" not in table)
    assert not missing, f"add to README's configuration table: {missing}"
