"""In a real browser: an admin switches approval off on the workspace settings
page, and the page's approval history says who did it; an API key cannot
(tests/campaigns/test_approval_policy.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.signin import sign_in
from tests.factories import WorkspaceFactory, member
from workspaces.models import Role

pytestmark = pytest.mark.e2e


def test_switching_approval_off_is_recorded_on_the_page(
    live_server, page, screenshot
) -> None:
    workspace = WorkspaceFactory(name="Bay Bakery", approval_required=True)
    admin = member(workspace, Role.ADMIN, email="ada@example.test")
    sign_in(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/settings/")
    approval = page.get_by_label("Posts need approval")
    expect(approval).to_be_checked()
    approval.uncheck()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Workspace settings saved.")).to_be_visible()
    expect(page.get_by_label("Posts need approval")).not_to_be_checked()
    history = page.get_by_role("heading", name="Approval history")
    expect(history).to_be_visible()
    expect(page.get_by_text("approval turned off by ada@example.test")).to_be_visible()
    screenshot("1-approval-off")
