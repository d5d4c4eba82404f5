"""The one rule for marking an account `needs_reconnect` (connections/reconnect.py):
fenced against a newer state, idempotent, and it emails owners and admins once."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from connections import reconnect, tasks
from connections.models import AccountStatus, ChannelAccount
from tests.factories import ConnectedAccountFactory


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The notice task's `delay`, run here as the worker would."""
    sent: list[int] = []

    def delay(account_id: int) -> None:
        sent.append(account_id)
        tasks.notify_account_needs_reconnect.apply(args=[account_id]).get()

    monkeypatch.setattr(tasks.notify_account_needs_reconnect, "delay", delay)
    return sent


def _account(tenant: Any) -> ChannelAccount:
    return ConnectedAccountFactory(
        workspace=tenant.workspace,
        status=AccountStatus.CONNECTED,
        connected_at=timezone.now(),
    )


def test_a_refusal_marks_the_account_and_emails_owners_and_admins_once(
    tenant: Any, queued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    account = _account(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        assert reconnect.account_mark_needs_reconnect(
            account=account, message="The token was revoked."
        )
    row = ChannelAccount.objects.get(pk=account.pk)
    assert row.status == AccountStatus.NEEDS_RECONNECT
    assert row.last_error == "The token was revoked."
    assert row.last_checked_at is not None
    assert queued == [account.pk]
    [message] = mail.outbox
    assert sorted(message.to) == sorted([tenant.owner.email, tenant.admin.email])
    assert "The token was revoked." in message.body
    # Idempotent: a second refusal of the same credentials changes nothing.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert not reconnect.account_mark_needs_reconnect(
            account=account, message="Again."
        )
    assert callbacks == [] and len(mail.outbox) == 1
    assert ChannelAccount.objects.get(pk=account.pk).last_error == (
        "The token was revoked."
    )


@pytest.mark.parametrize("meanwhile", ["reconnected", "tokens_rotated", "disabled"])
def test_a_stale_refusal_leaves_a_newer_state_alone(
    tenant: Any,
    queued: list[int],
    django_capture_on_commit_callbacks: Any,
    meanwhile: str,
) -> None:
    account = _account(tenant)  # as the caller read it before its network call
    row = ChannelAccount.objects.get(pk=account.pk)
    if meanwhile == "reconnected":
        row.connected_at = timezone.now()
        row.credentials = {"token": "new-grant"}
    elif meanwhile == "tokens_rotated":
        row.credentials = {**row.credentials, "token": "rotated"}
    else:
        row.status = AccountStatus.DISABLED
    row.save()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert not reconnect.account_mark_needs_reconnect(
            account=account, message="Refused."
        )
    after = ChannelAccount.objects.get(pk=account.pk)
    assert after.status == row.status and after.last_error == ""
    assert callbacks == [] and queued == [] and mail.outbox == []


def test_a_broker_that_is_down_costs_the_email_not_the_mark(
    tenant: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def down(account_id: int) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.notify_account_needs_reconnect, "delay", down)
    account = _account(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        assert reconnect.account_mark_needs_reconnect(account=account, message="No.")
    assert ChannelAccount.objects.get(pk=account.pk).status == (
        AccountStatus.NEEDS_RECONNECT
    )
    assert mail.outbox == []


def test_the_notice_says_nothing_for_an_account_that_is_connected(
    tenant: Any,
) -> None:
    account = _account(tenant)
    assert reconnect.account_reconnect_notice_send(account_id=account.pk) == 0
    assert mail.outbox == []
