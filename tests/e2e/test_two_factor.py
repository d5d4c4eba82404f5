"""In a real browser: an owner sets up two-factor sign-in from Settings →
Security (QR, key, first code, recovery codes), signs in again with a code,
requires it for the organization, and makes a personal access token."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.campaigns.twofactor_helpers import app_code
from tests.factories import PASSWORD, WorkspaceFactory, member
from workspaces.models import PersonalAccessToken, Role

pytestmark = pytest.mark.e2e


def test_set_up_sign_in_with_a_code_require_it_and_make_a_token(
    live_server, page, screenshot
):
    workspace = WorkspaceFactory(name="Bay Bakery")
    owner = member(workspace, Role.OWNER, email="olga@example.test")
    url = live_server.url

    page.goto(f"{url}/login/")
    page.get_by_label("Email address").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")

    page.goto(f"{url}/account/security/")
    expect(page.get_by_role("link", name="Security")).to_be_visible()
    screenshot("security-off")
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    assert len(secret.replace(" ", "")) >= 16
    screenshot("setup")
    device = TOTPDevice.objects.get(user=owner)
    page.get_by_label("Code from the app").fill(app_code(device))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_text("Two-factor sign-in is on")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    screenshot("recovery-codes")
    page.get_by_role("link", name="I saved them").click()

    # The organization's rule, now that the owner has it.
    page.get_by_label("Require two-factor sign-in for every member").check()
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_text("Bay Bakery")).not_to_have_count(0)
    expect(page.get_by_text("now requires two-factor sign-in")).to_be_visible()

    # A personal access token, shown once.
    page.get_by_label("Name").fill("Review bot")
    page.get_by_role("button", name="Create token").click()
    shown = page.locator("#new-token-secret").inner_text()
    assert shown.startswith("adp_")
    assert PersonalAccessToken.objects.get(user=owner).name == "Review bot"
    screenshot("token")

    # Signing in again asks for the code after the password.
    page.context.clear_cookies()
    page.goto(f"{url}/login/")
    page.get_by_label("Email address").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/login/code/")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_text("That code is not right.")).to_be_visible()
    screenshot("wrong-code")
    device.refresh_from_db()
    device.throttle_reset()
    page.get_by_label("Code").fill(app_code(device))
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url(f"{url}/")
