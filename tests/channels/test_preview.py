"""`publishing.preview`: the approval card's text, link and images per network
agree with what the connectors send for the same request."""

from __future__ import annotations

from typing import Any

import pytest

from networks import PublishRequest, get_connector
from networks.facebook.connector import FacebookConnector
from networks.x.api import parts_of
from publishing.delivery import split_thread
from publishing.preview import CARD, FIELD, IN_TEXT, NOT_SENT, ImageOut, channel_out

LINK = "https://www.shop.example/spring"
THREAD = "First part.\n---\nSecond part.\n  ---  \nThird part."


def _image(n: int) -> ImageOut:
    return ImageOut(asset_id=n, thumb_url=f"/t/{n}", full_url=f"/f/{n}", alt_text="")


def _request(network: str, text: str, link: str = LINK) -> PublishRequest:
    """What `publishing.build_request` makes of the text for this network."""
    parts = split_thread(text)
    if get_connector(network).capabilities.threads:
        first, thread = parts[0], tuple(parts[1:])
    else:
        first, thread = "\n\n".join(parts), ()
    return PublishRequest(
        publication_id=1,
        post_id=1,
        account=None,
        text=first,
        link=link,
        scheduled_at=None,
        idempotency_key="k",
        thread=thread,
    )


def test_x_parts_are_the_connectors_parts():
    out = channel_out(network="x", text=THREAD, link=LINK)
    assert list(out.parts) == parts_of(_request("x", THREAD))
    assert out.parts[0] == f"First part.\n\n{LINK}"
    assert out.is_thread and out.link is not None and out.link.mode == IN_TEXT


@pytest.mark.parametrize("network", ["mastodon", "bluesky"])
def test_thread_networks_get_the_parts_and_no_separator(network: str):
    out = channel_out(network=network, text=THREAD)
    request = _request(network, THREAD, link="")
    assert list(out.parts) == [request.text, *request.thread]
    assert all("---" not in part for part in out.parts)


@pytest.mark.parametrize("network", ["linkedin", "facebook", "webhook", "email"])
def test_other_networks_get_one_text_with_the_parts_joined(network: str):
    out = channel_out(network=network, text=THREAD)
    assert out.parts == ("First part.\n\nSecond part.\n\nThird part.",)


def test_facebook_adds_the_link_only_when_images_go_out():
    connector: Any = FacebookConnector
    plain = channel_out(network="facebook", text="Hello", link=LINK)
    assert plain.parts == (connector._message(_request("facebook", "Hello")),)
    assert plain.link is not None and plain.link.mode == CARD
    with_image = channel_out(
        network="facebook", text="Hello", link=LINK, images=[_image(1)]
    )
    assert with_image.parts == (f"Hello\n\n{LINK}",)


def test_bluesky_makes_a_card_titled_with_the_topic_unless_images_go_out():
    card = channel_out(network="bluesky", text="Hi", link=LINK, title="Spring sale")
    assert card.parts == ("Hi",)
    assert card.link is not None
    assert (card.link.mode, card.link.title, card.link.domain) == (
        CARD,
        "Spring sale",
        "shop.example",
    )
    dropped = channel_out(network="bluesky", text="Hi", link=LINK, images=[_image(1)])
    assert dropped.link is not None and dropped.link.mode == NOT_SENT


def test_mastodon_sends_the_link_only_when_the_copy_has_it():
    assert channel_out(network="mastodon", text="Hi", link=LINK).link.mode == NOT_SENT  # type: ignore[union-attr]
    within = channel_out(network="mastodon", text=f"Hi {LINK}", link=LINK)
    assert within.parts == (f"Hi {LINK}",)
    assert within.link is not None and within.link.mode == IN_TEXT


def test_the_webhook_sends_the_link_as_a_field():
    out = channel_out(network="webhook", text="Hi", link=LINK)
    assert out.parts == ("Hi",)
    assert out.link is not None and out.link.mode == FIELD


def test_email_and_wordpress_carry_the_topic_as_subject_or_title():
    assert channel_out(network="email", text="Hi", title="News").title == "News"
    assert channel_out(network="wordpress", text="Hi", title="News").title == "News"
    assert channel_out(network="x", text="Hi", title="News").title == ""


def test_images_beyond_the_networks_maximum_are_left_out_and_said():
    images = [_image(n) for n in range(6)]
    out = channel_out(network="x", text="Hi", images=images)
    cap = get_connector("x").capabilities.max_images
    assert [i.asset_id for i in out.images] == list(range(cap))
    assert out.images_left_out == 6 - cap
    assert any("are not sent here" in note for note in out.notes)
    email = channel_out(network="email", text="Hi", images=images[:1])
    assert email.images == () and email.images_left_out == 1


def test_blog_terms_go_out_only_where_the_connector_takes_them():
    terms = {"tags": ["bikes", "spring"], "categories": ["Workshop"]}
    blog = channel_out(network="wordpress", text="Hi", title="News", terms=terms)
    assert (blog.tags, blog.categories) == (("bikes", "spring"), ("Workshop",))
    social = channel_out(network="mastodon", text="Hi", terms=terms)
    assert (social.tags, social.categories) == ((), ())


def test_instagram_without_an_image_is_said_to_need_one():
    bare = channel_out(network="instagram", text="Hi")
    assert "An Instagram post needs at least one image; this one has none." in (
        bare.notes
    )
    assert not channel_out(network="instagram", text="Hi", images=[_image(1)]).notes
