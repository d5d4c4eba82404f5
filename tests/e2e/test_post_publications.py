"""In a real browser, the issue's case: a post on a webhook account, a
connected Bluesky account and a planning-only one, due on a Friday. "Publish
now" on the webhook row publishes that one (to the deduplicating sink, through
the real connector); the Bluesky row keeps Friday, the post its time, and the
page says "Partly published" with each row's state. A copy the network refuses
offers "Edit the Bluesky copy" (opening that tab), not "Retry"; once edited,
that copy waits for a reviewer, who approves it from the same page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns import lifecycle
from campaigns.models import Post
from connections.models import Network
from content.models import Variant
from content.services.variants import rule_report_for, variant_update_text
from publishing import delivery, dispatcher
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from tests.e2e.signin import sign_in
from tests.factories import (
    ChannelAccountFactory,
    ConnectedAccountFactory,
    PostFactory,
    WorkspaceFactory,
    member,
)
from tests.fakes.sink import SinkServer
from workspaces.models import Role

pytestmark = pytest.mark.e2e


@pytest.fixture
def sink(settings) -> Iterator[SinkServer]:
    from core import http

    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.DISPATCH_MAX_QUEUED = 0
    server = SinkServer().start()
    yield server
    if http._client.cache_info().currsize:
        http._client().close()
        http._client.cache_clear()
    server.stop()


def _variant(post: Post, network: str, text: str) -> None:
    variant = Variant.objects.create(
        workspace=post.workspace,
        post=post,
        network=network,
        label="A",
        text=text,
        status="chosen",
        gate_passed=True,
    )
    variant.rule_report = rule_report_for(variant, text)
    variant.save(update_fields=["rule_report"])


def _post_on_three_accounts(sink: SinkServer):
    """Approved and scheduled for a Friday ahead: a webhook row (to the sink),
    a connected Bluesky row, and a planning-only account with no row."""
    workspace = WorkspaceFactory(name="Bay Bakery")
    editor = member(workspace, Role.EDITOR, email="eda@example.test")
    reviewer = member(workspace, Role.REVIEWER, email="rita@example.test")
    hook = ConnectedAccountFactory(
        workspace=workspace,
        network=Network.WEBHOOK,
        name="Shop webhook",
        external_id=sink.url,
        credentials={"secret": "s3cret"},
    )
    sky = ConnectedAccountFactory(
        workspace=workspace, network=Network.BLUESKY, name="Bakery on Bluesky"
    )
    planning = ChannelAccountFactory(
        workspace=workspace, network=Network.MASTODON, name="Bakery toots"
    )
    friday = timezone.now() + timedelta(days=7)
    friday += timedelta(days=(4 - friday.weekday()) % 7)
    friday = friday.replace(hour=10, minute=0, second=0, microsecond=0)
    post = PostFactory(
        campaign__workspace=workspace,
        topic="Sourdough Friday",
        body="Sourdough is back on Friday.",
        accounts=[hook, sky, planning],
        scheduled_at=friday,
    )
    _variant(post, "webhook", "Sourdough is back on Friday.")
    _variant(post, "bluesky", "Sourdough is back on Friday, come early.")
    for action, who in (("submit", editor), ("approve", reviewer)):
        lifecycle.transition(post, action, by=who)
    # The schedule move makes the publications inside its own transaction
    # (channels' lifecycle status listener): nothing to wait for.
    lifecycle.transition(post, "schedule", by=editor)
    rows = {p.account_id: p for p in Publication.objects.filter(post=post)}
    assert set(rows) == {hook.pk, sky.pk}  # planning only: none
    return editor, reviewer, hook, sky, friday, post, rows


def _bluesky_refuses_the_copy(publication: Publication) -> None:
    """What the worker leaves on Friday when Bluesky refuses the text: due
    now, failed as invalid (a retry cannot help)."""
    Publication.objects.filter(pk=publication.pk).update(
        due_at=timezone.now(), due_override=True
    )
    delivery.publication_move(
        [publication.pk],
        to=PS.FAILED,
        sources=[PS.SCHEDULED],
        error="The post is 301 characters; Bluesky allows 300.",
        error_kind="invalid",
        finished_at=timezone.now(),
    )


@pytest.fixture
def no_broker(monkeypatch) -> None:
    """The scheduler's tick and the worker's task run in the test's process; the
    claimed ids are not sent to the broker, where a Celery worker started by
    an earlier test of the session (tests/realservices.py) could take them."""
    monkeypatch.setattr(dispatcher, "enqueue", lambda ids: None)


def test_publish_one_row_then_fix_and_review_the_other(
    live_server, page, screenshot, sink, no_broker
):
    editor, reviewer, hook, sky, friday, post, rows = _post_on_three_accounts(sink)
    sign_in(page, live_server.url, editor.email)
    page.goto(f"{live_server.url}/posts/{post.pk}/")
    section = page.locator("#publications")
    expect(section.get_by_text("planning only")).to_be_visible()
    screenshot("1-scheduled")

    page.locator(f"#publication-{rows[hook.pk].pk}").get_by_role(
        "button", name="Publish now"
    ).click()
    expect(page.get_by_text("Shop webhook: goes out now")).to_be_visible()
    # The scheduler's tick and the worker's task, in this process.
    assert dispatcher.dispatch() == 1
    delivery.publication_publish_many([rows[hook.pk].pk], task_id="e2e")
    assert dict(sink.state.requests) == {rows[hook.pk].idempotency_key: 1}

    page.reload()
    expect(page.locator(".page-header .status-badge")).to_have_text("Partly published")
    hook_row = page.locator(f"#publication-{rows[hook.pk].pk}")
    sky_row = page.locator(f"#publication-{rows[sky.pk].pk}")
    expect(hook_row.locator(".status-badge")).to_have_text("Published")
    expect(sky_row.locator(".status-badge")).to_have_text("Scheduled")
    expect(sky_row).to_contain_text(friday.strftime("%-d %b %Y, %H:%M"))
    post.refresh_from_db()
    assert post.scheduled_at == friday
    screenshot("2-partly-published")

    # Friday: Bluesky refuses the copy. A retry cannot help: Edit, not Retry.
    _bluesky_refuses_the_copy(rows[sky.pk])
    page.reload()
    expect(sky_row.locator(".status-badge")).to_have_text("Failed")
    expect(sky_row.get_by_role("button", name="Retry")).to_have_count(0)
    edit = sky_row.get_by_role("link", name="Edit the Bluesky copy")
    expect(edit).to_be_visible()
    screenshot("3-edit-not-retry")
    edit.click()
    expect(
        page.locator("#variants-panel").get_by_role("tab", name="Bluesky")
    ).to_have_attribute("aria-selected", "true")

    # The editor shortens it (the panel's own form is covered by the variants
    # tests); only the Bluesky publication waits for a review.
    variant = Variant.objects.get(post=post, network="bluesky")
    variant_update_text(variant=variant, by=editor, text="Sourdough is back Friday.")
    page.goto(f"{live_server.url}/posts/{post.pk}/")
    expect(sky_row.locator(".status-badge")).to_have_text("Copy in review")
    expect(sky_row.get_by_role("button", name="Approve this copy")).to_have_count(0)
    expect(hook_row.locator(".status-badge")).to_have_text("Published")

    sign_in(page, live_server.url, reviewer.email)
    page.goto(f"{live_server.url}/posts/{post.pk}/")
    screenshot("4-copy-in-review")
    sky_row.get_by_role("button", name="Approve this copy").click()
    expect(sky_row.locator(".status-badge")).to_have_text("Scheduled")
    assert Publication.objects.get(pk=rows[sky.pk].pk).status == PS.SCHEDULED
    screenshot("5-approved")
