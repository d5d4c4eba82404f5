"""Signing in through the real form, as a person does: shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.factories import PASSWORD


def sign_in(page: Page, url: str, email: str) -> None:
    """Sign `email` in at the live server `url` (any earlier session dropped)."""
    page.context.clear_cookies()
    page.goto(f"{url}/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")
