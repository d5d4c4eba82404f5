"""The Facebook Page connector against a local Graph API server
(tests/fakes/graph.py): text and links, photos, Graph error codes and the
rate-limit usage headers, check, and the publish path end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from networks import get_connector, graph
from networks.facebook.connector import FacebookConnector
from publishing import delivery
from publishing.models import PublicationStatus as PS
from tests.channels.connector_kit import error_of, jpeg, queued_publication, request_for
from tests.factories import ChannelAccountFactory
from tests.fakes.graph import FakeGraph, graph_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(graph_api: FakeGraph):
    return ChannelAccountFactory(
        network="facebook",
        external_id=graph_api.page_id,
        credentials={"page_access_token": "page-token-1", "access_token": "user-t"},
    )


def test_text_and_link_go_to_the_page_feed(graph_api: FakeGraph, account) -> None:
    result = FacebookConnector().publish(
        request_for(account, link="https://beans.example/autumn")
    )
    [post] = graph_api.fb_posts
    assert (post.message, post.link) == (
        "Fresh beans today.",
        "https://beans.example/autumn",
    )
    assert result.external_id == post.id
    assert result.url == f"https://www.facebook.com/{post.id}"
    [sent] = graph_api.calls("POST", "/feed$")
    assert sent.path == f"/v21.0/{graph_api.page_id}/feed"
    assert sent.headers["authorization"] == "Bearer page-token-1"
    assert "page-token-1" not in sent.body.decode()  # the token is not in the form


def test_one_photo_is_a_published_photo_with_the_text(
    graph_api: FakeGraph,
    account,
    tmp_path: Path,
) -> None:
    image = jpeg(tmp_path)
    result = FacebookConnector().publish(
        request_for(account, media=(image,), link="https://beans.example/a")
    )
    [post] = graph_api.fb_posts
    [photo_id] = post.photos
    assert graph_api.photos[photo_id]["bytes"] == Path(image.path).read_bytes()
    assert graph_api.photos[photo_id]["published"] is True
    assert post.message == "Fresh beans today.\n\nhttps://beans.example/a"
    assert result.external_id == post.id


def test_several_photos_are_attached_unpublished_to_one_feed_post(
    graph_api: FakeGraph,
    account,
    tmp_path: Path,
) -> None:
    media = tuple(jpeg(tmp_path, f"{n}.jpg") for n in range(3))
    FacebookConnector().publish(request_for(account, media=media))
    [post] = graph_api.fb_posts
    assert len(post.photos) == 3
    assert all(graph_api.photos[p]["published"] is False for p in post.photos)
    assert [graph_api.photos[p]["alt"] for p in post.photos] == [
        "Alt 0.jpg",
        "Alt 1.jpg",
        "Alt 2.jpg",
    ]


def test_validate_agrees_with_the_message_limit(graph_api: FakeGraph, account) -> None:
    connector = FacebookConnector()
    assert connector.validate(request_for(account, text="a" * 63206)) == []
    connector.publish(request_for(account, text="a" * 63206))
    over = request_for(account, text="b" * 63207)
    assert "63,207 of 63,206" in connector.validate(over)[0]
    # The server refuses the same text: error 100, permanent.

    answer = graph.call(
        "POST",
        f"{graph_api.page_id}/feed",
        network="Facebook",
        token="page-token-1",
        form={"message": "b" * 63207},
    )
    error = graph.error_of(answer, account=account, network="Facebook", token="t")
    assert error.kind == "permanent" and "too long" in error.message


def test_duplicate_506_and_policy_368_are_permanent(
    graph_api: FakeGraph, account
) -> None:
    FacebookConnector().publish(request_for(account))
    error = error_of(lambda: FacebookConnector().publish(request_for(account)))
    assert error.kind == "permanent" and "duplicate" in error.message
    graph_api.fail(
        "POST",
        "/feed$",
        400,
        graph_error(368, "It looks like you were misusing this feature").body,
    )
    error = error_of(
        lambda: FacebookConnector().publish(request_for(account, text="x"))
    )
    assert error.kind == "permanent" and "policies" in error.message


def test_190_means_reconnect(graph_api: FakeGraph, account) -> None:
    graph_api.tokens.clear()
    error = error_of(lambda: FacebookConnector().publish(request_for(account)))
    assert (error.kind, error.reconnect) == ("permanent", True)
    assert "page-token-1" not in f"{error.message} {error.detail}"


@pytest.mark.parametrize(
    ("code", "headers", "wait"),
    [
        (
            32,
            {
                "X-Business-Use-Case-Usage": json.dumps(
                    {
                        "104857600000001": [
                            {
                                "type": "pages",
                                "call_count": 100,
                                "total_cputime": 20,
                                "total_time": 30,
                                "estimated_time_to_regain_access": 5,
                            }
                        ]
                    }
                )
            },
            300.0,
        ),
        (
            4,
            {"X-App-Usage": '{"call_count":100,"total_cputime":9,"total_time":12}'},
            600.0,
        ),
        (17, {}, None),
        (
            613,
            {"X-App-Usage": '{"call_count":40,"total_cputime":9,"total_time":12}'},
            None,
        ),
    ],
)
def test_rate_limit_codes_are_transient_with_the_usage_headers_wait(
    graph_api: FakeGraph,
    account,
    code: int,
    headers: dict[str, str],
    wait: float | None,
) -> None:
    graph_api.fail(
        "POST",
        "/feed$",
        400,
        graph_error(code, "(#4) Rate limit reached").body,
        headers,
    )
    error = error_of(lambda: FacebookConnector().publish(request_for(account)))
    assert (error.kind, error.retry_after) == ("transient", wait)
    assert graph_api.fb_posts == []


def test_codes_1_and_2_and_a_bare_5xx_are_transient(
    graph_api: FakeGraph, account
) -> None:
    for code in (1, 2):
        graph_api.fail(
            "POST", "/feed$", 500, graph_error(code, "An unknown error occurred").body
        )
        assert error_of(
            lambda: FacebookConnector().publish(request_for(account))
        ).kind == ("transient")
    graph_api.fail("POST", "/feed$", 502, b"<html>Bad gateway</html>")
    assert error_of(lambda: FacebookConnector().publish(request_for(account))).kind == (
        "transient"
    )
    graph_api.fail(
        "POST", "/feed$", 403, graph_error(200, "(#200) Permissions error").body
    )
    error = error_of(lambda: FacebookConnector().publish(request_for(account)))
    assert error.kind == "permanent" and "permission" in error.message


def test_check_reads_the_page(graph_api: FakeGraph, account) -> None:
    found = FacebookConnector().check(account)
    assert (found.external_id, found.name, found.handle) == (
        graph_api.page_id,
        "Bean Shop",
        "beanshop",
    )


def test_end_to_end_through_the_publish_task(graph_api: FakeGraph, account) -> None:
    assert isinstance(get_connector("facebook"), FacebookConnector)
    publication = queued_publication(account, link="https://beans.example/x")
    assert delivery.publication_publish(publication.pk) == "published"
    publication.refresh_from_db()
    [post] = graph_api.fb_posts
    assert (publication.status, publication.external_id) == (PS.PUBLISHED, post.id)
    assert post.link == "https://beans.example/x"

    graph_api.tokens.clear()
    second = queued_publication(account, body="Another.")
    assert delivery.publication_publish(second.pk) == "failed"
    second.refresh_from_db()
    account.refresh_from_db()
    assert "reconnect" in second.error
    assert account.status == "needs_reconnect"
