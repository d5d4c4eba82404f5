"""The campaign wizard: every step, back and forth, errors, roles, tenancy."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from campaigns.models import BrandProfile, Campaign, Job
from tests.factories import BrandProfileFactory, ChannelAccountFactory
from workspaces.models import Role

pytestmark = pytest.mark.usefixtures("static_files")


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("workflow.tasks.run_plan_job.delay", lambda job_id: None)


def step(name: str) -> str:
    return reverse("campaign-wizard", args=[name])


def _through_channels(client, account):
    """Fill the brand, brief and dates steps and choose `account`."""
    assert client.post(step("brand"), {"new_brand": "Harbour", "nav": "next"})[
        "Location"
    ] == step("brief")
    assert client.post(
        step("brief"),
        {
            "name": "Spring launch",
            "objective": "engagement",
            "brief": "New beans for home baristas.",
            "kpi_targets": "clicks: 500",
            "nav": "next",
        },
    )["Location"] == step("dates")
    assert client.post(
        step("dates"),
        {
            "start_date": "2030-03-01",
            "end_date": "2030-03-28",
            "time_zone": "Europe/Berlin",
            "blackout_dates": "2030-03-08",
            "nav": "next",
        },
    )["Location"] == step("channels")
    assert client.post(
        step("channels"),
        {f"account_{account.pk}": "on", f"per_week_{account.pk}": "4", "nav": "next"},
    )["Location"] == step("pillars")


PILLARS = {
    "pillars-TOTAL_FORMS": "6",
    "pillars-INITIAL_FORMS": "0",
    "pillars-0-name": "Craft",
    "pillars-0-weight": "2",
    "pillars-1-name": "Origins",
    "pillars-1-weight": "1",
    "pillars-1-description": "Where the beans grow",
}


def test_the_whole_wizard_creates_the_campaign_and_asks_for_a_plan(tenant, web):
    account = ChannelAccountFactory(workspace=tenant.workspace, name="Toots")
    client = web(tenant.editor)
    assert client.get(reverse("campaign-new"))["Location"] == step("brand")
    _through_channels(client, account)
    response = client.post(step("pillars"), {**PILLARS, "nav": "next"})
    assert response["Location"] == step("review")

    review = client.get(step("review")).content.decode()
    for text in (
        "Harbour",
        "Spring launch",
        "New beans for home baristas.",
        "Toots",
        "4 posts a week",
        "Craft",
        "67%",
        "offline planner (rules, no AI)",
        "Generate plan",
    ):
        assert text in review, text
    assert not Campaign.objects.exists()

    response = client.post(step("review"), {"nav": "generate"})
    campaign = Campaign.objects.get()
    job = Job.objects.get()
    assert response["Location"] == reverse("job", args=[job.pk])
    assert job.input == {"campaign_id": campaign.pk}
    assert campaign.workspace == tenant.workspace
    assert campaign.brand.name == "Harbour"
    assert campaign.objective == "engagement"
    assert (campaign.start_date, campaign.end_date) == (
        date(2030, 3, 1),
        date(2030, 3, 28),
    )
    assert campaign.time_zone == "Europe/Berlin"
    assert campaign.blackout_dates == ["2030-03-08"]
    assert campaign.kpi_targets == {"clicks": 500}
    assert list(campaign.cadences.values_list("account", "posts_per_week")) == [
        (account.pk, 4)
    ]
    assert sorted(campaign.pillars.values_list("name", "weight", "description")) == [
        ("Craft", 2, ""),
        ("Origins", 1, "Where the beans grow"),
    ]
    # The wizard starts empty again.
    assert "Spring launch" not in client.get(step("brief")).content.decode()


def test_back_and_next_keep_what_was_typed(tenant, web):
    account = ChannelAccountFactory(workspace=tenant.workspace)
    client = web(tenant.editor)
    _through_channels(client, account)
    # Back from the pillars step keeps its (even unfinished) input.
    response = client.post(
        step("pillars"), {**PILLARS, "pillars-0-weight": "0", "nav": "back"}
    )
    assert response["Location"] == step("channels")
    channels = client.get(step("channels")).content.decode()
    assert 'value="4"' in channels and "checked" in channels
    assert 'value="Spring launch"' in client.get(step("brief")).content.decode()
    dates = client.get(step("dates")).content.decode()
    assert 'value="2030-03-01"' in dates and "2030-03-08" in dates
    pillars = client.get(step("pillars")).content.decode()
    assert 'value="Craft"' in pillars and 'value="Origins"' in pillars


def test_the_time_zone_defaults_to_the_workspaces(tenant, web):
    tenant.workspace.time_zone = "America/Chicago"
    tenant.workspace.save()
    brand = BrandProfileFactory(workspace=tenant.workspace)
    client = web(tenant.editor)
    client.post(step("brand"), {"brand": brand.pk, "nav": "next"})
    client.post(
        step("brief"),
        {"name": "N", "objective": "awareness", "brief": "B", "nav": "next"},
    )
    body = client.get(step("dates")).content.decode()
    assert '<option value="America/Chicago" selected>' in body


def test_each_step_shows_clear_errors(tenant, web):
    account = ChannelAccountFactory(workspace=tenant.workspace)
    BrandProfileFactory(workspace=tenant.workspace, name="Taken")
    client = web(tenant.editor)
    cases = [
        ("brand", {}, "Choose a brand or name a new one."),
        ("brand", {"new_brand": "Taken"}, "already has a brand with this name"),
    ]
    for name, data, message in cases:
        response = client.post(step(name), {**data, "nav": "next"})
        assert response.status_code == 400
        assert message in response.content.decode()
    assert BrandProfile.objects.count() == 1

    _through_channels(client, account)
    cases = [
        ("brief", {"objective": "fame"}, "Select a valid choice."),
        (
            "dates",
            {
                "start_date": "2030-03-10",
                "end_date": "2030-03-01",
                "time_zone": "Mars/Base",
                "blackout_dates": "soon",
            },
            "The campaign ends before it starts.",
        ),
        (
            "dates",
            {
                "start_date": "2030-03-01",
                "end_date": "2030-03-10",
                "time_zone": "UTC",
                "blackout_dates": "2031-01-01",
            },
            "outside the campaign",
        ),
        ("channels", {}, "Choose at least one channel account."),
        (
            "channels",
            {f"account_{account.pk}": "on", f"per_week_{account.pk}": "99"},
            "less than or equal to 70",
        ),
        (
            "pillars",
            {"pillars-TOTAL_FORMS": "6", "pillars-INITIAL_FORMS": "0"},
            "Add at least one content pillar.",
        ),
        (
            "pillars",
            {**PILLARS, "pillars-1-name": "craft"},
            "is listed twice",
        ),
    ]
    for name, data, message in cases:
        response = client.post(step(name), {**data, "nav": "next"})
        assert response.status_code == 400, name
        assert message in response.content.decode(), (name, message)
    assert not Campaign.objects.exists()


def test_a_later_step_cannot_be_reached_before_the_earlier_ones(tenant, web):
    client = web(tenant.editor)
    assert client.get(step("review"))["Location"] == step("brand")
    assert client.get(step("pillars"))["Location"] == step("brand")
    assert client.get(step("nope")).status_code == 404


def test_a_name_taken_meanwhile_is_reported_on_review_with_a_link(tenant, web):
    account = ChannelAccountFactory(workspace=tenant.workspace)
    client = web(tenant.editor)
    _through_channels(client, account)
    client.post(step("pillars"), {**PILLARS, "nav": "next"})
    from tests.factories import CampaignFactory

    CampaignFactory(workspace=tenant.workspace, name="Spring launch")
    response = client.post(step("review"), {"nav": "generate"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "already has a campaign with this name" in body
    assert f'href="{step("brief")}"' in body
    assert Campaign.objects.count() == 1
    assert not Job.objects.exists()


def test_no_accounts_yet_links_to_the_channels_page(tenant, web):
    client = web(tenant.admin)
    brand = BrandProfileFactory(workspace=tenant.workspace)
    client.post(step("brand"), {"brand": brand.pk, "nav": "next"})
    client.post(
        step("brief"),
        {"name": "N", "objective": "awareness", "brief": "B", "nav": "next"},
    )
    client.post(
        step("dates"),
        {
            "start_date": "2030-03-01",
            "end_date": "2030-03-02",
            "time_zone": "UTC",
            "nav": "next",
        },
    )
    body = client.get(step("channels")).content.decode()
    assert "no channel accounts yet" in body
    assert f"{reverse('channels')}?next=" in body


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.CLIENT])
def test_readers_cannot_use_the_wizard(tenant, web, role):
    client = web(tenant.person(role))
    assert client.get(reverse("campaign-new")).status_code == 403
    assert client.get(step("brand")).status_code == 403
    response = client.post(step("brand"), {"new_brand": "Mine", "nav": "next"})
    assert response.status_code == 403
    assert client.post(step("review"), {"nav": "generate"}).status_code == 403
    assert not BrandProfile.objects.exists()
    assert "New campaign" not in client.get(reverse("campaigns")).content.decode()


def test_another_workspaces_brand_and_accounts_cannot_be_chosen(
    tenant, other_tenant, web
):
    their_brand = BrandProfileFactory(workspace=other_tenant.workspace)
    their_account = ChannelAccountFactory(workspace=other_tenant.workspace)
    mine = ChannelAccountFactory(workspace=tenant.workspace)
    client = web(tenant.editor)
    response = client.post(step("brand"), {"brand": their_brand.pk, "nav": "next"})
    assert response.status_code == 400
    assert their_brand.name not in client.get(step("brand")).content.decode()
    _through_channels(client, mine)
    body = client.get(step("channels")).content.decode()
    assert their_account.name not in body
    response = client.post(
        step("channels"),
        {
            f"account_{their_account.pk}": "on",
            f"per_week_{their_account.pk}": "3",
            "nav": "next",
        },
    )
    assert response.status_code == 400


def test_wizard_input_stays_in_its_workspace(tenant, web):
    """Input typed in one workspace does not show up in another one's wizard."""
    from tests.factories import WorkspaceFactory
    from workspaces.models import Membership

    second = WorkspaceFactory(organization=tenant.workspace.organization)
    Membership.objects.create(
        user=tenant.editor,
        organization=second.organization,
        workspace=second,
        role=Role.EDITOR,
    )
    client = web(tenant.editor, tenant.workspace)
    client.post(step("brand"), {"new_brand": "First brand", "nav": "next"})
    session = client.session
    session["workspace_id"] = second.pk
    session.save()
    assert client.get(step("brief"))["Location"] == step("brand")
