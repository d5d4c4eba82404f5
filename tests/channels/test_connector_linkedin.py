"""The LinkedIn connector against a local server speaking the Posts and Images
API subset it uses (tests/fakes/linkedin.py): versions, authors, images,
LinkedIn's errors, check, and the publish path end to end."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from networks import get_connector
from networks.linkedin.connector import LinkedInConnector
from publishing import delivery
from publishing.models import PublicationStatus as PS
from tests.channels.connector_kit import (
    error_of,
    jpeg,
    queued_publication,
    request_for,
)
from tests.factories import ChannelAccountFactory
from tests.fakes.linkedin import FakeLinkedIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(linkedin_api: FakeLinkedIn):
    return ChannelAccountFactory(
        network="linkedin",
        external_id=linkedin_api.member,
        credentials={"access_token": "li-token-1"},
    )


def test_a_member_post_with_headers_escapes_and_the_urn(
    linkedin_api: FakeLinkedIn,
    account,
) -> None:
    text = "New roast (limited) @ 12€ #coffee"
    result = LinkedInConnector().publish(
        request_for(account, text=text, link="https://beans.example/r")
    )
    [post] = linkedin_api.posts
    assert result.external_id == post.urn
    assert result.url == f"https://www.linkedin.com/feed/update/{post.urn}/"
    assert post.author == f"urn:li:person:{linkedin_api.member}"
    assert post.text == f"{text}\n\nhttps://beans.example/r"
    assert post.commentary.startswith(r"New roast \(limited\) \@ 12€ #coffee")
    [sent] = linkedin_api.calls("POST", "/rest/posts")
    assert sent.headers["linkedin-version"] == "202510"
    assert sent.headers["x-restli-protocol-version"] == "2.0.0"
    assert sent.headers["authorization"] == "Bearer li-token-1"
    assert sent.json()["lifecycleState"] == "PUBLISHED"


def test_an_organization_author_from_the_credentials(
    linkedin_api: FakeLinkedIn,
) -> None:
    account = ChannelAccountFactory(
        network="linkedin",
        credentials={
            "access_token": "li-token-1",
            "author": "urn:li:organization:2414183",
        },
    )
    LinkedInConnector().publish(request_for(account))
    assert linkedin_api.posts[0].author == "urn:li:organization:2414183"


def test_one_image_is_media_and_several_are_multi_image(
    linkedin_api: FakeLinkedIn,
    account,
    tmp_path: Path,
) -> None:
    one = jpeg(tmp_path, "one.jpg")
    LinkedInConnector().publish(request_for(account, text="One.", media=(one,)))
    content = linkedin_api.posts[0].content
    urn = content["media"]["id"]  # type: ignore[index]
    assert linkedin_api.images[urn] == Path(one.path).read_bytes()
    assert content["media"]["altText"] == "Alt one.jpg"  # type: ignore[index]
    [init] = linkedin_api.calls("POST", "/rest/images")
    assert init.json()["initializeUploadRequest"]["owner"] == (
        f"urn:li:person:{linkedin_api.member}"
    )

    three = tuple(jpeg(tmp_path, f"{n}.jpg") for n in range(3))
    LinkedInConnector().publish(request_for(account, text="Three.", media=three))
    images = linkedin_api.posts[1].content["multiImage"]["images"]  # type: ignore[index]
    assert [linkedin_api.images[i["id"]] for i in images] == [
        Path(m.path).read_bytes() for m in three
    ]


def test_validate_agrees_with_the_3000_character_limit(
    linkedin_api: FakeLinkedIn,
    account,
) -> None:
    connector = LinkedInConnector()
    fits = "(" * 3000  # escaped to 6,000 characters on the wire, 3,000 shown
    assert connector.validate(request_for(account, text=fits)) == []
    connector.publish(request_for(account, text=fits))
    over = "é" * 3001
    [problem] = connector.validate(request_for(account, text=over))
    assert "3,001 of 3,000" in problem
    assert (
        error_of(lambda: connector.publish(request_for(account, text=over))).kind
        == "permanent"
    )
    assert len(linkedin_api.posts) == 1


def test_422_duplicate_is_permanent_with_linkedin_reason(
    linkedin_api: FakeLinkedIn,
    account,
) -> None:
    LinkedInConnector().publish(request_for(account))
    error = error_of(lambda: LinkedInConnector().publish(request_for(account)))
    assert (error.kind, error.http_status) == ("permanent", 422)
    assert "duplicate" in error.message


def test_426_retired_version_names_the_setting(
    linkedin_api: FakeLinkedIn,
    account,
    settings,
) -> None:
    settings.LINKEDIN_API_VERSION = "202301"
    error = error_of(lambda: LinkedInConnector().publish(request_for(account)))
    assert (error.kind, error.http_status) == ("permanent", 426)
    assert "LINKEDIN_API_VERSION" in error.message and "202301" in error.message
    assert linkedin_api.posts == []


def test_401_reconnect_403_author_429_and_5xx(
    linkedin_api: FakeLinkedIn,
    account,
) -> None:
    linkedin_api.fail(
        "POST", "/rest/posts", 429, {"status": 429}, {"Retry-After": "42"}
    )
    error = error_of(lambda: LinkedInConnector().publish(request_for(account)))
    assert (error.kind, error.retry_after) == ("transient", 42.0)

    linkedin_api.fail("POST", "/rest/posts", 504, {"status": 504})
    assert error_of(lambda: LinkedInConnector().publish(request_for(account))).kind == (
        "transient"
    )

    account.credentials = {"access_token": "li-token-1", "author": "urn:li:person:zz"}
    error = error_of(lambda: LinkedInConnector().publish(request_for(account)))
    assert (error.kind, error.http_status, error.reconnect) == ("permanent", 403, False)

    account.credentials = {"access_token": "revoked"}
    error = error_of(lambda: LinkedInConnector().publish(request_for(account)))
    assert (error.kind, error.http_status, error.reconnect) == ("permanent", 401, True)
    account.token_expires_at = timezone.now() - timedelta(seconds=1)
    assert error_of(lambda: LinkedInConnector().publish(request_for(account))).kind == (
        "transient"
    )
    assert linkedin_api.posts == []


def test_check_reads_userinfo(linkedin_api: FakeLinkedIn, account) -> None:
    found = LinkedInConnector().check(account)
    assert (found.external_id, found.name) == (linkedin_api.member, "Ana Roaster")
    linkedin_api.tokens.clear()
    assert error_of(lambda: LinkedInConnector().check(account)).reconnect


def test_end_to_end_published_then_a_lost_answer_is_unconfirmed(
    linkedin_api: FakeLinkedIn,
    account,
    settings,
) -> None:
    assert isinstance(get_connector("linkedin"), LinkedInConnector)
    publication = queued_publication(account)
    assert delivery.publication_publish(publication.pk) == "published"
    publication.refresh_from_db()
    [post] = linkedin_api.posts
    assert (publication.status, publication.external_id) == (PS.PUBLISHED, post.urn)

    # No idempotency key, no lookup: a lost answer is left for a person.
    settings.OUTBOUND_READ_TIMEOUT_SECONDS = 0.5
    second = queued_publication(account, body="Winter blend is here.")
    linkedin_api.lose_answer("POST", "/rest/posts")
    assert delivery.publication_publish(second.pk) == "unconfirmed"
    second.refresh_from_db()
    assert second.status == PS.UNCONFIRMED
    assert len(linkedin_api.posts) == 2  # it did go out: a person resolves it
