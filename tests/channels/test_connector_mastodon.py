"""The Mastodon connector against a local server speaking the Mastodon API
(tests/fakes/mastodon.py): statuses, media v2, threads, instance limits, each
documented error, check(), lookup() and one publish through the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connections.models import AccountStatus, Network
from networks import get_connector
from networks.base import ConnectorError, MediaItem, PublishRequest
from networks.mastodon.client import status_length
from networks.mastodon.connector import MastodonConnector, plain_text
from publishing.models import PublicationStatus as PS
from publishing.models import PublishAttempt
from tests.fakes.mastodon import FakeMastodon, rate_limited_headers

KEY = "adloop-0123456789abcdef0123456789abcdef"


class Account:
    """What the connector reads of a ChannelAccount (no database needed)."""

    def __init__(self, server: FakeMastodon, token: str | None = None) -> None:
        self.credentials = {
            "instance_url": server.url,
            "access_token": token or server.token,
        }
        self.external_id = server.account_id
        self.network = "mastodon"


def request(server: FakeMastodon, text: str = "Fresh beans today.", **kw: Any):
    fields: dict[str, Any] = {
        "publication_id": 1,
        "post_id": 1,
        "account": kw.pop("account", None) or Account(server),
        "text": text,
        "link": "",
        "scheduled_at": datetime.now(UTC) - timedelta(minutes=1),
        "idempotency_key": KEY,
    }
    return PublishRequest(**(fields | kw))


@pytest.fixture
def connector() -> MastodonConnector:
    return MastodonConnector()


@pytest.fixture
def image(tmp_path: Path) -> MediaItem:
    path = tmp_path / "beans.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    return MediaItem(path=str(path), content_type="image/png", alt_text="A sack")


def test_registered_under_the_mastodon_network() -> None:
    assert isinstance(get_connector(Network.MASTODON), MastodonConnector)


def test_text_post_sends_the_idempotency_key_and_returns_the_status(
    connector, mastodon_server
) -> None:
    result = connector.publish(request(mastodon_server, "Fresh beans today. #coffee"))

    (sent,) = mastodon_server.sent("POST", "/api/v1/statuses")
    assert sent.headers["idempotency-key"] == KEY
    assert sent.headers["authorization"] == f"Bearer {mastodon_server.token}"
    assert sent.json() == {
        "status": "Fresh beans today. #coffee",
        "visibility": "public",
    }
    (status,) = mastodon_server.statuses
    assert result.external_id == status["id"]
    assert result.url == status["url"]


def test_a_retry_with_the_same_key_makes_no_second_status(
    connector, mastodon_server
) -> None:
    first = connector.publish(request(mastodon_server))
    again = connector.publish(request(mastodon_server))
    assert again.external_id == first.external_id
    assert len(mastodon_server.statuses) == 1
    assert len(mastodon_server.sent("POST", "/api/v1/statuses")) == 2


def test_images_are_uploaded_with_alt_text_and_attached_once_processed(
    connector, mastodon_server, image, monkeypatch
) -> None:
    from networks.mastodon import connector as mastodon

    monkeypatch.setattr(mastodon, "MEDIA_POLL_SECONDS", 0.01)
    mastodon_server.media_polls = 2  # 202, then 206 twice, then 200

    connector.publish(request(mastodon_server, media=(image, image)))

    uploads = mastodon_server.sent("POST", "/api/v2/media")
    assert len(uploads) == 2
    assert b'name="description"\r\n\r\nA sack' in uploads[0].body
    assert Path(image.path).read_bytes() in uploads[0].body
    ids = list(mastodon_server.media)
    assert all(len(mastodon_server.sent("GET", f"/api/v1/media/{i}")) == 3 for i in ids)
    (status,) = mastodon_server.statuses
    assert [m["id"] for m in status["media_attachments"]] == ids
    assert status["media_attachments"][0]["description"] == "A sack"


def test_a_thread_is_a_reply_chain_with_one_key_per_part(
    connector, mastodon_server
) -> None:
    result = connector.publish(
        request(mastodon_server, "One.", thread=("Two.", "Three."))
    )
    one, two, three = mastodon_server.statuses
    assert result.external_id == one["id"]
    assert one["in_reply_to_id"] is None
    assert two["in_reply_to_id"] == one["id"]
    assert three["in_reply_to_id"] == two["id"]
    keys = [
        r.headers["idempotency-key"]
        for r in mastodon_server.requests
        if r.method == "POST"
    ]
    assert keys == [KEY, f"{KEY}-1", f"{KEY}-2"]


def test_a_thread_retried_after_a_failure_midway_does_not_repeat_parts(
    connector, mastodon_server
) -> None:
    mastodon_server.fail_next("/api/v1/statuses", 503, after=1)  # part 2 fails
    with pytest.raises(ConnectorError) as caught:
        connector.publish(request(mastodon_server, "One.", thread=("Two.",)))
    assert caught.value.kind == "transient"
    assert len(mastodon_server.statuses) == 1
    connector.publish(request(mastodon_server, "One.", thread=("Two.",)))
    assert [plain_text(s["content"]) for s in mastodon_server.statuses] == [
        "One.",
        "Two.",
    ]


def test_validate_uses_the_instance_limit_and_agrees_with_the_server(
    connector, mastodon_server
) -> None:
    mastodon_server.max_characters = 40
    link = "https://example.com/a/very/long/path/that/counts/as/twenty-three"
    fits = "Beans ☕ " + link  # 8 + 23 = 31 characters as Mastodon counts
    too_long = "x" * 41

    assert status_length(fits) == 31
    assert connector.validate(request(mastodon_server, fits)) == []
    (problem,) = connector.validate(request(mastodon_server, too_long))
    assert "41 characters" in problem and "allows 40" in problem

    connector.publish(request(mastodon_server, fits))  # the server agrees: accepted
    with pytest.raises(ConnectorError) as caught:
        connector.publish(request(mastodon_server, too_long))
    assert caught.value.kind == "permanent"
    assert len(mastodon_server.statuses) == 1
    # The server's own answer, bypassing validate(): a 422 with its reason.
    with pytest.raises(ConnectorError) as caught:
        connector._status(
            mastodon_server.url, mastodon_server.token, {"status": too_long}, "k2"
        )
    assert caught.value.http_status == 422
    assert "character limit of 40 exceeded" in caught.value.message
    assert len(mastodon_server.sent("GET", "/api/v2/instance")) == 1  # cached


def test_validate_limits_the_number_of_images(
    connector, mastodon_server, image
) -> None:
    mastodon_server.max_media_attachments = 2
    (problem,) = connector.validate(request(mastodon_server, media=(image,) * 3))
    assert "2 images" in problem


def test_401_is_permanent_and_asks_to_reconnect(connector, mastodon_server) -> None:
    mastodon_server.revoked = True
    with pytest.raises(ConnectorError) as caught:
        connector.publish(request(mastodon_server))
    error = caught.value
    assert (error.kind, error.http_status, error.reconnect) == ("permanent", 401, True)
    assert "reconnect" in error.message
    assert mastodon_server.token not in error.message + error.detail


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (403, "This action is outside the authorized scopes"),
        (404, "Record not found"),
        (422, "Validation failed: Text can't be blank"),
    ],
)
def test_refusals_are_permanent_with_mastodons_reason(
    connector, mastodon_server, status, reason
) -> None:
    mastodon_server.fail_next("/api/v1/statuses", status, {"error": reason})
    with pytest.raises(ConnectorError) as caught:
        connector.publish(request(mastodon_server))
    assert (caught.value.kind, caught.value.http_status) == ("permanent", status)
    assert reason in caught.value.message
    assert caught.value.reconnect is False


def test_429_waits_until_the_rate_limit_resets(connector, mastodon_server) -> None:
    mastodon_server.fail_next(
        "/api/v1/statuses",
        429,
        {"error": "Too many requests"},
        rate_limited_headers(120),
    )
    with pytest.raises(ConnectorError) as caught:
        connector.publish(request(mastodon_server))
    assert caught.value.kind == "transient"
    assert caught.value.retry_after is not None
    assert 60 < caught.value.retry_after <= 120


def test_5xx_is_transient(connector, mastodon_server) -> None:
    mastodon_server.fail_next("/api/v1/statuses", 502, {"error": "Bad gateway"})
    with pytest.raises(ConnectorError) as caught:
        connector.publish(request(mastodon_server))
    assert (caught.value.kind, caught.value.http_status) == ("transient", 502)


def test_no_answer_after_sending_is_ambiguous_and_lookup_finds_the_status(
    connector, mastodon_server, settings
) -> None:
    settings.OUTBOUND_READ_TIMEOUT_SECONDS = 0.3
    mastodon_server.stall_next("/api/v1/statuses", 1.0)
    req = request(
        mastodon_server, "Roasted on Tuesday: https://example.com/r @ann@example.org"
    )
    with pytest.raises(ConnectorError) as caught:
        connector.publish(req)
    assert caught.value.kind == "ambiguous"

    found = connector.lookup(req)
    (status,) = mastodon_server.statuses
    assert found is not None and found.external_id == status["id"]
    assert connector.lookup(request(mastodon_server, "Another text")) is None


def test_lookup_ignores_an_old_status_with_the_same_text(
    connector, mastodon_server
) -> None:
    connector.publish(request(mastodon_server))
    later = datetime.now(UTC) + timedelta(days=2)
    assert connector.lookup(request(mastodon_server, scheduled_at=later)) is None


def test_lookup_of_a_thread_needs_every_part(connector, mastodon_server) -> None:
    req = request(mastodon_server, "One.", thread=("Two.",))
    connector.publish(request(mastodon_server, "One."))  # only the first part
    assert connector.lookup(req) is None
    connector.publish(req)  # part 1 answered from its key, part 2 made
    assert len(mastodon_server.statuses) == 2
    assert connector.lookup(req) is not None


def test_check_reads_the_account_and_the_instance_limits(
    connector, mastodon_server
) -> None:
    found = connector.check(Account(mastodon_server))
    assert found.external_id == mastodon_server.account_id
    assert found.handle == f"@{mastodon_server.username}@127.0.0.1"
    assert found.detail["max_characters"] == 500

    with pytest.raises(ConnectorError) as caught:
        connector.check(Account(mastodon_server, token="wrong-token-xyz"))
    assert caught.value.kind == "permanent" and caught.value.reconnect


@pytest.mark.django_db
def test_end_to_end_through_the_outbox(mastodon_server) -> None:
    from tests.channels.test_publications import run, scheduled_post

    _post, (publication,) = scheduled_post(Network.MASTODON)
    account = publication.account
    account.credentials = {
        "instance_url": mastodon_server.url,
        "access_token": mastodon_server.token,
    }
    account.external_id = mastodon_server.account_id
    account.save()

    assert run(publication) == "published"

    publication.refresh_from_db()
    (status,) = mastodon_server.statuses
    assert publication.status == PS.PUBLISHED
    assert publication.external_id == status["id"]
    assert publication.url == status["url"]
    assert plain_text(status["content"]) == "Fresh beans today."
    (sent,) = mastodon_server.sent("POST", "/api/v1/statuses")
    assert sent.headers["idempotency-key"] == publication.idempotency_key
    attempt = PublishAttempt.objects.get(publication=publication)
    assert (attempt.outcome, attempt.http_status) == ("published", 200)


@pytest.mark.django_db
def test_a_revoked_token_fails_the_publication_and_asks_for_a_reconnect(
    mastodon_server,
) -> None:
    from tests.channels.test_publications import run, scheduled_post

    _post, (publication,) = scheduled_post(Network.MASTODON)
    account = publication.account
    account.credentials = {
        "instance_url": mastodon_server.url,
        "access_token": mastodon_server.token,
    }
    account.save()
    mastodon_server.revoked = True

    assert run(publication) == "failed"

    publication.refresh_from_db()
    account.refresh_from_db()
    assert publication.status == PS.FAILED
    assert "reconnect the account" in publication.error
    assert account.status == AccountStatus.NEEDS_RECONNECT
    assert "reconnect" in account.last_error
    assert mastodon_server.token not in publication.error + account.last_error


@pytest.mark.django_db
def test_a_server_error_leaves_the_account_connected(mastodon_server) -> None:
    from tests.channels.test_publications import run, scheduled_post

    _post, (publication,) = scheduled_post(Network.MASTODON)
    account = publication.account
    account.credentials = {
        "instance_url": mastodon_server.url,
        "access_token": mastodon_server.token,
    }
    account.save()
    mastodon_server.fail_next("/api/v1/statuses", 503)

    assert run(publication) == "retry"

    account.refresh_from_db()
    assert account.status == AccountStatus.CONNECTED
    assert len(mastodon_server.statuses) == 0
