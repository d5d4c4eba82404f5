"""/api/v1/campaigns/ (nested channels and pillars), plan requests and jobs."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign, Job, JobStatus
from tests.factories import (
    BrandProfileFactory,
    CampaignFactory,
    ChannelAccountFactory,
)
from workspaces.models import ApiKeyScope, Role

URL = "/api/v1/campaigns/"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.fixture
def brand(tenant):
    return BrandProfileFactory(workspace=tenant.workspace)


def _payload(tenant, brand, **extra):
    return {
        "workspace": tenant.workspace.pk,
        "brand": brand.pk,
        "name": "Spring",
        "start_date": "2026-03-01",
        "end_date": "2026-04-15",
        "time_zone": "Europe/Berlin",
        **extra,
    }


def test_create_with_channels_and_pillars(tenant, brand, user_client):
    a, b = ChannelAccountFactory.create_batch(2, workspace=tenant.workspace)
    response = user_client(tenant.editor).post(
        URL,
        _payload(
            tenant,
            brand,
            channels=[
                {"account": a.pk, "posts_per_week": 3},
                {"account": b.pk, "posts_per_week": 5},
            ],
            pillars=[{"name": "Product", "weight": 3}, {"name": "Team"}],
            blackout_dates=["2026-04-03"],
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert sorted((c["account"], c["posts_per_week"]) for c in body["channels"]) == [
        (a.pk, 3),
        (b.pk, 5),
    ]
    assert {(p["name"], p["weight"]) for p in body["pillars"]} == {
        ("Product", 3),
        ("Team", 1),
    }
    assert body["blackout_dates"] == ["2026-04-03"]
    assert body["utm_campaign"] == "spring"


def test_patch_replaces_pillars_and_keeps_channels(tenant, user_client):
    campaign = CampaignFactory(
        workspace=tenant.workspace, channels=1, pillars=[("Old", 1), ("Kept", 2)]
    )
    response = user_client(tenant.editor).patch(
        f"{URL}{campaign.pk}/", {"pillars": [{"name": "Kept", "weight": 5}]}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(p["name"], p["weight"]) for p in body["pillars"]] == [("Kept", 5)]
    assert len(body["channels"]) == 1


def test_end_before_start_is_refused_and_nothing_made(tenant, brand, user_client):
    response = user_client(tenant.editor).post(
        URL, _payload(tenant, brand, start_date="2026-05-01", end_date="2026-04-01")
    )
    assert "end_date" in _error(response, 400)["fields"]
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"budget": 10}, "budget"),
        ({"start_date": "tomorrow"}, "start_date"),
        ({"channels": [{"account": "five"}]}, "channels.0.account"),
        ({"pillars": [{"name": "P", "weight": 0}]}, "pillars.0.weight"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"objective": "fame"}, "objective"),
    ],
)
def test_bad_input_names_the_field(tenant, brand, user_client, extra, field):
    response = user_client(tenant.editor).post(URL, _payload(tenant, brand, **extra))
    assert field in _error(response, 400)["fields"]
    assert not Campaign.objects.exists()


def test_foreign_brand_and_accounts_read_as_no_such(
    tenant, other_tenant, brand, user_client
):
    their_brand = BrandProfileFactory(workspace=other_tenant.workspace)
    their_account = ChannelAccountFactory(workspace=other_tenant.workspace)
    client = user_client(tenant.owner)
    fields = _error(client.post(URL, _payload(tenant, their_brand)), 400)["fields"]
    assert fields["brand"] == ["No such brand."]
    response = client.post(
        URL, _payload(tenant, brand, channels=[{"account": their_account.pk}])
    )
    fields = _error(response, 400)["fields"]
    assert fields["channels.0.account"] == ["No such channel account."]
    assert not Campaign.objects.exists()


def test_brand_of_a_sibling_workspace_is_refused(tenant, user_client):
    from tests.factories import WorkspaceFactory

    sibling = WorkspaceFactory(organization=tenant.workspace.organization)
    other_brand = BrandProfileFactory(workspace=sibling)
    response = user_client(tenant.owner).post(URL, _payload(tenant, other_brand))
    assert "brand" in _error(response, 400)["fields"]


def test_another_tenants_campaign_is_not_found_everywhere(
    tenant, other_tenant, user_client
):
    theirs = CampaignFactory(workspace=other_tenant.workspace, channels=1)
    client = user_client(tenant.owner)
    url = f"{URL}{theirs.pk}/"
    assert _error(client.get(url), 404)["code"] == "not_found"
    _error(client.patch(url, {"name": "Mine"}), 404)
    _error(client.delete(url), 404)
    _error(client.post(f"{url}plan/"), 404)
    assert client.get(URL).json()["count"] == 0
    assert Campaign.objects.filter(pk=theirs.pk, name=theirs.name).exists()
    assert not Job.objects.exists()


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.CLIENT])
def test_reviewers_and_clients_cannot_change_campaigns(tenant, user_client, role):
    campaign = CampaignFactory(workspace=tenant.workspace)
    response = user_client(tenant.person(role)).patch(
        f"{URL}{campaign.pk}/", {"brief": "New"}
    )
    _error(response, 403)


def test_read_key_reads_but_cannot_write(tenant, brand, key_client):
    campaign = CampaignFactory(workspace=tenant.workspace)
    client = key_client(tenant.workspace, ApiKeyScope.READ)
    assert client.get(f"{URL}{campaign.pk}/").status_code == 200
    _error(client.post(URL, _payload(tenant, brand, name="By key")), 403)
    _error(client.delete(f"{URL}{campaign.pk}/"), 403)
    assert Campaign.objects.count() == 1


def test_delete_campaign(tenant, user_client):
    campaign = CampaignFactory(workspace=tenant.workspace)
    assert user_client(tenant.editor).delete(f"{URL}{campaign.pk}/").status_code == 204
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_plan_answers_202_with_a_job_to_poll(tenant, user_client):
    campaign = CampaignFactory(workspace=tenant.workspace, channels=1)
    client = user_client(tenant.editor)
    response = client.post(f"{URL}{campaign.pk}/plan/")
    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["kind"], job["status"], job["input"]) == (
        "plan",
        JobStatus.QUEUED,
        {"campaign_id": campaign.pk},
    )
    polled = client.get(f"/api/v1/jobs/{job['id']}/").json()
    assert set(polled) >= {"status", "progress", "message", "result", "error"}
    again = _error(client.post(f"{URL}{campaign.pk}/plan/"), 409)
    assert (again["code"], again["job_id"]) == ("job_running", job["id"])


def test_plan_without_channels_conflicts(tenant, user_client):
    campaign = CampaignFactory(workspace=tenant.workspace)
    response = user_client(tenant.editor).post(f"{URL}{campaign.pk}/plan/")
    assert _error(response, 409)["code"] == "not_ready"


def test_reviewer_cannot_request_a_plan(tenant, user_client):
    campaign = CampaignFactory(workspace=tenant.workspace, channels=1)
    _error(user_client(tenant.reviewer).post(f"{URL}{campaign.pk}/plan/"), 403)
    assert not Job.objects.exists()


def test_another_tenants_job_is_not_found(tenant, other_tenant, user_client):
    job = Job.objects.create(workspace=other_tenant.workspace, kind="plan")
    client = user_client(tenant.owner)
    _error(client.get(f"/api/v1/jobs/{job.pk}/"), 404)
    assert client.get("/api/v1/jobs/").json()["count"] == 0


def test_channel_accounts_are_listed_per_tenant(tenant, other_tenant, key_client):
    mine = ChannelAccountFactory(workspace=tenant.workspace)
    theirs = ChannelAccountFactory(workspace=other_tenant.workspace)
    client = key_client(tenant.workspace, ApiKeyScope.READ)
    body = client.get("/api/v1/channel-accounts/").json()
    assert [a["id"] for a in body["results"]] == [mine.pk]
    _error(client.get(f"/api/v1/channel-accounts/{theirs.pk}/"), 404)
