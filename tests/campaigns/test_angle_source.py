"""The pages say who proposes a plan's topics and angles: the offline planner
by default, the workspace's LLM once one is set for copy (the planner asks it
then: workflow.planner.angles)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _detail(tenant: Any, web: Any) -> str:
    campaign = CampaignFactory(workspace=tenant.workspace)
    client = web(tenant.owner, tenant.workspace)
    return client.get(reverse("campaign-detail", args=[campaign.pk])).content.decode()


def test_offline_by_default(settings: Any, tenant: Any, web: Any) -> None:
    settings.LLM_PROVIDER = ""
    page = _detail(tenant, web)
    assert "proposed by the offline planner (rules, no AI)" in page


def test_the_llm_when_one_is_set(settings: Any, tenant: Any, web: Any) -> None:
    settings.LLM_PROVIDER = "openai"
    settings.LLM_MODEL = "gpt-4o-mini"
    page = _detail(tenant, web)
    assert (
        "proposed by the AI model set for this workspace (openai, gpt-4o-mini)" in page
    )
    assert "rules, no AI" not in page
