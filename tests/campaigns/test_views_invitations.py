"""The invitation link: sign up and join, join as the invited person, or a clear no."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory
from workspaces.models import Membership, Role, User
from workspaces.services.invitations import invitation_create, invitation_revoke

pytestmark = pytest.mark.usefixtures("static_files")
NEW_PASSWORD = "a-Fresh-passw0rd-42"


@pytest.fixture
def issued(tenant):
    return invitation_create(
        organization=tenant.workspace.organization,
        workspace=tenant.workspace,
        email="newcomer@example.test",
        role=Role.REVIEWER,
        invited_by=tenant.owner,
        send=False,
    )


def test_new_person_signs_up_joins_and_is_signed_in(client, tenant, issued):
    page = client.get(issued.accept_path)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Create your account" in body
    assert "newcomer@example.test" in body

    response = client.post(
        issued.accept_path,
        {"name": "Nia Newcomer", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(email="newcomer@example.test")
    assert (user.first_name, user.last_name) == ("Nia", "Newcomer")
    assert user.check_password(NEW_PASSWORD)
    membership = Membership.objects.get(user=user)
    assert (membership.workspace, membership.role) == (tenant.workspace, Role.REVIEWER)
    dashboard = client.get("/")
    assert dashboard.status_code == 200  # signed in
    assert dashboard.context["workspace"] == tenant.workspace
    # The link worked once.
    assert client.get(issued.accept_path).status_code == 404


def test_sign_up_with_bad_passwords_keeps_the_name_and_creates_nothing(
    client, tenant, issued
):
    response = client.post(
        issued.accept_path,
        {"name": "Nia Newcomer", "password1": "short", "password2": "other"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="Nia Newcomer"' in body
    assert "The two passwords differ." in body
    response = client.post(
        issued.accept_path,
        {"name": "Nia Newcomer", "password1": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 400
    assert "too common" in response.content.decode()
    assert not User.objects.filter(email="newcomer@example.test").exists()


def test_existing_account_signed_out_is_asked_to_sign_in(client, tenant, issued):
    UserFactory(email="newcomer@example.test")
    response = client.get(issued.accept_path)
    body = response.content.decode()
    assert "Sign in to accept" in body
    assert "Create your account" not in body
    # Posting a sign-up anyway creates nothing.
    client.post(
        issued.accept_path,
        {"name": "X", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert not Membership.objects.filter(user__email="newcomer@example.test").exists()


def test_existing_user_signed_in_with_the_invited_email_accepts(tenant, issued, web):
    person = UserFactory(email="newcomer@example.test")
    client = web(person)
    page = client.get(issued.accept_path)
    assert "Accept and join" in page.content.decode()
    response = client.post(issued.accept_path)
    assert response.status_code == 302
    assert Membership.objects.get(user=person).workspace == tenant.workspace
    assert client.get("/").context["workspace"] == tenant.workspace


def test_signed_in_with_another_email_is_told_and_refused(tenant, issued, web):
    someone_else = UserFactory(email="someone@example.test")
    client = web(someone_else)
    page = client.get(issued.accept_path).content.decode()
    assert "this invitation is for" in page
    assert "Accept and join" not in page
    response = client.post(issued.accept_path)
    assert response.status_code == 403
    assert "sign in with that address" in response.content.decode()
    assert not Membership.objects.filter(user=someone_else).exists()
    issued.invitation.refresh_from_db()
    assert issued.invitation.accepted_at is None


def test_expired_invitation_gives_a_clear_page(client, tenant, issued):
    later = timezone.now() + timedelta(days=30)
    with time_machine.travel(later):
        response = client.get(issued.accept_path)
        assert response.status_code == 404
        assert "no longer works" in response.content.decode()
        client.post(
            issued.accept_path,
            {"name": "Late", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    assert not User.objects.filter(email="newcomer@example.test").exists()


def test_revoked_and_unknown_tokens_give_the_same_clear_page(client, tenant, issued):
    invitation_revoke(invitation=issued.invitation)
    for path in (issued.accept_path, "/invitations/not-a-real-token/"):
        response = client.get(path)
        assert response.status_code == 404
        assert "no longer works" in response.content.decode()


def test_an_invited_person_can_sign_in_from_the_page_and_come_back(
    client, tenant, issued
):
    UserFactory(email="newcomer@example.test")
    page = client.get(issued.accept_path).content.decode()
    assert f'href="/login/?next={issued.accept_path}"' in page
    response = client.post(
        f"/login/?next={issued.accept_path}",
        {
            "username": "newcomer@example.test",
            "password": PASSWORD,
            "next": issued.accept_path,
        },
    )
    assert response["Location"] == issued.accept_path
