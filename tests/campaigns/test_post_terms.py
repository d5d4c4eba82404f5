"""A post's blog tags and categories (`campaigns.terms`): the defaults from the
copy's hashtags and the post's pillar, the limits, and editing them in the API
and the post editor with field messages for bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns.models import Post, PostStatus
from campaigns.terms import (
    MAX_NAME,
    MAX_TERMS,
    clean_terms,
    hashtags,
    parse_names,
    terms_for,
)
from connections.models import Network
from tests.factories import CampaignFactory, ChannelAccountFactory, PostFactory

URL = "/api/v1/posts/"


@pytest.fixture
def campaign(tenant):
    today = timezone.localdate()
    return CampaignFactory(
        workspace=tenant.workspace,
        channels=1,
        pillars=[("Behind the scenes", 2)],
        start_date=today,
        end_date=today + timedelta(days=30),
    )


def test_hashtags_are_the_copys_tags_in_order_without_repeats() -> None:
    text = (
        "New #SpringRoast is here! #coffee #Coffee #1 "
        "https://shop.example/#beans &#35;x word#not #café #spring-roast-."
    )
    assert hashtags(text) == ["SpringRoast", "coffee", "café", "spring-roast"]
    many = " ".join(f"#tag{i}" for i in range(MAX_TERMS + 5))
    assert len(hashtags(many)) == MAX_TERMS
    assert hashtags("#" + "a" * 300) == ["a" * MAX_NAME]


def test_clean_terms_strips_dedupes_and_refuses_bad_names() -> None:
    assert clean_terms(None, "tags") is None
    assert clean_terms([], "tags") == []
    assert clean_terms([" #Beans ", "beans", "new  roast"], "tags") == [
        "Beans",
        "new roast",
    ]
    # A category keeps a "#" (only tags are hashtags).
    assert clean_terms(["#1 picks"], "categories") == ["#1 picks"]
    for value, message in [
        (["ok", "  "], "A tag cannot be empty."),
        (["#"], "A tag cannot be empty."),
        (["x" * (MAX_NAME + 1)], f"longer than {MAX_NAME} characters"),
        ([f"t{i}" for i in range(MAX_TERMS + 1)], f"{MAX_TERMS} tags at most"),
        ("beans", "as a list of names"),
        ([3], "is a name"),
    ]:
        with pytest.raises(ValidationError) as caught:
            clean_terms(value, "tags")
        assert message in " ".join(caught.value.message_dict["tags"])
    with pytest.raises(ValidationError) as caught:
        clean_terms([""], "categories")
    assert caught.value.message_dict == {"categories": ["A category cannot be empty."]}


def test_parse_names_reads_a_forms_commas() -> None:
    assert parse_names("  ") is None
    assert parse_names("beans, , new roast,") == ["beans", "new roast"]


def test_defaults_follow_the_copy_and_the_pillar(campaign) -> None:
    pillar = campaign.pillars.get()
    post = PostFactory(campaign=campaign, pillar=pillar, body="Hi #roast")
    assert terms_for(post, "Fresh #beans and #roast") == {
        "tags": ["beans", "roast"],
        "categories": ["Behind the scenes"],
    }
    post.tags, post.categories = ["Chosen"], []
    assert terms_for(post, "Fresh #beans") == {"tags": ["Chosen"], "categories": []}
    post.pillar = None
    post.categories = None
    assert terms_for(post, "")["categories"] == []


def test_api_sets_reads_and_resets_the_terms(tenant, campaign, user_client):
    client = user_client(tenant.editor)
    created = client.post(
        URL,
        {"campaign": campaign.pk, "topic": "Roast day", "tags": ["#Beans", "beans"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["tags"], body["categories"]) == (["Beans"], None)
    post_url = f"{URL}{body['id']}/"
    changed = client.patch(
        post_url, {"categories": ["Shop news"], "tags": None}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["tags"], changed.json()["categories"]) == (
        None,
        ["Shop news"],
    )
    post = Post.objects.get(pk=body["id"])
    assert (post.tags, post.categories) == (None, ["Shop news"])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["fine", " "], "A tag cannot be empty."),
        (["x" * (MAX_NAME + 1)], f"longer than {MAX_NAME} characters"),
        ([f"t{i}" for i in range(MAX_TERMS + 1)], f"{MAX_TERMS} tags at most"),
        ("beans", "list"),
    ],
)
def test_api_refuses_bad_tags_with_field_messages(
    tenant, campaign, user_client, value, message
):
    post = PostFactory(campaign=campaign)
    answer = user_client(tenant.editor).patch(
        f"{URL}{post.pk}/", {"tags": value}, format="json"
    )
    assert answer.status_code == 400, answer.content
    fields = answer.json()["error"]["fields"]
    assert any(
        message in m for k, v in fields.items() for m in v if k.startswith("tags")
    )
    post.refresh_from_db()
    assert post.tags is None


def test_changing_the_terms_of_an_approved_post_sends_it_back(
    tenant, campaign, user_client
):
    post = PostFactory(campaign=campaign, status=PostStatus.APPROVED)
    answer = user_client(tenant.editor).patch(
        f"{URL}{post.pk}/", {"categories": ["Shop news"]}, format="json"
    )
    assert answer.status_code == 200, answer.content
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_a_client_may_not_set_terms(tenant, campaign, user_client):
    post = PostFactory(campaign=campaign)
    answer = user_client(tenant.client).patch(
        f"{URL}{post.pk}/", {"tags": ["x"]}, format="json"
    )
    assert answer.status_code == 403
    post.refresh_from_db()
    assert post.tags is None


def test_the_editor_shows_the_defaults_and_saves_the_terms(tenant, campaign, web):
    ChannelAccountFactory(workspace=tenant.workspace, network=Network.WORDPRESS)
    pillar = campaign.pillars.get()
    post = PostFactory(campaign=campaign, pillar=pillar, body="Out now #SpringRoast")
    client = web(tenant.editor, tenant.workspace)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert 'placeholder="Default: SpringRoast"' in page
    assert 'placeholder="Default: Behind the scenes"' in page
    form = {
        "topic": post.topic,
        "body": post.body,
        "pillar": pillar.pk,
        "tags": "#beans, new roast,",
        "categories": "",
    }
    answer = client.post(f"/posts/{post.pk}/", form)
    assert answer.status_code == 302, answer.content.decode()[-2000:]
    post.refresh_from_db()
    assert (post.tags, post.categories) == (["beans", "new roast"], None)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert 'value="beans, new roast"' in page

    bad = client.post(f"/posts/{post.pk}/", {**form, "tags": "x" * (MAX_NAME + 1)})
    assert bad.status_code == 400
    assert f"longer than {MAX_NAME} characters" in bad.content.decode()
    post.refresh_from_db()
    assert post.tags == ["beans", "new roast"]


def test_the_editor_offers_blog_terms_only_where_a_blog_can_take_them(
    tenant, campaign, web
):
    post = PostFactory(campaign=campaign, body="#beans")
    client = web(tenant.editor, tenant.workspace)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert "data-blog-terms" not in page and "Blog tags" not in page
    saved = client.post(f"/posts/{post.pk}/", {"topic": "Renamed"})
    assert saved.status_code == 302, saved.content.decode()[-2000:]
    post.refresh_from_db()
    assert (post.topic, post.tags, post.categories) == ("Renamed", None, None)
    # Terms set through the API stay visible (and editable) in the editor.
    Post.objects.filter(pk=post.pk).update(tags=["From the API"])
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert 'value="From the API"' in page
