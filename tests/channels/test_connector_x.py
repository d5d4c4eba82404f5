"""The X connector against a local server speaking the X API v2 subset it uses
(tests/fakes/x.py): posts, images, threads, X's errors, lookup and check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image

from campaigns.models import PostStatus
from networks import get_connector
from networks.base import ConnectorError, MediaItem, PublishRequest
from networks.x.connector import XConnector
from publishing import delivery
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from tests.factories import ChannelAccountFactory, PostFactory
from tests.fakes.x import FakeX, Tweet

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(x_api: FakeX):
    return ChannelAccountFactory(
        network="x",
        handle="@beanshop",
        external_id=x_api.user["id"],
        credentials={"access_token": "x-token-1", "refresh_token": "r-1"},
    )


def request_for(account, text="Fresh beans today.", **kw) -> PublishRequest:
    defaults = {
        "publication_id": 1,
        "post_id": 1,
        "account": account,
        "text": text,
        "link": "",
        "scheduled_at": timezone.now(),
        "idempotency_key": "key-1",
    }
    return PublishRequest(**{**defaults, **kw})


def jpeg(tmp_path: Path, name: str = "a.jpg") -> MediaItem:
    path = tmp_path / name
    Image.new("RGB", (64, 48), (200, 120, 40)).save(path, "JPEG")
    return MediaItem(path=str(path), content_type="image/jpeg", alt_text=f"Alt {name}")


def error_of(call) -> ConnectorError:
    with pytest.raises(ConnectorError) as info:
        call()
    return info.value


def test_a_text_post_is_created_with_the_user_token(x_api: FakeX, account) -> None:
    result = XConnector().publish(
        request_for(account, link="https://beans.example/autumn")
    )
    [tweet] = x_api.tweets
    assert result.external_id == tweet.id
    assert result.url == f"https://x.com/beanshop/status/{tweet.id}"
    assert tweet.original == "Fresh beans today.\n\nhttps://beans.example/autumn"
    [sent] = x_api.calls("POST", "/2/tweets$")
    assert sent.headers["authorization"] == "Bearer x-token-1"
    assert "media" not in sent.json() and "reply" not in sent.json()


def test_images_are_uploaded_with_alt_text_and_attached(
    x_api: FakeX,
    account,
    tmp_path: Path,
) -> None:
    media = (jpeg(tmp_path, "a.jpg"), jpeg(tmp_path, "b.jpg"))
    XConnector().publish(request_for(account, media=media))
    uploads = x_api.calls("POST", "/2/media/upload")
    assert [u.json()["media_category"] for u in uploads] == ["tweet_image"] * 2
    [tweet] = x_api.tweets
    assert len(tweet.media_ids) == 2
    assert [x_api.media[m]["alt"] for m in tweet.media_ids] == [
        "Alt a.jpg",
        "Alt b.jpg",
    ]
    assert x_api.media[tweet.media_ids[0]]["bytes"] == Path(media[0].path).read_bytes()


def test_a_thread_is_a_chain_of_replies(x_api: FakeX, account) -> None:
    result = XConnector().publish(
        request_for(account, text="One.", thread=("Two.", "Three."))
    )
    one, two, three = x_api.tweets
    assert result.external_id == one.id
    assert (one.in_reply_to, two.in_reply_to, three.in_reply_to) == ("", one.id, two.id)
    assert [t.original for t in x_api.tweets] == ["One.", "Two.", "Three."]


def test_validate_counts_like_x_urls_23_and_cjk_2(x_api: FakeX, account) -> None:
    connector = XConnector()
    long_url = "https://beans.example/" + "a" * 200
    fits = "b" * 256 + " " + long_url  # 256 + 1 + 23 = 280, 479 code points
    assert connector.validate(request_for(account, text=fits)) == []
    connector.publish(request_for(account, text=fits))
    cjk = "豆" * 140  # 280 weighted
    assert connector.validate(request_for(account, text=cjk)) == []
    connector.publish(request_for(account, text=cjk))
    assert len(x_api.tweets) == 2

    over = "豆" * 140 + "!"
    [problem] = connector.validate(request_for(account, text=over))
    assert "281 of 280" in problem
    # The server agrees: sent anyway, X refuses it.
    error = error_of(lambda: connector._create(over, "x-token-1", request_for(account)))
    assert (error.kind, error.http_status) == ("permanent", 400)
    assert "too long" in error.message


def test_validate_refuses_what_x_refuses_for_media(
    x_api: FakeX,
    account,
    tmp_path: Path,
) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * (5 * 1024 * 1024 + 1))
    five = tuple(jpeg(tmp_path, f"{n}.jpg") for n in range(5))
    problems = XConnector().validate(
        request_for(account, media=(*five, MediaItem(str(big), "image/png")))
    )
    assert any("at most 4 images" in p for p in problems)
    assert any("at most 5 MB" in p for p in problems)
    error = error_of(
        lambda: XConnector().publish(
            request_for(account, media=(MediaItem(str(big), "image/png"),))
        )
    )
    assert error.kind == "permanent"
    assert x_api.calls("POST") == []  # nothing was sent


def test_401_means_reconnect_unless_the_token_merely_expired(
    x_api: FakeX,
    account,
) -> None:
    x_api.tokens.clear()  # the user revoked AdLoop's access
    error = error_of(lambda: XConnector().publish(request_for(account)))
    assert (error.kind, error.reconnect, error.http_status) == ("permanent", True, 401)
    assert "reconnect" in error.message
    assert "x-token-1" not in f"{error.message} {error.detail}"

    account.token_expires_at = timezone.now() - timedelta(minutes=1)
    error = error_of(lambda: XConnector().publish(request_for(account)))
    assert (error.kind, error.reconnect) == ("transient", False)


def test_429_waits_until_the_rate_limit_reset(x_api: FakeX, account) -> None:
    reset = int(datetime.now(UTC).timestamp()) + 600
    x_api.fail(
        "POST",
        "/2/tweets$",
        429,
        {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
        {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        },
    )
    error = error_of(lambda: XConnector().publish(request_for(account)))
    assert error.kind == "transient"
    assert error.retry_after is not None and 590 <= error.retry_after <= 600
    assert x_api.tweets == []


def test_5xx_is_transient_and_other_4xx_permanent_with_x_reason(
    x_api: FakeX,
    account,
) -> None:
    x_api.fail("POST", "/2/tweets$", 503, {"title": "Service Unavailable"})
    assert error_of(lambda: XConnector().publish(request_for(account))).kind == (
        "transient"
    )
    x_api.fail(
        "POST",
        "/2/tweets$",
        403,
        {
            "title": "Forbidden",
            "detail": "You are not permitted to perform this action.",
        },
    )
    error = error_of(lambda: XConnector().publish(request_for(account)))
    assert error.kind == "permanent" and "not permitted" in error.message


def test_403_duplicate_of_an_older_post_is_permanent(x_api: FakeX, account) -> None:
    x_api.tweets.append(
        Tweet(
            id="1700000000000000000",
            author_id=x_api.user["id"],
            text="Fresh beans today.",
            original="Fresh beans today.",
            created_at=datetime.now(UTC) - timedelta(days=3),
        )
    )
    error = error_of(lambda: XConnector().publish(request_for(account)))
    assert (error.kind, error.http_status) == ("permanent", 403)
    assert "duplicate" in error.message
    assert len(x_api.tweets) == 1


def test_a_lost_answer_is_ambiguous_and_the_retry_finds_the_post(
    x_api: FakeX,
    account,
    settings,
) -> None:
    settings.OUTBOUND_READ_TIMEOUT_SECONDS = 0.5
    request = request_for(account, text="Beans & more <3", link="https://b.example/x")
    x_api.lose_answer("POST", "/2/tweets$")
    error = error_of(lambda: XConnector().publish(request))
    assert error.kind == "ambiguous"
    [tweet] = x_api.tweets  # it was posted
    # A blind re-post meets X's duplicate check; the connector finds its own post.
    result = XConnector().publish(request)
    assert result.external_id == tweet.id
    assert XConnector().lookup(request).external_id == tweet.id  # type: ignore[union-attr]
    assert len(x_api.tweets) == 1


def test_lookup_finds_nothing_for_a_post_never_made(x_api: FakeX, account) -> None:
    XConnector().publish(request_for(account, text="Another post."))
    assert XConnector().lookup(request_for(account)) is None
    [read] = x_api.calls("GET", "/tweets$")
    assert read.path == f"/2/users/{x_api.user['id']}/tweets"
    assert "start_time" in read.query


def test_a_thread_cut_short_is_completed_by_lookup_never_reposted(
    x_api: FakeX,
    account,
) -> None:
    request = request_for(account, text="One.", thread=("Two.", "Three."))
    # The first part goes out, the second meets a 503.
    x_api.fail("POST", "/2/tweets$", 503, {"title": "Service Unavailable"}, skip=1)
    error = error_of(lambda: XConnector().publish(request))
    assert error.kind == "ambiguous"
    assert "first 1 of 3 parts" in error.message
    assert [t.original for t in x_api.tweets] == ["One."]

    result = XConnector().lookup(request)
    one, two, three = x_api.tweets
    assert result is not None and result.external_id == one.id
    assert [t.original for t in x_api.tweets] == ["One.", "Two.", "Three."]
    assert (two.in_reply_to, three.in_reply_to) == (one.id, two.id)
    # Found complete now: a further lookup posts nothing.
    assert XConnector().lookup(request).external_id == one.id  # type: ignore[union-attr]
    assert len(x_api.tweets) == 3


def test_check_reads_the_user(x_api: FakeX, account) -> None:
    found = XConnector().check(account)
    assert (found.external_id, found.name, found.handle) == (
        "2244994945",
        "Bean Shop",
        "@beanshop",
    )
    x_api.tokens.clear()
    assert error_of(lambda: XConnector().check(account)).reconnect


def _queued_publication(account) -> Publication:
    post = PostFactory(
        workspace=account.workspace, body="Autumn roast is here.", link=""
    )
    post.accounts.set([account])
    post.scheduled_at = timezone.now()
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["scheduled_at", "status"])
    [publication] = delivery.publication_create_for_post(post)
    delivery.publication_move([publication.pk], to=PS.QUEUED, sources=[PS.SCHEDULED])
    return publication


def test_end_to_end_publish_and_an_ambiguous_retry_resolved_by_lookup(
    x_api: FakeX,
    account,
    settings,
) -> None:
    assert isinstance(get_connector("x"), XConnector)
    settings.OUTBOUND_READ_TIMEOUT_SECONDS = 0.5
    publication = _queued_publication(account)
    x_api.lose_answer("POST", "/2/tweets$")
    assert delivery.publication_publish(publication.pk) == "retry"
    publication.refresh_from_db()
    assert (publication.status, publication.error_kind) == (PS.SCHEDULED, "ambiguous")

    delivery.publication_move([publication.pk], to=PS.QUEUED, sources=[PS.SCHEDULED])
    assert delivery.publication_publish(publication.pk) == "published"
    publication.refresh_from_db()
    [tweet] = x_api.tweets
    assert publication.status == PS.PUBLISHED
    assert publication.external_id == tweet.id
    assert publication.url == f"https://x.com/beanshop/status/{tweet.id}"
    assert len(x_api.calls("POST", "/2/tweets$")) == 1  # looked up, not re-posted
