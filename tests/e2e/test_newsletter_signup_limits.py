"""In a real browser: the public newsletter sign-up answers the same "Check
your inbox" page however often an address is submitted, and past the limit per
address a plain 429 page that says what to do; nobody learns who is on the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from publishing.models import Subscriber
from tests.channels.test_connector_email import newsletter_account

pytestmark = pytest.mark.e2e


def test_signing_up_one_address_too_often_is_refused_politely(
    live_server, page, screenshot, settings
) -> None:
    settings.NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR = 2
    account = newsletter_account(9)  # nothing listens: mail fails, page does not
    url = f"{live_server.url}/newsletter/{account.pk}/subscribe/"
    statuses = []
    for _ in range(3):
        page.goto(url)
        expect(page.get_by_role("heading", name="Subscribe to")).to_be_visible()
        page.get_by_label("Email address").fill("reader@readers.test")
        with page.expect_response(url) as answer:
            page.get_by_role("button", name="Subscribe").click()
        statuses.append(answer.value.status)
        if answer.value.status == 200:
            expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    assert statuses == [200, 200, 429]
    expect(page.get_by_role("heading", name="Please wait a little")).to_be_visible()
    expect(page.get_by_text("signed up too many times")).to_be_visible()
    screenshot("too-many")
    assert Subscriber.objects.filter(account=account).count() == 1
