"""Variants after they are written: tracked edits, choosing, deleting, the
brand-safety gate in the approval, streaming, permissions and tenancy."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from campaigns import lifecycle
from campaigns.models import PostStatus, PostStatusChange
from content import services
from content.models import Generation, GenerationStatus, Variant, VariantStatus
from tests.content.conftest import post_with_channels, run

pytestmark = pytest.mark.django_db


def _variants(tenant, *networks, count=2, **post_fields):
    post = post_with_channels(tenant.workspace, *networks, **post_fields)
    generation = run(
        services.generation_request(post=post, by=tenant.editor, count=count)
    )
    return post, list(Variant.objects.filter(generation=generation))


def test_edit_is_tracked_with_a_diff_and_measured_again(tenant):
    _, (variant, *_) = _variants(tenant, "x")
    before = variant.text
    services.variant_update_text(
        variant=variant, by=tenant.editor, text="A new line.\nTry it today."
    )
    variant.refresh_from_db()
    assert variant.text == "A new line.\nTry it today."
    assert variant.made_by == "machine"  # who wrote it first
    assert variant.rule_report["edited"] and variant.rule_report["measure"]["length"]
    (edit,) = variant.edits.all()
    assert (edit.by, edit.before, edit.after) == (tenant.editor, before, variant.text)
    assert "+A new line." in edit.diff and edit.diff.startswith("--- before")
    # Each changed line stands on its own, even without a final newline.
    changed = [line for line in edit.diff.splitlines() if line[:1] in "+-"]
    assert changed[2:] == [
        *(f"-{line}" for line in before.splitlines()),
        "+A new line.",
        "+Try it today.",
    ]


def test_edit_refuses_empty_text_and_locked_posts(tenant):
    post, (variant, *_) = _variants(tenant, "mastodon")
    with pytest.raises(ValidationError):
        services.variant_update_text(variant=variant, by=tenant.editor, text="  ")
    lifecycle.transition(post, "cancel", by=tenant.editor)
    from core.errors import ConflictError

    with pytest.raises(ConflictError):
        services.variant_update_text(variant=variant, by=tenant.editor, text="x")


def test_edit_with_a_dont_word_fails_the_gate(tenant):
    post, (variant, *_) = _variants(tenant, "mastodon")
    post.campaign.brand.dont_words = ["cheap"]
    post.campaign.brand.save()
    services.variant_update_text(
        variant=variant, by=tenant.editor, text="Our cheap espresso is here."
    )
    variant.refresh_from_db()
    assert not variant.gate_passed
    assert "cheap" in str(variant.gate["reasons"])


def test_one_chosen_variant_per_post_and_network(tenant):
    post, variants = _variants(tenant, "mastodon", "bluesky")
    mastodon = [v for v in variants if v.network == "mastodon"]
    bluesky = [v for v in variants if v.network == "bluesky"]
    services.variant_choose(variant=mastodon[0], by=tenant.editor)
    services.variant_choose(variant=bluesky[0], by=tenant.editor)
    services.variant_choose(variant=mastodon[1], by=tenant.editor)
    chosen = Variant.objects.filter(post=post, status=VariantStatus.CHOSEN)
    assert sorted(v.pk for v in chosen) == sorted([mastodon[1].pk, bluesky[0].pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.filter(pk=mastodon[0].pk).update(status=VariantStatus.CHOSEN)


def test_changing_the_chosen_copy_of_an_approved_post_needs_a_new_review(tenant):
    post, variants = _variants(tenant, "mastodon")
    services.variant_choose(variant=variants[0], by=tenant.editor)
    lifecycle.transition(post, "submit", by=tenant.editor)
    lifecycle.transition(post, "approve", by=tenant.reviewer)
    services.variant_update_text(
        variant=variants[0], by=tenant.editor, text="Rewritten after approval."
    )
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_delete_a_variant(tenant):
    post, (variant, other) = _variants(tenant, "mastodon")
    services.variant_delete(variant=variant, by=tenant.editor)
    assert list(Variant.objects.filter(post=post)) == [other]


@pytest.mark.parametrize("role", ["reviewer", "client"])
def test_roles_without_edit_cannot_change_variants(tenant, role):
    _, (variant, *_) = _variants(tenant, "mastodon")
    person = tenant.person(role)
    with pytest.raises(PermissionDenied):
        services.variant_update_text(variant=variant, by=person, text="Mine now.")
    with pytest.raises(PermissionDenied):
        services.variant_choose(variant=variant, by=person)
    with pytest.raises(PermissionDenied):
        services.variant_delete(variant=variant, by=person)


def test_other_tenant_cannot_touch_variants(tenant, other_tenant):
    post, (variant, *_) = _variants(tenant, "mastodon")
    with pytest.raises(PermissionDenied):
        services.variant_update_text(
            variant=variant, by=other_tenant.owner, text="Hijacked."
        )
    with pytest.raises(PermissionDenied):
        services.variant_choose(variant=variant, by=other_tenant.owner)
    with pytest.raises(PermissionDenied):
        services.variant_delete(variant=variant, by=other_tenant.owner)
    with pytest.raises(PermissionDenied):
        next(services.variant_stream(post=post, by=other_tenant.owner, network="x"))
    assert Variant.objects.filter(pk=variant.pk).exists()


# --- The gate in the approval -------------------------------------------------------


def _failing_chosen(tenant):
    post, (variant, *_) = _variants(tenant, "mastodon")
    post.campaign.brand.dont_words = ["cheap"]
    post.campaign.brand.save()
    services.variant_update_text(
        variant=variant, by=tenant.editor, text="Our cheap espresso is here."
    )
    services.variant_choose(variant=variant, by=tenant.editor)
    lifecycle.transition(post, "submit", by=tenant.editor)
    return post, variant


def test_gate_problems_name_the_failing_chosen_variant(tenant):
    post, _ = _failing_chosen(tenant)
    (problem,) = services.gate_problems(post)
    assert "mastodon variant" in problem and "cheap" in problem


def test_a_reviewer_cannot_approve_a_post_whose_copy_fails_the_gate(tenant):
    post, _ = _failing_chosen(tenant)
    with pytest.raises(PermissionDenied) as exc:
        lifecycle.transition(post, "approve", by=tenant.reviewer)
    assert "owner or admin" in str(exc.value)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_an_admin_approves_despite_the_gate_and_the_history_says_so(tenant):
    post, variant = _failing_chosen(tenant)
    lifecycle.transition(post, "approve", by=tenant.admin, reason="Checked with legal")
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    change = PostStatusChange.objects.filter(post=post, action="approve").get()
    assert change.actor == tenant.admin
    assert change.reason.startswith("Approved despite: mastodon variant")
    assert change.reason.endswith("Checked with legal")
    variant.refresh_from_db()
    assert variant.gate_overridden_by == tenant.admin and variant.gate_overridden_at
    assert services.gate_problems(post) == []


def test_a_post_whose_copy_passes_is_approved_by_a_reviewer(tenant):
    post, (variant, *_) = _variants(tenant, "mastodon")
    services.variant_choose(variant=variant, by=tenant.editor)
    lifecycle.transition(post, "submit", by=tenant.editor)
    lifecycle.transition(post, "approve", by=tenant.reviewer)
    change = PostStatusChange.objects.filter(post=post, action="approve").get()
    assert "despite" not in change.reason


# --- Streaming ---------------------------------------------------------------------


def test_stream_yields_text_then_the_stored_variant(tenant):
    post = post_with_channels(tenant.workspace, "bluesky")
    pieces = list(
        services.variant_stream(post=post, by=tenant.editor, network="bluesky")
    )
    *deltas, variant = pieces
    assert deltas and all(isinstance(d, str) for d in deltas)
    assert isinstance(variant, Variant) and variant.pk and variant.network == "bluesky"
    generation = Generation.objects.get(pk=variant.generation_id)
    assert generation.status == GenerationStatus.SUCCEEDED


def test_stream_against_the_local_server(tenant, openai_llm):
    post = post_with_channels(tenant.workspace, "mastodon")
    *deltas, variant = services.variant_stream(
        post=post, by=tenant.editor, network="mastodon"
    )
    assert "".join(deltas)
    assert variant.provider == "openai" and variant.tokens_in > 0
    assert openai_llm.chat_requests()[0].body.get("stream") is True


def test_stream_refuses_a_network_the_post_is_not_on(tenant):
    post = post_with_channels(tenant.workspace, "mastodon")
    with pytest.raises(ValidationError):
        services.variant_stream(post=post, by=tenant.editor, network="x")
    assert not Generation.objects.exists()


def test_a_closed_stream_stores_nothing(tenant):
    post = post_with_channels(tenant.workspace, "mastodon")
    stream = services.variant_stream(post=post, by=tenant.editor, network="mastodon")
    next(stream)
    stream.close()
    generation = Generation.objects.get(post=post)
    assert generation.status == GenerationStatus.CANCELED
    assert not Variant.objects.filter(post=post).exists()
