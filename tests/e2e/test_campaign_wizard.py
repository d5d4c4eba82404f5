"""In a real browser, with a real Celery worker: the campaign wizard, from a new
channel account to a generated plan on the calendar.

The worker is the suite's one `celery_worker` fixture (`tests/realservices.py`:
a `celery -A config worker` process on the test database and broker). The plan
is made by the real planner.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Job, JobStatus, Post
from tests.factories import PASSWORD, UserFactory, WorkspaceFactory
from tests.realservices import CeleryWorker
from workspaces.models import Membership, Role

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_wizard_generates_a_plan_through_the_worker_and_shows_it_on_the_calendar(
    live_server,
    page,
    screenshot,
    celery_worker: CeleryWorker,
):
    # One piece: one browser session walks the whole wizard; each step needs the
    # previous one's state (the wizard keeps its draft in the session), and the
    # plan and calendar checks need the campaign the last step made.
    workspace = WorkspaceFactory(name="Harbour Coffee", time_zone="Europe/Berlin")
    person = UserFactory(email="ines@example.test", first_name="Ines")
    Membership.objects.create(
        user=person,
        organization=workspace.organization,
        workspace=workspace,
        role=Role.ADMIN,
    )
    url = live_server.url
    start = timezone.localdate() + timedelta(days=1)
    end = start + timedelta(days=13)
    blackout = start + timedelta(days=2)

    page.goto(f"{url}/login/")
    page.get_by_label("Email address").fill("ines@example.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")

    # The workspace has no channel account yet: add one for planning.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Campaigns"
    ).click()
    page.wait_for_url(f"{url}/campaigns/")
    screenshot("01-campaigns-empty")
    page.get_by_role("link", name="New campaign").first.click()
    page.wait_for_url(f"{url}/campaigns/new/brand/")
    page.get_by_label("Or create a new brand").fill("Harbour Roasters")
    screenshot("02-brand")
    page.get_by_role("button", name="Next →").click()

    page.wait_for_url(f"{url}/campaigns/new/brief/")
    page.get_by_label("Campaign name").fill("Spring single origin")
    page.get_by_label("Objective").select_option("engagement")
    page.get_by_label("Brief").fill(
        "Introduce our Ethiopian single origin to home baristas: taste notes, "
        "brewing tips and the farmers behind it."
    )
    page.get_by_label("KPI targets").fill("clicks: 500")
    screenshot("03-brief")
    page.get_by_role("button", name="Next →").click()

    page.wait_for_url(f"{url}/campaigns/new/dates/")
    # The time zone defaults to the workspace's.
    assert page.get_by_label("Time zone").input_value() == "Europe/Berlin"
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("End date").fill(end.isoformat())
    page.get_by_label("Blackout dates").fill(blackout.isoformat())
    screenshot("04-dates")
    page.get_by_role("button", name="Next →").click()

    page.wait_for_url(f"{url}/campaigns/new/channels/")
    assert "no channel accounts yet" in page.content()
    screenshot("05-no-channels")
    page.get_by_role("link", name="Add a channel account").click()
    page.wait_for_url(re.compile(r".*/channels/\?next=.*"))
    planning = page.locator(
        "section",
        has=page.get_by_role("heading", name="Add a channel account for planning"),
    )
    assert "nothing is published" in planning.inner_text()
    planning.get_by_label("Display name").fill("Harbour on Mastodon")
    planning.get_by_label("Network").select_option("mastodon")
    planning.get_by_label("Handle").fill("@harbour@mastodon.social")
    screenshot("06-add-account")
    planning.get_by_role("button", name="Add account").click()
    page.wait_for_url(f"{url}/campaigns/new/channels/")

    page.get_by_role("checkbox", name=re.compile("Harbour on Mastodon")).check()
    page.get_by_label("Posts per week on Harbour on Mastodon").fill("5")
    screenshot("07-channels")
    page.get_by_role("button", name="Next →").click()

    page.wait_for_url(f"{url}/campaigns/new/pillars/")
    page.get_by_label("Pillar 1 name").fill("Taste notes")
    page.get_by_label("Pillar 1 weight").fill("2")
    page.get_by_label("Pillar 2 name").fill("Brewing tips")
    page.get_by_label("Pillar 2 weight").fill("1")
    # Back and forth keeps the input.
    page.get_by_role("button", name="← Back").click()
    page.wait_for_url(f"{url}/campaigns/new/channels/")
    assert (
        page.get_by_label("Posts per week on Harbour on Mastodon").input_value() == "5"
    )
    page.get_by_role("button", name="Next →").click()
    page.wait_for_url(f"{url}/campaigns/new/pillars/")
    assert page.get_by_label("Pillar 1 name").input_value() == "Taste notes"
    screenshot("08-pillars")
    page.get_by_role("button", name="Next →").click()

    page.wait_for_url(f"{url}/campaigns/new/review/")
    review = page.locator(".wizard-card").inner_text()
    assert "Harbour Roasters" in review and "5 posts a week" in review
    assert "offline planner (rules, no AI)" in review
    screenshot("09-review")
    page.get_by_role("button", name="Generate plan").click()

    page.wait_for_url(re.compile(rf"{url}/jobs/\d+/"))
    screenshot("10-progress", full_page=False)
    # HTMX polls every second; the worker runs the planner meanwhile.
    page.locator('#job-panel[data-job-status="succeeded"]').wait_for(timeout=60_000)
    celery_worker.assert_running()
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED, job.error
    bar = page.get_by_role("progressbar", name="Progress")
    assert bar.get_attribute("aria-valuenow") == "100"
    campaign = Campaign.objects.get(name="Spring single origin")
    posts = Post.objects.filter(campaign=campaign)
    assert posts.count() == job.result["created"] > 0
    assert not posts.filter(scheduled_at__date=blackout).exists()
    screenshot("11-done")

    page.get_by_role("link", name="Review the plan on the calendar").click()
    page.wait_for_url(re.compile(rf"{url}/calendar/\?campaign={campaign.pk}.*"))
    cards = page.locator(".post-card")
    cards.first.wait_for()
    in_month = posts.filter(scheduled_at__month=start.month).count()
    assert cards.count() >= min(in_month, 1)
    first_topic = posts.order_by("scheduled_at").first().topic
    assert first_topic in page.content()
    screenshot("12-calendar")

    # The campaign page shows it, with a re-plan button that explains itself.
    page.goto(f"{url}/campaigns/{campaign.pk}/")
    assert "Posts a person has edited" in page.content()
    screenshot("13-campaign")
