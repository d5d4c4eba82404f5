"""/api/v1/workspaces/: scoped lists, creation rights, settings changes."""

from __future__ import annotations

import pytest

from tests.factories import WorkspaceFactory, api_key
from workspaces.models import ApiKeyScope, Role, Workspace

URL = "/api/v1/workspaces/"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def test_list_shows_visible_workspaces_only(tenant, other_tenant, user_client):
    sibling = WorkspaceFactory(organization=tenant.workspace.organization)
    owner_ids = {w["id"] for w in user_client(tenant.owner).get(URL).json()["results"]}
    editor_ids = {
        w["id"] for w in user_client(tenant.editor).get(URL).json()["results"]
    }
    # The owner is organization-wide; the editor belongs to one workspace.
    assert owner_ids == {tenant.workspace.pk, sibling.pk}
    assert editor_ids == {tenant.workspace.pk}


def test_list_filters_by_organization_slug(tenant, user_client):
    org = tenant.workspace.organization
    client = user_client(tenant.owner)
    assert client.get(URL, {"organization": org.slug}).json()["count"] == 1
    assert client.get(URL, {"organization": "no-such-org"}).json()["count"] == 0


def test_retrieve_returns_the_settings(tenant, key_client):
    ws = tenant.workspace
    body = key_client(ws, ApiKeyScope.READ).get(f"{URL}{ws.pk}/").json()
    assert body == {
        "id": ws.pk,
        "organization": ws.organization_id,
        "name": ws.name,
        "slug": ws.slug,
        "time_zone": "UTC",
        "approval_required": True,
        "created_at": body["created_at"],
    }


def test_owner_creates_a_workspace(tenant, user_client):
    org = tenant.workspace.organization
    response = user_client(tenant.owner).post(
        URL,
        {"organization": org.pk, "name": "Contoso", "time_zone": "Europe/Berlin"},
        format="json",
    )
    assert response.status_code == 201, response.content
    created = Workspace.objects.get(pk=response.json()["id"])
    assert (created.organization, created.time_zone) == (org, "Europe/Berlin")


def test_org_wide_write_key_creates_a_workspace(tenant):
    from rest_framework.test import APIClient

    org = tenant.workspace.organization
    secret, _ = api_key(organization=org, scope=ApiKeyScope.WRITE)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.post(URL, {"organization": org.pk, "name": "By key"})
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR, Role.CLIENT])
def test_workspace_roles_cannot_create_workspaces(tenant, user_client, role):
    org = tenant.workspace.organization
    response = user_client(tenant.person(role)).post(
        URL, {"organization": org.pk, "name": "Nope"}, format="json"
    )
    assert _error(response, 403)["code"] == "permission_denied"
    assert not Workspace.objects.filter(name="Nope").exists()


def test_workspace_key_cannot_create_workspaces(tenant, key_client):
    org = tenant.workspace.organization
    response = key_client(tenant.workspace, ApiKeyScope.WRITE).post(
        URL, {"organization": org.pk, "name": "Nope"}
    )
    _error(response, 403)


def test_another_organization_reads_like_a_missing_one(
    tenant, other_tenant, user_client
):
    client = user_client(tenant.owner)
    foreign = client.post(
        URL, {"organization": other_tenant.workspace.organization_id, "name": "X"}
    )
    missing = client.post(URL, {"organization": 999_999, "name": "X"})
    assert "organization" in _error(foreign, 400)["fields"]
    foreign_id = str(other_tenant.workspace.organization_id)
    assert _error(missing, 400)["fields"]["organization"] == [
        message.replace(foreign_id, "999999")
        for message in foreign.json()["error"]["fields"]["organization"]
    ]
    assert not Workspace.objects.filter(name="X").exists()


def test_admin_changes_settings(tenant, user_client):
    ws = tenant.workspace
    response = user_client(tenant.admin).patch(
        f"{URL}{ws.pk}/",
        {"approval_required": False, "time_zone": "America/New_York"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["approval_required"] is False
    ws.refresh_from_db()
    assert (ws.approval_required, ws.time_zone) == (False, "America/New_York")


def test_write_key_changes_settings_read_key_cannot(tenant, key_client):
    ws = tenant.workspace
    denied = key_client(ws, ApiKeyScope.READ).patch(f"{URL}{ws.pk}/", {"name": "R"})
    assert _error(denied, 403)["code"] == "permission_denied"
    ws.refresh_from_db()
    assert ws.name != "R"
    allowed = key_client(ws, ApiKeyScope.WRITE).patch(f"{URL}{ws.pk}/", {"name": "W"})
    assert allowed.status_code == 200
    ws.refresh_from_db()
    assert ws.name == "W"


@pytest.mark.parametrize("role", [Role.EDITOR, Role.REVIEWER, Role.CLIENT])
def test_other_roles_cannot_change_settings(tenant, user_client, role):
    ws = tenant.workspace
    response = user_client(tenant.person(role)).patch(
        f"{URL}{ws.pk}/", {"approval_required": False}, format="json"
    )
    _error(response, 403)
    ws.refresh_from_db()
    assert ws.approval_required is True


def test_bad_time_zone_names_the_field_and_changes_nothing(tenant, user_client):
    ws = tenant.workspace
    response = user_client(tenant.owner).patch(
        f"{URL}{ws.pk}/", {"name": "Renamed", "time_zone": "Mars/Olympus"}
    )
    assert "IANA" in _error(response, 400)["fields"]["time_zone"][0]
    ws.refresh_from_db()
    assert (ws.name, ws.time_zone) == (tenant.workspace.name, "UTC")


def test_put_and_delete_are_not_offered(tenant, user_client):
    ws = tenant.workspace
    client = user_client(tenant.owner)
    delete = client.delete(f"{URL}{ws.pk}/")
    assert _error(delete, 405)["code"] == "method_not_allowed"
    assert "PATCH" in delete["Allow"]
    _error(client.put(f"{URL}{ws.pk}/", {"name": "X"}), 405)
    assert Workspace.objects.filter(pk=ws.pk).exists()
