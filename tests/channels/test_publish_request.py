"""What the connector is given: the chosen copy split into a thread where the
network threads, the post's topic as the title."""

from __future__ import annotations

import pytest

from campaigns.models import PostStatus
from networks import Capabilities
from publishing import delivery
from tests.factories import ConnectedAccountFactory, PostFactory

pytestmark = pytest.mark.django_db


class Threads:
    capabilities = Capabilities(threads=True, max_images=4)


class NoThreads:
    capabilities = Capabilities(threads=False, max_images=4)


def publication_with(text: str, network: str = "mastodon"):
    from content.models import Variant

    post = PostFactory(body="Body copy.", topic="Autumn roast launch")
    account = ConnectedAccountFactory(workspace=post.workspace, network=network)
    post.accounts.set([account])
    Variant.objects.create(
        workspace=post.workspace,
        post=post,
        network=network,
        label="A",
        text=text,
        status="chosen",
    )
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["status"])
    [pub] = delivery.publication_create_for_post(post)
    return pub


THREAD = "First part, the hook.\n---\nSecond part.\n  ---  \n\nThird part.\n---\n"


def test_a_variant_with_separators_is_a_thread_where_the_network_threads() -> None:
    request = delivery.build_request(publication_with(THREAD), connector=Threads())
    assert request.text == "First part, the hook."
    assert request.thread == ("Second part.", "Third part.")
    assert request.title == "Autumn roast launch"


def test_elsewhere_the_parts_are_joined_and_no_separator_is_sent() -> None:
    request = delivery.build_request(publication_with(THREAD), connector=NoThreads())
    assert request.text == "First part, the hook.\n\nSecond part.\n\nThird part."
    assert request.thread == ()
    assert "---" not in request.text


def test_dashes_inside_a_line_do_not_split() -> None:
    text = "Prices --- lower than ever.\n----\nStill one part."
    request = delivery.build_request(publication_with(text), connector=Threads())
    assert request.text == text
    assert request.thread == ()


def test_no_images_attached_means_no_media() -> None:
    request = delivery.build_request(publication_with("Hi."), connector=Threads())
    assert request.media == ()
