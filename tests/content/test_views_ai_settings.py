"""Workspace settings → AI: owners and admins change the provider, model and
budgets; everyone else reads them; bad input saves nothing; the dashboard shows
this month's spend against the budget."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from content.models import AISettings, Generation
from tests.content.conftest import post_with_channels

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("static_files")]
URL = "/settings/ai/"
GOOD = {
    "provider": "openai",
    "model": "gpt-4o-mini",
    "monthly_budget": "25.50",
    "monthly_token_budget": "500000",
}


def test_the_url_is_the_ai_tab_of_the_settings(client, tenant):
    assert reverse("ai-settings") == URL
    client.force_login(tenant.owner)
    html = client.get(URL).content.decode()
    assert 'aria-current="page">AI</a>' in html
    assert "Offline drafts (rules, no AI)" in html  # the server default here


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_managers_save_provider_model_and_budgets(client, tenant, role):
    client.force_login(tenant.person(role))
    response = client.post(URL, GOOD)
    assert response.status_code == 302
    row = AISettings.objects.get(workspace=tenant.workspace)
    assert (row.provider, row.model) == ("openai", "gpt-4o-mini")
    assert row.monthly_budget == Decimal("25.50")
    assert row.monthly_token_budget == 500_000
    html = client.get(URL).content.decode()
    assert "gpt-4o-mini" in html and "of $25.50" in html


def test_back_to_the_server_default_and_no_limits(client, tenant):
    AISettings.objects.create(
        workspace=tenant.workspace, provider="openai", monthly_budget=Decimal(5)
    )
    client.force_login(tenant.owner)
    client.post(URL, {"provider": "", "model": "", "monthly_budget": ""})
    row = AISettings.objects.get(workspace=tenant.workspace)
    assert row.provider == "" and row.monthly_budget is None
    assert row.monthly_token_budget is None


@pytest.mark.parametrize("role", ["editor", "reviewer", "client"])
def test_others_read_but_cannot_change(client, tenant, role):
    client.force_login(tenant.person(role))
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Save AI settings" not in html and "you can read them" in html
    assert client.post(URL, GOOD).status_code == 403
    assert not AISettings.objects.filter(workspace=tenant.workspace).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("provider", "anthropic"),
        ("monthly_budget", "-1"),
        ("monthly_budget", "lots"),
        ("monthly_token_budget", "-5"),
        ("model", "m" * 201),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(client, tenant, field, value):
    client.force_login(tenant.owner)
    response = client.post(URL, {**GOOD, field: value})
    assert response.status_code == 400
    assert b'class="error"' in response.content
    assert not AISettings.objects.filter(workspace=tenant.workspace).exists()


def test_settings_are_per_workspace(client, tenant, other_tenant):
    AISettings.objects.create(workspace=other_tenant.workspace, model="secret-model")
    client.force_login(tenant.owner)
    client.post(URL, GOOD)
    assert "secret-model" not in client.get(URL).content.decode()
    other = AISettings.objects.get(workspace=other_tenant.workspace)
    assert other.model == "secret-model" and other.monthly_budget is None


def test_the_dashboard_shows_this_months_spend_against_the_budget(client, tenant):
    AISettings.objects.create(
        workspace=tenant.workspace,
        monthly_budget=Decimal(10),
        monthly_token_budget=9000,
    )
    post = post_with_channels(tenant.workspace, "x")
    Generation.objects.create(
        workspace=tenant.workspace,
        post=post,
        status="succeeded",
        provider="openai",
        model="m",
        prompt_template="copy",
        prompt_version="1",
        inputs_hash="h",
        cost=Decimal("1.25"),
        tokens_in=1000,
        tokens_out=234,
    )
    client.force_login(tenant.editor)
    html = client.get(reverse("dashboard")).content.decode()
    assert "AI spend this month" in html
    assert "$1.25" in html and "of $10.00 budget" in html
    assert "1234 tokens of 9000" in html
