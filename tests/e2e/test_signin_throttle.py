"""In a real browser: after repeated wrong passwords the sign-in form says to
wait, and even the right password does not sign in until then."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.e2e


def test_wrong_passwords_then_a_clear_wait_message(
    live_server, page, screenshot, settings
):
    settings.SIGNIN_FREE_FAILURES = 3
    settings.SIGNIN_BACKOFF_BASE_SECONDS = 120
    person = UserFactory(email="noor@example.test")
    page.goto(f"{live_server.url}/login/")
    for password in ("spring", "summer", "autumn", PASSWORD):
        page.get_by_label("Email address").fill(person.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
    alert = page.get_by_role("alert")
    assert "Too many failed sign-ins from here for this account." in alert.inner_text()
    assert "Try again in 2 minutes." in alert.inner_text()
    assert page.url.startswith(f"{live_server.url}/login/")
    # The email stays filled in; the page still offers the reset link.
    assert page.get_by_label("Email address").input_value() == person.email
    assert page.get_by_role("link", name="Forgot your password?").is_visible()
    screenshot("throttled")
