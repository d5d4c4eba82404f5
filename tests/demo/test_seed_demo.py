"""`seed_demo` (issue 9): the demo user lands in the workspace with the data,
the campaign's name and dates agree with today, one channel really delivers
(to the demo inbox) with a post due minutes after the seed, and a second run
changes nothing."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignChannel, Post, PostStatus
from connections.models import ChannelAccount, Network
from demo import inbox
from demo.seed import FIRST_TOPIC, REVIEW_TOPIC
from publishing.models import Publication
from workspaces.models import User

pytestmark = pytest.mark.django_db

SEASONS = ("spring", "summer", "autumn", "fall", "winter", "christmas", "easter")


@pytest.fixture
def seeded(settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    """Run seed_demo (with its after-commit work: publications) and return a
    function that runs it again."""
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    settings.VAR_DIR = tmp_path
    settings.DEMO_INBOX = True
    settings.SITE_URL = "http://127.0.0.1:8555"

    def run() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            call_command("seed_demo", stdout=StringIO(), stderr=StringIO())

    run()
    return run


def _counts() -> dict[str, int]:
    models = (Campaign, CampaignChannel, Post, ChannelAccount, Publication, User)
    return {m.__name__: m.objects.count() for m in models}


def test_a_second_run_keeps_everything_as_it_is(seeded) -> None:
    counts = _counts()
    times = dict(Post.objects.values_list("pk", "scheduled_at"))
    seeded()
    assert _counts() == counts
    assert dict(Post.objects.values_list("pk", "scheduled_at")) == times


def test_the_campaign_runs_around_today_under_a_name_that_agrees(seeded) -> None:
    campaign = Campaign.objects.get(workspace__slug="demo")
    today = timezone.now().astimezone(ZoneInfo(campaign.time_zone)).date()
    assert campaign.status == "active"
    assert campaign.start_date <= today <= campaign.end_date
    assert campaign.end_date - campaign.start_date < timedelta(weeks=8)
    text = f"{campaign.name} {campaign.brief}".lower()
    assert not any(season in text for season in SEASONS), text
    for post in campaign.posts.exclude(scheduled_at=None):
        local = post.scheduled_at.astimezone(ZoneInfo(campaign.time_zone)).date()
        assert campaign.start_date <= local <= campaign.end_date


def test_one_channel_delivers_to_the_demo_inbox_minutes_after_the_seed(seeded) -> None:
    account = ChannelAccount.objects.get(
        workspace__slug="demo", network=Network.WEBHOOK
    )
    assert account.external_id == inbox.hook_url(account.pk)
    assert account.external_id.startswith("http://127.0.0.1:8555/demo/inbox/hook/")
    assert account.credentials and account.credentials["secret"]
    assert "demo" in account.name.lower()
    post = Post.objects.get(topic=FIRST_TOPIC)
    assert post.status == PostStatus.SCHEDULED
    [publication] = Publication.objects.filter(post=post)
    assert publication.account == account
    wait = publication.due_at - timezone.now()
    assert timedelta(minutes=1) < wait <= timedelta(minutes=5)
    # The social accounts stay planning only: nothing is sent to them.
    others = ChannelAccount.objects.filter(workspace__slug="demo").exclude(
        pk=account.pk
    )
    assert others.exists() and not any(a.credentials for a in others)


def test_the_demo_user_lands_in_the_workspace_with_the_campaign(
    seeded, client, static_files
) -> None:
    response = client.post(
        reverse("login"),
        {"username": "demo@adloop.local", "password": "demo-password-for-tests"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.wsgi_request.workspace.slug == "demo"
    assert "Demo Coffee Roasters" in page.content.decode()


def test_without_the_inbox_no_account_pretends_to_deliver(
    settings, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "x-demo-password")
    settings.VAR_DIR = tmp_path
    settings.DEMO_INBOX = False
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    assert not ChannelAccount.objects.filter(network=Network.WEBHOOK).exists()
    assert Campaign.objects.filter(workspace__slug="demo").count() == 1


def test_a_post_waits_for_review_and_its_card_shows_the_copy(seeded, client) -> None:
    """The Approvals page is not empty in the demo: the editor's post waits
    there with its copy per channel, and a second run sends nothing twice."""
    post = Post.objects.get(topic=REVIEW_TOPIC)
    assert post.status == PostStatus.IN_REVIEW
    networks = {a.network for a in post.accounts.all()}
    assert networks == {Network.WEBHOOK, Network.BLUESKY}
    tomorrow = timezone.localdate(timezone=ZoneInfo("Europe/Berlin")) + timedelta(1)
    local = timezone.localtime(post.scheduled_at, ZoneInfo("Europe/Berlin"))
    assert (local.date(), local.hour) == (tomorrow, 11)
    client.force_login(User.objects.get(email="demo@adloop.local"))
    page = client.get(reverse("approvals")).content.decode()
    assert REVIEW_TOPIC.replace("'", "&#x27;") in page
    assert "Chocolate, red apple" in page
    seeded()
    assert Post.objects.filter(topic=REVIEW_TOPIC).count() == 1
