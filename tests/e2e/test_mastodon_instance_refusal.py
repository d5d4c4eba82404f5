"""In a real browser: a Mastodon instance given as a bracketed IPv6 loopback
(or an IPv4-mapped one) is refused under the field with the reason, not a
server error page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connections.models import MastodonApp
from core.outbound_urls import PRIVATE_REFUSED
from tests.factories import PASSWORD, WorkspaceFactory, member
from workspaces.models import Role

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_a_loopback_instance_is_refused_under_the_field(
    page, live_server, screenshot
) -> None:
    workspace = WorkspaceFactory(name="Bay Bakery")
    member(workspace, Role.ADMIN, email="ada@example.test")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address").fill("ada@example.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    for instance in ("[::1]:18918", "[::ffff:127.0.0.1]:18918"):
        page.goto(f"{live_server.url}/channels/")
        form = page.locator("details#connect-mastodon")
        form.locator("summary").click()
        form.get_by_label("Instance").fill(instance)
        form.get_by_role("button", name="Sign in on the instance").click()

        refused = page.locator("details#connect-mastodon[open]")
        expect(refused).to_contain_text(PRIVATE_REFUSED)
        expect(refused.get_by_label("Instance")).to_have_value(instance)
    refused.scroll_into_view_if_needed()
    screenshot("refused", full_page=False)
    assert not MastodonApp.objects.exists()
