"""In a real browser: the week view shows every hour row with its label and
every post of a crowded hour, side by side or behind a visible "+N more"."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.timezones import local_to_utc
from tests.e2e.signin import sign_in
from tests.factories import (
    CampaignFactory,
    ChannelAccountFactory,
    PostFactory,
    WorkspaceFactory,
    member,
)
from workspaces.models import Role

pytestmark = pytest.mark.e2e
BERLIN = "Europe/Berlin"


def _boxes_overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def _none_overlap(boxes: list) -> None:
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not _boxes_overlap(a, b), (a, b)


def _three_posts_at_ten():
    """Three posts in one hour (10:00, 10:05, 10:10) of a Wednesday well
    ahead, one with a title far too long for a card: the crowded case."""
    workspace = WorkspaceFactory(name="Bay Bakery", time_zone=BERLIN)
    person = member(workspace, Role.EDITOR, email="eda@example.test")
    account = ChannelAccountFactory(workspace=workspace, name="Bakery")
    today = timezone.localdate()
    wednesday = today + timedelta(days=16 - today.weekday())
    campaign = CampaignFactory(
        workspace=workspace,
        start_date=today,
        end_date=today + timedelta(days=60),
        time_zone=BERLIN,
        cadences=[(account, 3)],
    )
    topics = [
        "Sourdough Wednesday",
        "A very long title about our seasonal rye loaf that goes on and on "
        "and on until it no longer fits on a card of the week view",
        "Croissant class sign-up",
    ]
    posts = [
        PostFactory(
            campaign=campaign,
            topic=topic,
            scheduled_at=local_to_utc(
                datetime.combine(wednesday, time(10, 5 * n)), BERLIN
            ),
            accounts=[account],
        )
        for n, topic in enumerate(topics)
    ]
    return person, wednesday, posts


def test_three_posts_at_ten_are_all_visible_in_the_week_view(
    live_server, page, screenshot
):
    person, wednesday, posts = _three_posts_at_ten()
    sign_in(page, live_server.url, person.email)

    page.goto(f"{live_server.url}/calendar/?view=week&date={wednesday:%Y-%m-%d}")
    slot = page.locator(f'[data-drop-date="{wednesday:%Y-%m-%d}"][data-drop-hour="10"]')
    slot.wait_for()
    screenshot("1-week", full_page=False)

    label = page.locator(".cal-hour", has_text="10:00")
    expect(label).to_be_visible()
    wrap = page.locator(".cal-week-wrap").bounding_box()
    label_box = label.bounding_box()
    header = page.locator(".cal-week-day").first.bounding_box()
    assert label_box and wrap and header
    # The label is below the sticky day header and inside the scroll box.
    assert label_box["y"] >= header["y"] + header["height"] - 1
    assert label_box["y"] + label_box["height"] <= wrap["y"] + wrap["height"] + 1

    boxes = []
    for post in posts:  # measured without scrolling in between
        card = page.locator(f"#post-{post.pk}")
        expect(card).to_be_in_viewport()
        expect(card.locator(".post-card-topic")).to_be_visible()
        box = card.bounding_box()
        assert box and box["height"] > 10 and box["width"] > 40
        boxes.append(box)
    _none_overlap(boxes)
    # Every card lies inside its hour's cell: nothing spills over 11:00.
    cell = slot.bounding_box()
    assert cell
    for box in boxes:
        assert box["y"] >= cell["y"] - 1
        assert box["y"] + box["height"] <= cell["y"] + cell["height"] + 1
    expect(slot.locator("[data-count]")).to_have_text("3 posts")
    screenshot("2-week-crowded-hour", full_page=False)

    # A narrow window: the grid scrolls sideways, cards still never overlap.
    page.set_viewport_size({"width": 820, "height": 700})
    page.reload()
    slot.wait_for()
    expect(page.locator(".cal-hour", has_text="08:00")).to_be_in_viewport()
    page.locator(f"#post-{posts[-1].pk}").scroll_into_view_if_needed()
    boxes = []
    for post in posts:
        card = page.locator(f"#post-{post.pk}")
        expect(card.locator(".post-card-topic")).to_be_visible()
        boxes.append(card.bounding_box())
    _none_overlap(boxes)
    screenshot("3-narrow", full_page=False)


def test_a_crowded_hour_shows_three_and_a_count_that_opens_the_rest(
    live_server, page, screenshot
):
    workspace = WorkspaceFactory(name="Bay Bakery", time_zone=BERLIN)
    person = member(workspace, Role.EDITOR, email="eda@example.test")
    account = ChannelAccountFactory(workspace=workspace, name="Bakery")
    today = timezone.localdate()
    monday = today + timedelta(days=14 - today.weekday())
    campaign = CampaignFactory(
        workspace=workspace,
        start_date=today,
        end_date=today + timedelta(days=60),
        time_zone=BERLIN,
        cadences=[(account, 3)],
    )
    posts = [
        PostFactory(
            campaign=campaign,
            topic=f"Bake sale {n + 1}",
            scheduled_at=local_to_utc(
                datetime.combine(monday, time(7, 10 * n)), BERLIN
            ),
            accounts=[account],
        )
        for n in range(5)
    ]
    sign_in(page, live_server.url, person.email)

    page.goto(f"{live_server.url}/calendar/?view=week&date={monday:%Y-%m-%d}")
    slot = page.locator(f'[data-drop-date="{monday:%Y-%m-%d}"][data-drop-hour="7"]')
    # The view opens at the week's first post (07:00), not at 08:00 past it.
    expect(page.locator(".cal-hour", has_text="07:00")).to_be_in_viewport()
    expect(slot.locator("[data-count]")).to_have_text("5 posts")
    for post in posts[:3]:
        expect(page.locator(f"#post-{post.pk}")).to_be_visible()
    for post in posts[3:]:
        expect(page.locator(f"#post-{post.pk}")).to_be_hidden()
    more = slot.get_by_text("+2 more")
    expect(more).to_be_visible()
    screenshot("1-collapsed", full_page=False)
    more.click()
    boxes = []
    for post in posts:
        card = page.locator(f"#post-{post.pk}")
        expect(card).to_be_visible()
        boxes.append(card.bounding_box())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not _boxes_overlap(a, b), (a, b)
    screenshot("2-expanded", full_page=False)

    # A card dragged out of the crowded hour leaves a true count behind.
    target = page.locator(f'[data-drop-date="{monday:%Y-%m-%d}"][data-drop-hour="9"]')
    with page.expect_response(lambda r: "/move/" in r.url) as answer:
        page.locator(f"#post-{posts[0].pk}").drag_to(target)
    assert answer.value.status == 200
    target.locator(f"#post-{posts[0].pk}").wait_for()
    expect(slot.locator("[data-count]")).to_have_text("4 posts")
