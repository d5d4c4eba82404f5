"""In a real browser: drag a post to another day; it keeps its local time."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from core.timezones import local_to_utc, to_local
from tests.factories import (
    PASSWORD,
    CampaignFactory,
    ChannelAccountFactory,
    PostFactory,
    WorkspaceFactory,
    member,
)
from workspaces.models import Role

pytestmark = pytest.mark.e2e
BERLIN = "Europe/Berlin"


def _two_posts_in_a_berlin_week():
    """A Tuesday 09:45 post to drag and a Thursday one to refuse, in a week
    well ahead inside one month view, in a zone that is not the server's."""
    workspace = WorkspaceFactory(name="Bay Bakery", time_zone=BERLIN)
    person = member(workspace, Role.EDITOR, email="eda@example.test")
    account = ChannelAccountFactory(workspace=workspace, name="Bakery")
    today = timezone.localdate()
    # A Monday-to-Sunday week well ahead, inside one month view.
    monday = today + timedelta(days=14 - today.weekday())
    campaign = CampaignFactory(
        workspace=workspace,
        start_date=today,
        end_date=today + timedelta(days=60),
        time_zone=BERLIN,
        cadences=[(account, 3)],
    )
    source_day = monday + timedelta(days=1)
    post = PostFactory(
        campaign=campaign,
        topic="Sourdough Tuesday",
        scheduled_at=local_to_utc(
            datetime.combine(
                source_day, datetime.min.time().replace(hour=9, minute=45)
            ),
            BERLIN,
        ),
        accounts=[account],
    )
    other = PostFactory(
        campaign=campaign,
        topic="Croissant Thursday",
        scheduled_at=local_to_utc(
            datetime.combine(
                monday + timedelta(days=3), datetime.min.time().replace(hour=8)
            ),
            BERLIN,
        ),
        accounts=[account],
    )
    return person, campaign, monday, post, other


def test_drag_a_post_to_another_day_keeps_its_local_time(live_server, page, screenshot):
    person, campaign, monday, post, other = _two_posts_in_a_berlin_week()
    source_day = monday + timedelta(days=1)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/calendar/?view=month&date={source_day:%Y-%m-%d}")
    card = page.locator(f"#post-{post.pk}")
    card.wait_for()
    assert card.locator("[data-time]").inner_text() == "09:45"
    screenshot("1-month")

    target_day: date = source_day + timedelta(days=2)
    target = page.locator(f'[data-drop-date="{target_day:%Y-%m-%d}"]')
    with page.expect_response(lambda r: "/move/" in r.url) as answer:
        card.drag_to(target)
    assert answer.value.status == 200
    # Moved without a reload: the card is in the target day's cell now.
    target.locator(f"#post-{post.pk}").wait_for()
    assert "Moved to" in page.locator("#messages").inner_text()
    assert "is-dragging" not in (card.get_attribute("class") or "")
    screenshot("2-after-drag")

    post.refresh_from_db()
    local = to_local(post.scheduled_at, BERLIN)
    assert local.date() == target_day
    assert (local.hour, local.minute) == (9, 45)

    # A refused move (onto a blackout day) puts the card back with the reason.
    blackout = monday + timedelta(days=4)
    campaign.blackout_dates = [blackout.isoformat()]
    campaign.save(update_fields=["blackout_dates"])
    card = page.locator(f"#post-{other.pk}")
    with page.expect_response(lambda r: "/move/" in r.url) as answer:
        card.drag_to(page.locator(f'[data-drop-date="{blackout:%Y-%m-%d}"]'))
    assert answer.value.status == 400
    thursday = monday + timedelta(days=3)
    page.locator(f'[data-drop-date="{thursday:%Y-%m-%d}"] #post-{other.pk}').wait_for()
    assert "blackout date" in page.locator("#messages").inner_text()
    screenshot("3-refused")
    other.refresh_from_db()
    assert to_local(other.scheduled_at, BERLIN).date() == thursday
