"""/api/v1/brands/: CRUD through the brand service, scoped to the caller."""

from __future__ import annotations

import pytest

from campaigns.models import BrandProfile
from tests.factories import BrandProfileFactory, CampaignFactory
from workspaces.models import ApiKeyScope, Role

URL = "/api/v1/brands/"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def test_editor_creates_a_brand_with_cleaned_lists(tenant, user_client):
    response = user_client(tenant.editor).post(
        URL,
        {
            "workspace": tenant.workspace.pk,
            "name": "Contoso",
            "required_hashtags": ["coffee", "#beans"],
            "colours": ["#AABBCC"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["required_hashtags"] == ["#coffee", "#beans"]
    assert body["colours"] == ["#aabbcc"]
    assert BrandProfile.objects.get(pk=body["id"]).workspace == tenant.workspace


def test_list_shows_only_the_callers_brands(tenant, other_tenant, user_client):
    mine = BrandProfileFactory(workspace=tenant.workspace)
    BrandProfileFactory(workspace=other_tenant.workspace)
    body = user_client(tenant.client).get(URL).json()
    assert [b["id"] for b in body["results"]] == [mine.pk]


def test_another_tenants_brand_is_not_found_everywhere(
    tenant, other_tenant, user_client
):
    theirs = BrandProfileFactory(workspace=other_tenant.workspace)
    client = user_client(tenant.owner)
    url = f"{URL}{theirs.pk}/"
    assert _error(client.get(url), 404)["code"] == "not_found"
    assert _error(client.patch(url, {"name": "Mine"}), 404)["code"] == "not_found"
    assert _error(client.delete(url), 404)["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.name != "Mine"


def test_creating_in_another_tenants_workspace_is_refused(
    tenant, other_tenant, user_client
):
    response = user_client(tenant.owner).post(
        URL, {"workspace": other_tenant.workspace.pk, "name": "Sneaky"}
    )
    assert "workspace" in _error(response, 400)["fields"]
    assert not BrandProfile.objects.filter(name="Sneaky").exists()


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.CLIENT])
def test_reviewers_and_clients_cannot_edit_brands(tenant, user_client, role):
    brand = BrandProfileFactory(workspace=tenant.workspace, name="Before")
    response = user_client(tenant.person(role)).patch(
        f"{URL}{brand.pk}/", {"name": "After"}
    )
    assert _error(response, 403)["code"] == "permission_denied"
    brand.refresh_from_db()
    assert brand.name == "Before"


def test_read_key_cannot_create(tenant, key_client):
    response = key_client(tenant.workspace, ApiKeyScope.READ).post(
        URL, {"workspace": tenant.workspace.pk, "name": "By key"}
    )
    _error(response, 403)
    assert not BrandProfile.objects.exists()


def test_write_key_creates_and_changes(tenant, key_client):
    client = key_client(tenant.workspace)
    created = client.post(URL, {"workspace": tenant.workspace.pk, "name": "K"})
    assert created.status_code == 201, created.content
    changed = client.patch(f"{URL}{created.json()['id']}/", {"voice": "Calm."})
    assert changed.json()["voice"] == "Calm."


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "colour": ["#000000"]}, "colour"),
        ({"name": "X", "tone": "friendly"}, "tone"),
        ({"name": "X", "colours": ["red"]}, "colours"),
        ({"name": "X", "ai_disclosure": "sometimes"}, "ai_disclosure"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    tenant, user_client, payload, field
):
    brand = BrandProfileFactory(workspace=tenant.workspace, name="Kept")
    response = user_client(tenant.editor).patch(f"{URL}{brand.pk}/", payload)
    assert field in _error(response, 400)["fields"]
    brand.refresh_from_db()
    assert (brand.name, brand.tone) == ("Kept", ["friendly", "expert"])


def test_duplicate_name_is_a_field_error(tenant, user_client):
    BrandProfileFactory(workspace=tenant.workspace, name="Taken")
    response = user_client(tenant.editor).post(
        URL, {"workspace": tenant.workspace.pk, "name": "Taken"}
    )
    assert "name" in _error(response, 400)["fields"]


def test_deleting_a_brand_in_use_conflicts(tenant, user_client):
    campaign = CampaignFactory(workspace=tenant.workspace)
    client = user_client(tenant.editor)
    assert _error(client.delete(f"{URL}{campaign.brand_id}/"), 409)["code"] == "in_use"
    unused = BrandProfileFactory(workspace=tenant.workspace)
    assert client.delete(f"{URL}{unused.pk}/").status_code == 204
    assert not BrandProfile.objects.filter(pk=unused.pk).exists()
