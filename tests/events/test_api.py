"""GET /api/v1/audit-events/: owners, admins and keys read their workspaces'
log, newest first; nobody reads another tenant's; bad filters answer 400."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from events import services
from events.models import AuditEvent
from tests.factories import MembershipFactory, WorkspaceFactory, api_key
from workspaces.models import ApiKeyScope, Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/audit-events/"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert list(body) == ["error"] and set(body["error"]) == {
        "code",
        "message",
        "fields",
    }
    return body["error"]


def _events(tenant) -> list[AuditEvent]:
    """Three events, a minute apart: created, approved, then the policy."""
    made = []
    start = timezone.now() - timedelta(hours=1)
    for minute, action in enumerate(
        ["post.created", "post.approved", "workspace.approval_policy_changed"]
    ):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            made.append(
                services.record(
                    workspace=tenant.workspace,
                    action=action,
                    actor=tenant.owner,
                    target=tenant.workspace,
                    data={"n": minute},
                )
            )
    return made


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_read_newest_first(tenant, user_client, role):
    made = _events(tenant)
    response = user_client(tenant.person(role)).get(URL)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [e["id"] for e in body["results"]] == [e.pk for e in reversed(made)]
    first = body["results"][0]
    assert first["action"] == "workspace.approval_policy_changed"
    assert first["workspace"] == tenant.workspace.pk
    assert first["organization"] == tenant.workspace.organization_id
    assert first["actor"] == {
        "kind": "person",
        "person": tenant.owner.pk,
        "api_key": None,
        "token_name": "",
        "name": tenant.owner.email,
    }
    assert first["target"] == {
        "type": "workspace",
        "id": str(tenant.workspace.pk),
        "repr": str(tenant.workspace),
    }
    assert first["data"] == {"n": 2}


@pytest.mark.parametrize("role", [Role.EDITOR, Role.REVIEWER, Role.CLIENT])
def test_other_roles_are_refused(tenant, user_client, role):
    _events(tenant)
    error = _error(user_client(tenant.person(role)).get(URL), 403)
    assert "owner or admin" in error["message"]


def test_anonymous_callers_are_refused(tenant, api_client):
    _events(tenant)
    assert api_client.get(URL).status_code in (401, 403)


@pytest.mark.parametrize("scope", [ApiKeyScope.READ, ApiKeyScope.WRITE])
def test_keys_read_their_workspaces_log(tenant, key_client, scope):
    made = _events(tenant)
    response = key_client(tenant.workspace, scope).get(URL)
    assert response.status_code == 200, response.content
    assert {e["id"] for e in response.json()["results"]} == {e.pk for e in made}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_log_cannot_be_written_through_the_api(tenant, user_client, method):
    [event, *_] = _events(tenant)
    client = user_client(tenant.owner)
    assert getattr(client, method)(URL, {}, format="json").status_code == 405
    assert getattr(client, method)(f"{URL}{event.pk}/").status_code == 404
    assert AuditEvent.objects.count() == 3


def test_a_key_events_actor_reads_as_the_key(tenant, user_client):
    secret, key = api_key(tenant.workspace)
    services.record(workspace=tenant.workspace, action="post.created", key=key)
    [row] = user_client(tenant.owner).get(URL).json()["results"]
    assert row["actor"] == {
        "kind": "api_key",
        "person": None,
        "api_key": key.pk,
        "token_name": "",
        "name": key.name,
    }
    assert secret not in str(row)


# --- tenants ------------------------------------------------------------------------


def test_another_workspaces_events_are_never_listed(tenant, other_tenant, user_client):
    mine = _events(tenant)
    _events(other_tenant)
    for client in (
        user_client(tenant.owner),
        user_client(tenant.admin),
    ):
        listed = client.get(URL).json()["results"]
        assert {e["id"] for e in listed} == {e.pk for e in mine}
        for name in (other_tenant.workspace.pk, other_tenant.workspace.slug):
            filtered = client.get(URL, {"workspace": name})
            assert filtered.status_code == 200
            assert filtered.json()["results"] == []


def test_a_key_sees_only_its_workspace(tenant, other_tenant, key_client):
    _events(other_tenant)
    response = key_client(tenant.workspace, ApiKeyScope.READ).get(URL)
    assert response.json()["results"] == []


def test_an_editor_here_and_admin_there_reads_only_there(tenant, user_client):
    there = WorkspaceFactory(organization=tenant.workspace.organization)
    MembershipFactory(user=tenant.editor, workspace=there, role=Role.ADMIN)
    _events(tenant)
    theirs = services.record(workspace=there, action="post.approved")
    client = user_client(tenant.editor)
    assert [e["id"] for e in client.get(URL).json()["results"]] == [theirs.pk]
    assert client.get(URL, {"workspace": tenant.workspace.slug}).json()["results"] == []


# --- filters ------------------------------------------------------------------------


def test_filter_by_workspace_and_action(tenant, user_client):
    made = _events(tenant)
    client = user_client(tenant.owner)
    by_action = client.get(URL, {"action": "post.approved"}).json()["results"]
    assert [e["id"] for e in by_action] == [made[1].pk]
    by_workspace = client.get(
        URL, {"workspace": tenant.workspace.slug, "action": "post.created"}
    ).json()["results"]
    assert [e["id"] for e in by_workspace] == [made[0].pk]


@pytest.mark.parametrize("value", ["post.teleported", "POST.APPROVED", "x" * 80])
def test_an_unknown_action_answers_400(tenant, user_client, value):
    _events(tenant)
    error = _error(user_client(tenant.owner).get(URL, {"action": value}), 400)
    assert list(error["fields"]) == ["action"]


def test_the_list_is_paginated(tenant, user_client):
    _events(tenant)
    page = user_client(tenant.owner).get(URL, {"limit": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2
