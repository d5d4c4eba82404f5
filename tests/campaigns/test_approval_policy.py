"""Approval cannot be switched off by a machine (issue 10).

A workspace API key may not approve, so it may not remove the rule either:
switching `approval_required` takes a signed-in owner or admin and is recorded;
a post scheduled without a review unschedules to draft, never `approved`; and
a key's approve is a 403 that says a person must approve.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import PostStatus
from tests.factories import (
    CampaignFactory,
    ConnectedAccountFactory,
    PostFactory,
    WorkspaceFactory,
    api_key,
)
from workspaces.models import WorkspaceSettingChange

S = PostStatus
KEY_APPROVE = (
    "A person must approve: API keys cannot approve posts. Use a personal "
    "access token or the web UI."
)


def _url(workspace) -> str:
    return f"/api/v1/workspaces/{workspace.pk}/"


def _post(workspace):
    account = ConnectedAccountFactory(workspace=workspace)
    campaign = CampaignFactory(
        workspace=workspace, cadences=[(account, 3)], start_date=timezone.localdate()
    )
    return PostFactory(
        campaign=campaign,
        accounts=[account],
        scheduled_at=timezone.now() + timedelta(days=3),
    )


def test_a_write_key_cannot_switch_approval_off(tenant, key_client):
    client = key_client(tenant.workspace)
    response = client.patch(_url(tenant.workspace), {"approval_required": False})
    assert response.status_code == 403, response.content
    assert "owner or admin" in response.json()["error"]["message"]
    tenant.workspace.refresh_from_db()
    assert tenant.workspace.approval_required is True
    assert not WorkspaceSettingChange.objects.exists()
    # Other settings stay a write key's business, and so is a no-op.
    response = client.patch(
        _url(tenant.workspace), {"name": "Renamed", "approval_required": True}
    )
    assert response.status_code == 200, response.content


def test_a_write_key_cannot_switch_approval_on_either(tenant, key_client):
    tenant.workspace.approval_required = False
    tenant.workspace.save()
    response = key_client(tenant.workspace).patch(
        _url(tenant.workspace), {"approval_required": True}
    )
    assert response.status_code == 403, response.content


def test_an_org_key_cannot_create_a_workspace_without_approval(tenant, api_client):
    secret, _ = api_key(organization=tenant.workspace.organization)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {"organization": tenant.workspace.organization_id, "name": "Unreviewed"}
    refused = api_client.post(
        "/api/v1/workspaces/", {**body, "approval_required": False}
    )
    assert refused.status_code == 403, refused.content
    created = api_client.post("/api/v1/workspaces/", body)
    assert created.status_code == 201, created.content
    assert created.json()["approval_required"] is True


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("owner", True), ("admin", True), ("editor", False), ("reviewer", False)],
)
def test_people_switching_approval_are_recorded(tenant, user_client, role, allowed):
    person = tenant.person(role)
    response = user_client(person).patch(
        _url(tenant.workspace), {"approval_required": False}
    )
    assert response.status_code == (200 if allowed else 403), response.content
    tenant.workspace.refresh_from_db()
    assert tenant.workspace.approval_required is (not allowed)
    changes = list(WorkspaceSettingChange.objects.all())
    if allowed:
        [change] = changes
        assert (change.workspace, change.setting) == (
            tenant.workspace,
            "approval_required",
        )
        assert (change.old_value, change.new_value) == (True, False)
        assert change.actor == person
    else:
        assert changes == []


def test_the_settings_page_records_the_switch_and_shows_it(
    tenant, client, static_files
):
    client.force_login(tenant.admin)
    page = "/settings/"
    data = {"name": tenant.workspace.name, "time_zone": "UTC"}  # unchecked: off
    response = client.post(page, data)
    assert response.status_code == 302, response.content
    tenant.workspace.refresh_from_db()
    assert tenant.workspace.approval_required is False
    assert WorkspaceSettingChange.objects.get().actor == tenant.admin
    page_text = client.get(page).content.decode()
    assert f"approval turned off by {tenant.admin.email}" in page_text
    # An editor may not switch it back (the page's own rule, before the service).
    client.force_login(tenant.editor)
    refused = client.post(page, {**data, "approval_required": "on"})
    assert refused.status_code == 403
    tenant.workspace.refresh_from_db()
    assert tenant.workspace.approval_required is False


def test_unschedule_of_a_never_reviewed_post_returns_it_to_draft(tenant, key_client):
    """The issue's path: schedule a draft where approval is off, unschedule."""
    tenant.workspace.approval_required = False
    tenant.workspace.save()
    post = _post(tenant.workspace)
    client = key_client(tenant.workspace)
    scheduled = client.post(f"/api/v1/posts/{post.pk}/schedule/")
    assert scheduled.json()["status"] == S.SCHEDULED, scheduled.content
    unscheduled = client.post(f"/api/v1/posts/{post.pk}/unschedule/")
    assert unscheduled.json()["status"] == S.DRAFT, unscheduled.content
    # Approval back on: the draft must be reviewed before it can be scheduled.
    tenant.workspace.approval_required = True
    tenant.workspace.save()
    again = client.post(f"/api/v1/posts/{post.pk}/schedule/")
    assert again.status_code == 409, again.content


def test_unschedule_of_a_reviewed_post_keeps_its_approval(tenant):
    post = _post(tenant.workspace)
    lifecycle.transition(post, "submit", by=tenant.editor)
    lifecycle.transition(post, "approve", by=tenant.reviewer)
    for _ in range(2):  # an unschedule does not forget the review
        lifecycle.transition(post, "schedule", by=tenant.editor)
        assert lifecycle.transition(post, "unschedule", by=tenant.editor).status == (
            S.APPROVED
        )
    assert lifecycle.approved_by_review(post)


def test_a_post_made_scheduled_was_not_reviewed(tenant):
    post = PostFactory(campaign__workspace=tenant.workspace, status=S.SCHEDULED)
    assert not lifecycle.approved_by_review(post)
    assert lifecycle.transition(post, "unschedule", by=tenant.editor).status == S.DRAFT


def test_a_keys_approve_says_a_person_must_approve(tenant, key_client):
    post = _post(tenant.workspace)
    lifecycle.transition(post, "submit", by=tenant.editor)
    response = key_client(tenant.workspace).post(f"/api/v1/posts/{post.pk}/approve/")
    assert response.status_code == 403, response.content
    assert response.json()["error"]["message"] == KEY_APPROVE
    post.refresh_from_db()
    assert post.status == S.IN_REVIEW


def test_another_workspaces_id_is_still_404_for_the_policy(tenant, user_client):
    other = WorkspaceFactory()
    response = user_client(tenant.owner).patch(
        _url(other), {"approval_required": False}
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.approval_required is True


def test_a_keys_publication_approve_says_a_person_must_approve(tenant, key_client):
    from publishing.models import Publication

    post = _post(tenant.workspace)
    account = post.accounts.get()
    due = timezone.now() + timedelta(days=1)
    publication = Publication.objects.create(
        workspace=tenant.workspace,
        post=post,
        account=account,
        network=account.network,
        status="needs_review",
        due_at=due,
        next_attempt_at=due,
        idempotency_key="key-approves-publication",
    )
    response = key_client(tenant.workspace).post(
        f"/api/v1/publications/{publication.pk}/approve/"
    )
    assert response.status_code == 403, response.content
    assert response.json()["error"]["message"] == KEY_APPROVE
