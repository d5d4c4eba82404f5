"""The webhook connector against a local receiver: the signature receivers
verify, the idempotency header, the mapping of answers, and "Test connection"."""

from __future__ import annotations

import hmac
from collections.abc import Iterator

import pytest

from connections.models import Network
from networks.base import ConnectorError
from networks.webhook.connector import WebhookConnector
from publishing import delivery
from publishing.models import PublicationStatus as PS
from tests.channels.connector_kit import error_of, queued_publication, request_for
from tests.factories import ChannelAccountFactory
from tests.fakes.recording import FakeServer, Recorded, Reply

pytestmark = pytest.mark.django_db

SECRET = "whsec-test-signing-secret-0123456789"


class Receiver(FakeServer):
    """A customer's endpoint: verifies the signature as the docs tell them to,
    acknowledges a repeated Idempotency-Key without acting twice."""

    name = "webhook-receiver"

    def __init__(self) -> None:
        super().__init__()
        self.acted: dict[str, dict] = {}

    def handle(self, request: Recorded) -> Reply:
        stamp = request.headers.get("x-adloop-timestamp", "")
        mac = hmac.new(SECRET.encode(), stamp.encode() + b"." + request.body, "sha256")
        expected = "sha256=" + mac.hexdigest()
        if not hmac.compare_digest(
            expected, request.headers.get("x-adloop-signature", "")
        ):
            return Reply(401, {"error": "bad signature"})
        if request.headers.get("x-adloop-event") == "ping":
            return Reply(204)
        key = request.headers["idempotency-key"]
        self.acted.setdefault(key, request.json())
        return Reply(200, {"id": f"msg-{len(self.acted)}", "url": "https://x.test/1"})


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.OUTBOUND_READ_TIMEOUT_SECONDS = 1
    with Receiver() as server:
        server.hang_seconds = 2
        yield server


def webhook(url: str, secret: str = SECRET):
    return ChannelAccountFactory(
        network=Network.WEBHOOK, external_id=url, credentials={"secret": secret}
    )


def test_publish_signs_the_exact_body_and_sends_the_idempotency_key(receiver):
    account = webhook(receiver.base_url + "/hook")
    result = WebhookConnector().publish(
        request_for(account, "Autumn roast.", link="https://ex.test/a")
    )
    assert result.external_id == "msg-1" and result.url == "https://x.test/1"
    [call] = receiver.calls("POST", "/hook")
    assert call.headers["idempotency-key"] == "key-1"
    assert call.headers["x-adloop-event"] == "post.published"
    assert call.json()["text"] == "Autumn roast." and SECRET not in call.body.decode()


def test_a_wrong_secret_is_refused_and_asks_for_reconnection(receiver):
    account = webhook(receiver.base_url + "/hook", secret="not-the-receivers-secret")
    error = error_of(lambda: WebhookConnector().publish(request_for(account)))
    assert error.kind == "permanent" and error.reconnect and error.http_status == 401
    assert "signing secret" in error.message


@pytest.mark.parametrize(
    ("status", "kind"), [(429, "transient"), (503, "transient"), (422, "permanent")]
)
def test_answers_map_to_what_the_publish_task_does(receiver, status, kind):
    account = webhook(receiver.base_url + "/hook")
    receiver.fail("POST", "/hook", status, {"e": 1}, {"Retry-After": "7"})
    error = error_of(lambda: WebhookConnector().publish(request_for(account)))
    assert error.kind == kind and error.http_status == status
    if status == 429:
        assert error.retry_after == 7


def test_a_lost_answer_is_ambiguous_and_the_resend_does_not_act_twice(receiver):
    account = webhook(receiver.base_url + "/hook")
    receiver.lose_answer("POST", "/hook")
    error = error_of(lambda: WebhookConnector().publish(request_for(account)))
    assert error.kind == "ambiguous"
    WebhookConnector().publish(request_for(account))  # same key, resent
    assert len(receiver.calls("POST", "/hook")) == 2 and len(receiver.acted) == 1


def test_check_pings_with_a_signature_and_reports_refusals(receiver):
    good = WebhookConnector().check(webhook(receiver.base_url + "/hook"))
    assert good.detail == {"status": 204}
    [ping] = receiver.calls("POST", "/hook")
    assert ping.json()["event"] == "ping" and "idempotency-key" not in ping.headers
    bad = webhook(receiver.base_url + "/hook", secret="another-secret-entirely-000")
    error = error_of(lambda: WebhookConnector().check(bad))
    assert error.kind == "permanent" and error.reconnect
    receiver.lose_answer("POST", "/hook")
    lost = error_of(
        lambda: WebhookConnector().check(webhook(receiver.base_url + "/hook"))
    )
    assert lost.kind == "transient"  # a ping changes nothing: safe to retry


def test_check_without_settings_says_what_is_missing() -> None:
    account = ChannelAccountFactory(network=Network.WEBHOOK, external_id="")
    with pytest.raises(ConnectorError, match="URL and a signing secret"):
        WebhookConnector().check(account)


def test_end_to_end_through_the_publish_task(receiver):
    account = webhook(receiver.base_url + "/hook")
    publication = queued_publication(account, body="Published by the task.")
    delivery.publication_publish(publication.pk)
    publication.refresh_from_db()
    assert publication.status == PS.PUBLISHED and publication.external_id == "msg-1"
    assert receiver.acted[publication.idempotency_key]["text"] == (
        "Published by the task."
    )
