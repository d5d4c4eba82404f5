"""Copy generation through the services: request, run, reuse, rules, errors,
cancel, permissions and tenancy; and the planner's LLM angles."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from campaigns.models import Post
from content import services
from content.models import Generation, GenerationStatus, Variant
from content.services.generation import run as generation_module
from core.errors import ConflictError
from tests.content.conftest import post_with_channels, run
from tests.factories import CampaignFactory, ChannelAccountFactory, PostFactory
from workflow.planner import plan_campaign

pytestmark = pytest.mark.django_db

LONG = "This sentence is about our espresso and it goes on. " * 12


def test_offline_generation_writes_variants_per_channel_with_provenance(tenant):
    post = post_with_channels(tenant.workspace, "mastodon", "bluesky")
    generation = services.generation_request(post=post, by=tenant.editor, count=2)
    assert generation.status == GenerationStatus.QUEUED
    assert generation.provider == "offline"
    assert len(generation.inputs_hash) == 64

    run(generation)

    assert generation.status == GenerationStatus.SUCCEEDED
    assert generation.progress == 100
    variants = list(Variant.objects.filter(generation=generation))
    assert sorted((v.network, v.label) for v in variants) == [
        ("bluesky", "A"),
        ("bluesky", "B"),
        ("mastodon", "A"),
        ("mastodon", "B"),
    ]
    for v in variants:
        assert v.text
        assert v.provider == "offline" and v.made_by == "machine"
        assert (v.prompt_template, v.prompt_version) == ("copy", "1")
        assert v.inputs_hash == generation.inputs_hash
        assert v.rule_report["measure"]["length"] > 0
        assert v.rule_report["violations"] == []
        assert "passed" in v.gate
        assert v.account is not None and v.account.network == v.network
        assert v.created_by == tenant.editor


def test_request_validates_count_and_foreign_accounts(tenant, other_tenant):
    post = post_with_channels(tenant.workspace, "mastodon")
    with pytest.raises(ValidationError) as exc:
        services.generation_request(post=post, by=tenant.editor, count=7)
    assert "count" in exc.value.message_dict
    stranger = ChannelAccountFactory(workspace=other_tenant.workspace)
    with pytest.raises(ValidationError) as exc:
        services.generation_request(post=post, by=tenant.editor, accounts=[stranger])
    assert "accounts" in exc.value.message_dict
    bare = PostFactory(campaign__workspace=tenant.workspace)
    with pytest.raises(ConflictError):
        services.generation_request(post=bare, by=tenant.editor)
    assert not Generation.objects.exists()


@pytest.mark.parametrize("role", ["reviewer", "client"])
def test_roles_without_edit_cannot_generate(tenant, role):
    post = post_with_channels(tenant.workspace, "mastodon")
    with pytest.raises(PermissionDenied):
        services.generation_request(post=post, by=tenant.person(role))


def test_other_tenant_cannot_generate_or_cancel(tenant, other_tenant):
    post = post_with_channels(tenant.workspace, "mastodon")
    with pytest.raises(PermissionDenied):
        services.generation_request(post=post, by=other_tenant.owner)
    generation = services.generation_request(post=post, by=tenant.editor)
    with pytest.raises(PermissionDenied):
        services.generation_cancel(generation=generation, by=other_tenant.owner)


def test_openai_generation_records_tokens_and_cost(tenant, openai_llm):
    post = post_with_channels(tenant.workspace, "mastodon", "x")
    generation = run(services.generation_request(post=post, by=tenant.editor))
    assert generation.status == GenerationStatus.SUCCEEDED, generation.error
    assert len(openai_llm.chat_requests()) == 2  # one call per channel
    assert (generation.tokens_in, generation.tokens_out) == (240, 160)
    assert generation.cost == Decimal("0.00056")  # (240 * 1 + 160 * 2) / 1M
    variants = Variant.objects.filter(generation=generation)
    assert variants.count() == 6
    assert {v.model for v in variants} == {"test-model"}
    assert all(v.provider == "openai" and v.tokens_in == 40 for v in variants)
    prompt = openai_llm.chat_requests()[0].body["messages"][0]["content"]
    assert "sk-test" not in prompt


def test_identical_request_reuses_the_result_without_calling_the_model(
    tenant, openai_llm
):
    post = post_with_channels(tenant.workspace, "mastodon")
    first = run(services.generation_request(post=post, by=tenant.editor, count=2))
    calls = len(openai_llm.chat_requests())

    again = services.generation_request(post=post, by=tenant.editor, count=2)

    assert len(openai_llm.chat_requests()) == calls
    assert again.status == GenerationStatus.SUCCEEDED and again.cache_hit
    assert again.reused_from == first and again.cost == 0
    copies = list(Variant.objects.filter(generation=again).order_by("label"))
    originals = list(Variant.objects.filter(generation=first).order_by("label"))
    assert [c.text for c in copies] == [o.text for o in originals]
    assert [c.label for c in copies] == ["C", "D"]  # next free labels on the post


def test_fresh_or_different_request_calls_the_model_again(tenant, openai_llm):
    post = post_with_channels(tenant.workspace, "mastodon")
    run(services.generation_request(post=post, by=tenant.editor, count=2))
    calls = len(openai_llm.chat_requests())
    fresh = services.generation_request(
        post=post, by=tenant.editor, count=2, fresh=True
    )
    assert fresh.status == GenerationStatus.QUEUED and not fresh.cache_hit
    other = services.generation_request(
        post=post, by=tenant.editor, count=2, tone="bold"
    )
    assert other.status == GenerationStatus.QUEUED
    assert other.inputs_hash != fresh.inputs_hash
    assert len(openai_llm.chat_requests()) == calls


def _answer(text: str, count: int = 1, network: str = "x") -> dict:
    return {
        "variants": [
            {
                "label": chr(ord("A") + i),
                "texts": {network: text},
                "hashtags": [],
                "link_placement": "end",
                "alt_text": "",
                "image_prompt": "",
                "rationale": "scripted",
            }
            for i in range(count)
        ]
    }


def test_rule_violation_is_sent_back_once_then_shortened_and_flagged(
    tenant, openai_llm
):
    post = post_with_channels(tenant.workspace, "x")
    openai_llm.enqueue("ok", content=_answer(LONG))
    openai_llm.enqueue("ok", content=_answer(LONG))

    generation = run(services.generation_request(post=post, by=tenant.editor, count=1))

    requests = openai_llm.chat_requests()
    assert len(requests) == 2
    retry = " ".join(m["content"] for m in requests[1].body["messages"])
    assert "Too long for X" in retry and "Variant A" in retry
    variant = Variant.objects.get(generation=generation)
    report = variant.rule_report
    assert report["retried"] and report["shortened"] and report["flagged"]
    assert report["first_violations"][0]["code"] == "too_long"
    assert report["measure"]["length"] <= 280
    assert variant.text.endswith(".")  # cut at a sentence, not mid-word
    assert generation.tokens_in == 240  # both calls are paid for


def test_rule_violation_fixed_by_the_model_on_the_retry(tenant, openai_llm):
    post = post_with_channels(tenant.workspace, "x")
    openai_llm.enqueue("ok", content=_answer(LONG))
    openai_llm.enqueue("ok", content=_answer("Short and right. Try it today."))
    generation = run(services.generation_request(post=post, by=tenant.editor, count=1))
    variant = Variant.objects.get(generation=generation)
    assert variant.text.startswith("Short and right.")
    assert variant.rule_report["retried"] and not variant.rule_report["shortened"]
    assert not variant.rule_report["flagged"]


def test_permanent_provider_error_fails_the_generation_with_its_message(
    tenant, openai_llm
):
    post = post_with_channels(tenant.workspace, "mastodon")
    openai_llm.enqueue("unknown_model")
    generation = run(services.generation_request(post=post, by=tenant.editor))
    assert generation.status == GenerationStatus.FAILED
    assert "test-model" in generation.error
    assert "sk-test" not in generation.error
    assert not Variant.objects.filter(generation=generation).exists()


def test_unexpected_error_fails_with_internal_error(tenant, monkeypatch, caplog):
    post = post_with_channels(tenant.workspace, "mastodon")

    def boom(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(generation_module, "write_channel", boom)
    generation = run(services.generation_request(post=post, by=tenant.editor))
    assert generation.status == GenerationStatus.FAILED
    assert generation.error == "internal error"
    assert "failed unexpectedly" in caplog.text


def test_cancel_a_queued_generation_stores_nothing(tenant):
    post = post_with_channels(tenant.workspace, "mastodon")
    generation = services.generation_request(post=post, by=tenant.editor)
    services.generation_cancel(generation=generation, by=tenant.editor)
    assert generation.status == GenerationStatus.CANCELED and generation.canceled_at
    run(generation)
    assert generation.status == GenerationStatus.CANCELED
    assert not Variant.objects.filter(post=post).exists()
    with pytest.raises(ConflictError) as exc:
        services.generation_cancel(generation=generation, by=tenant.editor)
    assert exc.value.code == "not_cancelable"


def test_cancel_while_running_stores_nothing_more(tenant, monkeypatch):
    post = post_with_channels(tenant.workspace, "mastodon", "bluesky")
    generation = services.generation_request(post=post, by=tenant.editor)
    real = generation_module._progress

    def cancel_at_start(gen, done, total, message):
        real(gen, done, total, message)
        if done == 0:
            services.generation_cancel(generation=gen, by=tenant.editor)

    monkeypatch.setattr(generation_module, "_progress", cancel_at_start)
    run(generation)
    assert generation.status == GenerationStatus.CANCELED
    assert not Variant.objects.filter(post=post).exists()


def test_a_claimed_generation_is_not_run_twice(tenant):
    post = post_with_channels(tenant.workspace, "mastodon")
    generation = run(services.generation_request(post=post, by=tenant.editor))
    count = Variant.objects.filter(post=post).count()
    run(generation)
    assert Variant.objects.filter(post=post).count() == count


def test_workspace_override_picks_the_provider(tenant, openai_llm, settings):
    from content.models import AISettings

    settings.LLM_PROVIDER = "offline"
    AISettings.objects.create(
        workspace=tenant.workspace, provider="openai", model="test-model"
    )
    post = post_with_channels(tenant.workspace, "mastodon")
    generation = run(services.generation_request(post=post, by=tenant.editor))
    assert (generation.provider, generation.model) == ("openai", "test-model")
    assert len(openai_llm.chat_requests()) == 1


# --- The planner's LLM angles ----------------------------------------------------


def _campaign(workspace):
    account = ChannelAccountFactory(workspace=workspace)
    return CampaignFactory(
        workspace=workspace, cadences=[(account, 3)], pillars=[("Origins", 1)]
    )


def test_planner_takes_topics_and_angles_from_the_llm(tenant, openai_llm):
    campaign = _campaign(tenant.workspace)
    result = plan_campaign(campaign)
    assert result.created
    angle_requests = [
        r for r in openai_llm.chat_requests() if "angle" in str(r.body["messages"])
    ]
    assert len(angle_requests) == 1  # one request per pillar
    post = Post.objects.filter(campaign=campaign).first()
    assert post.topic.startswith("Topic ") and "test server" in post.angle
    assert post.plan_reason["topic_source"] == "llm"
    assert post.plan_reason["topic_model"] == {
        "provider": "openai",
        "model": "test-model",
    }


def test_planner_falls_back_to_offline_angles_on_an_llm_error(tenant, openai_llm):
    campaign = _campaign(tenant.workspace)
    openai_llm.enqueue("unknown_model")
    plan_campaign(campaign)
    post = Post.objects.filter(campaign=campaign).first()
    assert "topic_source" not in post.plan_reason
    assert "no AI" in post.plan_reason["topic"]


def test_offline_planner_makes_no_llm_request(tenant, llm_server):
    plan_campaign(_campaign(tenant.workspace))
    assert llm_server.requests == []


# --- Concurrency -------------------------------------------------------------------


def test_provider_slots_bound_calls_across_processes(settings):
    from content.services.limits import provider_slot
    from networks.copy_types import LLMError

    settings.LLM_CONCURRENCY = 2
    with provider_slot("openai"), provider_slot("openai"):
        with pytest.raises(LLMError) as exc, provider_slot("openai", wait=0.05):
            pass
        assert exc.value.code == "busy" and not exc.value.permanent
        with provider_slot("offline", wait=0.05):  # another provider's own slots
            pass
    with provider_slot("openai", wait=0.05):  # freed again
        pass


def test_channels_are_written_in_parallel_up_to_the_limit(tenant, openai_llm, settings):
    import time

    from content import llm

    settings.LLM_CONCURRENCY = 4
    openai_llm.latency = 0.4
    post = post_with_channels(tenant.workspace, "mastodon", "bluesky", "x", "linkedin")
    generation = services.generation_request(post=post, by=tenant.editor, count=1)
    llm.get_provider("openai", "test-model")  # the client's import is not timed
    started = time.monotonic()
    run(generation)
    elapsed = time.monotonic() - started
    assert generation.status == GenerationStatus.SUCCEEDED, generation.error
    assert len(openai_llm.chat_requests()) == 4
    assert elapsed < 1.2, f"4 calls of 0.4 s took {elapsed:.2f} s"  # not 1.6+
