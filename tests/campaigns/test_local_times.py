"""Times in the UI: in the workspace's zone with the zone named, on every page,
from one place (the middleware activates the zone; `local_time` renders it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import PostComment
from campaigns.templatetags.local_time import describe, zone_abbreviation
from tests.campaigns.review_posts import card_of, text_of
from tests.factories import ChannelAccountFactory, PostFactory

pytestmark = pytest.mark.usefixtures("static_files")
# 15:00 UTC: 10:00 in New York (EST, winter), 16:00 in Berlin.
AT = datetime(2026, 12, 18, 15, 0, tzinfo=UTC)


@pytest.fixture
def new_york(tenant):
    tenant.workspace.time_zone = "America/New_York"
    tenant.workspace.save(update_fields=["time_zone"])
    return tenant


def _render(source: str, **context: object) -> str:
    return Template("{% load local_time %}" + source).render(Context(context))


def test_when_names_the_zone_and_tooltips_the_offset():
    with timezone.override("Europe/Berlin"):
        html = _render("{{ at|when }}", at=AT)
    assert ">Fri 18 Dec 2026, 16:00 CET</time>" in html
    assert 'datetime="2026-12-18T16:00:00+01:00"' in html
    assert 'title="Friday 18 December 2026, 16:00 Europe/Berlin (UTC+01:00)"' in html


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("long", "Fri 18 Dec 2026, 10:00 EST (America/New_York)"),
        ("medium", "18 Dec 2026, 10:00 EST"),
        ("short", "18 Dec, 10:00 EST"),
        ("date", "18 Dec 2026"),
    ],
)
def test_when_styles(style: str, expected: str):
    assert describe(AT, style, "America/New_York") == expected


def test_summer_time_and_zones_without_letters():
    summer = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert describe(summer, "short", "Europe/Berlin") == "1 Jul, 10:00 CEST"
    local = summer.astimezone(timezone.get_fixed_timezone(330))
    assert zone_abbreviation(local) == "UTC+05:30"
    assert describe(summer, "short", "America/Sao_Paulo") == "1 Jul, 05:00 UTC-03:00"
    assert describe(summer, "short", "UTC") == "1 Jul, 08:00 UTC"


def test_a_missing_time_renders_nothing():
    assert _render("[{{ at|when }}][{{ at|ago }}]", at=None) == "[][]"


def test_the_workspaces_zone_is_active_for_the_request_and_only_for_it(new_york, web):
    body = web(new_york.owner, new_york.workspace).get(reverse("approvals"))
    assert "times are in America/New_York" in body.content.decode()
    assert timezone.get_current_timezone_name() == "UTC"  # restored afterwards


def test_the_approvals_page_shows_times_in_the_workspace_zone(new_york, web):
    account = ChannelAccountFactory(workspace=new_york.workspace)
    post = PostFactory(
        campaign__workspace=new_york.workspace,
        campaign__time_zone="America/New_York",
        scheduled_at=AT,
        accounts=[account],
    )
    lifecycle.transition(post, "submit", by=new_york.editor)
    comment = PostComment.objects.create(post=post, author=new_york.client, body="Ok")
    PostComment.objects.filter(pk=comment.pk).update(
        created_at=datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    )
    page = web(new_york.reviewer, new_york.workspace).get(reverse("approvals"))
    shown = text_of(card_of(page.content.decode(), post))
    assert "Fri 18 Dec 2026, 10:00 EST (America/New_York)" in shown
    assert "1 Dec, 09:30 EST" in shown
    assert "UTC" not in shown and "15:00" not in shown and "14:30" not in shown


def test_the_channels_page_shows_the_last_check_in_the_workspace_zone(new_york, web):
    ChannelAccountFactory(workspace=new_york.workspace, last_checked_at=AT)
    page = web(new_york.owner, new_york.workspace).get(reverse("channels"))
    body = page.content.decode()
    assert "18 Dec, 10:00 EST" in text_of(body)
    assert "15:00" not in body and " UTC</time>" not in body


def test_the_post_editor_history_and_comments_are_in_the_workspace_zone(new_york, web):
    post = PostFactory(campaign__workspace=new_york.workspace)
    post.history.update(at=AT)
    PostComment.objects.create(post=post, author=new_york.editor, body="Hi")
    PostComment.objects.filter(post=post).update(created_at=AT)
    page = web(new_york.editor, new_york.workspace).get(
        reverse("post-editor", args=[post.pk])
    )
    shown = text_of(page.content.decode())
    assert shown.count("18 Dec 2026, 10:00 EST") >= 2
    assert "15:00 UTC" not in shown


def test_no_template_prints_utc_after_a_time():
    """A guard against a page formatting a time by hand again: every template
    renders instants through `local_time` (the API's ISO strings are not HTML)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for template in root.glob("**/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        text = template.read_text()
        if " UTC</time>" in text or "}} UTC" in text or "|timesince" in text:
            offenders.append(str(template.relative_to(root)))
    assert offenders == []


def test_a_zone_the_database_lacks_keeps_utc_rather_than_failing(tenant, web):
    from workspaces.models import Workspace

    Workspace.objects.filter(pk=tenant.workspace.pk).update(time_zone="Mars/Olympus")
    page = web(tenant.owner, tenant.workspace).get(reverse("approvals"))
    assert page.status_code == 200
    assert "times are in UTC" in page.content.decode()


def test_a_streamed_body_renders_in_the_workspace_zone_too():
    """The variant stream renders its partials after the view returned."""
    from zoneinfo import ZoneInfo

    from workspaces.middleware import _in_zone

    def body():
        for _ in range(2):
            yield timezone.get_current_timezone_name()
            yield "|"

    chunks = _in_zone(body(), ZoneInfo("Asia/Tokyo"))
    assert next(chunks) == "Asia/Tokyo"
    assert timezone.get_current_timezone_name() == "UTC"  # not leaked between
    assert "".join(chunks) == "|Asia/Tokyo|"
