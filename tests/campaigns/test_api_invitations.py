"""/api/v1/invitations/: invite by email (sent after commit), list, revoke."""

from __future__ import annotations

import re

import pytest

from config.celery import app as celery_app
from tests.factories import UserFactory
from workspaces.models import ApiKeyScope, Invitation, Role
from workspaces.services.invitations import (
    invitation_accept,
    invitation_by_token,
    invitation_create,
    invitation_revoke,
)

URL = "/api/v1/invitations/"
LINK = re.compile(r"http://testserver/invitations/([\w-]+)/")


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.fixture(autouse=True)
def _eager_tasks():
    """`.delay()` runs the task in-process, so its email lands in `mailoutbox`."""
    names = ("task_always_eager", "task_eager_propagates")
    before = {name: celery_app.conf[name] for name in names}
    celery_app.conf.update(dict.fromkeys(names, True))
    yield
    celery_app.conf.update(before)


def _invite(tenant, email: str = "new@example.test", **fields) -> Invitation:
    return invitation_create(
        organization=tenant.workspace.organization,
        workspace=tenant.workspace,
        email=email,
        role=fields.pop("role", Role.EDITOR),
        invited_by=tenant.owner,
        send=False,
    ).invitation


# --- creating -----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owner_and_admin_invite_and_the_link_is_emailed_after_commit(
    tenant, user_client, mailoutbox, django_capture_on_commit_callbacks, role
):
    inviter = tenant.person(role)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = user_client(inviter).post(
            URL,
            {
                "workspace": tenant.workspace.pk,
                "email": " Cmo@Contoso.com ",
                "role": "client",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        # Nothing is sent while the transaction could still roll back.
        assert mailoutbox == []
    assert len(callbacks) == 1
    callbacks[0]()

    body = response.json()
    invitation = Invitation.objects.get(pk=body["id"])
    assert body["email"] == invitation.email == "cmo@contoso.com"
    assert (body["role"], body["status"]) == ("client", "pending")
    assert body["workspace"] == tenant.workspace.pk
    assert body["invited_by"] == inviter.email
    assert (invitation.workspace, invitation.invited_by) == (tenant.workspace, inviter)

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["cmo@contoso.com"]
    assert tenant.workspace.name in email.subject
    token = LINK.search(email.body).group(1)  # type: ignore[union-attr]
    assert invitation_by_token(token) == invitation
    # The token lives only in the email: neither the response nor the row has it.
    assert token not in response.content.decode()
    assert token not in invitation.token_hash


def test_the_email_goes_out_with_on_commit_executed(
    tenant, user_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client(tenant.admin).post(
            URL,
            {
                "workspace": tenant.workspace.pk,
                "email": "a@example.test",
                "role": "editor",
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    assert [m.to for m in mailoutbox] == [["a@example.test"]]


def test_a_bad_email_answers_400_with_the_field_and_sends_nothing(
    tenant, user_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = user_client(tenant.admin).post(
            URL,
            {
                "workspace": tenant.workspace.pk,
                "email": "not-an-email",
                "role": "editor",
            },
            format="json",
        )
    error = _error(response, 400)
    assert error["code"] == "invalid"
    assert error["fields"] == {"email": ["Enter a valid email address."]}
    assert not Invitation.objects.exists()
    assert callbacks == []
    assert mailoutbox == []


def test_missing_fields_are_each_named(tenant, user_client):
    response = user_client(tenant.admin).post(URL, {}, format="json")
    assert set(_error(response, 400)["fields"]) == {"workspace", "email", "role"}
    assert not Invitation.objects.exists()


def test_an_admin_cannot_invite_above_their_own_role(
    tenant, user_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client(tenant.admin).post(
            URL,
            {
                "workspace": tenant.workspace.pk,
                "email": "boss@example.test",
                "role": "owner",
            },
            format="json",
        )
    assert "role" in _error(response, 400)["fields"]
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_an_unknown_role_answers_400(tenant, user_client):
    response = user_client(tenant.owner).post(
        URL,
        {
            "workspace": tenant.workspace.pk,
            "email": "x@example.test",
            "role": "emperor",
        },
        format="json",
    )
    assert "role" in _error(response, 400)["fields"]
    assert not Invitation.objects.exists()


def test_an_existing_member_is_not_invited_again(tenant, user_client):
    response = user_client(tenant.admin).post(
        URL,
        {
            "workspace": tenant.workspace.pk,
            "email": tenant.editor.email,
            "role": "admin",
        },
        format="json",
    )
    assert "already a member" in _error(response, 400)["fields"]["email"][0]
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.REVIEWER, Role.CLIENT])
def test_other_roles_cannot_invite(tenant, user_client, mailoutbox, role):
    response = user_client(tenant.person(role)).post(
        URL,
        {"workspace": tenant.workspace.pk, "email": "x@example.test", "role": "client"},
        format="json",
    )
    assert _error(response, 403)["code"] == "permission_denied"
    assert not Invitation.objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize("scope", [ApiKeyScope.READ, ApiKeyScope.WRITE])
def test_keys_cannot_invite(tenant, key_client, scope):
    response = key_client(tenant.workspace, scope).post(
        URL,
        {"workspace": tenant.workspace.pk, "email": "x@example.test", "role": "client"},
        format="json",
    )
    assert _error(response, 403)["code"] == "permission_denied"
    assert not Invitation.objects.exists()


def test_inviting_into_another_tenants_workspace_reads_like_a_missing_one(
    tenant, other_tenant, user_client
):
    client = user_client(tenant.owner)
    foreign = client.post(
        URL,
        {
            "workspace": other_tenant.workspace.pk,
            "email": "x@example.test",
            "role": "client",
        },
        format="json",
    )
    missing = client.post(
        URL,
        {"workspace": 999_999, "email": "x@example.test", "role": "client"},
        format="json",
    )
    foreign_id = str(other_tenant.workspace.pk)
    assert _error(missing, 400)["fields"]["workspace"] == [
        message.replace(foreign_id, "999999")
        for message in _error(foreign, 400)["fields"]["workspace"]
    ]
    assert not Invitation.objects.exists()


# --- listing and reading ------------------------------------------------------------


def test_list_shows_the_managed_workspaces_invitations_newest_first(
    tenant, other_tenant, user_client
):
    first = _invite(tenant, "first@example.test")
    second = _invite(tenant, "second@example.test")
    _invite(other_tenant, "foreign@example.test")
    response = user_client(tenant.admin).get(URL)
    assert response.status_code == 200
    assert [i["id"] for i in response.json()["results"]] == [second.pk, first.pk]
    assert "foreign@example.test" not in response.content.decode()


def test_list_filters_by_status(tenant, user_client):
    pending = _invite(tenant, "pending@example.test")
    revoked = invitation_revoke(invitation=_invite(tenant, "r@example.test"))
    client = user_client(tenant.owner)
    assert [
        i["id"] for i in client.get(URL, {"status": "pending"}).json()["results"]
    ] == [pending.pk]
    listed = client.get(URL, {"status": "revoked"}).json()["results"]
    assert [(i["id"], i["status"]) for i in listed] == [(revoked.pk, "revoked")]
    _error(client.get(URL, {"status": "lost"}), 400)


@pytest.mark.parametrize("role", [Role.EDITOR, Role.REVIEWER, Role.CLIENT])
def test_other_roles_list_nothing_and_get_403_on_one(tenant, user_client, role):
    invitation = _invite(tenant)
    client = user_client(tenant.person(role))
    assert client.get(URL).json()["count"] == 0
    response = client.get(f"{URL}{invitation.pk}/")
    assert _error(response, 403)["code"] == "permission_denied"
    assert invitation.email not in response.content.decode()


# --- revoking -----------------------------------------------------------------------


def test_admin_revokes_and_the_link_stops_working(tenant, user_client):
    issued = invitation_create(
        organization=tenant.workspace.organization,
        workspace=tenant.workspace,
        email="x@example.test",
        role=Role.EDITOR,
        invited_by=tenant.owner,
        send=False,
    )
    client = user_client(tenant.admin)
    response = client.post(f"{URL}{issued.invitation.pk}/revoke/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "revoked"
    assert response.json()["revoked_at"] is not None
    assert invitation_by_token(issued.token) is None
    issued.invitation.refresh_from_db()
    revoked_at = issued.invitation.revoked_at
    assert revoked_at is not None

    again = client.post(f"{URL}{issued.invitation.pk}/revoke/")
    assert again.status_code == 200
    issued.invitation.refresh_from_db()
    assert issued.invitation.revoked_at == revoked_at


def test_an_accepted_invitation_cannot_be_revoked(tenant, user_client):
    invitation = _invite(tenant, "joiner@example.test")
    invitation_accept(
        invitation=invitation, user=UserFactory(email="joiner@example.test")
    )
    response = user_client(tenant.admin).post(f"{URL}{invitation.pk}/revoke/")
    error = _error(response, 409)
    assert (error["code"], error["fields"]) == ("conflict", {})
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_invitations_are_revoked_not_deleted(tenant, user_client):
    invitation = _invite(tenant)
    response = user_client(tenant.owner).delete(f"{URL}{invitation.pk}/")
    assert _error(response, 405)["code"] == "method_not_allowed"
    assert Invitation.objects.filter(pk=invitation.pk).exists()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.CLIENT])
def test_other_roles_cannot_revoke(tenant, user_client, role):
    invitation = _invite(tenant)
    response = user_client(tenant.person(role)).post(f"{URL}{invitation.pk}/revoke/")
    _error(response, 403)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_a_write_key_cannot_revoke(tenant, key_client):
    invitation = _invite(tenant)
    response = key_client(tenant.workspace, ApiKeyScope.WRITE).post(
        f"{URL}{invitation.pk}/revoke/"
    )
    _error(response, 403)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


# --- isolation ----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.EDITOR])
def test_another_tenants_invitations_answer_404_without_data(
    tenant, other_tenant, user_client, role
):
    foreign = _invite(other_tenant, "foreign@example.test")
    client = user_client(tenant.person(role))
    for response in (
        client.get(f"{URL}{foreign.pk}/"),
        client.post(f"{URL}{foreign.pk}/revoke/"),
    ):
        assert _error(response, 404)["code"] == "not_found"
        assert "foreign@example.test" not in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_a_key_of_another_tenant_gets_404(tenant, other_tenant, key_client):
    invitation = _invite(tenant)
    response = key_client(other_tenant.workspace, ApiKeyScope.WRITE).get(
        f"{URL}{invitation.pk}/"
    )
    assert _error(response, 404)["code"] == "not_found"
