"""In a real browser: connecting a webhook to a private address shows, under the
URL, why it is refused and how an on-premises installation allows it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connections.models import ChannelAccount
from core.outbound_urls import PRIVATE_REFUSED
from tests.factories import PASSWORD, WorkspaceFactory, member
from workspaces.models import Role

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_private_webhook_url_is_refused_with_the_reason(
    page, live_server, screenshot
) -> None:
    workspace = WorkspaceFactory(name="Bay Bakery")
    member(workspace, Role.ADMIN, email="ada@example.test")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address").fill("ada@example.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/channels/")
    hook = page.locator("details#connect-webhook")
    hook.locator("summary").click()
    hook.get_by_label("Webhook URL").fill("http://192.168.1.10/hook")
    hook.get_by_label("Signing secret").fill("s3cret-signing-key-0123")
    hook.get_by_role("button", name="Connect").click()

    refused = page.locator("details#connect-webhook[open]")
    expect(refused).to_contain_text(PRIVATE_REFUSED)
    expect(refused).not_to_contain_text("s3cret-signing-key-0123")
    refused.scroll_into_view_if_needed()
    screenshot("refused", full_page=False)
    assert not ChannelAccount.objects.filter(workspace=workspace).exists()
