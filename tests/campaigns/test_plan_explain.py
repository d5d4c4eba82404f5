"""Issue 9: "Why this slot" read "score: 0.9; reason: Bluesky prior, X's
microblog shape, flattened…" and still named the old time after a move. It is
now said for a marketer, computed for the post's current time, and names who
moved the post from when."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from analytics.posting_times import describe_time
from campaigns import services
from tests.factories import CampaignFactory, ChannelAccountFactory, cadence, member
from workflow.planner import plan_campaign
from workspaces.models import Role

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # Monday


def _planned_post(tenant):
    campaign = CampaignFactory(
        workspace=tenant.workspace,
        start_date=date(2025, 3, 3),
        end_date=date(2025, 3, 16),
        time_zone="Europe/Berlin",
    )
    account = ChannelAccountFactory(workspace=tenant.workspace, network="bluesky")
    cadence(campaign, account, 3)
    plan_campaign(campaign)
    return campaign.posts.order_by("scheduled_at").first()


def _why(page) -> str:
    text = html.unescape(page.content.decode())
    start = text.index("Why this slot and pillar")
    return text[start : text.index("</section>", start)]


def test_the_reason_is_said_for_a_marketer(tenant, web) -> None:
    with time_machine.travel(NOW, tick=True):
        post = _planned_post(tenant)
        local = post.scheduled_at.astimezone(BERLIN)
        page = web(tenant.editor, tenant.workspace).get(
            reverse("post-editor", args=[post.pk])
        )
    why = _why(page)
    assert f"{local:%A %H:%M} is among the best times for Bluesky audiences" in why
    assert "in Europe/Berlin (typical engagement peaks mid-morning" in why
    for internal in ("score", "prior", "flattened", "largest remainder", "{"):
        assert internal not in why, internal
    assert "no AI" in why


def test_after_a_move_it_names_who_moved_it_and_describes_the_new_time(
    tenant, web
) -> None:
    with time_machine.travel(NOW, tick=True):
        post = _planned_post(tenant)
        old = post.scheduled_at.astimezone(BERLIN)
        new = (old + timedelta(days=1)).replace(hour=21, minute=30)
        services.posts.post_reschedule(post=post, by=tenant.editor, when=new)
        page = web(tenant.reviewer, tenant.workspace).get(
            reverse("post-editor", args=[post.pk])
        )
    why = _why(page)
    name = tenant.editor.display_name
    assert f"Moved by {name} from {old:%a %-d %b, %H:%M}." in why
    assert f"{new:%A} 21:30 is a" in why
    assert f"{old:%A %H:%M} is among" not in why  # the old time is not claimed


def test_a_move_nobody_recorded_still_tells_the_planners_time(tenant, web) -> None:
    with time_machine.travel(NOW, tick=True):
        post = _planned_post(tenant)
        old = post.scheduled_at.astimezone(BERLIN)
        type(post).objects.filter(pk=post.pk).update(
            scheduled_at=post.scheduled_at + timedelta(hours=2)
        )
        page = web(tenant.owner, tenant.workspace).get(
            reverse("post-editor", args=[post.pk])
        )
    why = _why(page)
    assert f"Moved from {old:%a %-d %b, %H:%M}, the planner's suggestion." in why
    assert f"{(old + timedelta(hours=2)):%A %H:%M} is" in why


@pytest.mark.parametrize(
    ("network", "when", "expected"),
    [
        ("linkedin", datetime(2025, 3, 4, 10, 0), "Tuesday 10:00 is among the best"),
        ("linkedin", datetime(2025, 3, 9, 21, 0), "Sunday 21:00 is a quieter time"),
        ("x", datetime(2025, 3, 5, 15, 15), "Wednesday 15:15 is a good time"),
        ("email", datetime(2025, 3, 6, 10, 0), "for newsletter audiences"),
    ],
)
def test_describe_time(network, when, expected) -> None:
    account = ChannelAccountFactory(network=network)
    text = describe_time(account, when.replace(tzinfo=BERLIN), "Europe/Berlin")
    assert expected in text and text.endswith(").")
    assert "score" not in text


def test_an_api_key_move_is_named_as_such(tenant) -> None:
    from campaigns.services.posts import record_move

    with time_machine.travel(NOW, tick=True):
        post = _planned_post(tenant)
    was = post.scheduled_at
    post.scheduled_at = was + timedelta(hours=1)
    record_move(post, object(), was)
    assert post.plan_reason["moved"]["by"] == "an API key"
    assert member(tenant.workspace, Role.EDITOR)  # the tenant stays usable
