"""Issue 9: the offline planner put every post at 10:00, almost all Monday to
Thursday, with titles like "Launch offer: offer". Posts now spread over the
top-ranked hours and days (deterministic per seed), and titles read like a
person's."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from campaigns.models import Objective
from tests.factories import CampaignFactory, ChannelAccountFactory, cadence
from workflow.plan_topics import natural_case, phrases_for
from workflow.planner import plan_campaign

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # a Monday morning
BERLIN = ZoneInfo("Europe/Berlin")


def _campaign(network: str = "bluesky", per_week: int = 4, **fields):
    campaign = CampaignFactory(
        start_date=date(2025, 3, 3),
        end_date=date(2025, 4, 27),  # eight weeks
        time_zone="Europe/Berlin",
        min_gap_minutes=180,
        **fields,
    )
    account = ChannelAccountFactory(workspace=campaign.workspace, network=network)
    cadence(campaign, account, per_week)
    return campaign


def _slots(campaign) -> list[datetime]:
    return [
        p.scheduled_at.astimezone(BERLIN)
        for p in campaign.posts.order_by("scheduled_at")
    ]


@pytest.mark.parametrize("network", ["bluesky", "mastodon", "linkedin", "x"])
def test_posts_spread_over_several_good_hours_and_weekdays(network) -> None:
    campaign = _campaign(network)
    with time_machine.travel(NOW, tick=False):
        plan_campaign(campaign)
    local = _slots(campaign)
    assert len(local) == 32
    hours = Counter(t.strftime("%H:%M") for t in local)
    weekdays = Counter(t.weekday() for t in local)
    assert len(hours) >= 3, hours
    assert max(hours.values()) <= len(local) // 2, hours  # no single argmax
    assert len(weekdays) >= 5, weekdays
    # Only good hours: mid-morning to early afternoon for these priors.
    assert all(8 <= t.hour <= 13 for t in local), hours
    assert all(t.minute == 0 for t in local)
    if network == "linkedin":  # its weekends rank low: never chosen here
        assert not {5, 6} & set(weekdays)


def test_the_same_seed_gives_the_same_plan_and_another_seed_another(settings) -> None:
    campaign = _campaign()
    with time_machine.travel(NOW, tick=False):
        plan_campaign(campaign, seed="a")
        first = _slots(campaign)
        plan_campaign(campaign, seed="a")
        assert _slots(campaign) == first
        plan_campaign(campaign, seed="b")
        assert _slots(campaign) != first
        plan_campaign(campaign)  # the default seed is the campaign: stable too
        default = _slots(campaign)
        plan_campaign(campaign)
        assert _slots(campaign) == default


def _repeats(title: str) -> bool:
    """ "X: X"-style: the part after a colon only repeats words before it."""
    if ":" not in title:
        return False
    head, tail = title.split(":", 1)
    words = lambda s: {w.lower() for w in re.findall(r"\w+", s)}  # noqa: E731
    return bool(words(tail)) and words(tail) <= words(head)


@pytest.mark.parametrize("objective", Objective.values)
def test_titles_read_like_a_persons_without_repetition(objective) -> None:
    campaign = _campaign(
        objective=objective,
        brief="Launch offer: free shipping on the first bag of our new espresso. "
        "The offer runs for two weeks.",
        pillars=[("Launch offer", 2), ("Brew at home", 1)],
    )
    with time_machine.travel(NOW, tick=False):
        plan_campaign(campaign)
    posts = list(campaign.posts.select_related("pillar"))
    assert posts
    for post in posts:
        assert not _repeats(post.topic), post.topic
        assert post.topic != post.pillar.name
        assert not post.topic.lower().startswith(post.pillar.name.lower() + ":")
        assert "offer: offer" not in post.topic.lower()
        assert post.topic[:1].isupper()
        assert "no AI" in post.plan_reason["topic"]
    assert len({p.topic for p in posts}) >= min(len(posts), 5)


def test_phrases_skip_the_pillars_own_words_and_keep_names() -> None:
    pillar = type("P", (), {"name": "Launch offer", "description": ""})()
    phrases = phrases_for(
        pillar, "Launch offer: free shipping in Huila. Offer ends soon.", "x"
    )  # type: ignore[arg-type]
    assert "offer" not in [p.lower() for p in phrases]
    assert "free shipping" in phrases
    assert natural_case("Recipes", "Recipes and tips.") == "recipes"
    assert natural_case("Huila", "Beans from Huila. Huila is high.") == "Huila"
