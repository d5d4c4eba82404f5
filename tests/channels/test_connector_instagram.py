"""The Instagram connector against a local Graph API server
(tests/fakes/graph.py) that fetches each image from its public URL as
Instagram does: containers, carousels, polling, Instagram's rules and errors,
the container id recorded before publishing, and an ambiguous publish
resolved by lookup without a second post."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image

from networks import get_connector
from networks.base import MediaItem
from networks.instagram.connector import InstagramConnector, public_url
from publishing import delivery
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from tests.channels.connector_kit import error_of, jpeg, queued_publication, request_for
from tests.factories import ChannelAccountFactory
from tests.fakes.graph import FakeGraph, graph_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(graph_api: FakeGraph):
    return ChannelAccountFactory(
        network="instagram",
        external_id=graph_api.ig_user_id,
        credentials={"access_token": "page-token-1"},
    )


def media(name: str = "a.jpg", size: tuple[int, int] = (1080, 1350)) -> MediaItem:
    """A JPEG in the media storage (which the fake serves at SITE_URL)."""
    return jpeg(Path(settings.MEDIA_ROOT), name, size)


def test_one_image_container_polled_then_published(
    graph_api: FakeGraph, account
) -> None:
    graph_api.polls_until_finished = 2
    image = media()
    result = InstagramConnector().publish(request_for(account, media=(image,)))
    [container] = graph_api.containers.values()
    assert container.image_urls == [f"{graph_api.base_url}/media/a.jpg"]
    assert container.caption == "Fresh beans today."
    assert len(graph_api.calls("GET", f"/{container.id}$")) == 3  # 2x in progress
    [published] = graph_api.ig_media
    assert result.external_id == published.id
    assert result.url == published.permalink
    [publish] = graph_api.calls("POST", "/media_publish$")
    assert publish.form() == {"creation_id": container.id}


def test_a_carousel_is_child_containers_then_one_carousel(
    graph_api: FakeGraph,
    account,
) -> None:
    images = (
        media("1.jpg"),
        media("2.jpg", (1080, 1080)),
        media("3.jpg", (1910, 1000)),
    )
    InstagramConnector().publish(
        request_for(account, text="Three roasts.", media=images)
    )
    creations = [c.form() for c in graph_api.calls("POST", "/media$")]
    assert [c.get("is_carousel_item") for c in creations[:3]] == ["true"] * 3
    assert all("caption" not in c for c in creations[:3])
    assert creations[3]["media_type"] == "CAROUSEL"
    assert creations[3]["caption"] == "Three roasts."
    children = creations[3]["children"].split(",")
    assert [
        graph_api.containers[c].image_urls[0].rsplit("/", 1)[1] for c in children
    ] == [
        "1.jpg",
        "2.jpg",
        "3.jpg",
    ]
    assert len(graph_api.ig_media) == 1


def test_validate_agrees_with_what_instagram_refuses(
    graph_api: FakeGraph,
    account,
    tmp_path: Path,
) -> None:
    connector = InstagramConnector()
    wide = media("wide.jpg", (1000, 500))  # 2:1, wider than 1.91:1
    png_path = Path(settings.MEDIA_ROOT) / "p.png"
    Image.new("RGB", (1080, 1080)).save(png_path, "PNG")
    png = MediaItem(str(png_path), "image/png")
    outside = jpeg(tmp_path, "elsewhere.jpg", (1080, 1080))
    problems = connector.validate(
        request_for(account, text="#a " * 31, media=(wide, png, outside))
    )
    text = " ".join(problems)
    assert "aspect ratios" in text and "JPEG images only" in text
    assert "cannot fetch it" in text and "30 hashtags" in text
    assert connector.validate(request_for(account)) == [
        "An Instagram post needs at least one image."
    ]
    assert connector.validate(request_for(account, text="x" * 2201, media=(media(),)))
    # The server refuses the same images when sent anyway.
    for item, subcode in ((wide, 2207009), (png, 2207026)):
        error = error_of(
            lambda item=item: connector._container(
                graph_api.ig_user_id,
                "page-token-1",
                account,
                {"image_url": public_url(item), "caption": ""},
            )
        )
        assert error.kind == "permanent" and "refused the media" in error.message
        assert str(subcode) in error.detail
    # Edges that pass both: 4:5 and 1.91:1.
    edges = (media("portrait.jpg", (1080, 1350)), media("land.jpg", (1910, 1000)))
    assert connector.validate(request_for(account, media=edges)) == []
    connector.publish(request_for(account, media=edges))
    assert len(graph_api.ig_media) == 1


def test_an_unreachable_image_is_9004_permanent_with_the_reason(
    graph_api: FakeGraph,
    account,
) -> None:
    image = media()
    Path(image.path).rename(Path(image.path).with_name("moved.jpg"))
    error = error_of(
        lambda: InstagramConnector()._create(
            request_for(account, media=(image,)), graph_api.ig_user_id, "page-token-1"
        )
    )
    assert error.kind == "permanent"
    assert "could not be fetched" in error.message


def test_a_container_in_error_is_permanent(graph_api: FakeGraph, account) -> None:
    original = graph_api._container

    def broken(form):
        reply = original(form)
        graph_api.containers[reply.body["id"]].status = "ERROR"
        return reply

    graph_api._container = broken  # type: ignore[method-assign]
    error = error_of(
        lambda: InstagramConnector().publish(request_for(account, media=(media(),)))
    )
    assert error.kind == "permanent" and "could not prepare" in error.message
    assert graph_api.ig_media == []


def test_graph_errors_on_instagram(graph_api: FakeGraph, account) -> None:
    usage = {
        "17841400000000001": [
            {
                "type": "instagram",
                "call_count": 100,
                "estimated_time_to_regain_access": 2,
            }
        ]
    }
    graph_api.fail(
        "POST",
        "/media$",
        400,
        graph_error(4, "Application request limit reached").body,
        {"X-Business-Use-Case-Usage": json.dumps(usage)},
    )
    request = request_for(account, media=(media(),))
    error = error_of(lambda: InstagramConnector().publish(request))
    assert (error.kind, error.retry_after) == ("transient", 120.0)
    graph_api.tokens.clear()
    error = error_of(lambda: InstagramConnector().publish(request))
    assert (error.kind, error.reconnect) == ("permanent", True)


def test_check_reads_the_instagram_account(graph_api: FakeGraph, account) -> None:
    found = InstagramConnector().check(account)
    assert (found.external_id, found.handle) == (graph_api.ig_user_id, "@beanshop.ig")


def attach_image(
    publication: Publication, size: tuple[int, int] = (1080, 1350)
) -> None:
    """A chosen image on the publication's post, with its Instagram rendition,
    stored in the media storage as the content app stores it."""
    from content.models import Asset, PostImage, Rendition

    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 60, 30)).save(buffer, "JPEG")
    data = buffer.getvalue()
    asset = Asset.objects.create(
        workspace=publication.workspace,
        file=ContentFile(data, name="beans.jpg"),
        alt_text="A bag of beans",
        content_type="image/jpeg",
        byte_size=len(data),
    )
    Rendition.objects.create(
        asset=asset,
        format="portrait",
        network="instagram",
        width=size[0],
        height=size[1],
        content_type="image/jpeg",
        bytes=len(data),
        file=ContentFile(data, name="beans-portrait.jpg"),
    )
    PostImage.objects.create(post=publication.post, asset=asset, chosen=True)


def test_container_recorded_before_publish_and_a_lost_answer_resolved_by_lookup(
    graph_api: FakeGraph,
    account,
    settings,
) -> None:
    assert isinstance(get_connector("instagram"), InstagramConnector)
    settings.OUTBOUND_READ_TIMEOUT_SECONDS = 0.5
    publication = queued_publication(account, body="Autumn roast is here. #coffee")
    attach_image(publication)
    graph_api.lose_answer("POST", "/media_publish$")
    assert delivery.publication_publish(publication.pk) == "retry"
    publication.refresh_from_db()
    [container] = graph_api.containers.values()
    # Recorded before media_publish: the call whose answer was lost came after.
    assert publication.external_id == f"ig-container:{container.id}"
    assert (publication.status, publication.error_kind) == (PS.SCHEDULED, "ambiguous")
    [published] = graph_api.ig_media  # Instagram did publish it

    delivery.publication_move([publication.pk], to=PS.QUEUED, sources=[PS.SCHEDULED])
    assert delivery.publication_publish(publication.pk) == "published"
    publication.refresh_from_db()
    assert publication.external_id == published.id
    assert publication.url == published.permalink
    assert len(graph_api.ig_media) == 1
    assert len(graph_api.containers) == 1  # no second container
    assert len(graph_api.calls("POST", "/media_publish$")) == 1


def test_a_container_still_in_progress_is_reused_by_the_retry(
    graph_api: FakeGraph,
    account,
    settings,
) -> None:
    settings.INSTAGRAM_CONTAINER_WAIT_SECONDS = 0.05
    graph_api.polls_until_finished = 10_000
    publication = queued_publication(account)
    attach_image(publication)
    assert delivery.publication_publish(publication.pk) == "retry"
    publication.refresh_from_db()
    assert publication.error_kind == "transient"
    [container] = graph_api.containers.values()
    assert publication.external_id == f"ig-container:{container.id}"

    graph_api.polls_until_finished = 0
    delivery.publication_move([publication.pk], to=PS.QUEUED, sources=[PS.SCHEDULED])
    assert delivery.publication_publish(publication.pk) == "published"
    assert len(graph_api.containers) == 1
    [published] = graph_api.ig_media
    publication.refresh_from_db()
    assert publication.external_id == published.id
