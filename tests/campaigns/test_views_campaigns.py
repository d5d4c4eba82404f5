"""Campaign pages, the plan job page and planning accounts: roles and tenancy."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from campaigns.models import Campaign, CampaignStatus, Job, JobStatus, PostStatus
from campaigns.services.plans import PLAN_JOB
from connections.models import ChannelAccount
from tests.factories import CampaignFactory, ChannelAccountFactory, PostFactory
from workspaces.models import Role

pytestmark = pytest.mark.usefixtures("static_files")
WRITERS = [Role.OWNER, Role.ADMIN, Role.EDITOR]
READERS = [Role.REVIEWER, Role.CLIENT]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Plan requests enqueue after commit; these tests only look at the job row."""
    monkeypatch.setattr("workflow.tasks.run_plan_job.delay", lambda job_id: None)


def _campaign(tenant, **kwargs):
    kwargs.setdefault("pillars", [("Craft", 2), ("Origins", 1)])
    kwargs.setdefault("channels", 1)
    return CampaignFactory(workspace=tenant.workspace, **kwargs)


@pytest.mark.parametrize("role", list(Role))
def test_everyone_sees_the_list_with_post_counts_by_status(tenant, web, role):
    campaign = _campaign(tenant, name="Spring launch")
    PostFactory.create_batch(2, campaign=campaign)
    PostFactory(campaign=campaign, status=PostStatus.APPROVED)
    body = web(tenant.person(role)).get(reverse("campaigns")).content.decode()
    assert "Spring launch" in body
    assert "Draft 2" in body
    assert "Approved 1" in body
    assert campaign.cadences.get().account.name in body
    assert ("New campaign" in body) == (role in WRITERS)


@pytest.mark.parametrize("role", list(Role))
def test_the_detail_page_shows_the_whole_campaign(tenant, web, role):
    campaign = _campaign(
        tenant,
        blackout_dates=["2030-01-02"],
        kpi_targets={"clicks": 500},
        brief="Tell home baristas about the beans.",
    )
    response = web(tenant.person(role)).get(
        reverse("campaign-detail", args=[campaign.pk])
    )
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        "Tell home baristas about the beans.",
        "Craft",
        "weight 2 · 67% of posts",
        "2030-01-02",
        "clicks",
        "500",
        "3</td>",  # posts per week
        f"/calendar/?campaign={campaign.pk}",
    ):
        assert text in body, text
    # Readers see no controls.
    assert ("Change status" in body) == (role in WRITERS)
    assert (reverse("campaign-replan", args=[campaign.pk]) in body) == (role in WRITERS)
    if role in WRITERS:
        assert "offline planner (rules, no AI)" in body
        assert "edited, moved, submitted or approved are kept" in body


@pytest.mark.parametrize("role", READERS)
def test_readers_get_403_on_every_change(tenant, web, role):
    campaign = _campaign(tenant, name="Spring launch")
    client = web(tenant.person(role))
    assert client.get(reverse("campaign-edit", args=[campaign.pk])).status_code == 403
    attempts = [
        (reverse("campaign-edit", args=[campaign.pk]), {"name": "X"}),
        (reverse("campaign-status", args=[campaign.pk]), {"status": "active"}),
        (reverse("campaign-replan", args=[campaign.pk]), {}),
    ]
    for url, data in attempts:
        assert client.post(url, data).status_code == 403, url
    campaign.refresh_from_db()
    assert (campaign.name, campaign.status) == ("Spring launch", CampaignStatus.DRAFT)
    assert not Job.objects.exists()


@pytest.mark.parametrize("role", WRITERS)
def test_writers_change_the_status(tenant, web, role):
    campaign = _campaign(tenant)
    response = web(tenant.person(role)).post(
        reverse("campaign-status", args=[campaign.pk]), {"status": "paused"}
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED


def test_an_unknown_status_changes_nothing(tenant, web):
    campaign = _campaign(tenant)
    client = web(tenant.editor)
    response = client.post(
        reverse("campaign-status", args=[campaign.pk]),
        {"status": "deleted"},
        follow=True,
    )
    assert "Choose a status" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def _edit_data(campaign, **changes):
    account = campaign.cadences.get().account
    data = {
        "name": campaign.name,
        "brand": campaign.brand_id,
        "objective": "traffic",
        "brief": "New brief",
        "kpi_targets": "clicks: 800\nengagement_rate: 0.05",
        "start_date": "2030-03-01",
        "end_date": "2030-03-31",
        "time_zone": "Europe/Paris",
        "blackout_dates": "2030-03-10",
        "min_gap_minutes": "120",
        "utm_campaign": "spring",
        f"ch-account_{account.pk}": "on",
        f"ch-per_week_{account.pk}": "5",
        "pillars-TOTAL_FORMS": "6",
        "pillars-INITIAL_FORMS": "0",
        "pillars-0-name": "Craft",
        "pillars-0-weight": "3",
        "pillars-1-name": "People",
        "pillars-1-weight": "1",
    }
    data.update(changes)
    return data


def test_editing_saves_fields_cadence_and_pillars(tenant, web):
    campaign = _campaign(tenant)
    client = web(tenant.editor)
    page = client.get(reverse("campaign-edit", args=[campaign.pk]))
    assert page.status_code == 200
    assert 'value="Craft"' in page.content.decode()
    response = client.post(
        reverse("campaign-edit", args=[campaign.pk]), _edit_data(campaign)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign.refresh_from_db()
    assert campaign.objective == "traffic"
    assert campaign.start_date == date(2030, 3, 1)
    assert campaign.time_zone == "Europe/Paris"
    assert campaign.blackout_dates == ["2030-03-10"]
    assert campaign.kpi_targets == {"clicks": 800, "engagement_rate": 0.05}
    assert campaign.cadences.get().posts_per_week == 5
    assert sorted(campaign.pillars.values_list("name", "weight")) == [
        ("Craft", 3),
        ("People", 1),
    ]


def test_editing_with_bad_input_shows_errors_and_saves_nothing(tenant, web):
    campaign = _campaign(tenant, name="Spring launch")
    CampaignFactory(workspace=tenant.workspace, name="Taken")
    client = web(tenant.editor)
    bad = _edit_data(
        campaign,
        end_date="2030-02-01",
        kpi_targets="lots of clicks",
        **{"pillars-0-weight": "0"},
    )
    response = client.post(reverse("campaign-edit", args=[campaign.pk]), bad)
    assert response.status_code == 400
    body = response.content.decode()
    assert "The campaign ends before it starts." in body
    assert "is not &#x27;metric: number&#x27;" in body
    assert "greater than or equal to 1" in body
    response = client.post(
        reverse("campaign-edit", args=[campaign.pk]), _edit_data(campaign, name="Taken")
    )
    assert response.status_code == 400
    assert "already has a campaign with this name" in response.content.decode()
    campaign.refresh_from_db()
    assert (campaign.name, campaign.objective) == ("Spring launch", "awareness")


def test_replan_queues_a_job_and_shows_its_progress(tenant, web):
    campaign = _campaign(tenant)
    client = web(tenant.editor)
    response = client.post(reverse("campaign-replan", args=[campaign.pk]))
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("job", args=[job.pk])
    assert job.kind == PLAN_JOB and job.input == {"campaign_id": campaign.pk}
    # A second request while the first runs goes to the running one.
    response = client.post(reverse("campaign-replan", args=[campaign.pk]))
    assert response["Location"] == reverse("job", args=[job.pk])
    assert Job.objects.count() == 1


def test_replan_without_channels_says_why(tenant, web):
    campaign = _campaign(tenant, channels=0)
    response = web(tenant.editor).post(
        reverse("campaign-replan", args=[campaign.pk]), follow=True
    )
    assert "Add at least one channel" in response.content.decode()
    assert not Job.objects.exists()


def test_the_job_page_polls_until_done_then_links_to_the_calendar(tenant, web):
    campaign = _campaign(tenant)
    job = Job.objects.create(
        workspace=tenant.workspace,
        kind=PLAN_JOB,
        status=JobStatus.RUNNING,
        progress=40,
        message="Placing posts",
        input={"campaign_id": campaign.pk},
    )
    client = web(tenant.client)  # every role may watch
    body = client.get(reverse("job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert 'aria-valuenow="40"' in body
    assert "Placing posts" in body
    assert "offline planner (rules, no AI)" in body
    assert "Review the plan on the calendar" not in body

    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED,
        progress=100,
        result={
            "created": 12,
            "kept": 2,
            "deleted": 3,
            "warnings": ["Only 11 slots in week 2."],
        },
    )
    panel = client.get(reverse("job", args=[job.pk]), HTTP_HX_REQUEST="true")
    body = panel.content.decode()
    assert "<html" not in body  # HTMX gets the panel only
    assert "every 1s" not in body  # polling stops
    assert 'aria-valuenow="100"' in body
    assert f'href="/calendar/?campaign={campaign.pk}&amp;date=' in body
    assert "Review the plan on the calendar" in body
    assert "12</strong> posts planned, 2 kept as people left them" in body
    assert "Only 11 slots in week 2." in body


def test_a_failed_job_shows_its_error_and_stops_polling(tenant, web):
    job = Job.objects.create(
        workspace=tenant.workspace,
        kind=PLAN_JOB,
        status=JobStatus.FAILED,
        error="The campaign has no days left to plan.",
        input={"campaign_id": _campaign(tenant).pk},
    )
    body = web(tenant.editor).get(reverse("job", args=[job.pk])).content.decode()
    assert "The campaign has no days left to plan." in body
    assert "every 1s" not in body


def test_another_workspaces_campaign_and_job_are_404(tenant, other_tenant, web):
    theirs = _campaign(other_tenant, name="Their secret")
    job = Job.objects.create(
        workspace=other_tenant.workspace,
        kind=PLAN_JOB,
        input={"campaign_id": theirs.pk},
    )
    client = web(tenant.owner)
    for url in (
        reverse("campaign-detail", args=[theirs.pk]),
        reverse("campaign-edit", args=[theirs.pk]),
        reverse("job", args=[job.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("campaign-edit", args=[theirs.pk]),
        reverse("campaign-status", args=[theirs.pk]),
        reverse("campaign-replan", args=[theirs.pk]),
    ):
        assert client.post(url, {"status": "active"}).status_code == 404, url
    assert "Their secret" not in client.get(reverse("campaigns")).content.decode()
    theirs.refresh_from_db()
    assert theirs.status == CampaignStatus.DRAFT
    assert Job.objects.count() == 1


def test_editing_cannot_use_another_workspaces_brand_or_account(
    tenant, other_tenant, web
):
    campaign = _campaign(tenant)
    theirs = CampaignFactory(workspace=other_tenant.workspace, channels=1)
    their_account = theirs.cadences.get().account
    data = _edit_data(
        campaign,
        brand=theirs.brand_id,
        **{
            f"ch-account_{their_account.pk}": "on",
            f"ch-per_week_{their_account.pk}": "9",
        },
    )
    response = web(tenant.editor).post(
        reverse("campaign-edit", args=[campaign.pk]), data
    )
    assert response.status_code == 400
    campaign.refresh_from_db()
    assert campaign.brand.workspace == tenant.workspace
    assert list(campaign.channels.all()) != [their_account]


# --- Planning accounts under /channels/ ------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_everyone_sees_the_accounts_and_the_planning_only_badge(tenant, web, role):
    ChannelAccountFactory(workspace=tenant.workspace, name="Roastery toots")
    body = web(tenant.person(role)).get(reverse("channels")).content.decode()
    assert "Roastery toots" in body
    # Without credentials an account only plans (connecting: tests/channels).
    assert "Planning only" in body
    assert ("Add account" in body) == (role in (Role.OWNER, Role.ADMIN))


@pytest.mark.parametrize("role", [Role.EDITOR, Role.REVIEWER, Role.CLIENT])
def test_only_managers_add_accounts(tenant, web, role):
    response = web(tenant.person(role)).post(
        reverse("channels"), {"name": "X", "network": "mastodon"}
    )
    assert response.status_code == 403
    assert not ChannelAccount.objects.exists()


def test_an_admin_adds_an_account_and_returns_to_the_wizard(tenant, web):
    client = web(tenant.admin)
    response = client.post(
        reverse("channels"),
        {
            "name": "Roastery",
            "network": "bluesky",
            "handle": "@roastery.bsky.social",
            "next": "/campaigns/new/channels/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/campaigns/new/channels/"
    account = ChannelAccount.objects.get()
    assert (account.workspace, account.network) == (tenant.workspace, "bluesky")
    again = client.post(reverse("channels"), {"name": "Roastery", "network": "bluesky"})
    assert again.status_code == 400
    assert "already has an account" in again.content.decode()
    bad = client.post(
        reverse("channels"),
        {"name": "Elsewhere", "network": "bluesky", "next": "https://evil.test/"},
    )
    assert bad["Location"] == reverse("channels")
    assert ChannelAccount.objects.count() == 2
    assert Campaign.objects.count() == 0
