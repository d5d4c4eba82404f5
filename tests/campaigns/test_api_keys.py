"""/api/v1/api-keys/: a secret shown once and stored hashed, revocation, scopes."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.forms.models import model_to_dict
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import WorkspaceFactory, api_key
from workspaces.models import ApiKey, ApiKeyScope, Role
from workspaces.services.api_keys import api_key_revoke

URL = "/api/v1/api-keys/"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def _bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


# --- creating -----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_create_returns_the_secret_once_and_stores_only_its_hash(
    tenant, user_client, role
):
    creator = tenant.person(role)
    response = user_client(creator).post(
        URL,
        {"name": "Looker", "scope": "read", "workspace": tenant.workspace.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    secret = body["secret"]
    key = ApiKey.objects.get(pk=body["id"])
    assert secret.startswith(f"adl_{key.prefix}_")
    assert body["prefix"] == key.prefix
    assert (body["scope"], body["workspace"]) == ("read", tenant.workspace.pk)
    assert body["organization"] == tenant.workspace.organization_id
    assert (body["created_by"], body["last_used_at"], body["revoked_at"]) == (
        creator.email,
        None,
        None,
    )
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = " ".join(str(value) for value in model_to_dict(key).values())
    assert secret not in stored
    assert secret.split("_", 2)[2] not in stored


def test_the_secret_never_appears_again(tenant, user_client):
    client = user_client(tenant.owner)
    created = client.post(
        URL,
        {"name": "CRM", "scope": "write", "workspace": tenant.workspace.pk},
        format="json",
    ).json()
    listed = client.get(URL)
    retrieved = client.get(f"{URL}{created['id']}/")
    revoked = client.post(f"{URL}{created['id']}/revoke/")
    for response in (listed, retrieved, revoked):
        assert response.status_code == 200, response.content
        assert created["secret"] not in response.content.decode()
        assert '"secret"' not in response.content.decode()
    assert retrieved.json()["prefix"] == created["prefix"]


def test_a_new_key_works_and_its_use_is_recorded(tenant, user_client):
    created = (
        user_client(tenant.admin)
        .post(
            URL,
            {"name": "Dash", "scope": "read", "workspace": tenant.workspace.pk},
            format="json",
        )
        .json()
    )
    assert ApiKey.objects.get(pk=created["id"]).last_used_at is None
    response = _bearer(created["secret"]).get("/api/v1/workspaces/")
    assert [w["id"] for w in response.json()["results"]] == [tenant.workspace.pk]
    assert ApiKey.objects.get(pk=created["id"]).last_used_at is not None
    listed = user_client(tenant.admin).get(f"{URL}{created['id']}/").json()
    assert listed["last_used_at"] is not None


def test_last_used_at_is_written_at_most_once_a_minute(tenant):
    secret, key = api_key(tenant.workspace, ApiKeyScope.READ)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert _bearer(secret).get("/api/v1/workspaces/").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        _bearer(secret).get("/api/v1/workspaces/")
    key.refresh_from_db()
    assert key.last_used_at == start
    later = start + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        _bearer(secret).get("/api/v1/workspaces/")
    key.refresh_from_db()
    assert key.last_used_at == later


def test_an_organization_key_needs_an_organization_wide_role(tenant, user_client):
    org = tenant.workspace.organization
    data = {"name": "Agency", "scope": "write", "organization": org.pk}
    denied = user_client(tenant.admin).post(URL, data, format="json")
    assert _error(denied, 403)["code"] == "permission_denied"
    assert not ApiKey.objects.exists()
    allowed = user_client(tenant.owner).post(URL, data, format="json")
    assert allowed.status_code == 201, allowed.content
    assert allowed.json()["workspace"] is None


@pytest.mark.parametrize("targets", [("workspace", "organization"), ()])
def test_a_key_reaches_a_workspace_or_an_organization(tenant, user_client, targets):
    ws = tenant.workspace
    ids = {"workspace": ws.pk, "organization": ws.organization_id}
    data = {"name": "K", "scope": "read", **{name: ids[name] for name in targets}}
    response = user_client(tenant.owner).post(URL, data, format="json")
    assert _error(response, 400)["fields"] == {
        "workspace": ["Give either a workspace or an organization."]
    }
    assert not ApiKey.objects.exists()


def test_bad_input_names_each_field(tenant, user_client):
    response = user_client(tenant.owner).post(
        URL,
        {"name": "x" * 101, "scope": "admin", "workspace": tenant.workspace.pk},
        format="json",
    )
    assert set(_error(response, 400)["fields"]) == {"name", "scope"}
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.REVIEWER, Role.CLIENT])
def test_other_roles_cannot_create_keys(tenant, user_client, role):
    response = user_client(tenant.person(role)).post(
        URL,
        {"name": "Mine", "scope": "read", "workspace": tenant.workspace.pk},
        format="json",
    )
    assert _error(response, 403)["code"] == "permission_denied"
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("scope", [ApiKeyScope.READ, ApiKeyScope.WRITE])
def test_a_key_cannot_mint_or_revoke_keys(tenant, scope):
    secret, key = api_key(tenant.workspace, scope)
    client = _bearer(secret)
    created = client.post(
        URL,
        {"name": "Successor", "scope": "write", "workspace": tenant.workspace.pk},
        format="json",
    )
    assert _error(created, 403)["code"] == "permission_denied"
    revoked = client.post(f"{URL}{key.pk}/revoke/")
    assert _error(revoked, 403)["code"] == "permission_denied"
    assert list(ApiKey.objects.values_list("pk", "revoked_at")) == [(key.pk, None)]


def test_creating_in_another_tenants_workspace_reads_like_a_missing_one(
    tenant, other_tenant, user_client
):
    response = user_client(tenant.owner).post(
        URL,
        {"name": "X", "scope": "read", "workspace": other_tenant.workspace.pk},
        format="json",
    )
    assert "workspace" in _error(response, 400)["fields"]
    assert not ApiKey.objects.exists()


# --- listing ------------------------------------------------------------------------


def test_list_shows_keys_reaching_the_managed_workspaces(
    tenant, other_tenant, user_client
):
    _, own = api_key(tenant.workspace)
    _, org_wide = api_key(organization=tenant.workspace.organization)
    _, sibling = api_key(WorkspaceFactory(organization=tenant.workspace.organization))
    api_key(other_tenant.workspace)
    admin_ids = {k["id"] for k in user_client(tenant.admin).get(URL).json()["results"]}
    owner_ids = {k["id"] for k in user_client(tenant.owner).get(URL).json()["results"]}
    assert admin_ids == {own.pk, org_wide.pk}
    assert owner_ids == {own.pk, org_wide.pk, sibling.pk}
    assert user_client(tenant.editor).get(URL).json()["count"] == 0


def test_list_filters_active_keys(tenant, user_client):
    _, active = api_key(tenant.workspace)
    _, revoked = api_key(tenant.workspace)
    api_key_revoke(api_key=revoked)
    client = user_client(tenant.owner)
    assert [k["id"] for k in client.get(URL, {"active": "true"}).json()["results"]] == [
        active.pk
    ]
    assert [
        k["id"] for k in client.get(URL, {"active": "false"}).json()["results"]
    ] == [revoked.pk]


@pytest.mark.parametrize("role", [Role.EDITOR, Role.CLIENT])
def test_other_roles_get_403_on_a_visible_key(tenant, user_client, role):
    _, key = api_key(tenant.workspace)
    response = user_client(tenant.person(role)).get(f"{URL}{key.pk}/")
    assert _error(response, 403)["code"] == "permission_denied"
    assert key.prefix not in response.content.decode()


# --- revoking -----------------------------------------------------------------------


def test_a_revoked_key_answers_401_in_the_error_format(tenant, user_client):
    secret, key = api_key(tenant.workspace, ApiKeyScope.WRITE)
    assert _bearer(secret).get("/api/v1/workspaces/").status_code == 200

    response = user_client(tenant.admin).post(f"{URL}{key.pk}/revoke/")
    assert response.status_code == 200, response.content
    assert response.json()["revoked_at"] is not None
    key.refresh_from_db()
    assert key.revoked_at is not None

    denied = _bearer(secret).get("/api/v1/workspaces/")
    assert _error(denied, 401) == {
        "code": "authentication_failed",
        "message": "Invalid or revoked API key.",
        "fields": {},
    }
    assert denied["WWW-Authenticate"] == 'Bearer realm="api"'


def test_revoking_twice_keeps_the_first_time(tenant, user_client):
    _, key = api_key(tenant.workspace)
    client = user_client(tenant.owner)
    first = client.post(f"{URL}{key.pk}/revoke/").json()["revoked_at"]
    second = client.post(f"{URL}{key.pk}/revoke/")
    assert second.status_code == 200
    assert second.json()["revoked_at"] == first


def test_a_workspace_admin_cannot_revoke_an_organization_key(tenant, user_client):
    _, key = api_key(organization=tenant.workspace.organization)
    response = user_client(tenant.admin).post(f"{URL}{key.pk}/revoke/")
    assert _error(response, 403)["code"] == "permission_denied"
    key.refresh_from_db()
    assert key.revoked_at is None


def test_keys_are_revoked_not_deleted(tenant, user_client):
    _, key = api_key(tenant.workspace)
    response = user_client(tenant.owner).delete(f"{URL}{key.pk}/")
    assert _error(response, 405)["code"] == "method_not_allowed"
    assert ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).exists()


# --- isolation ----------------------------------------------------------------------


def test_a_workspace_key_cannot_see_another_workspace(tenant, key_client):
    sibling = WorkspaceFactory(organization=tenant.workspace.organization)
    _, sibling_key = api_key(sibling)
    client = key_client(tenant.workspace, ApiKeyScope.WRITE)
    for path in (
        f"/api/v1/workspaces/{sibling.pk}/",
        f"{URL}{sibling_key.pk}/",
        f"{URL}{sibling_key.pk}/revoke/",
    ):
        method = client.post if path.endswith("revoke/") else client.get
        assert _error(method(path), 404)["code"] == "not_found"
    listed = client.get("/api/v1/workspaces/").json()["results"]
    assert [w["id"] for w in listed] == [tenant.workspace.pk]
    sibling_key.refresh_from_db()
    assert sibling_key.revoked_at is None


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.EDITOR])
def test_another_tenants_keys_answer_404(tenant, other_tenant, user_client, role):
    _, foreign = api_key(other_tenant.workspace)
    client = user_client(tenant.person(role))
    for response in (
        client.get(f"{URL}{foreign.pk}/"),
        client.post(f"{URL}{foreign.pk}/revoke/"),
    ):
        assert _error(response, 404)["code"] == "not_found"
        assert foreign.prefix not in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


# --- the Authorization header -------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer", "authentication_failed"),
        ("Bearer ", "authentication_failed"),
        ("Bearer two parts", "authentication_failed"),
        ("Bearer not-a-key", "authentication_failed"),
        ("Bearer adl_00000000_nope", "authentication_failed"),
        ("bearer adl_", "authentication_failed"),
        # Blank: no credentials at all (this used to be a 500).
        (" ", "not_authenticated"),
        ("Basic dXNlcjpwYXNz", "not_authenticated"),
    ],
)
def test_a_malformed_or_unknown_authorization_answers_401(tenant, header, code):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/workspaces/")
    assert _error(response, 401)["code"] == code
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_tampered_secret_with_a_real_prefix_answers_401(tenant):
    secret, _ = api_key(tenant.workspace)
    response = _bearer(secret[:-2] + "xx").get("/api/v1/workspaces/")
    assert _error(response, 401)["code"] == "authentication_failed"
