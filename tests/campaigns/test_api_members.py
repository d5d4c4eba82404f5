"""/api/v1/members/: who sees which members, who may add, change and remove them."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory, WorkspaceFactory, api_key, member
from workspaces.models import ApiKeyScope, Membership, Role
from workspaces.services.api_keys import api_key_revoke

URL = "/api/v1/members/"
MANAGERS = [Role.OWNER, Role.ADMIN]
NON_MANAGERS = [Role.EDITOR, Role.REVIEWER, Role.CLIENT]


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def _row(tenant, role: str) -> Membership:
    return Membership.objects.get(user=tenant.person(role))


def _snapshot() -> list[tuple[int, int, int | None, str]]:
    return sorted(
        Membership.objects.values_list(
            "user_id", "organization_id", "workspace_id", "role"
        )
    )


# --- reading ----------------------------------------------------------------------


def test_list_shows_the_workspace_and_its_organization_wide_members(
    tenant, other_tenant, user_client
):
    response = user_client(tenant.client).get(URL)
    assert response.status_code == 200
    rows = {r["user"]["email"]: r for r in response.json()["results"]}
    assert set(rows) == {
        tenant.person(role).email for role in [*MANAGERS, *NON_MANAGERS]
    }
    owner = rows[tenant.owner.email]
    assert (owner["role"], owner["workspace"]) == (Role.OWNER, None)
    assert owner["organization"] == tenant.workspace.organization_id
    editor = rows[tenant.editor.email]
    assert (editor["role"], editor["workspace"]) == (Role.EDITOR, tenant.workspace.pk)
    assert set(editor["user"]) == {"id", "email", "first_name", "last_name"}


def test_list_filters_by_workspace_and_role(tenant, user_client):
    sibling = WorkspaceFactory(organization=tenant.workspace.organization)
    newcomer = member(sibling, Role.EDITOR)
    client = user_client(tenant.owner)

    by_slug = client.get(URL, {"workspace": sibling.slug}).json()["results"]
    # The sibling's own member, plus the organization-wide owner.
    assert {r["user"]["email"] for r in by_slug} == {
        newcomer.email,
        tenant.owner.email,
    }
    editors = client.get(URL, {"role": Role.EDITOR}).json()["results"]
    assert {r["user"]["email"] for r in editors} == {
        tenant.editor.email,
        newcomer.email,
    }
    _error(client.get(URL, {"role": "emperor"}), 400)


def test_a_read_key_lists_the_members_of_its_workspace(
    tenant, other_tenant, key_client
):
    response = key_client(tenant.workspace, ApiKeyScope.READ).get(URL)
    assert response.status_code == 200
    assert response.json()["count"] == 5


def test_retrieve_a_membership(tenant, user_client):
    row = _row(tenant, Role.REVIEWER)
    body = user_client(tenant.editor).get(f"{URL}{row.pk}/").json()
    assert body["id"] == row.pk
    assert body["user"]["email"] == tenant.reviewer.email
    assert body["role"] == Role.REVIEWER


# --- adding -----------------------------------------------------------------------


@pytest.mark.parametrize("role", MANAGERS)
def test_owner_and_admin_add_an_existing_account(tenant, user_client, role):
    person = UserFactory(email="sam@example.test")
    response = user_client(tenant.person(role)).post(
        URL,
        {
            "workspace": tenant.workspace.pk,
            "email": "SAM@example.test",
            "role": "editor",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    row = Membership.objects.get(user=person)
    assert (row.workspace, row.role) == (tenant.workspace, Role.EDITOR)
    assert response.json()["id"] == row.pk
    assert response.json()["user"]["email"] == "sam@example.test"


@pytest.mark.parametrize("role", NON_MANAGERS)
def test_other_roles_cannot_add_members(tenant, user_client, role):
    person = UserFactory()
    response = user_client(tenant.person(role)).post(
        URL,
        {"workspace": tenant.workspace.pk, "email": person.email, "role": "editor"},
        format="json",
    )
    assert _error(response, 403)["code"] == "permission_denied"
    assert not Membership.objects.filter(user=person).exists()


def test_adding_an_existing_member_answers_409_and_keeps_the_role(tenant, user_client):
    response = user_client(tenant.admin).post(
        URL,
        {
            "workspace": tenant.workspace.pk,
            "email": tenant.editor.email,
            "role": "admin",
        },
        format="json",
    )
    error = _error(response, 409)
    assert error["code"] == "conflict"
    assert error["fields"] == {}
    assert _row(tenant, Role.EDITOR).role == Role.EDITOR


def test_an_address_without_an_account_answers_400_pointing_to_invitations(
    tenant, user_client
):
    before = _snapshot()
    response = user_client(tenant.admin).post(
        URL,
        {
            "workspace": tenant.workspace.pk,
            "email": "nobody@example.test",
            "role": "editor",
        },
        format="json",
    )
    assert "/api/v1/invitations/" in _error(response, 400)["fields"]["email"][0]
    assert _snapshot() == before


def test_owner_is_not_a_workspace_role(tenant, user_client):
    person = UserFactory()
    response = user_client(tenant.owner).post(
        URL,
        {"workspace": tenant.workspace.pk, "email": person.email, "role": "owner"},
        format="json",
    )
    assert "role" in _error(response, 400)["fields"]
    assert not Membership.objects.filter(user=person).exists()


def test_adding_to_another_tenants_workspace_reads_like_a_missing_one(
    tenant, other_tenant, user_client
):
    person = UserFactory()
    client = user_client(tenant.owner)
    foreign = client.post(
        URL,
        {
            "workspace": other_tenant.workspace.pk,
            "email": person.email,
            "role": "editor",
        },
        format="json",
    )
    missing = client.post(
        URL,
        {"workspace": 999_999, "email": person.email, "role": "editor"},
        format="json",
    )
    foreign_id = str(other_tenant.workspace.pk)
    assert _error(missing, 400)["fields"]["workspace"] == [
        message.replace(foreign_id, "999999")
        for message in _error(foreign, 400)["fields"]["workspace"]
    ]
    assert not Membership.objects.filter(user=person).exists()


# --- changing a role ----------------------------------------------------------------


@pytest.mark.parametrize("role", MANAGERS)
def test_owner_and_admin_change_a_role(tenant, user_client, role):
    row = _row(tenant, Role.EDITOR)
    response = user_client(tenant.person(role)).patch(
        f"{URL}{row.pk}/", {"role": "reviewer"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["role"] == Role.REVIEWER
    row.refresh_from_db()
    assert row.role == Role.REVIEWER


@pytest.mark.parametrize("role", NON_MANAGERS)
def test_other_roles_cannot_change_roles(tenant, user_client, role):
    row = _row(tenant, Role.ADMIN)
    response = user_client(tenant.person(role)).patch(
        f"{URL}{row.pk}/", {"role": "client"}, format="json"
    )
    assert _error(response, 403)["code"] == "permission_denied"
    row.refresh_from_db()
    assert row.role == Role.ADMIN


def test_nobody_promotes_themselves(tenant, user_client):
    row = _row(tenant, Role.EDITOR)
    response = user_client(tenant.editor).patch(
        f"{URL}{row.pk}/", {"role": "admin"}, format="json"
    )
    _error(response, 403)
    row.refresh_from_db()
    assert row.role == Role.EDITOR


def test_a_workspace_admin_cannot_demote_the_organization_owner(tenant, user_client):
    row = _row(tenant, Role.OWNER)
    response = user_client(tenant.admin).patch(
        f"{URL}{row.pk}/", {"role": "admin"}, format="json"
    )
    assert _error(response, 403)["code"] == "permission_denied"
    row.refresh_from_db()
    assert row.role == Role.OWNER


def test_owner_cannot_be_given_inside_a_workspace(tenant, user_client):
    row = _row(tenant, Role.EDITOR)
    response = user_client(tenant.owner).patch(
        f"{URL}{row.pk}/", {"role": "owner"}, format="json"
    )
    assert "role" in _error(response, 400)["fields"]
    row.refresh_from_db()
    assert row.role == Role.EDITOR


def test_an_unknown_role_or_field_answers_400(tenant, user_client):
    row = _row(tenant, Role.EDITOR)
    client = user_client(tenant.admin)
    bad_role = client.patch(f"{URL}{row.pk}/", {"role": "emperor"}, format="json")
    assert "role" in _error(bad_role, 400)["fields"]
    unknown = client.patch(
        f"{URL}{row.pk}/", {"role": "reviewer", "user": 1}, format="json"
    )
    assert _error(unknown, 400)["fields"] == {"user": ["Unknown field."]}
    row.refresh_from_db()
    assert row.role == Role.EDITOR


def test_put_is_not_offered(tenant, user_client):
    row = _row(tenant, Role.EDITOR)
    response = user_client(tenant.owner).put(
        f"{URL}{row.pk}/", {"role": "reviewer"}, format="json"
    )
    assert _error(response, 405)["code"] == "method_not_allowed"
    row.refresh_from_db()
    assert row.role == Role.EDITOR


# --- removing -----------------------------------------------------------------------


@pytest.mark.parametrize("role", MANAGERS)
def test_owner_and_admin_remove_a_member(tenant, user_client, role):
    row = _row(tenant, Role.REVIEWER)
    response = user_client(tenant.person(role)).delete(f"{URL}{row.pk}/")
    assert response.status_code == 204, response.content
    assert not Membership.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("role", NON_MANAGERS)
def test_other_roles_cannot_remove_members(tenant, user_client, role):
    row = _row(tenant, Role.ADMIN)
    response = user_client(tenant.person(role)).delete(f"{URL}{row.pk}/")
    assert _error(response, 403)["code"] == "permission_denied"
    assert Membership.objects.filter(pk=row.pk).exists()


# --- the last owner -----------------------------------------------------------------


def test_the_last_owner_cannot_be_removed(tenant, user_client):
    row = _row(tenant, Role.OWNER)
    response = user_client(tenant.owner).delete(f"{URL}{row.pk}/")
    error = _error(response, 409)
    assert error == {
        "code": "conflict",
        "message": "The last owner of an organization cannot be removed.",
        "fields": {},
    }
    assert Membership.objects.filter(pk=row.pk, role=Role.OWNER).exists()


def test_the_last_owner_cannot_be_demoted(tenant, user_client):
    row = _row(tenant, Role.OWNER)
    response = user_client(tenant.owner).patch(
        f"{URL}{row.pk}/", {"role": "admin"}, format="json"
    )
    error = _error(response, 409)
    assert (error["code"], error["fields"]) == ("conflict", {})
    assert "at least one owner" in error["message"]
    row.refresh_from_db()
    assert row.role == Role.OWNER


def test_with_a_second_owner_the_first_may_step_down(tenant, user_client):
    second = member(tenant.workspace, Role.OWNER)
    row = _row(tenant, Role.OWNER)
    response = user_client(second).patch(
        f"{URL}{row.pk}/", {"role": "admin"}, format="json"
    )
    assert response.status_code == 200, response.content
    row.refresh_from_db()
    assert row.role == Role.ADMIN
    # Now `second` is the last owner again.
    last = Membership.objects.get(user=second)
    _error(user_client(second).delete(f"{URL}{last.pk}/"), 409)


# --- isolation and keys -------------------------------------------------------------


@pytest.mark.parametrize("role", [*MANAGERS, *NON_MANAGERS])
def test_another_tenants_memberships_answer_404_without_data(
    tenant, other_tenant, user_client, role
):
    foreign = _row(other_tenant, Role.EDITOR)
    client = user_client(tenant.person(role))
    responses = [
        client.get(f"{URL}{foreign.pk}/"),
        client.patch(f"{URL}{foreign.pk}/", {"role": "admin"}, format="json"),
        client.delete(f"{URL}{foreign.pk}/"),
    ]
    for response in responses:
        assert _error(response, 404)["code"] == "not_found"
        assert other_tenant.editor.email not in response.content.decode()
    listed = client.get(URL, {"workspace": other_tenant.workspace.pk}).json()
    assert listed["count"] == 0
    foreign.refresh_from_db()
    assert foreign.role == Role.EDITOR


def test_a_workspace_member_cannot_reach_a_sibling_workspaces_members(
    tenant, user_client
):
    sibling = WorkspaceFactory(organization=tenant.workspace.organization)
    member(sibling, Role.EDITOR)
    row = Membership.objects.get(workspace=sibling)
    response = user_client(tenant.admin).delete(f"{URL}{row.pk}/")
    assert _error(response, 404)["code"] == "not_found"
    assert Membership.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("scope", [ApiKeyScope.READ, ApiKeyScope.WRITE])
def test_keys_cannot_change_members(tenant, key_client, scope):
    client = key_client(tenant.workspace, scope)
    person = UserFactory()
    row = _row(tenant, Role.EDITOR)
    before = _snapshot()
    added = client.post(
        URL,
        {"workspace": tenant.workspace.pk, "email": person.email, "role": "admin"},
        format="json",
    )
    changed = client.patch(f"{URL}{row.pk}/", {"role": "admin"}, format="json")
    removed = client.delete(f"{URL}{row.pk}/")
    for response in (added, changed, removed):
        assert _error(response, 403)["code"] == "permission_denied"
    assert _snapshot() == before


def test_a_revoked_key_answers_401(tenant, api_client):
    secret, key = api_key(tenant.workspace, ApiKeyScope.WRITE)
    api_key_revoke(api_key=key)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    error = _error(api_client.get(URL), 401)
    assert error == {
        "code": "authentication_failed",
        "message": "Invalid or revoked API key.",
        "fields": {},
    }


def test_anonymous_callers_answer_401(tenant, api_client):
    response = api_client.get(URL)
    assert _error(response, 401)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
