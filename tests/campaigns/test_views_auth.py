"""Sign in and out, password change and reset (email through Django's backend)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.usefixtures("static_files")


@pytest.fixture
def locmem_email(settings):
    # The real SMTP round trip is tested in tests/integration/ by ops.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_sign_in_page_renders(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Forgot your password?" in response.content.decode()


def test_sign_in_with_email_in_any_case(client, tenant):
    response = client.post(
        reverse("login"),
        {"username": tenant.owner.email.upper(), "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get("/").status_code == 200


def test_wrong_password_shows_an_error_and_keeps_the_email(client, tenant):
    response = client.post(
        reverse("login"), {"username": tenant.owner.email, "password": "nope"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Please enter a correct email address and password" in body
    assert f'value="{tenant.owner.email}"' in body


def test_sign_out_is_post_only(tenant, web):
    client = web(tenant.owner)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # signed out: back to sign in


def test_password_change(tenant, web):
    client = web(tenant.editor, tenant.workspace)
    assert client.get(reverse("password_change")).status_code == 200
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-Good-passw0rd",
            "new_password2": "another-Good-passw0rd",
        },
    )
    assert response.status_code == 302
    tenant.editor.refresh_from_db()
    assert tenant.editor.check_password("another-Good-passw0rd")


def test_password_change_with_wrong_old_password_shows_an_error(tenant, web):
    response = web(tenant.editor).post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "another-Good-passw0rd",
            "new_password2": "another-Good-passw0rd",
        },
    )
    assert response.status_code == 200
    assert "has-error" in response.content.decode()


def test_password_reset_sends_a_working_link(client, db, locmem_email):
    person = UserFactory(email="ann@example.test")
    response = client.post(reverse("password_reset"), {"email": "ann@example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ann@example.test"]
    assert message.subject == "Reset your AdLoop password"
    link = re.search(r"http://testserver(/password-reset/\S+/\S+/)", message.body)
    assert link, message.body

    response = client.get(link.group(1), follow=True)  # Django swaps the token
    assert "Choose a new password" in response.content.decode()
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "brand-New-passw0rd", "new_password2": "brand-New-passw0rd"},
    )
    assert response["Location"] == reverse("password_reset_complete")
    person.refresh_from_db()
    assert person.check_password("brand-New-passw0rd")


def test_password_reset_does_not_tell_who_has_an_account(client, db, locmem_email):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_bad_reset_link_says_so(client, db):
    response = client.get("/password-reset/MQ/bad-token/")
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()
