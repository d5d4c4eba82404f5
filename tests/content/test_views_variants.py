"""The variants panel of the post editor: tabs and previews, generation jobs
polled to completion, edits, choice, deletion, the gate override, the SSE
stream (offline and against the local OpenAI-protocol server), roles, bad input
and tenancy."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from content.models import AISettings, Generation, Variant, VariantStatus
from content.views.panel import stream_token
from tests.content.conftest import post_with_channels, run

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("static_files")]
HX = {"HTTP_HX_REQUEST": "true"}


def _signed_in(client, user):
    client.force_login(user)
    return client


def _generated(client, tenant, *networks, count=2):
    post = post_with_channels(tenant.workspace, *networks)
    _signed_in(client, tenant.editor)
    response = client.post(
        reverse("variants-generate", args=[post.pk]),
        {"count": count, "network": networks[0]},
        **HX,
    )
    assert response.status_code == 200, response.content
    generation = run(Generation.objects.get(post=post))
    return post, generation


def _events(response) -> list[tuple[str, dict]]:
    assert response["Content-Type"] == "text/event-stream"
    body = b"".join(response.streaming_content).decode()
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def _stream_url(post, user, network: str) -> str:
    return (
        reverse("variants-stream", args=[post.pk])
        + f"?network={network}&token={stream_token(post, user)}"
    )


def test_generate_queues_a_job_and_the_progress_bar_polls_until_the_panel(
    client, tenant
):
    post = post_with_channels(tenant.workspace, "x", "mastodon")
    _signed_in(client, tenant.editor)
    response = client.post(
        reverse("variants-generate", args=[post.pk]),
        {"count": 2, "tone": "warm", "language": "en", "network": "x"},
        **HX,
    )
    assert response.status_code == 200
    generation = Generation.objects.get(post=post)
    assert generation.options["tone"] == "warm" and generation.count == 2
    progress_url = reverse("generation-progress", args=[generation.pk])
    assert progress_url in response.content.decode()
    polled = client.get(progress_url, **HX)
    assert b"<progress" in polled.content and "HX-Retarget" not in polled
    run(generation)
    done = client.get(progress_url, **HX)
    assert done["HX-Retarget"] == "#variants-panel"
    html = done.content.decode()
    assert 'id="tab-x"' in html and 'id="tab-mastodon"' in html
    assert "Variant A" in html and "Variant B" in html
    # Generated from X's tab: X's variants only, Mastodon's tab untouched.
    assert generation.networks == ["x"]
    assert set(Variant.objects.filter(post=post).values_list("network", flat=True)) == {
        "x"
    }
    assert "No variants for Mastodon yet." in html
    assert "Offline draft (rules, no AI)" in html
    assert 'data-charcount-network="x"' in html and 'data-charcount-max="280"' in html
    assert "Passes the brand-safety check" in html


def test_the_editor_page_shows_the_panel_with_previews(client, tenant):
    post, _ = _generated(client, tenant, "bluesky")
    html = client.get(reverse("post-editor", args=[post.pk])).content.decode()
    assert 'id="variants-panel"' in html and "pv-net-bluesky" in html
    assert 'class="pv-link"' in html  # the post's link highlighted in the preview
    assert "js/variants." in html and "js/charcount." in html
    assert "Stream a variant" in html and "Generate Bluesky variants" in html
    assert "@@" not in html


@pytest.mark.parametrize(
    "data",
    [
        {"count": 0, "network": "x"},
        {"count": 7, "network": "x"},
        {"count": "many", "network": "x"},
        {"count": 2, "tone": "x" * 101, "network": "x"},
    ],
)
def test_bad_generate_input_is_a_form_error_and_nothing_is_saved(client, tenant, data):
    post = post_with_channels(tenant.workspace, "x")
    _signed_in(client, tenant.editor)
    response = client.post(reverse("variants-generate", args=[post.pk]), data, **HX)
    assert response.status_code == 400
    assert b'class="error"' in response.content
    assert not Generation.objects.filter(post=post).exists()


def test_a_post_without_channels_says_so(client, tenant):
    from tests.factories import PostFactory

    post = PostFactory(campaign__workspace=tenant.workspace, accounts=[])
    _signed_in(client, tenant.editor)
    response = client.post(
        reverse("variants-generate", args=[post.pk]),
        {"count": 1, "network": "mastodon"},
        **HX,
    )
    assert response.status_code == 409
    assert b"Choose at least one channel account" in response.content


def test_budget_refusal_is_a_clear_message(client, tenant, openai_llm):
    AISettings.objects.create(workspace=tenant.workspace, monthly_budget=Decimal(0))
    post = post_with_channels(tenant.workspace, "x")
    _signed_in(client, tenant.editor)
    response = client.post(
        reverse("variants-generate", args=[post.pk]),
        {"count": 2, "network": "x"},
        **HX,
    )
    assert response.status_code == 409
    assert b"would exceed the monthly budget of $0.00" in response.content
    assert not Generation.objects.filter(post=post).exists()
    assert openai_llm.chat_requests() == []


def test_a_failed_job_shows_the_provider_message(client, tenant, openai_llm):
    post = post_with_channels(tenant.workspace, "x")
    _signed_in(client, tenant.editor)
    client.post(
        reverse("variants-generate", args=[post.pk]),
        {"count": 1, "network": "x"},
        **HX,
    )
    openai_llm.enqueue("unknown_model", count=5)
    generation = run(Generation.objects.get(post=post))
    assert generation.status == "failed"
    response = client.get(reverse("generation-progress", args=[generation.pk]), **HX)
    assert b"The generation failed" in response.content


def test_edit_is_tracked_and_shown_as_a_diff(client, tenant):
    _, generation = _generated(client, tenant, "mastodon")
    variant = Variant.objects.filter(generation=generation).first()
    response = client.post(
        reverse("variant-edit", args=[variant.pk]),
        {"text": "Hand-written copy #Coffee"},
        **HX,
    )
    assert response.status_code == 200
    variant.refresh_from_db()
    assert variant.text == "Hand-written copy #Coffee"
    html = response.content.decode()
    assert "Edit history (1)" in html and "+Hand-written copy #Coffee" in html
    assert 'class="diff-add"' in html


def test_an_empty_edit_is_refused_and_nothing_changes(client, tenant):
    _, generation = _generated(client, tenant, "mastodon")
    variant = Variant.objects.filter(generation=generation).first()
    before = variant.text
    response = client.post(
        reverse("variant-edit", args=[variant.pk]), {"text": "   "}, **HX
    )
    assert response.status_code == 400 and b"Not saved" in response.content
    variant.refresh_from_db()
    assert variant.text == before and not variant.edits.exists()


def test_choose_then_delete(client, tenant):
    _, generation = _generated(client, tenant, "x")
    first, second = Variant.objects.filter(generation=generation).order_by("label")
    client.post(reverse("variant-choose", args=[first.pk]), **HX)
    client.post(reverse("variant-choose", args=[second.pk]), **HX)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (
        VariantStatus.PROPOSED,
        VariantStatus.CHOSEN,
    )
    response = client.post(reverse("variant-delete", args=[first.pk]), **HX)
    assert response.status_code == 200 and b"deleted" in response.content
    assert not Variant.objects.filter(pk=first.pk).exists()


def test_without_htmx_actions_redirect_to_the_editor(client, tenant):
    post, generation = _generated(client, tenant, "x")
    variant = Variant.objects.filter(generation=generation).first()
    response = client.post(reverse("variant-choose", args=[variant.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("post-editor", args=[post.pk]))


def test_regenerate_queues_a_fresh_single_variant(client, tenant):
    post, generation = _generated(client, tenant, "x")
    variant = Variant.objects.filter(generation=generation).first()
    response = client.post(reverse("variant-regenerate", args=[variant.pk]), **HX)
    assert response.status_code == 200
    fresh = Generation.objects.filter(post=post).exclude(pk=generation.pk).get()
    assert fresh.count == 1 and fresh.options["fresh"] is True
    run(fresh)
    assert Variant.objects.filter(post=post, network="x").count() == 3


def test_only_owner_or_admin_approves_a_failed_check_anyway(client, tenant):
    post, generation = _generated(client, tenant, "mastodon")
    post.campaign.brand.dont_words = ["cheap"]
    post.campaign.brand.save()
    variant = Variant.objects.filter(generation=generation).first()
    client.post(reverse("variant-edit", args=[variant.pk]), {"text": "So cheap!"}, **HX)
    variant.refresh_from_db()
    assert not variant.gate_passed
    page = client.get(reverse("variants-panel", args=[post.pk])).content
    assert b"Fails the brand-safety check" in page and b"Approve anyway" not in page
    assert client.post(reverse("variant-override", args=[variant.pk])).status_code == (
        403
    )
    _signed_in(client, tenant.admin)
    page = client.get(reverse("variants-panel", args=[post.pk])).content
    assert b"Approve anyway" in page
    response = client.post(reverse("variant-override", args=[variant.pk]), **HX)
    assert b"Approved anyway" in response.content
    variant.refresh_from_db()
    assert variant.gate_overridden_by == tenant.admin and variant.gate_overridden_at


@pytest.mark.parametrize("role", ["reviewer", "client"])
def test_readers_see_variants_and_verdicts_but_no_controls(client, tenant, role):
    post, generation = _generated(client, tenant, "x")
    variant = Variant.objects.filter(generation=generation).first()
    _signed_in(client, tenant.person(role))
    html = client.get(reverse("post-editor", args=[post.pk])).content.decode()
    assert "Variant A" in html and "brand-safety check" in html
    for control in ("Generate X variants", "Stream a variant", "Save text", "Delete"):
        assert control not in html
    assert '<textarea id="variant-text' not in html
    for name in ("variant-edit", "variant-choose", "variant-delete"):
        assert (
            client.post(reverse(name, args=[variant.pk]), {"text": "x"}).status_code
            == 403
        )
    generate = reverse("variants-generate", args=[post.pk])
    assert client.post(generate, {"count": 1, "network": "x"}).status_code == 403
    stream = client.get(_stream_url(post, tenant.person(role), "x"))
    assert stream.status_code == 403
    assert Generation.objects.filter(post=post).count() == 1


def test_another_workspaces_post_variant_and_generation_are_404(
    client, tenant, other_tenant
):
    post, generation = _generated(client, tenant, "x")
    variant = Variant.objects.filter(generation=generation).first()
    _signed_in(client, other_tenant.owner)
    assert client.get(reverse("variants-panel", args=[post.pk])).status_code == 404
    assert (
        client.post(
            reverse("variants-generate", args=[post.pk]), {"count": 1, "network": "x"}
        ).status_code
        == 404
    )
    for name in (
        "variant-edit",
        "variant-choose",
        "variant-delete",
        "variant-override",
        "variant-regenerate",
    ):
        response = client.post(reverse(name, args=[variant.pk]), {"text": "x"})
        assert response.status_code == 404, name
    progress = reverse("generation-progress", args=[generation.pk])
    assert client.get(progress).status_code == 404
    cancel = reverse("generation-cancel", args=[generation.pk])
    assert client.post(cancel).status_code == 404
    assert client.get(_stream_url(post, other_tenant.owner, "x")).status_code == 404
    variant.refresh_from_db()
    assert Variant.objects.filter(post=post).count() == 2


def test_cancel_a_queued_generation(client, tenant):
    post = post_with_channels(tenant.workspace, "x")
    _signed_in(client, tenant.editor)
    client.post(
        reverse("variants-generate", args=[post.pk]),
        {"count": 1, "network": "x"},
        **HX,
    )
    generation = Generation.objects.get(post=post)
    response = client.post(reverse("generation-cancel", args=[generation.pk]), **HX)
    assert b"Generation canceled." in response.content
    generation.refresh_from_db()
    assert generation.status == "canceled"


def test_stream_yields_deltas_then_done_with_the_offline_provider(client, tenant):
    post = post_with_channels(tenant.workspace, "bluesky")
    _signed_in(client, tenant.editor)
    events = _events(client.get(_stream_url(post, tenant.editor, "bluesky")))
    *deltas, (name, done) = events
    assert name == "done" and deltas and {n for n, _ in deltas} == {"delta"}
    variant = Variant.objects.get(pk=done["variant_id"])
    assert (variant.network, variant.label, variant.provider) == (
        "bluesky",
        done["label"],
        "offline",
    )
    assert "".join(d["text"] for _, d in deltas).strip()


def test_stream_against_the_local_openai_server(client, tenant, openai_llm):
    post = post_with_channels(tenant.workspace, "x")
    _signed_in(client, tenant.editor)
    events = _events(client.get(_stream_url(post, tenant.editor, "x")))
    assert events[-1][0] == "done" and len(events) > 1
    assert all(name == "delta" for name, _ in events[:-1])
    variant = Variant.objects.get(pk=events[-1][1]["variant_id"])
    assert variant.provider == "openai" and variant.model == "test-model"
    assert openai_llm.chat_requests()[0].body.get("stream") is True


def test_stream_errors_are_events_with_a_readable_message(client, tenant, openai_llm):
    post = post_with_channels(tenant.workspace, "x")
    _signed_in(client, tenant.editor)
    ((name, data),) = _events(client.get(_stream_url(post, tenant.editor, "bluesky")))
    assert name == "error" and "no bluesky channel" in data["message"]
    openai_llm.enqueue("bad_key", count=5)
    *_, (name, data) = _events(client.get(_stream_url(post, tenant.editor, "x")))
    assert name == "error" and data["message"].startswith("The provider failed")
    assert "sk-test" not in data["message"]
    assert not Variant.objects.filter(post=post).exists()


def test_stream_budget_refusal_is_an_error_event(client, tenant, openai_llm):
    AISettings.objects.create(workspace=tenant.workspace, monthly_token_budget=10)
    post = post_with_channels(tenant.workspace, "x")
    _signed_in(client, tenant.editor)
    ((name, data),) = _events(client.get(_stream_url(post, tenant.editor, "x")))
    assert name == "error" and "monthly token budget" in data["message"]
    assert openai_llm.chat_requests() == []


def test_stream_needs_the_signed_link_of_the_person(client, tenant):
    post = post_with_channels(tenant.workspace, "x")
    _signed_in(client, tenant.editor)
    url = reverse("variants-stream", args=[post.pk]) + "?network=x&token=forged"
    assert client.get(url).status_code == 403
    assert client.get(_stream_url(post, tenant.admin, "x")).status_code == 403
    assert not Generation.objects.filter(post=post).exists()
