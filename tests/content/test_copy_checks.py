"""Channel limits before anything is sent: a variant over a limit cannot be
chosen, a post whose copy (the chosen variant, else its body) or images break a
channel's limit cannot be submitted, approved, scheduled or retried, for every
role; per account where the account sets its own limit (a Mastodon instance).
Services, the API and the variants panel."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from campaigns import lifecycle
from campaigns.models import Post, PostStatus
from connections.models import ChannelAccount
from content import services
from content.models import Asset, PostImage, Rendition, Variant, VariantStatus
from content.services.copy_checks import limit_problems, post_copy_findings
from core.errors import ConflictError
from tests.factories import ChannelAccountFactory, PostFactory

pytestmark = pytest.mark.django_db

BLUESKY_301 = "a" * 301
TOO_LONG_BLUESKY = "Too long for Bluesky: 301 of 300 graphemes (1 over)."
HX = {"HTTP_HX_REQUEST": "true"}


def _post(tenant: Any, *accounts: ChannelAccount, **fields: Any) -> Post:
    return PostFactory(
        campaign__workspace=tenant.workspace, accounts=list(accounts), **fields
    )


def _account(tenant: Any, network: str, **fields: Any) -> ChannelAccount:
    """A connected account (a planning-only one is never scheduled to)."""
    fields.setdefault("credentials", {"access_token": "test-token"})
    return ChannelAccountFactory(workspace=tenant.workspace, network=network, **fields)


def _variant(post: Post, network: str, text: str, **fields: Any) -> Variant:
    label = chr(ord("A") + Variant.objects.filter(post=post, network=network).count())
    return Variant.objects.create(
        workspace=post.workspace,
        post=post,
        network=network,
        label=label,
        text=text,
        **fields,
    )


def _future() -> Any:
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(days=2)


def _image(post: Post, size: int, *, network: str = "", position: int = 0) -> None:
    asset = Asset.objects.create(
        workspace=post.workspace,
        file=f"assets/test-{post.pk}-{position}.png",
        width=100,
        height=100,
        byte_size=size,
        content_type="image/png",
        checksum=f"{post.pk}-{position}",
    )
    if network:
        Rendition.objects.create(
            asset=asset,
            format="landscape",
            network=network,
            width=100,
            height=52,
            content_type="image/jpeg",
            bytes=size,
            file=f"renditions/test-{post.pk}-{position}.jpg",
        )
    PostImage.objects.create(post=post, asset=asset, chosen=True, position=position)


# --- choosing ---------------------------------------------------------------------


def test_a_variant_over_the_limit_cannot_be_chosen(tenant):
    post = _post(tenant, _account(tenant, "bluesky"))
    over = _variant(post, "bluesky", BLUESKY_301)
    with pytest.raises(ValidationError) as caught:
        services.variant_choose(variant=over, by=tenant.editor)
    assert caught.value.message_dict == {"text": [TOO_LONG_BLUESKY]}
    over.refresh_from_db()
    assert over.status == VariantStatus.PROPOSED
    fits = _variant(post, "bluesky", "a" * 300)
    services.variant_choose(variant=fits, by=tenant.editor)
    fits.refresh_from_db()
    assert fits.status == VariantStatus.CHOSEN


def test_x_5000_chars_cannot_be_chosen(tenant):
    post = _post(tenant, _account(tenant, "x"))
    over = _variant(post, "x", "x" * 5000)
    with pytest.raises(ValidationError) as caught:
        services.variant_choose(variant=over, by=tenant.editor)
    assert "5,000 of 280 weighted chars" in caught.value.messages[0]


def test_the_accounts_own_limit_decides_per_account(tenant):
    """A Mastodon instance of 300 characters refuses what the default 500 takes;
    one of 5,000 takes what the default refuses; the strictest account wins."""
    small = _account(tenant, "mastodon", name="Small", limits={"max_length": 300})
    large = _account(tenant, "mastodon", name="Large", limits={"max_length": 5000})
    on_large = _post(tenant, large)
    long_one = _variant(on_large, "mastodon", "a" * 1200)
    services.variant_choose(variant=long_one, by=tenant.editor)
    both = _post(tenant, small, large)
    mid = _variant(both, "mastodon", "a" * 450)
    with pytest.raises(ValidationError) as caught:
        services.variant_choose(variant=mid, by=tenant.editor)
    assert caught.value.messages == [
        "Too long for Mastodon (Small): 450 of 300 graphemes (150 over)."
    ]
    default = _post(tenant, _account(tenant, "mastodon", name="Default"))
    services.variant_choose(
        variant=_variant(default, "mastodon", "a" * 450), by=tenant.editor
    )


def test_a_thread_is_measured_part_by_part(tenant):
    post = _post(tenant, _account(tenant, "x"))
    fits = _variant(post, "x", f"{'a' * 250}\n---\n{'b' * 250}")
    services.variant_choose(variant=fits, by=tenant.editor)
    over = _variant(post, "x", f"{'a' * 250}\n---\n{'b' * 281}")
    with pytest.raises(ValidationError) as caught:
        services.variant_choose(variant=over, by=tenant.editor)
    assert caught.value.messages[0].startswith(
        "Part 2 of the thread is too long for X: 281 of 280"
    )


# --- moving toward publishing ---------------------------------------------------------


def _over_limit_post(tenant: Any, **fields: Any) -> tuple[Post, Variant]:
    """A post whose chosen Bluesky copy was edited past the limit after it was
    chosen (an edit is allowed: the person fixes it step by step)."""
    post = _post(tenant, _account(tenant, "bluesky"), **fields)
    variant = _variant(post, "bluesky", "a" * 300)
    services.variant_choose(variant=variant, by=tenant.editor)
    services.variant_update_text(variant=variant, by=tenant.editor, text=BLUESKY_301)
    return post, variant


def _refused(post: Post, action: str, by: Any) -> ConflictError:
    with pytest.raises(ConflictError) as caught:
        lifecycle.transition(post, action, by=by)
    assert caught.value.code == "copy_over_limit"
    return caught.value


def test_over_limit_copy_cannot_be_submitted(tenant):
    post, _ = _over_limit_post(tenant)
    error = _refused(post, "submit", tenant.editor)
    assert str(error) == (
        "This post cannot be submitted for review until it fits every channel: "
        f"Variant A: {TOO_LONG_BLUESKY}"
    )
    assert error.extra["problems"] == [f"Variant A: {TOO_LONG_BLUESKY}"]
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT


def test_over_limit_copy_cannot_be_approved_even_by_the_owner(tenant):
    post, variant = _over_limit_post(tenant)
    Variant.objects.filter(pk=variant.pk).update(text="a" * 10)
    lifecycle.transition(post, "submit", by=tenant.editor)
    Variant.objects.filter(pk=variant.pk).update(text=BLUESKY_301)
    for who in (tenant.reviewer, tenant.owner):
        error = _refused(post, "approve", who)
        assert "cannot be approved" in str(error) and TOO_LONG_BLUESKY in str(error)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_over_limit_copy_cannot_be_scheduled_or_retried(tenant):
    post, _ = _over_limit_post(tenant, scheduled_at=_future())
    Post.objects.filter(pk=post.pk).update(status=PostStatus.APPROVED)
    post.refresh_from_db()
    assert "cannot be scheduled" in str(_refused(post, "schedule", tenant.editor))
    Post.objects.filter(pk=post.pk).update(status=PostStatus.FAILED)
    post.refresh_from_db()
    assert "cannot be retried" in str(_refused(post, "retry", tenant.editor))


def test_without_approval_a_draft_over_the_limit_cannot_be_scheduled(tenant):
    tenant.workspace.approval_required = False
    tenant.workspace.save()
    post, _ = _over_limit_post(tenant, scheduled_at=_future())
    post.refresh_from_db()
    _refused(post, "schedule", tenant.editor)


def test_copy_within_the_limits_goes_all_the_way(tenant):
    post = _post(tenant, _account(tenant, "bluesky"), scheduled_at=_future())
    variant = _variant(post, "bluesky", "a" * 300)
    services.variant_choose(variant=variant, by=tenant.editor)
    assert limit_problems(post) == []
    lifecycle.transition(post, "submit", by=tenant.editor)
    lifecycle.transition(post, "approve", by=tenant.reviewer)
    lifecycle.transition(post, "schedule", by=tenant.editor)
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED


def test_without_a_chosen_variant_the_post_body_is_measured(tenant):
    post = _post(tenant, _account(tenant, "x"), body="b" * 300)
    error = _refused(post, "submit", tenant.editor)
    assert "The post text: Too long for X: 300 of 280 weighted chars" in str(error)
    # The topic goes out when the body is empty (and fits).
    Post.objects.filter(pk=post.pk).update(body="")
    post.refresh_from_db()
    lifecycle.transition(post, "submit", by=tenant.editor)


def test_one_channel_over_names_that_channel_only(tenant):
    post = _post(
        tenant,
        _account(tenant, "x"),
        _account(tenant, "linkedin"),
        body="b" * 300,
    )
    (problem,) = limit_problems(post)
    assert "Too long for X" in problem
    x, linkedin = sorted(post_copy_findings(post), key=lambda c: c.network != "x")
    assert x.blocking and not linkedin.findings


def test_image_count_and_size_block_the_moves(tenant, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    post = _post(tenant, _account(tenant, "bluesky"), body="Short.")
    for position in range(5):
        _image(post, 500_000, network="bluesky", position=position)
    error = _refused(post, "submit", tenant.editor)
    assert "Too many images for Bluesky: 5 of 4 images (1 over)." in str(error)
    PostImage.objects.filter(post=post, position=4).delete()
    assert limit_problems(post) == []
    # The file that goes out is the network's rendition, else the original.
    Rendition.objects.filter(asset__usages__post=post, network="bluesky").update(
        bytes=1_200_000
    )
    assert limit_problems(post)[0].startswith("Image 1 is too large for Bluesky")
    Rendition.objects.filter(asset__usages__post=post).delete()
    Asset.objects.filter(usages__post=post).update(byte_size=900_000)
    assert limit_problems(post) == []


def test_an_email_subject_past_the_preview_is_shown_but_does_not_block(tenant):
    post = _post(tenant, _account(tenant, "email"), body="S" * 90 + "\n\nBody.")
    (channel,) = post_copy_findings(post)
    (finding,) = channel.findings
    assert finding.code == "too_long" and not finding.blocking
    lifecycle.transition(post, "submit", by=tenant.editor)


def test_the_findings_list_the_gate_too_per_account(tenant):
    one = _account(tenant, "mastodon", name="One", limits={"max_length": 100})
    two = _account(tenant, "mastodon", name="Two")
    post = _post(tenant, one, two)
    variant = _variant(
        post,
        "mastodon",
        "a" * 150,
        status=VariantStatus.CHOSEN,
        gate_passed=False,
        gate={"reasons": [{"code": "dont_word", "message": "Contains 'cheap'."}]},
    )
    first, second = post_copy_findings(post)
    assert (first.account, first.variant, first.source) == (one, variant, "Variant A")
    assert [f.kind for f in first.findings] == ["limit", "gate"]
    assert first.findings[0].message.startswith("Too long for Mastodon (One)")
    assert [f.message for f in second.findings] == ["Contains 'cheap'."]
    assert not second.blocking


# --- the API ------------------------------------------------------------------------


def test_api_choose_over_the_limit_is_400_with_the_field_message(tenant, user_client):
    post = _post(tenant, _account(tenant, "bluesky"))
    over = _variant(post, "bluesky", BLUESKY_301)
    response = user_client(tenant.editor).post(f"/api/v1/variants/{over.pk}/choose/")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {"text": [TOO_LONG_BLUESKY]}
    fits = _variant(post, "bluesky", "Fits.")
    response = user_client(tenant.editor).post(f"/api/v1/variants/{fits.pk}/choose/")
    assert response.status_code == 200 and response.json()["status"] == "chosen"


def test_api_choose_keeps_roles_and_tenants_apart(tenant, other_tenant, user_client):
    post = _post(tenant, _account(tenant, "bluesky"))
    over = _variant(post, "bluesky", BLUESKY_301)
    url = f"/api/v1/variants/{over.pk}/choose/"
    assert user_client(tenant.reviewer).post(url).status_code == 403
    assert user_client(other_tenant.owner).post(url).status_code == 404


def test_api_moves_answer_409_with_the_problems(tenant, user_client, key_client):
    post, variant = _over_limit_post(tenant, scheduled_at=_future())
    response = user_client(tenant.editor).post(f"/api/v1/posts/{post.pk}/submit/")
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "copy_over_limit"
    assert error["problems"] == [f"Variant A: {TOO_LONG_BLUESKY}"]
    assert TOO_LONG_BLUESKY in error["message"]
    # An API key is held to the same rule.
    key = key_client(tenant.workspace)
    assert key.post(f"/api/v1/posts/{post.pk}/submit/").status_code == 409
    # Fixed: it goes through.
    services.variant_update_text(variant=variant, by=tenant.editor, text="Fits.")
    response = user_client(tenant.editor).post(f"/api/v1/posts/{post.pk}/submit/")
    assert response.status_code == 200, response.content
    Variant.objects.filter(pk=variant.pk).update(text=BLUESKY_301)
    response = user_client(tenant.reviewer).post(f"/api/v1/posts/{post.pk}/approve/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "copy_over_limit"
    Variant.objects.filter(pk=variant.pk).update(text="Fits.")
    assert (
        user_client(tenant.reviewer)
        .post(f"/api/v1/posts/{post.pk}/approve/")
        .status_code
        == 200
    )
    Variant.objects.filter(pk=variant.pk).update(text=BLUESKY_301)
    response = user_client(tenant.editor).post(f"/api/v1/posts/{post.pk}/schedule/")
    assert response.status_code == 409
    assert TOO_LONG_BLUESKY in response.json()["error"]["message"]


# --- the variants panel and the post page -------------------------------------------


@pytest.mark.usefixtures("static_files")
def test_the_panel_lists_the_limit_and_disables_choose(client, tenant):
    post = _post(tenant, _account(tenant, "bluesky"))
    over = _variant(
        post,
        "bluesky",
        BLUESKY_301,
        gate_passed=False,
        gate={"reasons": [{"code": "dont_word", "message": "Contains 'cheap'."}]},
    )
    client.force_login(tenant.editor)
    page = client.get(reverse("variants-panel", args=[post.pk])).content.decode()
    card = page[page.index(f'id="variant-{over.pk}"') :]
    assert "Does not fit Bluesky and fails the brand-safety check" in card
    assert TOO_LONG_BLUESKY in card and "Contains &#x27;cheap&#x27;." in card
    assert "Passes the brand-safety check" not in card
    assert f'disabled aria-describedby="choose-why-{over.pk}"' in card
    assert f"Cannot be chosen until it fits: {TOO_LONG_BLUESKY}" in card
    # The gate alone passing is not enough for the green badge.
    Variant.objects.filter(pk=over.pk).update(gate_passed=True, gate={})
    page = client.get(reverse("variants-panel", args=[post.pk])).content.decode()
    assert "Passes the brand-safety check" not in page
    assert "Does not fit Bluesky" in page


@pytest.mark.usefixtures("static_files")
def test_choosing_in_the_panel_over_the_limit_is_a_form_error(client, tenant):
    post = _post(tenant, _account(tenant, "bluesky"))
    over = _variant(post, "bluesky", BLUESKY_301)
    client.force_login(tenant.editor)
    response = client.post(reverse("variant-choose", args=[over.pk]), **HX)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body
    assert f"Variant A cannot be chosen: {TOO_LONG_BLUESKY}" in body
    over.refresh_from_db()
    assert over.status == VariantStatus.PROPOSED
    # Without HTMX: back to the editor with the message.
    response = client.post(reverse("variant-choose", args=[over.pk]), follow=True)
    assert "cannot be chosen" in response.content.decode()


@pytest.mark.usefixtures("static_files")
def test_the_panel_shows_the_green_badge_only_when_everything_fits(client, tenant):
    post = _post(tenant, _account(tenant, "bluesky"))
    _variant(post, "bluesky", "Fits.")
    client.force_login(tenant.editor)
    page = client.get(reverse("variants-panel", args=[post.pk])).content.decode()
    assert "✓ Passes the brand-safety check and fits Bluesky" in page
    assert "disabled" not in page.split("variant-actions", 1)[1]


@pytest.mark.usefixtures("static_files")
def test_submitting_over_the_limit_in_the_editor_says_why(client, tenant):
    post, variant = _over_limit_post(tenant)
    client.force_login(tenant.editor)
    page = client.get(reverse("post-editor", args=[post.pk])).content.decode()
    notice = page[page.index("data-limit-notice") :]
    assert f"Variant A: {TOO_LONG_BLUESKY}" in notice[: notice.index("</div>")]
    response = client.post(reverse("post-action", args=[post.pk, "submit"]))
    assert response.status_code == 409
    assert TOO_LONG_BLUESKY in response.content.decode()
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    # Fixed: the notice is gone and the post goes to review.
    services.variant_update_text(variant=variant, by=tenant.editor, text="Fits.")
    page = client.get(reverse("post-editor", args=[post.pk])).content.decode()
    assert "data-limit-notice" not in page
    response = client.post(reverse("post-action", args=[post.pk, "submit"]))
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


@pytest.mark.usefixtures("static_files")
def test_the_post_body_gets_a_counter_per_channel_account(client, tenant):
    small = _account(tenant, "mastodon", name="Small", limits={"max_length": 300})
    post = _post(tenant, small, _account(tenant, "x", name="Bird"))
    post.campaign.channels.add(*post.accounts.all())
    client.force_login(tenant.editor)
    page = client.get(reverse("post-editor", args=[post.pk])).content.decode()
    assert 'data-charcount-channels="id_body"' in page
    assert 'data-charcount-fallback="id_topic"' in page
    assert (
        f'data-charcount-account="{small.pk}" data-charcount-network="mastodon" '
        'data-charcount-max="300"'
    ) in page
    assert 'data-charcount-network="x" data-charcount-max="280"' in page


def test_copy_is_written_to_the_strictest_account_limit(tenant):
    """The writer is told the instance's own limit, so what it writes can be
    chosen for every account of the post on that network."""
    from tests.content.conftest import run

    small = _account(tenant, "mastodon", name="Small", limits={"max_length": 120})
    post = _post(tenant, small, _account(tenant, "mastodon", name="Default"))
    generation = run(services.generation_request(post=post, by=tenant.editor, count=2))
    variants = list(Variant.objects.filter(generation=generation))
    assert variants
    for variant in variants:
        assert variant.rule_report["max_length"] == 120
        services.variant_choose(variant=variant, by=tenant.editor)


@pytest.mark.usefixtures("static_files")
def test_the_badge_lists_the_brands_rules_too_each_once(client, tenant):
    post = _post(tenant, _account(tenant, "bluesky"))
    missing = "Missing the brand's hashtag #Roast."
    variant = _variant(
        post,
        "bluesky",
        "Fits.",
        status=VariantStatus.CHOSEN,
        rule_report={
            "violations": [
                {"code": "missing_hashtag", "message": missing},
                # A limit in an old report is measured afresh, not repeated.
                {"code": "too_long", "message": "Too long for Bluesky: 999 of 300"},
            ]
        },
    )
    client.force_login(tenant.editor)
    page = client.get(reverse("variants-panel", args=[post.pk])).content.decode()
    card = page[page.index(f'id="variant-{variant.pk}"') :]
    assert "Breaks the brand\u2019s rules" in card
    assert card.count("Missing the brand&#x27;s hashtag #Roast.") == 1
    assert "999 of 300" not in card and "Passes" not in card
    (channel,) = post_copy_findings(post)
    assert [(f.kind, f.message, f.blocking) for f in channel.findings] == [
        ("rule", missing, False)
    ]
    assert limit_problems(post) == []


def test_a_scheduled_posts_copy_cannot_be_edited_past_the_limit_without_review(
    tenant,
):
    """Without approval nothing would stop it again before the network."""
    tenant.workspace.approval_required = False
    tenant.workspace.save()
    post = _post(tenant, _account(tenant, "bluesky"), scheduled_at=_future())
    variant = _variant(post, "bluesky", "Fits.")
    services.variant_choose(variant=variant, by=tenant.editor)
    lifecycle.transition(post, "schedule", by=tenant.editor)
    with pytest.raises(ValidationError) as caught:
        services.variant_update_text(
            variant=variant, by=tenant.editor, text=BLUESKY_301
        )
    assert caught.value.messages == [
        f"The post is scheduled with this copy, so it must fit: {TOO_LONG_BLUESKY}"
    ]
    services.variant_update_text(variant=variant, by=tenant.editor, text="a" * 300)
    variant.refresh_from_db()
    assert variant.text == "a" * 300
    # With approval required the edit sends it back to review instead.
    tenant.workspace.approval_required = True
    tenant.workspace.save()
    post.refresh_from_db()
    services.variant_update_text(variant=variant, by=tenant.editor, text=BLUESKY_301)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_a_scheduled_post_takes_no_image_past_a_channels_limit(
    tenant, user_client, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    post = _post(
        tenant, _account(tenant, "bluesky"), body="Short.", scheduled_at=_future()
    )
    for position in range(4):
        _image(post, 1000, network="bluesky", position=position)
    Post.objects.filter(pk=post.pk).update(status=PostStatus.SCHEDULED)
    post.refresh_from_db()
    extra = Asset.objects.create(
        workspace=post.workspace,
        file="assets/extra.png",
        width=10,
        height=10,
        byte_size=1000,
        checksum="extra",
    )
    response = user_client(tenant.editor).post(
        f"/api/v1/assets/{extra.pk}/attach/", {"post": post.pk}
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]["post"] == [
        "The post is scheduled, so its images must fit: Too many images for "
        "Bluesky: 5 of 4 images (1 over)."
    ]
    assert not PostImage.objects.filter(post=post, asset=extra).exists()
    # As a candidate (not chosen) it may join the gallery.
    services.asset_attach(asset=extra, post=post, by=tenant.editor, chosen=False)
    assert PostImage.objects.filter(post=post, asset=extra, chosen=False).exists()


def test_a_scheduled_posts_body_is_not_edited_past_a_limit_without_review(
    tenant, user_client
):
    tenant.workspace.approval_required = False
    tenant.workspace.save()
    x = _account(tenant, "x")
    post = _post(tenant, x, body="Short.", scheduled_at=_future())
    post.campaign.channels.add(x)
    lifecycle.transition(post, "schedule", by=tenant.editor)
    client = user_client(tenant.editor)
    response = client.patch(f"/api/v1/posts/{post.pk}/", {"body": "b" * 300})
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "copy_over_limit"
    assert error["problems"] == [
        "The post text: Too long for X: 300 of 280 weighted chars (20 over)."
    ]
    post.refresh_from_db()
    assert (post.body, post.status) == ("Short.", PostStatus.SCHEDULED)
    response = client.patch(f"/api/v1/posts/{post.pk}/", {"body": "b" * 280})
    assert response.status_code == 200, response.content


def test_api_variant_lists_its_problems_now(tenant, user_client):
    small = _account(tenant, "mastodon", name="Small", limits={"max_length": 300})
    post = _post(tenant, small)
    over = _variant(post, "mastodon", "a" * 450)
    fits = _variant(post, "mastodon", "Fits.")
    client = user_client(tenant.client)  # read access is enough to see them
    body = client.get(f"/api/v1/variants/{over.pk}/").json()
    assert body["problems"] == [
        {
            "code": "too_long",
            "message": "Too long for Mastodon (Small): 450 of 300 graphemes "
            "(150 over).",
            "kind": "limit",
            "blocking": True,
        }
    ]
    assert client.get(f"/api/v1/variants/{fits.pk}/").json()["problems"] == []
