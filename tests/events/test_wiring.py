"""Where the audit log is written today: every post move (beside its
`PostStatusChange`, in the same transaction) and the approval-policy switch
(beside its `WorkspaceSettingChange`)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns import lifecycle
from campaigns.lifecycle import MOVES
from campaigns.models import Post, PostStatus, PostStatusChange
from events.actions import POST_ACTIONS, WORKSPACE_APPROVAL_POLICY_CHANGED
from events.models import AuditEvent
from tests.factories import ConnectedAccountFactory, PostFactory, api_key
from workspaces.models import WorkspaceSettingChange
from workspaces.services import personal_tokens
from workspaces.services.tenancy import workspace_update
from workspaces.token_models import attach_token

pytestmark = pytest.mark.django_db
S = PostStatus


def _post(tenant, status=S.DRAFT):
    account = ConnectedAccountFactory(workspace=tenant.workspace)
    return PostFactory(
        campaign__workspace=tenant.workspace,
        status=status,
        accounts=[account],
        scheduled_at=timezone.now() + timedelta(days=2),
    )


def _post_events(post: Post) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(target_type="post", target_id=str(post.pk)).order_by(
            "pk"
        )
    )


def test_every_move_has_an_audit_action():
    assert set(MOVES) | {"create"} == set(POST_ACTIONS)


def test_each_act_records_one_event_beside_its_history_row(tenant):
    post = _post(tenant)
    lifecycle.transition(post, "submit", by=tenant.editor)
    lifecycle.transition(post, "reject", by=tenant.reviewer, reason="Too long.")
    lifecycle.transition(post, "submit", by=tenant.editor)
    lifecycle.transition(post, "approve", by=tenant.reviewer)
    lifecycle.transition(post, "schedule", by=tenant.editor)

    events = _post_events(post)
    history = list(PostStatusChange.objects.filter(post=post).order_by("pk"))
    assert (history[0].action, history[0].actor_label) == ("create", "factory")
    history = history[1:]
    # The factory made the post as the system: its history row has no audit
    # row (the system's own acts stay in the history); every act after it does.
    assert [e.action for e in events] == [
        "post.submitted",
        "post.rejected",
        "post.submitted",
        "post.approved",
        "post.scheduled",
    ]
    assert len(events) == len(history)
    for event, change in zip(events, history, strict=True):
        assert event.data["history_id"] == change.pk
        assert (event.data["from"], event.data["to"]) == (
            change.from_status,
            change.to_status,
        )
        assert event.created_at == change.at
        assert event.workspace_id == tenant.workspace.pk
        assert event.organization_id == tenant.workspace.organization_id
    rejected, approved = events[1], events[3]
    assert rejected.data["reason"] == "Too long."
    assert (approved.actor, approved.actor_label) == (
        tenant.reviewer,
        tenant.reviewer.email,
    )


def test_a_failed_move_leaves_neither_history_nor_audit_row(tenant):
    post = _post(tenant)
    before = AuditEvent.objects.count()
    with (
        mock.patch(
            "campaigns.lifecycle.transitions.status_changed",
            side_effect=RuntimeError("listener failed"),
        ),
        pytest.raises(RuntimeError),
    ):
        lifecycle.transition(post, "submit", by=tenant.editor)
    assert AuditEvent.objects.count() == before
    assert Post.objects.get(pk=post.pk).status == S.DRAFT


def test_a_key_and_a_personal_token_are_named(tenant):
    _, key = api_key(tenant.workspace)
    post = _post(tenant)
    lifecycle.transition(post, "submit", by=key)
    token = personal_tokens.token_create(user=tenant.reviewer, name="Phone").token
    attach_token(tenant.reviewer, token)
    lifecycle.transition(post, "approve", by=tenant.reviewer)
    submitted, approved = _post_events(post)
    assert (submitted.actor_key, submitted.actor, submitted.actor_label) == (
        key,
        None,
        key.name,
    )
    assert (approved.actor, approved.actor_token_name) == (tenant.reviewer, "Phone")


def test_the_systems_own_moves_stay_in_the_posts_history(tenant):
    """The dispatcher publishing due posts is no one's act: the history has it,
    the audit log does not (it would cost the outbox a fifth of its speed)."""
    made = [_post(tenant, S.SCHEDULED) for _ in range(3)]
    # Loaded as the publishing outbox loads them: the topic is deferred.
    posts = list(Post.objects.filter(pk__in=[p.pk for p in made]).only("status"))
    before = AuditEvent.objects.count()
    moved = lifecycle.system_transition_many(
        posts, "start_publishing", system="dispatcher"
    )
    assert len(moved) == 3
    assert AuditEvent.objects.count() == before
    history = PostStatusChange.objects.filter(action="start_publishing")
    assert {h.actor_label for h in history} == {"dispatcher"}
    assert history.count() == 3


def test_a_system_move_a_person_caused_names_them(tenant):
    post = _post(tenant, S.APPROVED)
    lifecycle.transition(
        post, "return_to_review", by=None, system="editor", caused_by=tenant.editor
    )
    [event] = _post_events(post)
    assert (event.action, event.actor) == ("post.returned_to_review", tenant.editor)


def test_bulk_creations_record_one_event_each(tenant):
    posts = [_post(tenant) for _ in range(2)]  # each created with its own row
    fresh = [PostFactory(campaign=posts[0].campaign, history=False) for _ in range(3)]
    lifecycle.record_creations(fresh, by=tenant.editor)
    for post in fresh:
        [event] = _post_events(post)
        assert (event.action, event.actor) == ("post.created", tenant.editor)


# --- the approval policy ------------------------------------------------------------


def test_switching_the_approval_policy_is_audited(tenant):
    workspace_update(
        workspace=tenant.workspace, by=tenant.admin, approval_required=False
    )
    change = WorkspaceSettingChange.objects.get(workspace=tenant.workspace)
    event = AuditEvent.objects.get(action=WORKSPACE_APPROVAL_POLICY_CHANGED)
    assert (change.old_value, change.new_value) == (True, False)
    assert event.data == {"setting": "approval_required", "from": True, "to": False}
    assert (event.actor, event.actor_label) == (tenant.admin, tenant.admin.email)
    assert (event.target_type, event.target_id) == (
        "workspace",
        str(tenant.workspace.pk),
    )
    # Renaming alone changes no policy and records nothing.
    workspace_update(workspace=tenant.workspace, by=tenant.admin, name="Renamed")
    assert (
        AuditEvent.objects.filter(action=WORKSPACE_APPROVAL_POLICY_CHANGED).count() == 1
    )


def test_the_policy_switch_through_a_personal_token_names_it(tenant):
    issued = personal_tokens.token_create(user=tenant.owner, name="Laptop")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    response = client.patch(
        f"/api/v1/workspaces/{tenant.workspace.pk}/",
        {"approval_required": False},
        format="json",
    )
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action=WORKSPACE_APPROVAL_POLICY_CHANGED)
    assert (event.actor, event.actor_token_name) == (tenant.owner, "Laptop")
    assert issued.secret not in str(event.data)


def test_a_refused_switch_records_nothing(tenant, key_client):
    response = key_client(tenant.workspace).patch(
        f"/api/v1/workspaces/{tenant.workspace.pk}/",
        {"approval_required": False},
        format="json",
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(
        action=WORKSPACE_APPROVAL_POLICY_CHANGED
    ).exists()
