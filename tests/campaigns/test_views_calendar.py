"""The calendar page: views, filters, local days, query counts, drag-and-drop moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import PostStatus
from connections.models import Network
from content.models import Asset
from core.timezones import to_local
from tests.factories import (
    CampaignFactory,
    ChannelAccountFactory,
    PillarFactory,
    PostFactory,
)
from workspaces.models import Role

pytestmark = pytest.mark.usefixtures("static_files")
# A fixed "now" a few days before the campaign, so every test time is future.
NOW = datetime(2025, 3, 20, 8, 0, tzinfo=UTC)
BERLIN = "Europe/Berlin"


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def campaign(tenant):
    account = ChannelAccountFactory(workspace=tenant.workspace, name="Main")
    return CampaignFactory(
        workspace=tenant.workspace,
        start_date=date(2025, 3, 24),
        end_date=date(2025, 4, 30),
        time_zone=BERLIN,
        cadences=[(account, 3)],
        blackout_dates=["2025-04-18"],
    )


def _at(day: date, hour: int, minute: int = 0, tz: str = BERLIN) -> datetime:
    from core.timezones import local_to_utc

    return local_to_utc(datetime(day.year, day.month, day.day, hour, minute), tz)


def _post(campaign, day: date, hour: int = 9, minute: int = 0, **kw):
    accounts = kw.pop("accounts", [campaign.cadences.first().account])
    return PostFactory(
        campaign=campaign,
        scheduled_at=_at(day, hour, minute, campaign.time_zone),
        accounts=accounts,
        **kw,
    )


def _get(client, **params):
    return client.get(reverse("calendar"), params)


@pytest.mark.parametrize("role", list(Role))
def test_every_member_sees_the_month_with_posts(tenant, web, campaign, role):
    post = _post(campaign, date(2025, 3, 27), 9, 30, topic="Espresso launch")
    response = _get(web(tenant.person(role), tenant.workspace), date="2025-03-27")
    assert response.status_code == 200
    body = response.content.decode()
    assert "March 2025" in body
    assert "Espresso launch" in body
    assert reverse("post-editor", args=[post.pk]) in body
    # Only people who edit content may drag or add.
    may_edit = role in (Role.OWNER, Role.ADMIN, Role.EDITOR)
    assert ('draggable="true"' in body) is may_edit
    assert (reverse("post-new") in body) is may_edit


def test_card_shows_local_time_networks_status_colour_and_thumbnail(
    tenant, web, campaign
):
    mastodon = campaign.cadences.first().account
    linkedin = ChannelAccountFactory(
        workspace=tenant.workspace, network=Network.LINKEDIN, name="Company page"
    )
    image = Asset.objects.create(
        workspace=tenant.workspace,
        file="assets/x/cup.png",
        width=10,
        height=10,
        alt_text="A cup",
    )
    # 09:30 in Berlin is 08:30 UTC in March (CET) and 07:30 UTC in April (CEST).
    post = _post(
        campaign,
        date(2025, 4, 2),
        9,
        30,
        accounts=[mastodon, linkedin],
        image=image,
        status=PostStatus.APPROVED,
    )
    body = _get(
        web(tenant.editor, tenant.workspace), date="2025-04-02"
    ).content.decode()
    card = body[body.index(f'id="post-{post.pk}"') - 80 :]
    card = card[: card.index("</article>")]
    assert "status-approved" in card
    assert ">09:30<" in card and "CEST" in card
    assert "net-mastodon" in card and "net-linkedin" in card
    assert "LinkedIn · Company page" in card
    assert 'class="post-thumb"' in card and "cup.png" in card
    # The legend names every status.
    for label in PostStatus.labels:
        assert label in body


def test_a_post_is_on_its_local_day_across_midnight_utc(tenant, web, campaign):
    # 00:30 Berlin on 1 April is 22:30 UTC on 31 March: the card is on 1 April.
    post = _post(campaign, date(2025, 4, 1), 0, 30)
    assert post.scheduled_at.day == 31
    body = _get(
        web(tenant.editor, tenant.workspace), view="week", date="2025-04-01"
    ).content.decode()
    day_1 = body.index('data-drop-date="2025-04-01" data-drop-hour="0"')
    day_31 = body.index('data-drop-date="2025-03-31" data-drop-hour="0"')
    card = body.index(f'id="post-{post.pk}"')
    assert day_1 < card
    assert day_31 < day_1  # columns run Monday 31 March, Tuesday 1 April


def test_week_and_list_views_and_filters_survive_view_switches(tenant, web, campaign):
    pillar = PillarFactory(campaign=campaign, name="Origins")
    other = ChannelAccountFactory(workspace=tenant.workspace, name="Second")
    a = _post(campaign, date(2025, 3, 25), 9, topic="Alpha", pillar=pillar)
    b = _post(campaign, date(2025, 3, 26), 10, topic="Bravo", accounts=[other])
    c = _post(campaign, date(2025, 3, 27), 11, topic="Charlie", status="approved")
    client = web(tenant.editor, tenant.workspace)
    for view in ("week", "list", "month"):
        body = _get(client, view=view, date="2025-03-26").content.decode()
        assert all(t in body for t in ("Alpha", "Bravo", "Charlie")), view
    body = _get(
        client, view="week", date="2025-03-26", account=other.pk
    ).content.decode()
    assert "Bravo" in body and "Alpha" not in body
    # The view links keep the filter.
    assert f"view=list&amp;date=2025-03-26&amp;account={other.pk}" in body
    body = _get(client, status="approved", date="2025-03-26").content.decode()
    assert "Charlie" in body and "Bravo" not in body
    body = _get(client, pillar=pillar.pk, date="2025-03-26").content.decode()
    assert "Alpha" in body and "Charlie" not in body
    body = _get(client, campaign=campaign.pk + 999, date="2025-03-26").content.decode()
    assert "Alpha" not in body and "with these filters" in body
    assert {a.pk, b.pk, c.pk}


def test_bad_parameters_fall_back_instead_of_failing(tenant, web, campaign):
    client = web(tenant.editor, tenant.workspace)
    response = _get(client, view="year", date="2025-02-30", status="nope", account="x")
    assert response.status_code == 200


def test_empty_states_say_what_to_do_next(tenant, web):
    body = _get(web(tenant.editor, tenant.workspace)).content.decode()
    assert "No campaigns yet" in body and "Create a campaign" in body
    CampaignFactory(workspace=tenant.workspace)
    body = _get(web(tenant.editor, tenant.workspace)).content.decode()
    assert "Nothing planned" in body and "Click a day to add a post" in body
    body = _get(web(tenant.client, tenant.workspace)).content.decode()
    assert "Posts appear here once an editor plans them" in body


def test_posts_of_another_workspace_never_show(tenant, other_tenant, web, campaign):
    foreign = CampaignFactory(
        workspace=other_tenant.workspace, start_date=date(2025, 3, 24)
    )
    PostFactory(
        campaign=foreign, topic="Foreign secret", scheduled_at=_at(date(2025, 3, 27), 9)
    )
    body = _get(web(tenant.owner, tenant.workspace), date="2025-03-27").content.decode()
    assert "Foreign secret" not in body


def _count(client, n: int, campaign) -> int:
    start = date(2025, 3, 24)
    accounts = [campaign.cadences.first().account]
    pillar = PillarFactory(campaign=campaign)
    image = Asset.objects.create(
        workspace=campaign.workspace, file="assets/x/a.png", width=1, height=1
    )
    for i in range(n):
        _post(
            campaign,
            start + timedelta(days=i % 28),
            6 + i % 14,
            accounts=accounts,
            pillar=pillar,
            image=image if i % 2 else None,
            history=False,
        )
    for view in ("month", "week", "list"):
        _get(client, view=view, date="2025-04-01")  # warm caches (sessions)
    with CaptureQueriesContext(connection) as month:
        assert _get(client, view="month", date="2025-04-01").status_code == 200
    with CaptureQueriesContext(connection) as week:
        assert _get(client, view="week", date="2025-03-26").status_code == 200
    return len(month.captured_queries) + len(week.captured_queries) * 1000


def test_query_count_does_not_grow_with_posts(tenant, other_tenant, web, campaign):
    small = _count(web(tenant.editor, tenant.workspace), 10, campaign)
    account = ChannelAccountFactory(workspace=other_tenant.workspace)
    big_campaign = CampaignFactory(
        workspace=other_tenant.workspace,
        start_date=date(2025, 3, 24),
        end_date=date(2025, 4, 30),
        time_zone=BERLIN,
        cadences=[(account, 3)],
    )
    big = _count(web(other_tenant.editor, other_tenant.workspace), 200, big_campaign)
    assert small == big


# --- drag and drop --------------------------------------------------------------


def _move(client, post, **data):
    return client.post(reverse("post-move", args=[post.pk]), data)


def test_move_to_another_day_keeps_the_local_time_across_dst(tenant, web, campaign):
    # 09:15 Berlin on Friday 28 March (CET, UTC+1) to Tuesday 1 April (CEST, UTC+2).
    post = _post(campaign, date(2025, 3, 28), 9, 15, status=PostStatus.APPROVED)
    response = _move(web(tenant.editor, tenant.workspace), post, date="2025-04-01")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["date"] == "2025-04-01" and data["time"] == "09:15"
    post.refresh_from_db()
    assert post.scheduled_at == datetime(2025, 4, 1, 7, 15, tzinfo=UTC)
    local = to_local(post.scheduled_at, BERLIN)
    assert (local.hour, local.minute) == (9, 15)
    # Moving in time keeps the approval.
    assert post.status == PostStatus.APPROVED


def test_move_in_the_week_view_sets_the_hour_and_keeps_minutes(tenant, web, campaign):
    post = _post(campaign, date(2025, 3, 25), 9, 45)
    response = _move(
        web(tenant.editor, tenant.workspace), post, date="2025-03-26", hour="14"
    )
    assert response.status_code == 200
    post.refresh_from_db()
    assert to_local(post.scheduled_at, BERLIN).strftime("%Y-%m-%d %H:%M") == (
        "2025-03-26 14:45"
    )


def test_move_into_the_skipped_hour_is_refused_clearly(tenant, web, campaign):
    # 30 March 2025, 02:00 to 03:00 does not exist in Berlin.
    post = _post(campaign, date(2025, 3, 29), 2, 30)
    before = post.scheduled_at
    response = _move(web(tenant.editor, tenant.workspace), post, date="2025-03-30")
    assert response.status_code == 400
    assert "does not exist" in response.json()["error"]
    post.refresh_from_db()
    assert post.scheduled_at == before


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("2025-04-18", "blackout"),
        ("2025-05-02", "outside the campaign"),
        ("2025-13-01", "YYYY-MM-DD"),
        ("", "YYYY-MM-DD"),
    ],
)
def test_move_applies_the_api_rules(tenant, web, campaign, target, message):
    post = _post(campaign, date(2025, 4, 10), 9)
    before = post.scheduled_at
    response = _move(web(tenant.editor, tenant.workspace), post, date=target)
    assert response.status_code == 400
    assert message in response.json()["error"]
    post.refresh_from_db()
    assert post.scheduled_at == before


def test_a_published_post_does_not_move(tenant, web, campaign):
    post = _post(campaign, date(2025, 4, 10), 9, status=PostStatus.PUBLISHED)
    response = _move(web(tenant.editor, tenant.workspace), post, date="2025-04-11")
    assert response.status_code == 409
    assert "cannot be edited" in response.json()["error"]


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.CLIENT])
def test_reviewers_and_clients_cannot_move(tenant, web, campaign, role):
    post = _post(campaign, date(2025, 4, 10), 9)
    before = post.scheduled_at
    response = _move(
        web(tenant.person(role), tenant.workspace), post, date="2025-04-11"
    )
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.scheduled_at == before


def test_moving_another_workspaces_post_is_404(tenant, other_tenant, web):
    foreign = CampaignFactory(
        workspace=other_tenant.workspace,
        start_date=date(2025, 3, 24),
        end_date=date(2025, 4, 30),
    )
    post = PostFactory(campaign=foreign, scheduled_at=_at(date(2025, 4, 10), 9))
    before = post.scheduled_at
    response = _move(web(tenant.owner, tenant.workspace), post, date="2025-04-11")
    assert response.status_code == 404
    post.refresh_from_db()
    assert post.scheduled_at == before


def test_move_needs_post(tenant, web, campaign):
    post = _post(campaign, date(2025, 4, 10), 9)
    response = web(tenant.editor, tenant.workspace).get(
        reverse("post-move", args=[post.pk])
    )
    assert response.status_code == 405


def test_a_crowded_hour_of_the_week_shows_a_count_and_folds_past_three(
    tenant, web, campaign
):
    day = date(2025, 3, 26)
    posts = [_post(campaign, day, 10, 5 * n, topic=f"Crowd {n}") for n in range(5)]
    _post(campaign, day, 11, topic="Alone")
    body = _get(
        web(tenant.editor, tenant.workspace), view="week", date="2025-03-26"
    ).content.decode()
    cell = body.index('data-drop-date="2025-03-26" data-drop-hour="10"')
    next_cell = body.index('data-drop-date="2025-03-27" data-drop-hour="10"')
    crowded = body[cell:next_cell]
    assert "5 posts" in crowded
    assert all(f'id="post-{p.pk}"' in crowded for p in posts)
    # Three in the cell, the other two behind "+2 more" (a <details>: no JS).
    folded = crowded[crowded.index("<details") :]
    assert "+2 more" in folded
    assert [f'id="post-{p.pk}"' in folded for p in posts] == [False] * 3 + [True] * 2
    alone = body.index('data-drop-date="2025-03-26" data-drop-hour="11"')
    assert "posts</p>" not in body[alone : alone + 600]
