"""The dashboard: the next posts due (in the workspace's zone, the zone named),
what waits for approval (for people who may approve), what failed or needs an
account reconnected, the running campaigns; each with links, an empty state
that says what to do next, only the current workspace's rows, and a number of
queries that does not grow with the workspace."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CampaignStatus, PostStatus
from connections.models import AccountStatus, Network
from publishing import delivery
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from tests.factories import CampaignFactory, ChannelAccountFactory, PostFactory

pytestmark = pytest.mark.django_db


def _campaign(workspace, **extra):
    today = timezone.localdate()
    fields = {
        "workspace": workspace,
        "start_date": today - timedelta(days=3),
        "end_date": today + timedelta(days=40),
        "status": CampaignStatus.ACTIVE,
    }
    return CampaignFactory(**{**fields, **extra})


def _post(campaign, hours: float, status=PostStatus.SCHEDULED, **extra):
    return PostFactory(
        campaign=campaign,
        scheduled_at=timezone.now() + timedelta(hours=hours),
        status=status,
        **extra,
    )


def _failed(workspace, kind: str = "permanent", topic: str = "Broken post"):
    """A post whose webhook publication failed (`kind` as the publisher writes)."""
    account = ChannelAccountFactory(
        workspace=workspace, network=Network.WEBHOOK, credentials={"secret": "x" * 20}
    )
    post = PostFactory(campaign=_campaign(workspace), topic=topic, accounts=[account])
    post.scheduled_at = timezone.now() + timedelta(hours=2)
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["scheduled_at", "status"])
    [publication] = delivery.publication_create_for_post(post)
    Publication.objects.filter(pk=publication.pk).update(
        status=PS.FAILED,
        error_kind=kind,
        error="The network refused the text: too long.",
        finished_at=timezone.now(),
    )
    return post, publication


def test_next_posts_due_in_order_in_the_workspace_zone(tenant, other_tenant, web):
    tenant.workspace.time_zone = "America/New_York"
    tenant.workspace.save(update_fields=["time_zone"])
    campaign = _campaign(tenant.workspace, name="Spring roast")
    later = _post(campaign, 30, topic="Second out")
    first = _post(campaign, 5, topic="First out")
    draft = _post(campaign, 50, PostStatus.DRAFT, topic="Still a draft")
    _post(campaign, -5, topic="Already past")
    _post(campaign, 8, PostStatus.PUBLISHED, topic="Went out early")
    _post(_campaign(other_tenant.workspace), 3, topic="Their secret post")

    response = web(tenant.editor, tenant.workspace).get("/")
    body = response.content.decode()
    assert [p.pk for p in response.context["overview"].due] == [
        first.pk,
        later.pk,
        draft.pk,
    ]
    assert (
        body.index("First out") < body.index("Second out") < body.index("Still a draft")
    )
    for hidden in ("Already past", "Went out early", "Their secret post"):
        assert hidden not in body
    assert reverse("post-editor", args=[first.pk]) in body
    local = first.scheduled_at.astimezone(ZoneInfo("America/New_York"))
    assert f"{local:%H:%M} {local.tzname()}" in body  # e.g. 10:00 EST
    assert "Times in America/New_York" in body
    # The week's count says what is not scheduled yet.
    overview = response.context["overview"]
    assert (overview.due_soon, overview.unready_soon) == (3, 1)
    assert "1 post due this week is not scheduled yet" in body


def test_approvals_for_people_who_approve_with_a_link(tenant, web):
    post = _post(
        _campaign(tenant.workspace), 20, PostStatus.IN_REVIEW, topic="Check me"
    )
    reviewer = web(tenant.reviewer, tenant.workspace).get("/").content.decode()
    assert "Waiting for your approval" in reviewer
    assert f"{reverse('approvals')}#approval-{post.pk}" in reviewer
    editor = web(tenant.editor, tenant.workspace).get("/")
    assert "Waiting for your approval" not in editor.content.decode()
    assert editor.context["overview"].approvals == []


def test_failures_and_accounts_to_reconnect_link_to_the_fix(tenant, other_tenant, web):
    post, _ = _failed(tenant.workspace, "permanent", "Too long post")
    _, revoked = _failed(tenant.workspace, "auth", "Login revoked post")
    broken = ChannelAccountFactory(
        workspace=tenant.workspace,
        name="Shop blog",
        network=Network.WORDPRESS,
        status=AccountStatus.NEEDS_RECONNECT,
        credentials={"site_url": "https://blog.example"},
    )
    ChannelAccountFactory(
        workspace=tenant.workspace, name="Old page", status=AccountStatus.DISABLED
    )
    _failed(other_tenant.workspace, "permanent", "Their failure")
    ChannelAccountFactory(
        workspace=other_tenant.workspace,
        name="Their account",
        status=AccountStatus.NEEDS_RECONNECT,
    )

    admin = web(tenant.admin, tenant.workspace).get("/")
    body = admin.content.decode()
    assert admin.context["overview"].attention == 4
    assert "Too long post" in body and "Login revoked post" in body
    assert "Their failure" not in body and "Their account" not in body
    assert f'href="{reverse("post-editor", args=[post.pk])}">Edit the copy' in body
    assert f"{reverse('channels')}?reconnect={broken.pk}#connect-wordpress" in body
    assert f"?reconnect={revoked.account_id}#connect-webhook" in body
    assert "Old page" in body and "Enable…" in body

    editor = web(tenant.editor, tenant.workspace).get("/").content.decode()
    assert "?reconnect=" not in editor
    assert "An owner or admin can fix it" in editor


def test_running_campaigns_only(tenant, other_tenant, web):
    running = _campaign(tenant.workspace, name="Running now")
    _post(running, 10)
    _campaign(tenant.workspace, name="Just a draft", status=CampaignStatus.DRAFT)
    today = timezone.localdate()
    _campaign(
        tenant.workspace,
        name="Ended last month",
        start_date=today - timedelta(days=60),
        end_date=today - timedelta(days=30),
    )
    _campaign(other_tenant.workspace, name="Their campaign")
    response = web(tenant.client, tenant.workspace).get("/")
    body = response.content.decode()
    assert [c.name for c in response.context["overview"].campaigns] == ["Running now"]
    assert reverse("campaign-detail", args=[running.pk]) in body
    assert "1 to come, 0 published" in body
    for hidden in ("Just a draft", "Ended last month", "Their campaign"):
        assert hidden not in body


def test_an_empty_workspace_says_what_to_do_next(tenant, web):
    editor = web(tenant.editor, tenant.workspace).get("/").content.decode()
    assert "Nothing is planned from now on." in editor
    assert reverse("campaign-new") in editor and reverse("post-new") in editor
    assert "All clear" in editor
    assert "No campaign is running." in editor
    client = web(tenant.client, tenant.workspace).get("/").content.decode()
    assert "Nothing waits for your approval." in client
    assert "Editors plan the posts" in client
    assert reverse("campaign-new") not in client
    for page in (editor, client):
        assert "arrive soon" not in page.lower() and "coming" not in page.lower()


def test_the_query_count_does_not_grow_with_the_workspace(tenant, web):
    client = web(tenant.admin, tenant.workspace)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    def grow() -> None:
        campaign = _campaign(tenant.workspace)
        accounts = ChannelAccountFactory.create_batch(2, workspace=tenant.workspace)
        for hours in (3, 6, 9):
            _post(campaign, hours, accounts=accounts)
        _post(campaign, 12, PostStatus.IN_REVIEW)
        _failed(tenant.workspace)
        ChannelAccountFactory(
            workspace=tenant.workspace, status=AccountStatus.NEEDS_RECONNECT
        )

    grow()
    queries()  # the first request of a session writes it
    small = queries()
    for _ in range(4):
        grow()
    assert queries() == small
    assert small < 40
