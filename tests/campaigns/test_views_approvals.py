"""The approval queue: who sees which buttons, inline decisions and comments."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns import lifecycle
from campaigns.models import PostComment, PostStatus
from tests.factories import CampaignFactory, PostFactory
from workflow.review import review_fingerprint
from workspaces.models import Role

pytestmark = pytest.mark.usefixtures("static_files")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def in_review(tenant):
    post = PostFactory(
        campaign=CampaignFactory(workspace=tenant.workspace), topic="Cold brew"
    )
    return lifecycle.transition(post, "submit", by=tenant.editor)


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.REVIEWER, Role.CLIENT])
def test_approvers_see_the_queue_with_buttons(tenant, web, in_review, role):
    body = (
        web(tenant.person(role), tenant.workspace)
        .get(reverse("approvals"))
        .content.decode()
    )
    assert "Cold brew" in body
    assert reverse("approval-decide", args=[in_review.pk, "approve"]) in body
    assert reverse("approval-decide", args=[in_review.pk, "reject"]) in body
    # The sidebar counts what waits.
    assert 'class="nav-count"' in body


def test_editors_see_the_queue_without_approve_buttons(tenant, web, in_review):
    body = (
        web(tenant.admin, tenant.workspace).get(reverse("approvals")).content.decode()
    )
    assert "Cold brew" in body
    other_editor_body = (
        web(tenant.editor, tenant.workspace).get(reverse("approvals")).content.decode()
    )
    assert "Cold brew" in other_editor_body
    assert "approval-decide" not in other_editor_body
    assert reverse("approval-decide", args=[in_review.pk, "approve"]) not in (
        other_editor_body
    )
    assert 'class="nav-count"' not in other_editor_body


def test_the_submitter_is_told_it_waits_for_someone_else(tenant, web):
    post = PostFactory(campaign=CampaignFactory(workspace=tenant.workspace))
    lifecycle.transition(post, "submit", by=tenant.admin)
    body = (
        web(tenant.admin, tenant.workspace).get(reverse("approvals")).content.decode()
    )
    assert "Waiting for someone else" in body
    assert reverse("approval-decide", args=[post.pk, "approve"]) not in body


def seen(post):
    """The approve form's data: the fingerprint of the card as rendered now."""
    return {"fingerprint": review_fingerprint(post)}


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.CLIENT])
def test_approve_inline_with_htmx(tenant, web, in_review, role):
    response = web(tenant.person(role), tenant.workspace).post(
        reverse("approval-decide", args=[in_review.pk, "approve"]),
        seen(in_review),
        **HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="approvals-panel"' in body and "<html" not in body
    assert "is approved" in body
    in_review.refresh_from_db()
    assert in_review.status == PostStatus.APPROVED
    assert in_review.history.last().actor == tenant.person(role)


def test_reject_needs_a_reason(tenant, web, in_review):
    client = web(tenant.client, tenant.workspace)
    url = reverse("approval-decide", args=[in_review.pk, "reject"])
    response = client.post(url, {"reason": " "}, **HTMX)
    assert response.status_code == 409
    assert "reason is required" in response.content.decode()
    in_review.refresh_from_db()
    assert in_review.status == PostStatus.IN_REVIEW
    response = client.post(url, {"reason": "Wrong price"})
    assert response.status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == PostStatus.REJECTED
    assert in_review.history.last().reason == "Wrong price"


def test_editors_cannot_approve(tenant, web, in_review):
    response = web(tenant.editor, tenant.workspace).post(
        reverse("approval-decide", args=[in_review.pk, "approve"]), seen(in_review)
    )
    assert response.status_code == 403
    in_review.refresh_from_db()
    assert in_review.status == PostStatus.IN_REVIEW


def test_only_approve_and_reject_are_queue_actions(tenant, web, in_review):
    response = web(tenant.owner, tenant.workspace).post(
        reverse("approval-decide", args=[in_review.pk, "cancel"])
    )
    assert response.status_code == 404
    in_review.refresh_from_db()
    assert in_review.status == PostStatus.IN_REVIEW


def test_approving_twice_is_a_conflict(tenant, web, in_review):
    lifecycle.transition(in_review, "approve", by=tenant.reviewer)
    response = web(tenant.client, tenant.workspace).post(
        reverse("approval-decide", args=[in_review.pk, "approve"]),
        seen(in_review),
        **HTMX,
    )
    assert response.status_code == 409
    assert "cannot be moved" in response.content.decode()


def test_comment_inline(tenant, web, in_review):
    client = web(tenant.client, tenant.workspace)
    url = reverse("approval-comment", args=[in_review.pk])
    response = client.post(url, {"body": "Can we say 'fresh'?"}, **HTMX)
    assert response.status_code == 200
    assert "Can we say &#x27;fresh&#x27;?" in response.content.decode()
    response = client.post(url, {"body": ""}, **HTMX)
    assert response.status_code == 400
    assert "Write something" in response.content.decode()
    assert PostComment.objects.filter(post=in_review).count() == 1


def test_another_workspaces_post_is_404_in_the_queue(tenant, other_tenant, web):
    foreign = PostFactory(campaign=CampaignFactory(workspace=other_tenant.workspace))
    lifecycle.transition(foreign, "submit", by=other_tenant.editor)
    client = web(tenant.owner, tenant.workspace)
    assert foreign.topic not in client.get(reverse("approvals")).content.decode()
    for url, data in [
        (reverse("approval-decide", args=[foreign.pk, "approve"]), {}),
        (reverse("approval-decide", args=[foreign.pk, "reject"]), {"reason": "x"}),
        (reverse("approval-comment", args=[foreign.pk]), {"body": "hi"}),
    ]:
        assert client.post(url, data).status_code == 404, url
    foreign.refresh_from_db()
    assert foreign.status == PostStatus.IN_REVIEW
    assert not foreign.comments.exists()


def test_empty_queue_says_what_happens_next(tenant, web):
    body = (
        web(tenant.client, tenant.workspace).get(reverse("approvals")).content.decode()
    )
    assert "Nothing waits for a review" in body
    assert "appears here for you to approve" in body
