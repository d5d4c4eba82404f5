"""In a real browser: a post published to the demo inbox's webhook through the
real publishing path shows up on the Demo inbox page (sidebar link, demo label,
time in the workspace's zone, signature verified), and another workspace's
person does not see it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connections.models import Network
from demo import inbox
from publishing import delivery
from publishing.models import PublicationStatus as PS
from tests.channels.connector_kit import queued_publication
from tests.e2e.signin import sign_in
from tests.factories import ChannelAccountFactory, WorkspaceFactory, member
from workspaces.models import Role

pytestmark = pytest.mark.e2e


def test_a_published_post_arrives_in_the_demo_inbox(
    transactional_db, live_server, settings, page, screenshot
) -> None:
    settings.DEMO_INBOX = True
    settings.OUTBOUND_ALLOW_PRIVATE = False
    settings.SITE_URL = live_server.url
    workspace = WorkspaceFactory(name="Bay Bakery", time_zone="Europe/Berlin")
    member(workspace, Role.EDITOR, email="eve@example.test")
    account = ChannelAccountFactory(
        workspace=workspace,
        name="Demo inbox (webhook)",
        network=Network.WEBHOOK,
        credentials={"secret": "demo-inbox-e2e-secret-0123456789"},
    )
    account.external_id = inbox.hook_url(account.pk)
    account.save(update_fields=["external_id"])
    publication = queued_publication(account, body="Sourdough is back on Friday.")
    delivery.publication_publish(publication.pk)
    publication.refresh_from_db()
    assert publication.status == PS.PUBLISHED, publication.error

    sign_in(page, live_server.url, "eve@example.test")
    page.get_by_role("link", name="Demo inbox").click()
    expect(page.get_by_role("heading", name="Demo inbox")).to_be_visible()
    expect(page.get_by_text("not a real network").first).to_be_visible()
    received = page.locator("li.demo-delivery")
    expect(received).to_have_count(1)
    expect(received).to_contain_text("Signature verified: yes")
    expect(received).to_contain_text("(Europe/Berlin)")
    expect(received).to_contain_text('"text": "Sourdough is back on Friday."')
    screenshot("inbox")

    other = WorkspaceFactory(name="Elsewhere")
    member(other, Role.EDITOR, email="olaf@example.test")
    page.context.clear_cookies()
    sign_in(page, live_server.url, "olaf@example.test")
    page.goto(f"{live_server.url}/demo/inbox/")
    expect(page.get_by_text("Nothing has arrived yet")).to_be_visible()
    expect(page.locator("li.demo-delivery")).to_have_count(0)
    screenshot("other-workspace")
