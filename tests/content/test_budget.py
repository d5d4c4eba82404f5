"""The monthly budget: refused before any call reaches the model, with the
budget, the spend and the estimate named; spend for the dashboard."""

from __future__ import annotations

from decimal import Decimal

import pytest

from content import services
from content.models import AISettings, Generation, GenerationStatus
from core.errors import ConflictError
from tests.content.conftest import post_with_channels, run

pytestmark = pytest.mark.django_db


def test_over_budget_request_is_refused_before_any_request(tenant, openai_llm):
    AISettings.objects.create(
        workspace=tenant.workspace, monthly_budget=Decimal("0.001")
    )
    post = post_with_channels(tenant.workspace, "mastodon", "x")
    with pytest.raises(ConflictError) as exc:
        services.generation_request(post=post, by=tenant.editor)
    message = str(exc.value)
    assert exc.value.code == "budget_exceeded"
    assert "$0.00 " in message or "$0.001" in message or "budget of $0.00" in message
    assert "spent this month" in message and "estimated at $" in message
    assert Decimal(exc.value.extra["estimate"]) > Decimal("0.001")
    assert openai_llm.requests == []
    assert not Generation.objects.exists()


def test_spend_this_month_counts_toward_the_budget(tenant, openai_llm):
    post = post_with_channels(tenant.workspace, "mastodon")
    run(services.generation_request(post=post, by=tenant.editor))
    cost, tokens = services.month_spend(tenant.workspace)
    assert cost == Decimal("0.00028") and tokens == 200
    AISettings.objects.create(workspace=tenant.workspace, monthly_budget=cost)
    calls = len(openai_llm.requests)
    with pytest.raises(ConflictError) as exc:
        services.generation_request(post=post, by=tenant.editor, fresh=True)
    assert "$0.0003 spent" in str(exc.value)
    assert len(openai_llm.requests) == calls


def test_queued_jobs_reserve_their_estimate(tenant, openai_llm):
    post = post_with_channels(tenant.workspace, "mastodon")
    first = services.generation_request(post=post, by=tenant.editor)
    cost, tokens = services.month_spend(tenant.workspace)
    assert cost == first.estimated_cost > 0 and tokens == first.estimated_tokens
    AISettings.objects.create(
        workspace=tenant.workspace, monthly_budget=first.estimated_cost * 3 / 2
    )
    with pytest.raises(ConflictError):
        services.generation_request(post=post, by=tenant.editor, fresh=True)


def test_token_budget_is_refused_with_the_numbers(tenant, openai_llm):
    AISettings.objects.create(workspace=tenant.workspace, monthly_token_budget=100)
    post = post_with_channels(tenant.workspace, "mastodon")
    with pytest.raises(ConflictError) as exc:
        services.generation_request(post=post, by=tenant.editor)
    assert "token budget of 100 tokens" in str(exc.value)
    assert openai_llm.requests == []


def test_streaming_is_budget_checked(tenant, openai_llm):
    AISettings.objects.create(workspace=tenant.workspace, monthly_budget=Decimal(0))
    post = post_with_channels(tenant.workspace, "mastodon")
    with pytest.raises(ConflictError):
        services.variant_stream(post=post, by=tenant.editor, network="mastodon")
    assert openai_llm.requests == []


def test_the_offline_writer_costs_nothing(tenant):
    AISettings.objects.create(
        workspace=tenant.workspace, monthly_budget=Decimal(0), monthly_token_budget=0
    )
    post = post_with_channels(tenant.workspace, "mastodon")
    generation = run(services.generation_request(post=post, by=tenant.editor))
    assert generation.status == GenerationStatus.SUCCEEDED
    assert services.month_spend(tenant.workspace) == (Decimal(0), 0)


def test_spend_is_per_workspace(tenant, other_tenant, openai_llm):
    post = post_with_channels(tenant.workspace, "mastodon")
    run(services.generation_request(post=post, by=tenant.editor))
    assert services.month_spend(other_tenant.workspace) == (Decimal(0), 0)
