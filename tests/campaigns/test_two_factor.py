"""Two-factor sign-in: enrolment, the code step of signing in, recovery codes,
the organization rule and its enforcement, the admin's sign-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.campaigns.twofactor_helpers import app_code, enrol, unthrottle, wrong_code
from tests.factories import PASSWORD, UserFactory
from workspaces import twofactor
from workspaces.models import Membership

pytestmark = pytest.mark.usefixtures("static_files")


def _password(client, user, **extra):
    return client.post(
        reverse("login"), {"username": user.email, "password": PASSWORD, **extra}
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- Enrolment -------------------------------------------------------------------


def test_enrolment_shows_a_qr_and_the_key_then_recovery_codes_once(tenant, web):
    client = web(tenant.editor, tenant.workspace)
    page = client.get(reverse("two-factor-setup"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body
    device = TOTPDevice.objects.get(user=tenant.editor, confirmed=False)
    assert twofactor.provisioning_secret(device) in body
    assert "no-store" in page["Cache-Control"]
    # A reload shows the same secret: a code scanned already stays good.
    assert (
        twofactor.provisioning_secret(device)
        in client.get(reverse("two-factor-setup")).content.decode()
    )

    done = client.post(reverse("two-factor-setup"), {"code": app_code(device)})
    assert done.status_code == 200
    assert "no-store" in done["Cache-Control"]
    codes = done.context["codes"]
    assert len(codes) == twofactor.RECOVERY_CODE_COUNT
    for code in codes:
        assert code in done.content.decode()
    assert twofactor.is_enrolled(tenant.editor)
    # Stored hashed: no recovery code is in the database.
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == len(codes)
    assert not stored & {c.replace("-", "") for c in codes} and not stored & set(codes)
    # Shown once: the security page only counts them.
    security = client.get(reverse("security")).content.decode()
    assert codes[0] not in security and "10</strong> unused recovery codes" in security


def test_enrolment_with_a_wrong_code_is_refused(tenant, web):
    client = web(tenant.editor, tenant.workspace)
    client.get(reverse("two-factor-setup"))
    device = TOTPDevice.objects.get(user=tenant.editor)
    response = client.post(reverse("two-factor-setup"), {"code": wrong_code(device)})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert not twofactor.is_enrolled(tenant.editor)
    blank = client.post(reverse("two-factor-setup"), {"code": ""})
    assert blank.status_code == 400 and not twofactor.is_enrolled(tenant.editor)


# --- Signing in --------------------------------------------------------------------


def test_without_two_factor_the_password_signs_in(client, tenant):
    response = _password(client, tenant.editor)
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert _signed_in(client)


def test_with_two_factor_the_password_alone_does_not_sign_in(client, tenant):
    device, _ = enrol(tenant.editor)
    response = _password(client, tenant.editor, next="/calendar/")
    assert response.status_code == 302 and response["Location"] == reverse("login-code")
    assert not _signed_in(client)
    assert client.get("/").status_code == 302  # still signed out

    page = client.get(reverse("login-code"))
    assert page.status_code == 200 and "Enter your code" in page.content.decode()
    done = client.post(reverse("login-code"), {"code": app_code(device)})
    assert done.status_code == 302 and done["Location"] == "/calendar/"
    assert _signed_in(client)


def test_the_code_step_needs_the_password_step_first(client, tenant):
    enrol(tenant.editor)
    response = client.post(reverse("login-code"), {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not _signed_in(client)


def test_wrong_codes_are_refused_counted_and_end_the_attempt(client, tenant):
    device, _ = enrol(tenant.editor)
    _password(client, tenant.editor)
    for _ in range(twofactor.MAX_CODE_ATTEMPTS - 1):
        response = client.post(reverse("login-code"), {"code": wrong_code(device)})
        assert response.status_code == 400
        assert not _signed_in(client)
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1  # the device counts them too
    # The last try of this sign-in (the device still waits: refused) ends it.
    last = client.post(reverse("login-code"), {"code": app_code(device)})
    assert last.status_code == 302 and last["Location"] == reverse("login")
    assert not _signed_in(client)
    again = client.post(reverse("login-code"), {"code": app_code(device)})
    assert again.status_code == 302 and again["Location"] == reverse("login")

    # The password again: the device's back-off still holds the right code.
    _password(client, tenant.editor)
    held = client.post(reverse("login-code"), {"code": app_code(device)})
    assert held.status_code == 400 and "Try again in" in held.content.decode()
    assert not _signed_in(client)
    unthrottle(device)
    done = client.post(reverse("login-code"), {"code": app_code(device)})
    assert done.status_code == 302 and _signed_in(client)


def test_after_a_wrong_code_the_right_one_signs_in_once_the_wait_passed(client, tenant):
    device, _ = enrol(tenant.editor)
    _password(client, tenant.editor)
    assert client.post(reverse("login-code"), {"code": "000000"}).status_code == 400
    unthrottle(device)
    response = client.post(reverse("login-code"), {"code": app_code(device)})
    assert response.status_code == 302 and _signed_in(client)


def test_the_devices_wait_is_capped_at_minutes_not_days(tenant):
    device, _ = enrol(tenant.editor)
    device.throttling_failure_count = 40  # 2**39 s by django-otp's own rule
    device.throttling_failure_timestamp = timezone.now()
    device.save()
    check = twofactor.verify(tenant.editor, app_code(device))
    assert not check.ok and "Try again in" in check.message
    seconds = int(check.message.split("Try again in ")[1].split()[0])
    assert seconds <= 2 ** (twofactor.MAX_BACKOFF_FAILURES - 1)
    with time_machine.travel(timezone.now() + timedelta(seconds=seconds + 1)):
        assert twofactor.verify(tenant.editor, app_code(device)).ok


def test_a_recovery_code_signs_in_once(client, tenant):
    _, codes = enrol(tenant.editor)
    _password(client, tenant.editor)
    response = client.post(reverse("login-code"), {"code": codes[0].upper()})
    assert response.status_code == 302 and _signed_in(client)
    assert twofactor.recovery_codes_left(tenant.editor) == len(codes) - 1

    other = type(client)()
    _password(other, tenant.editor)
    reused = other.post(reverse("login-code"), {"code": codes[0]})
    assert reused.status_code == 400 and "_auth_user_id" not in other.session


def test_new_recovery_codes_and_turning_off_need_a_code(tenant, web):
    device, codes = enrol(tenant.editor)
    client = web(tenant.editor, tenant.workspace)
    refused = client.post(reverse("two-factor-disable"), {"code": "nope"})
    assert refused.status_code == 400 and twofactor.is_enrolled(tenant.editor)

    fresh = client.post(reverse("recovery-codes-new"), {"code": app_code(device)})
    assert fresh.status_code == 200 and set(fresh.context["codes"]).isdisjoint(codes)
    assert not twofactor.verify(tenant.editor, codes[1]).ok  # the old ones stopped
    unthrottle(StaticDevice.objects.get(user=tenant.editor))  # that wrong try waits

    off = client.post(
        reverse("two-factor-disable"), {"code": fresh.context["codes"][0]}
    )
    assert off.status_code == 302 and not twofactor.is_enrolled(tenant.editor)


# --- The organization rule --------------------------------------------------------


def _require(tenant) -> None:
    organization = tenant.workspace.organization
    organization.require_two_factor = True
    organization.save()


def test_a_member_without_two_factor_is_sent_to_set_it_up(tenant, web):
    _require(tenant)
    client = web(tenant.editor, tenant.workspace)
    for path in ("/", reverse("calendar"), reverse("security"), reverse("members")):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("two-factor-setup")
    page = client.get(reverse("two-factor-setup"))
    assert page.status_code == 200
    assert "requires two-factor sign-in" in page.content.decode()
    # A write is refused the same way, and the session API answers 403.
    assert client.post(reverse("post-new"), {}).status_code == 302
    api = client.get("/api/v1/workspaces/")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "two_factor_required"
    # Signing out still works.
    assert client.post(reverse("logout")).status_code == 302

    enrol(tenant.editor)
    client = web(tenant.editor, tenant.workspace)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/workspaces/").status_code == 200


def test_the_rule_binds_only_its_own_organization(tenant, other_tenant, web):
    _require(other_tenant)
    assert web(tenant.editor, tenant.workspace).get("/").status_code == 200


def test_the_rule_forbids_turning_two_factor_off(tenant, web):
    device, _ = enrol(tenant.editor)
    _require(tenant)
    client = web(tenant.editor, tenant.workspace)
    response = client.post(reverse("two-factor-disable"), {"code": app_code(device)})
    assert response.status_code == 400
    assert "cannot be turned off" in response.content.decode()
    assert twofactor.is_enrolled(tenant.editor)


def test_owners_set_the_rule_after_enrolling_themselves(tenant, web):
    organization = tenant.workspace.organization
    client = web(tenant.owner, tenant.workspace)
    url = reverse("organization-two-factor")
    first = client.post(url, {"require_two_factor": "on"})
    assert first.status_code == 400
    assert "for yourself first" in first.content.decode()
    organization.refresh_from_db()
    assert not organization.require_two_factor

    enrol(tenant.owner)
    assert "Save rule" in client.get(reverse("security")).content.decode()
    assert client.post(url, {"require_two_factor": "on"}).status_code == 302
    organization.refresh_from_db()
    assert organization.require_two_factor
    assert client.post(url, {}).status_code == 302
    organization.refresh_from_db()
    assert not organization.require_two_factor


@pytest.mark.parametrize("role", ["admin", "editor", "reviewer", "client"])
def test_other_roles_cannot_set_the_rule(tenant, web, role):
    person = tenant.person(role)
    enrol(person)
    client = web(person, tenant.workspace)
    assert "Save rule" not in client.get(reverse("security")).content.decode()
    response = client.post(
        reverse("organization-two-factor"), {"require_two_factor": "on"}
    )
    assert response.status_code == 403
    tenant.workspace.organization.refresh_from_db()
    assert not tenant.workspace.organization.require_two_factor


def test_a_workspace_admin_cannot_set_the_rule_an_organization_admin_can(tenant, web):
    organization = tenant.workspace.organization
    enrol(tenant.admin)  # admin of this workspace only
    url = reverse("organization-two-factor")
    refused = web(tenant.admin, tenant.workspace).post(
        url, {"require_two_factor": "on"}
    )
    assert refused.status_code == 403
    organization.refresh_from_db()
    assert not organization.require_two_factor

    org_admin = UserFactory()
    Membership.objects.create(user=org_admin, organization=organization, role="admin")
    enrol(org_admin)
    response = web(org_admin, tenant.workspace).post(url, {"require_two_factor": "on"})
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.require_two_factor


# --- The admin's own sign-in ------------------------------------------------------


def test_the_admin_sign_in_sends_two_factor_accounts_to_the_sign_in_page(client, db):
    staff = UserFactory(is_staff=True, is_superuser=True)
    enrol(staff)
    response = client.post(
        reverse("admin:login"), {"username": staff.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "two-factor code" in response.content.decode()
    assert not _signed_in(client)

    plain = UserFactory(is_staff=True, is_superuser=True)
    response = client.post(
        reverse("admin:login"), {"username": plain.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and _signed_in(client)
