"""The Bluesky connector against the real Personal Data Server (`@atproto/pds`
with an in-memory PLC, tests/peers/pds.py): records are read back with
`com.atproto.repo.getRecord`, so offsets, embeds and replies are checked as the
PDS stored them, and the PDS's own validation is the judge of the limits."""

from __future__ import annotations

import io
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from connections.models import AccountStatus, Network
from core import http
from networks import get_connector
from networks.base import (
    ConnectorError,
    MediaItem,
    MemoryStore,
    PublishRequest,
)
from networks.bluesky.connector import BlueskyConnector
from networks.bluesky.text import rkey_for
from publishing.connector_store import connector_store
from publishing.models import PublicationStatus as PS
from tests.peers.pds import Pds


class Account:
    """What the connector reads of a ChannelAccount (not saved: no database)."""

    pk = None

    def __init__(self, pds: Pds, name: str = "alice", password: str = "") -> None:
        who = pds.accounts[name]
        self.credentials: dict[str, Any] = {
            "handle": who.handle,
            "app_password": password or who.app_password,
            "service": pds.url,
        }
        self.network = "bluesky"


def key() -> str:
    return f"adloop-{uuid.uuid4().hex}"


def request(account: Any, text: str, **kw: Any) -> PublishRequest:
    fields: dict[str, Any] = {
        "publication_id": 1,
        "post_id": 1,
        "account": account,
        "text": text,
        "link": "",
        "scheduled_at": datetime.now(UTC),
        "idempotency_key": key(),
    }
    return PublishRequest(**(fields | kw))


@pytest.fixture
def bsky(pds: Pds, settings) -> BlueskyConnector:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    return BlueskyConnector()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The XRPC methods the connector calls, in order (the requests still go out)."""
    seen: list[str] = []
    real = http.request

    def spy(method: str, url: str, **kwargs: Any) -> http.Response:
        seen.append(url.split("/xrpc/", 1)[-1].split("?", 1)[0])
        return real(method, url, **kwargs)

    monkeypatch.setattr(http, "request", spy)
    return seen


def png(tmp_path: Path, name: str, size: tuple[int, int] = (64, 48)) -> MediaItem:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 70, 30)).save(buffer, "PNG")
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return MediaItem(
        path=str(path),
        content_type="image/png",
        alt_text=f"Alt for {name}",
        width=size[0],
        height=size[1],
    )


def stored(pds: Pds, result_uri: str) -> dict[str, Any]:
    did, _, rkey = result_uri.removeprefix("at://").partition("/app.bsky.feed.post/")
    record = pds.get_record(did, rkey)
    assert record is not None
    return record


def test_registered_under_the_bluesky_network() -> None:
    assert isinstance(get_connector(Network.BLUESKY), BlueskyConnector)


def test_rkeys_are_valid_tids_and_the_same_for_every_try() -> None:
    first = rkey_for("adloop-abc")
    assert first == rkey_for("adloop-abc")
    assert first != rkey_for("adloop-abd") != rkey_for("adloop-abc", 1)
    assert len(first) == 13 and first[0] in "234567abcdefghij"
    assert set(first) <= set("234567abcdefghijklmnopqrstuvwxyz")


def test_text_post_has_facets_at_utf8_byte_offsets(bsky, pds) -> None:
    text = (
        "Café ☕ crème 👩‍👩‍👧 for @bob.test — see https://example.com/ünï/menu "
        "#Kaffee #日本"
    )
    result = bsky.publish(request(Account(pds), text))

    record = stored(pds, result.external_id)
    value = record["value"]
    assert value["text"] == text
    raw = text.encode()
    spans = {
        raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(): f["features"][0]
        for f in value["facets"]
    }
    assert spans["@bob.test"] == {
        "$type": "app.bsky.richtext.facet#mention",
        "did": pds.accounts["bob"].did,
    }
    assert (
        spans["https://example.com/ünï/menu"]["uri"] == "https://example.com/ünï/menu"
    )
    assert spans["#Kaffee"]["tag"] == "Kaffee"
    assert spans["#日本"]["tag"] == "日本"
    # A link and no image: a link card.
    assert value["embed"]["$type"] == "app.bsky.embed.external"
    assert value["embed"]["external"]["uri"] == "https://example.com/ünï/menu"
    assert result.url.endswith("/post/" + result.external_id.rsplit("/", 1)[-1])


def test_an_unknown_handle_stays_plain_text(bsky, pds) -> None:
    result = bsky.publish(request(Account(pds), "Hello @nobody.test and @bob.test"))
    facets = stored(pds, result.external_id)["value"]["facets"]
    assert [f["features"][0]["did"] for f in facets] == [pds.accounts["bob"].did]


def test_images_are_uploaded_with_alt_text(bsky, pds, tmp_path) -> None:
    media = (png(tmp_path, "one.png"), png(tmp_path, "two.png", (30, 40)))
    result = bsky.publish(
        request(Account(pds), "Two roasts https://example.com/r", media=media)
    )

    embed = stored(pds, result.external_id)["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"  # images win over a link card
    assert [i["alt"] for i in embed["images"]] == ["Alt for one.png", "Alt for two.png"]
    assert embed["images"][1]["aspectRatio"] == {"width": 30, "height": 40}
    blob = embed["images"][0]["image"]
    assert blob["mimeType"] == "image/png"
    assert blob["size"] == Path(media[0].path).stat().st_size


def test_an_image_over_the_limit_is_refused_by_validate_and_by_the_pds(
    bsky, pds, tmp_path
) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(
        Path(png(tmp_path, "small.png").path).read_bytes() + b"\0" * 1_000_000
    )
    big = MediaItem(path=str(path), content_type="image/png", alt_text="Too big")
    account = Account(pds)
    (problem,) = bsky.validate(request(account, "Big", media=(big,)))
    assert "1,000,000" in problem

    image = bsky._upload(account, MemoryStore(), big)  # the PDS stores the blob...
    record = {
        "$type": "app.bsky.feed.post",
        "text": "Big",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "embed": {"$type": "app.bsky.embed.images", "images": [image]},
    }
    with pytest.raises(ConnectorError) as caught:  # ...but refuses the post
        bsky._create(account, MemoryStore(), rkey_for(key()), record)
    assert caught.value.kind == "permanent"


def test_a_thread_of_three_is_a_reply_chain(bsky, pds) -> None:
    req = request(Account(pds), "1/3 Beans", thread=("2/3 Roast", "3/3 Brew"))
    result = bsky.publish(req)

    did = pds.accounts["alice"].did
    one, two, three = (
        pds.get_record(did, rkey_for(req.idempotency_key, n)) for n in range(3)
    )
    assert one["uri"] == result.external_id and "reply" not in one["value"]
    root = {"uri": one["uri"], "cid": one["cid"]}
    assert two["value"]["reply"] == {"root": root, "parent": root}
    assert three["value"]["reply"] == {
        "root": root,
        "parent": {"uri": two["uri"], "cid": two["cid"]},
    }
    assert three["value"]["text"] == "3/3 Brew"


def test_a_retry_with_the_same_key_makes_no_second_record(bsky, pds) -> None:
    account = Account(pds)
    did = pds.accounts["alice"].did
    req = request(account, "Only once, please", thread=("And its reply",))
    first = bsky.publish(req)
    before = len(pds.list_records(did))

    again = bsky.publish(req)

    assert again.external_id == first.external_id
    assert len(pds.list_records(did)) == before
    assert bsky.lookup(req) == first
    assert bsky.lookup(request(account, "Never sent")) is None


def test_300_graphemes_pass_and_301_are_refused_by_validate_and_the_pds(
    bsky, pds
) -> None:
    account = Account(pds)
    fits = "a" * 290 + "👍🏽" * 9 + "é"  # 300 graphemes, 327 code points
    too_long = fits + "!"
    assert bsky.validate(request(account, fits)) == []
    (problem,) = bsky.validate(request(account, too_long))
    assert "301 characters" in problem and "300" in problem

    bsky.publish(request(account, fits))
    record = {
        "$type": "app.bsky.feed.post",
        "text": too_long,
        "createdAt": "2026-01-01T00:00:00.000Z",
    }
    with pytest.raises(ConnectorError) as caught:
        bsky._create(account, MemoryStore(), rkey_for(key()), record)
    assert (caught.value.kind, caught.value.http_status) == ("permanent", 400)
    assert "grapheme" in caught.value.message


def test_a_wrong_app_password_is_permanent_and_asks_to_reconnect(bsky, pds) -> None:
    account = Account(pds, password="wrong-pass-word-1234")
    with pytest.raises(ConnectorError) as caught:
        bsky.publish(request(account, "Hello"))
    error = caught.value
    assert (error.kind, error.http_status, error.reconnect) == ("permanent", 401, True)
    assert "app password" in error.message
    assert "wrong-pass-word-1234" not in error.message + error.detail


def test_the_session_is_reused_and_renewed_without_signing_in_again(
    bsky, pds, calls
) -> None:
    account = Account(pds)
    bsky.publish(request(account, "First"))
    assert calls.count("com.atproto.server.createSession") == 1
    session = account.credentials["session"]
    assert session["did"] == pds.accounts["alice"].did

    calls.clear()
    bsky.publish(request(account, "Second"))
    assert "com.atproto.server.createSession" not in calls

    calls.clear()  # a refused access token: refreshSession, not a sign-in
    account.credentials["session"] = session | {"accessJwt": "not-a-valid-token"}
    bsky.publish(request(account, "Third"))
    assert "com.atproto.server.refreshSession" in calls
    assert "com.atproto.server.createSession" not in calls

    calls.clear()  # a refused refresh token too: sign in again
    account.credentials["session"] = session | {
        "accessJwt": "not-a-valid-token",
        "refreshJwt": "not-a-valid-refresh-token",
    }
    bsky.publish(request(account, "Fourth"))
    assert calls.count("com.atproto.server.createSession") == 1


def test_check_confirms_the_account(bsky, pds) -> None:
    found = bsky.check(Account(pds))
    assert found.external_id == pds.accounts["alice"].did
    assert found.handle == "@alice.test"
    with pytest.raises(ConnectorError) as caught:
        bsky.check(Account(pds, password="wrong-pass-word-1234"))
    assert caught.value.reconnect


@pytest.mark.django_db
def test_end_to_end_through_the_outbox_keeps_the_session_encrypted(
    bsky, pds, calls
) -> None:
    from django.db import connection

    from connections.models import ChannelAccount
    from publishing.models import Publication
    from tests.channels.test_publications import run, scheduled_post

    _post, (publication,) = scheduled_post(Network.BLUESKY)
    account = publication.account
    account.credentials = Account(pds, "bob").credentials
    account.save()

    assert run(publication) == "published"

    publication.refresh_from_db()
    record = stored(pds, publication.external_id)
    assert record["value"]["text"] == "Fresh beans today."
    assert publication.external_id.endswith(rkey_for(publication.idempotency_key))
    assert publication.status == PS.PUBLISHED
    saved = ChannelAccount.objects.get(pk=account.pk)
    assert saved.credentials["session"]["did"] == pds.accounts["bob"].did
    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute(
            "SELECT credentials FROM channels_channelaccount WHERE id = %s",
            [account.pk],
        )
        (raw,) = cursor.fetchone()
    assert saved.credentials["session"]["accessJwt"] not in str(raw)
    assert "refreshJwt" not in str(raw)

    calls.clear()  # the next publication reuses the stored session
    _post, (second,) = scheduled_post(Network.BLUESKY)
    Publication.objects.filter(pk=second.pk).update(account=saved)
    assert run(Publication.objects.get(pk=second.pk)) == "published"
    assert "com.atproto.server.createSession" not in calls


@pytest.mark.django_db
def test_a_wrong_app_password_marks_the_account_for_reconnecting(bsky, pds) -> None:
    from tests.channels.test_publications import run, scheduled_post

    _post, (publication,) = scheduled_post(Network.BLUESKY)
    account = publication.account
    account.credentials = Account(pds, password="wrong-pass-word-1234").credentials
    account.save()

    assert run(publication) == "failed"

    account.refresh_from_db()
    assert account.status == AccountStatus.NEEDS_RECONNECT
    assert "app password" in account.last_error


class StallingProxy:
    """A reverse proxy in front of the PDS that carries out `createRecord` but
    answers it only after `stall` seconds: the client times out after sending,
    while the record exists (the ambiguous case)."""

    def __init__(self, target: str, stall: float) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import httpx

        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("authorization", "content-type", "accept")
                }
                answer = httpx.request(
                    self.command, target + self.path, content=body, headers=headers
                )
                if "createRecord" in self.path and proxy.stall:
                    time.sleep(proxy.stall)
                try:
                    self.send_response(answer.status_code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer.content)))
                    self.end_headers()
                    self.wfile.write(answer.content)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _forward

        self.stall = stall
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.django_db
def test_no_answer_after_sending_is_ambiguous_then_found_not_reposted(
    bsky, pds, settings
) -> None:
    from publishing.models import Publication
    from tests.channels.test_publications import run, scheduled_post

    proxy = StallingProxy(pds.url, stall=2.0)
    try:
        _post, (publication,) = scheduled_post(Network.BLUESKY)
        account = publication.account
        account.credentials = Account(pds, "bob").credentials | {"service": proxy.url}
        account.save()
        # Signed in beforehand (the session kept as publishing keeps it): only
        # createRecord is slow.
        bsky._session(account, connector_store)
        did = pds.accounts["bob"].did
        before = len(pds.list_records(did))

        settings.OUTBOUND_READ_TIMEOUT_SECONDS = 0.5
        assert (
            run(Publication.objects.get(pk=publication.pk)) == "retry"
        )  # ambiguous on a network that dedupes
        publication.refresh_from_db()
        assert (publication.status, publication.error_kind) == (
            PS.SCHEDULED,
            "ambiguous",
        )
        assert len(pds.list_records(did)) == before + 1  # it did arrive

        proxy.stall = 0
        settings.OUTBOUND_READ_TIMEOUT_SECONDS = 20.0
        assert run(Publication.objects.get(pk=publication.pk)) == "published"
        publication.refresh_from_db()
        assert publication.status == PS.PUBLISHED
        assert publication.external_id.endswith(rkey_for(publication.idempotency_key))
        assert len(pds.list_records(did)) == before + 1  # found, not posted again
    finally:
        proxy.close()


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind"),
    [
        (429, {"error": "RateLimitExceeded"}, {"ratelimit-reset": "soon"}, "transient"),
        (502, {"error": "UpstreamFailure"}, {}, "transient"),
        (400, {"error": "InvalidRequest", "message": "bad"}, {}, "permanent"),
        (413, {"error": "PayloadTooLarge"}, {}, "permanent"),
    ],
)
def test_xrpc_errors_map_to_kinds(status, body, headers, kind) -> None:
    import json

    # The PDS's RateLimit-Reset is a Unix time: 90 s from now.
    reset = {k: str(int(time.time()) + 90) for k in headers}
    answer = http.Response(
        status=status,
        headers=reset,
        body=json.dumps(body).encode(),
        url="http://pds.example/xrpc/com.atproto.repo.createRecord",
        elapsed_ms=1,
    )
    error = BlueskyConnector()._error(answer, "publish the post")
    assert (error.kind, error.http_status) == (kind, status)
    if status == 429:
        assert error.retry_after is not None and 60 < error.retry_after <= 90
    if status == 400:
        assert "bad" in error.message
