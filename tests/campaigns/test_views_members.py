"""Members and invitations: everyone sees them, managers change them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from workspaces.models import Invitation, Membership, Role
from workspaces.services.invitations import invitation_create

pytestmark = pytest.mark.usefixtures("static_files")
MANAGERS = [Role.OWNER, Role.ADMIN]
OTHERS = [Role.EDITOR, Role.REVIEWER, Role.CLIENT]


def _invite(tenant, email="new@example.test", role=Role.EDITOR):
    return invitation_create(
        organization=tenant.workspace.organization,
        workspace=tenant.workspace,
        email=email,
        role=role,
        invited_by=tenant.owner,
        send=False,
    ).invitation


def _membership(user, tenant) -> Membership:
    return Membership.objects.get(user=user, workspace=tenant.workspace)


@pytest.mark.parametrize("role", list(Role))
def test_everyone_sees_the_members(tenant, web, role):
    response = web(tenant.person(role)).get(reverse("members"))
    assert response.status_code == 200
    body = response.content.decode()
    for person in (tenant.owner, tenant.editor, tenant.client):
        assert person.email in body


@pytest.mark.parametrize("role", OTHERS)
def test_only_managers_see_the_controls(tenant, web, role):
    _invite(tenant)
    body = web(tenant.person(role)).get(reverse("members")).content.decode()
    assert "Send invitation" not in body
    assert reverse("member-role", args=[_membership(tenant.client, tenant).pk]) not in (
        body
    )
    assert "new@example.test" in body  # pending invitations are visible


@pytest.mark.parametrize("role", OTHERS)
def test_non_managers_get_403_on_every_change(tenant, web, role):
    client = web(tenant.person(role))
    target = _membership(tenant.client, tenant)
    invitation = _invite(tenant)
    attempts = [
        (reverse("member-invite"), {"email": "x@example.test", "role": "editor"}),
        (reverse("member-role", args=[target.pk]), {"role": Role.ADMIN}),
        (reverse("member-remove", args=[target.pk]), {}),
        (reverse("invitation-revoke", args=[invitation.pk]), {}),
    ]
    for url, data in attempts:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "owners and admins" in response.content.decode()
    target.refresh_from_db()
    assert target.role == Role.CLIENT
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert not Invitation.objects.filter(email="x@example.test").exists()


@pytest.mark.parametrize("role", MANAGERS)
def test_managers_invite_by_email(tenant, web, role):
    response = web(tenant.person(role)).post(
        reverse("member-invite"), {"email": "New@Example.test", "role": "reviewer"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="new@example.test")
    assert invitation.workspace == tenant.workspace
    assert invitation.role == Role.REVIEWER


def test_invite_with_bad_input_keeps_it_and_shows_errors(tenant, web):
    response = web(tenant.admin).post(
        reverse("member-invite"), {"email": "not-an-email", "role": "reviewer"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="not-an-email"' in body
    assert "Enter a valid email address." in body


def test_inviting_a_member_again_shows_the_services_error(tenant, web):
    response = web(tenant.admin).post(
        reverse("member-invite"), {"email": tenant.editor.email, "role": "editor"}
    )
    assert response.status_code == 400
    assert "is already a member" in response.content.decode()


def test_owner_is_not_offered_for_a_workspace_invitation(tenant, web):
    response = web(tenant.admin).post(
        reverse("member-invite"), {"email": "boss@example.test", "role": "owner"}
    )
    assert response.status_code == 400
    assert not Invitation.objects.filter(email="boss@example.test").exists()


def test_admin_changes_a_role(tenant, web):
    target = _membership(tenant.editor, tenant)
    response = web(tenant.admin).post(
        reverse("member-role", args=[target.pk]), {"role": Role.REVIEWER}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == Role.REVIEWER


def test_htmx_role_change_answers_the_panel_only(tenant, web):
    target = _membership(tenant.editor, tenant)
    response = web(tenant.admin).post(
        reverse("member-role", args=[target.pk]),
        {"role": Role.CLIENT},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="members-panel"')
    assert "<html" not in body
    assert 'hx-swap-oob="true"' in body and "role is changed" in body


def test_workspace_admin_cannot_touch_organization_wide_roles(tenant, web):
    owner_row = Membership.objects.get(user=tenant.owner, workspace__isnull=True)
    response = web(tenant.admin).post(
        reverse("member-role", args=[owner_row.pk]), {"role": Role.CLIENT}
    )
    assert response.status_code == 403
    owner_row.refresh_from_db()
    assert owner_row.role == Role.OWNER


def test_last_owner_conflict_is_shown_as_a_form_error(tenant, web):
    owner_row = Membership.objects.get(user=tenant.owner, workspace__isnull=True)
    client = web(tenant.owner)
    response = client.post(
        reverse("member-role", args=[owner_row.pk]), {"role": Role.ADMIN}
    )
    assert response.status_code == 409
    assert "at least one owner" in response.content.decode()
    response = client.post(reverse("member-remove", args=[owner_row.pk]))
    assert response.status_code == 409
    assert "last owner" in response.content.decode()
    assert Membership.objects.filter(pk=owner_row.pk, role=Role.OWNER).exists()


def test_admin_removes_a_member(tenant, web):
    target = _membership(tenant.reviewer, tenant)
    response = web(tenant.admin).post(reverse("member-remove", args=[target.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=target.pk).exists()


def test_removing_yourself_leaves_the_workspace(tenant, web):
    own = _membership(tenant.admin, tenant)
    client = web(tenant.admin, tenant.workspace)
    response = client.post(reverse("member-remove", args=[own.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_admin_revokes_a_pending_invitation(tenant, web):
    invitation = _invite(tenant)
    response = web(tenant.admin).post(
        reverse("invitation-revoke", args=[invitation.pk])
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_objects_of_another_workspace_answer_404(tenant, other_tenant, web):
    """Even an owner gets 404 (never 403, never data) for another tenant's rows."""
    client = web(tenant.owner, tenant.workspace)
    foreign_member = _membership(other_tenant.editor, other_tenant)
    foreign_owner = Membership.objects.get(
        user=other_tenant.owner, workspace__isnull=True
    )
    foreign_invitation = _invite(other_tenant, "them@example.test")
    attempts = [
        (reverse("member-role", args=[foreign_member.pk]), {"role": Role.ADMIN}),
        (reverse("member-role", args=[foreign_owner.pk]), {"role": Role.CLIENT}),
        (reverse("member-remove", args=[foreign_member.pk]), {}),
        (reverse("invitation-revoke", args=[foreign_invitation.pk]), {}),
    ]
    for url, data in attempts:
        response = client.post(url, data)
        assert response.status_code == 404, url
        assert other_tenant.editor.email not in response.content.decode()
    foreign_member.refresh_from_db()
    assert foreign_member.role == Role.EDITOR
    foreign_invitation.refresh_from_db()
    assert foreign_invitation.revoked_at is None
    listing = client.get(reverse("members")).content.decode()
    assert other_tenant.editor.email not in listing
    assert "them@example.test" not in listing
