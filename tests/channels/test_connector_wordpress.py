"""The WordPress connector against a real WordPress (Debian's package, MariaDB,
`php -S`; tests/peers/wordpress.py): posts with a featured image and tags,
draft or publish, refused credentials and roles, and a retry that finds the
post an earlier try made instead of making a second one."""

from __future__ import annotations

import base64
import io
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.utils import timezone
from PIL import Image

from campaigns.models import PostStatus
from connections.models import Network
from networks import ConnectorError, PublishRequest, get_connector
from networks.base import MediaItem
from networks.wordpress.connector import WordPressConnector
from publishing import delivery
from publishing.models import PublicationStatus as PS
from tests.factories import ChannelAccountFactory, PostFactory
from tests.peers.wordpress import WordPress

pytestmark = pytest.mark.django_db


@pytest.fixture
def wp(wordpress: WordPress, settings) -> WordPress:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    return wordpress


def account(wp: WordPress, **over: object):
    credentials = {
        "site_url": wp.url,
        "username": wp.admin,
        "app_password": wp.admin_password,
        **over,
    }
    return ChannelAccountFactory(network=Network.WORDPRESS, credentials=credentials)


def request(acct, key: str, **over: object) -> PublishRequest:
    fields: dict[str, object] = {
        "publication_id": 1,
        "post_id": 1,
        "account": acct,
        "text": "Fresh beans today.\n\nRoasted on Monday, at the shop all week.",
        "link": "https://beans.example/fresh",
        "scheduled_at": None,
        "idempotency_key": key,
        "title": "Fresh beans this week",
        **over,
    }
    return PublishRequest(**fields)  # type: ignore[arg-type]


def read(wp: WordPress, route: str, **params: object) -> object:
    token = base64.b64encode(f"{wp.admin}:{wp.admin_password}".encode()).decode()
    answer = httpx.get(
        wp.url,
        params={"rest_route": f"/wp/v2/{route}", "context": "edit", **params},
        headers={"Authorization": f"Basic {token}"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def png(tmp_path: Path) -> Path:
    path = tmp_path / "beans.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 70, 30)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_the_registry_serves_the_wordpress_connector() -> None:
    assert isinstance(get_connector("wordpress"), WordPressConnector)


def test_a_post_with_a_featured_image_and_tags(wp: WordPress, tmp_path: Path) -> None:
    acct = account(wp)
    image = MediaItem(str(png(tmp_path)), "image/png", alt_text="A bag of beans")
    req = request(
        acct, "adloop-featured1", media=(image,), extra={"tags": ["Beans", "new roast"]}
    )
    result = WordPressConnector().publish(req)

    post = read(wp, f"posts/{result.external_id}")
    assert isinstance(post, dict)
    assert post["status"] == "publish" and post["slug"] == "adloop-featured1"
    assert post["title"]["raw"] == "Fresh beans this week"
    assert "Roasted on Monday" in post["content"]["raw"]
    assert '<a href="https://beans.example/fresh">' in post["content"]["raw"]
    assert result.url == post["link"]
    tags = {t["id"]: t["name"] for t in read(wp, "tags", per_page=100)}  # type: ignore[union-attr]
    assert sorted(tags[t] for t in post["tags"]) == ["Beans", "new roast"]
    media = read(wp, f"media/{post['featured_media']}")
    assert media["alt_text"] == "A bag of beans"  # type: ignore[index]
    assert media["mime_type"] == "image/png"  # type: ignore[index]

    # The tags exist now: a second post reuses them instead of failing.
    again = WordPressConnector().publish(
        request(acct, "adloop-featured2", extra={"tags": ["beans"]})
    )
    assert read(wp, f"posts/{again.external_id}")["tags"] == [  # type: ignore[index]
        next(i for i, n in tags.items() if n == "Beans")
    ]


def test_draft_or_publish_per_account(wp: WordPress) -> None:
    draft = WordPressConnector().publish(
        request(account(wp, status="draft"), "adloop-d1")
    )
    assert read(wp, f"posts/{draft.external_id}")["status"] == "draft"  # type: ignore[index]
    live = WordPressConnector().publish(request(account(wp), "adloop-p1"))
    assert read(wp, f"posts/{live.external_id}")["status"] == "publish"  # type: ignore[index]


def test_a_retry_with_the_same_key_finds_the_post_instead_of_a_second(
    wp: WordPress,
) -> None:
    acct = account(wp, status="draft")
    connector = WordPressConnector()
    assert connector.lookup(request(acct, "adloop-retry1")) is None
    first = connector.publish(request(acct, "adloop-retry1"))
    found = connector.lookup(request(acct, "adloop-retry1"))
    assert found is not None and found.external_id == first.external_id
    second = connector.publish(request(acct, "adloop-retry1"))
    assert second.external_id == first.external_id
    posts = read(wp, "posts", slug="adloop-retry1", status="any")
    assert len(posts) == 1  # type: ignore[arg-type]


def test_a_wrong_application_password_asks_to_reconnect(wp: WordPress) -> None:
    acct = account(wp, app_password="abcd efgh ijkl mnop qrst uvwx")
    for call in (
        lambda: WordPressConnector().check(acct),
        lambda: WordPressConnector().publish(request(acct, "adloop-bad1")),
    ):
        with pytest.raises(ConnectorError) as caught:
            call()
        assert caught.value.kind == "permanent" and caught.value.reconnect
        assert caught.value.http_status == 401
        assert "abcd efgh" not in caught.value.detail


def test_a_role_without_rights_is_permanent_without_reconnect(wp: WordPress) -> None:
    acct = account(wp, username=wp.author, app_password=wp.author_password)
    assert WordPressConnector().check(acct).detail["roles"] == ["subscriber"]
    with pytest.raises(ConnectorError) as caught:
        WordPressConnector().publish(request(acct, "adloop-role1"))
    assert (caught.value.kind, caught.value.http_status) == ("permanent", 403)
    assert not caught.value.reconnect
    assert "role" in caught.value.message


def test_an_invalid_parameter_is_permanent_and_named(wp: WordPress) -> None:
    acct = account(wp, categories=["Uncategorized"])
    ok = WordPressConnector().publish(request(acct, "adloop-cat1"))
    assert len(read(wp, f"posts/{ok.external_id}")["categories"]) == 1  # type: ignore[index]
    with pytest.raises(ConnectorError) as caught:
        WordPressConnector().publish(
            request(account(wp, categories=["No such shelf"]), "adloop-cat2")
        )
    assert "No such shelf" in caught.value.message
    # WordPress's own 400 rest_invalid_param, e.g. a featured image that is not one.
    site_call = WordPressConnector()
    from networks.wordpress.connector import _Site

    with pytest.raises(ConnectorError) as caught:
        _Site(acct).call("POST", "posts", body={"title": "x", "status": "nonsense"})
    assert caught.value.http_status == 400 and "status" in caught.value.message
    assert site_call.validate(request(account(wp, status="later"), "k")) != []


def test_check_names_the_user(wp: WordPress) -> None:
    found = WordPressConnector().check(account(wp))
    assert found.handle == "admin" and "administrator" in found.detail["roles"]
    assert int(found.external_id) > 0


def test_end_to_end_through_the_publish_service(wp: WordPress) -> None:
    acct = account(wp)
    post = PostFactory(
        campaign__workspace=acct.workspace,
        topic="Beans of the week",
        body="Our new roast is here.",
        link="https://beans.example/roast",
    )
    post.accounts.set([acct])
    post.scheduled_at = timezone.now() - timedelta(seconds=1)
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["scheduled_at", "status"])
    [publication] = delivery.publication_create_for_post(post)
    delivery.publication_move([publication.pk], to=PS.QUEUED, sources=[PS.SCHEDULED])

    assert delivery.publication_publish(publication.pk, task_id="t-wp") == "published"
    publication.refresh_from_db()
    created = read(wp, f"posts/{publication.external_id}")
    assert created["slug"] == publication.idempotency_key  # type: ignore[index]
    assert created["title"]["raw"] == "Beans of the week"  # type: ignore[index]
    assert publication.url == created["link"]  # type: ignore[index]


def test_the_posts_tags_and_categories_are_found_or_made(wp: WordPress) -> None:
    acct = account(wp)
    extra = {
        "categories": ["Roastery & Shop", "Uncategorized"],
        "tags": ["Beans & Co", "Beans & co"],
    }
    first = WordPressConnector().publish(request(acct, "adloop-terms1", extra=extra))
    post = read(wp, f"posts/{first.external_id}")
    categories = {c["id"]: c["name"] for c in read(wp, "categories", per_page=100)}  # type: ignore[union-attr]
    names = sorted(categories[c] for c in post["categories"])  # type: ignore[index]
    # WordPress answers names HTML-escaped; they are compared unescaped.
    assert [n.replace("&amp;", "&") for n in names] == [
        "Roastery & Shop",
        "Uncategorized",
    ]
    assert len(post["tags"]) == 1  # type: ignore[index]
    # The second post reuses the terms instead of making "Roastery & Shop 2".
    again = WordPressConnector().publish(request(acct, "adloop-terms2", extra=extra))
    assert read(wp, f"posts/{again.external_id}")["categories"] == post["categories"]  # type: ignore[index]
    assert len(read(wp, "categories", per_page=100)) == len(categories)  # type: ignore[arg-type]


def test_a_term_the_user_may_not_make_is_permanent_and_named(wp: WordPress) -> None:
    from networks.wordpress.connector import _Site

    acct = account(wp, username=wp.author, app_password=wp.author_password)
    with pytest.raises(ConnectorError) as caught:
        WordPressConnector()._term(_Site(acct), "categories", "Brand new", create=True)
    assert caught.value.kind == "permanent" and not caught.value.reconnect
    assert '"Brand new"' in caught.value.message
    assert "may not create it" in caught.value.message
    # An existing term is found without the right to make one.
    found = WordPressConnector()._term(
        _Site(acct), "categories", "uncategorized", create=True
    )
    assert found == read(wp, "categories", search="Uncategorized")[0]["id"]  # type: ignore[index]


def test_the_post_carries_its_pillar_and_hashtags_to_wordpress(wp: WordPress) -> None:
    acct = account(wp)
    post = PostFactory(
        campaign__workspace=acct.workspace,
        topic="Roast day",
        body="Our new roast is here. #SpringRoast #beans",
        pillar=None,
    )
    pillar = post.campaign.pillars.create(name="Behind the scenes", weight=1)
    post.pillar = pillar
    post.accounts.set([acct])
    post.scheduled_at = timezone.now() - timedelta(seconds=1)
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["pillar", "scheduled_at", "status"])
    [publication] = delivery.publication_create_for_post(post)
    built = delivery.build_request(publication, connector=WordPressConnector())
    assert built.extra == {
        "tags": ["SpringRoast", "beans"],
        "categories": ["Behind the scenes"],
    }
    delivery.publication_move([publication.pk], to=PS.QUEUED, sources=[PS.SCHEDULED])
    assert delivery.publication_publish(publication.pk, task_id="t-wp2") == "published"
    publication.refresh_from_db()
    created = read(wp, f"posts/{publication.external_id}")
    tags = {t["id"]: t["name"] for t in read(wp, "tags", per_page=100)}  # type: ignore[union-attr]
    # "beans" may reuse an earlier test's "Beans": names match case-insensitively.
    sent = sorted(tags[t].casefold() for t in created["tags"])  # type: ignore[index]
    assert sent == ["beans", "springroast"]
    [category] = created["categories"]  # type: ignore[index]
    assert read(wp, f"categories/{category}")["name"] == "Behind the scenes"  # type: ignore[index]


def test_chosen_terms_replace_the_defaults_and_other_networks_get_none() -> None:
    from networks.webhook.connector import WebhookConnector

    acct = ChannelAccountFactory(
        network=Network.WORDPRESS,
        credentials={"site_url": "https://blog.example", "username": "u"}
        | {"app_password": "p"},
    )
    post = PostFactory(
        campaign__workspace=acct.workspace,
        body="#ignored",
        tags=["Chosen"],
        categories=[],
        status=PostStatus.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(hours=1),
    )
    post.accounts.set([acct])
    [publication] = delivery.publication_create_for_post(post)
    built = delivery.build_request(publication, connector=WordPressConnector())
    assert built.extra == {"tags": ["Chosen"], "categories": []}
    assert delivery.build_request(publication, connector=WebhookConnector()).extra == {}
