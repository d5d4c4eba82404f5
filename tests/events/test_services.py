"""events.services: audit rows and outbox events in the caller's transaction,
the actor as the request saw it, no secret ever stored."""

from __future__ import annotations

import json
import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.forms.models import model_to_dict
from rest_framework.test import APIRequestFactory

from events import services
from events.actions import ACTIONS, POST_ACTIONS
from events.models import AuditEvent, OutboxEvent
from tests.factories import api_key
from workspaces.models import ApiKeyScope
from workspaces.services import personal_tokens
from workspaces.token_models import attach_token

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def _stored(event: AuditEvent | OutboxEvent) -> str:
    """Every stored value of the row, as the database holds it."""
    event.refresh_from_db()
    return json.dumps(model_to_dict(event), default=str)


# --- the caller's transaction --------------------------------------------------------


def test_record_commits_with_the_callers_transaction(tenant):
    with transaction.atomic():
        event = services.record(
            workspace=tenant.workspace,
            action="post.approved",
            actor=tenant.reviewer,
            target=tenant.workspace,
            data={"to": "approved"},
        )
    event.refresh_from_db()
    assert event.organization_id == tenant.workspace.organization_id
    assert (event.actor, event.actor_key, event.actor_label) == (
        tenant.reviewer,
        None,
        tenant.reviewer.email,
    )
    assert (event.target_type, event.target_id) == (
        "workspace",
        str(tenant.workspace.pk),
    )
    assert event.data == {"to": "approved"}


def test_a_rolled_back_change_leaves_no_audit_row_and_no_outbox_event(tenant):
    with pytest.raises(Boom), transaction.atomic():
        services.record(
            workspace=tenant.workspace, action="post.approved", actor=tenant.owner
        )
        services.emit(workspace=tenant.workspace, type="post.approved", payload={})
        raise Boom
    assert not AuditEvent.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_record_opens_no_transaction_of_its_own(
    tenant, django_capture_on_commit_callbacks
):
    """Nothing waits for a commit: the row is written at once, in whatever
    transaction is open, and no on_commit callback is registered."""
    with django_capture_on_commit_callbacks() as callbacks:
        services.record(workspace=tenant.workspace.pk, action="post.created")
        services.emit(workspace=tenant.workspace.pk, type="post.created")
    assert callbacks == []
    event = AuditEvent.objects.get()
    # A workspace named by id gets its organization looked up.
    assert event.organization_id == tenant.workspace.organization_id
    assert event.actor_label == "" and event.actor is None


def test_an_unknown_action_is_refused(tenant):
    with pytest.raises(ValueError, match=r"events\.actions"):
        services.record(workspace=tenant.workspace, action="post.teleported")
    assert not AuditEvent.objects.exists()


def test_every_post_action_is_in_the_catalogue():
    assert set(POST_ACTIONS.values()) <= ACTIONS
    assert all(action.count(".") == 1 for action in ACTIONS)


def test_audit_rows_are_append_only(tenant):
    event = services.record(workspace=tenant.workspace, action="post.approved")
    event.action = "post.rejected"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    assert AuditEvent.objects.get().action == "post.approved"


# --- secrets ------------------------------------------------------------------------


def test_a_keys_secret_never_enters_the_data(tenant):
    secret, key = api_key(tenant.workspace, ApiKeyScope.WRITE)
    token = personal_tokens.token_create(user=tenant.owner, name="CI").secret
    event = services.record(
        workspace=tenant.workspace,
        action="api_key.created",
        actor=tenant.owner,
        target=key,
        data={
            "name": key.name,
            "secret": secret,
            "nested": [{"api_key": secret, "note": f"sent {secret} by mail"}],
            "header": f"Bearer {token}",
            "token_name": "CI",
        },
    )
    stored = _stored(event)
    for value in (secret, secret.split("_", 2)[2], token, token.split("_", 2)[2]):
        assert value not in stored
    assert event.data["name"] == key.name
    assert event.data["secret"] == services.REDACTED
    assert event.data["nested"][0]["api_key"] == services.REDACTED
    assert event.data["nested"][0]["note"] == f"sent {services.REDACTED} by mail"
    assert event.data["token_name"] == "CI"  # a name, not a secret


def test_an_outbox_payload_is_scrubbed_too(tenant):
    secret, _ = api_key(tenant.workspace)
    event = services.emit(
        workspace=tenant.workspace, type="api_key.created", payload={"key": secret}
    )
    assert secret not in _stored(event)


# --- who acted -----------------------------------------------------------------------


def _request(principal, auth=None):
    request = APIRequestFactory().get("/")
    request.user, request.auth = principal, auth
    return request


def test_actor_from_a_signed_in_person(tenant):
    actor = services.actor_from_request(_request(tenant.editor))
    assert actor == services.Actor(user=tenant.editor, label=tenant.editor.email)


def test_actor_from_a_personal_access_token(tenant):
    issued = personal_tokens.token_create(user=tenant.admin, name="Deploy bot")
    actor = services.actor_from_request(_request(tenant.admin, issued.token))
    assert (actor.user, actor.key, actor.token_name) == (
        tenant.admin,
        None,
        "Deploy bot",
    )
    # The principal alone carries the token too (the mark its authentication left).
    attach_token(tenant.admin, issued.token)
    assert services.actor_of(tenant.admin).token_name == "Deploy bot"


def test_actor_from_an_api_key(tenant):
    _, key = api_key(tenant.workspace, ApiKeyScope.READ)
    actor = services.actor_from_request(_request(key, key))
    assert (actor.user, actor.key, actor.label) == (None, key, key.name)
    event = services.record(workspace=tenant.workspace, action="post.created", key=key)
    assert (event.actor_key, event.actor, event.actor_token_name) == (key, None, "")


def test_an_anonymous_request_is_no_actor(tenant):
    assert services.actor_from_request(_request(AnonymousUser())) == services.SYSTEM
    event = services.record(
        workspace=tenant.workspace, action="post.published", system="dispatcher"
    )
    assert (event.actor, event.actor_key, event.actor_label) == (
        None,
        None,
        "dispatcher",
    )


# --- the outbox ---------------------------------------------------------------------


def test_claim_takes_the_oldest_unpublished_and_counts_an_attempt(tenant):
    first = services.emit(workspace=tenant.workspace, type="post.approved")
    second = services.emit(workspace=tenant.workspace, type="post.scheduled")
    sent = services.emit(workspace=tenant.workspace, type="post.created")
    services.mark_published([sent])
    with transaction.atomic():
        claimed = services.claim(limit=1)
        assert claimed == [first] and claimed[0].attempts == 1
        assert services.mark_published(claimed) == 1
    with transaction.atomic():
        assert services.claim() == [second]
    second.refresh_from_db()
    assert (second.attempts, second.published_at) == (1, None)


@pytest.mark.django_db(transaction=True)
def test_claim_needs_a_transaction(tenant):
    services.emit(workspace=tenant.workspace, type="post.approved")
    with pytest.raises(RuntimeError, match="atomic"):
        services.claim()


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_skip_each_others_claims(tenant):
    first = services.emit(workspace=tenant.workspace, type="post.approved")
    second = services.emit(workspace=tenant.workspace, type="post.scheduled")
    seen: list[list[OutboxEvent]] = []

    def other_sender() -> None:
        try:
            with transaction.atomic():
                seen.append(services.claim())
        finally:
            connection.close()

    with transaction.atomic():
        assert services.claim(limit=1) == [first]
        thread = threading.Thread(target=other_sender)
        thread.start()
        thread.join(timeout=30)
    assert seen == [[second]]
