"""OAuth token refresh (connections/oauth/refresh.py): rotation before expiry, a
revoked grant marking the account `needs_reconnect`, transient failures, and
concurrent refreshes, against the local authorization server of
tests/fakes/oauth.py."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from connections import oauth, reconnect
from connections.models import AccountStatus, ChannelAccount, Network
from connections.oauth import refresh as oauth_refresh
from tests.channels import oauth_support
from tests.channels.oauth_support import (
    browser,
    connect,
    due,
)
from tests.factories import member
from tests.fakes.oauth import FakeOAuth
from workspaces.models import Role

# Fixtures shared with the other test_oauth*.py file.
idp = oauth_support.idp
x_account = oauth_support.x_account


def test_refresh_due_tokens_rotates_the_tokens_before_expiry(
    idp: FakeOAuth, x_account: ChannelAccount, tenant: Any
) -> None:
    assert oauth.refresh_due_tokens() == {}  # two hours left: not due
    old = dict(x_account.credentials)
    due(x_account)
    assert oauth.refresh_due_tokens() == {"refreshed": 1}
    x_account.refresh_from_db()
    new = x_account.credentials
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    assert (
        old["refresh_token"] in idp.used_refresh and new["refresh_token"] in idp.refresh
    )
    assert x_account.token_expires_at > timezone.now() + timedelta(hours=1)
    assert x_account.refresh_lease_until is None
    [call] = idp.token_calls("refresh_token")
    assert call.form()["refresh_token"] == old["refresh_token"]
    assert oauth.refresh_due_tokens() == {}


def test_facebook_refresh_exchanges_the_long_lived_token(
    idp: FakeOAuth, tenant: Any
) -> None:
    account = connect(browser(tenant.owner, tenant.workspace), Network.FACEBOOK)
    old = account.credentials["access_token"]
    due(account)
    assert oauth.refresh_due_tokens() == {"refreshed": 1}
    account.refresh_from_db()
    assert account.credentials["access_token"] != old
    [call] = idp.token_calls("fb_exchange_token")
    assert call.form()["fb_exchange_token"] == old
    idp.revoke_all()
    due(account)
    assert oauth.refresh_due_tokens() == {"revoked": 1}  # Graph error 190
    account.refresh_from_db()
    assert account.status == AccountStatus.NEEDS_RECONNECT


def test_invalid_grant_marks_needs_reconnect_and_emails_owners_and_admins(
    idp: FakeOAuth,
    x_account: ChannelAccount,
    tenant: Any,
    other_tenant: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: Any,
) -> None:
    from connections import tasks

    sent: list[int] = []

    def delay(account_id: int) -> None:  # the worker's part, run here
        sent.append(account_id)
        tasks.notify_account_needs_reconnect.apply(args=[account_id]).get()

    monkeypatch.setattr(tasks.notify_account_needs_reconnect, "delay", delay)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="adloop")
    silent = member(tenant.workspace, Role.ADMIN, email="")
    assert silent.email == ""
    idp.revoke_all()
    due(x_account)
    with django_capture_on_commit_callbacks(execute=True):
        assert oauth.refresh_due_tokens() == {"revoked": 1}
    x_account.refresh_from_db()
    assert x_account.status == AccountStatus.NEEDS_RECONNECT
    assert "invalid_grant" in x_account.last_error
    assert "reconnect" in x_account.last_error
    assert x_account.refresh_lease_until is None
    assert sent == [x_account.pk]
    [message] = mail.outbox
    assert sorted(message.to) == sorted([tenant.owner.email, tenant.admin.email])
    assert x_account.name in message.subject
    assert "/channels/" in message.body
    for secret in x_account.credentials.values():
        assert secret not in message.body and secret not in caplog.text
    # Not connected any more: the job leaves it alone, and no second email.
    assert oauth.refresh_due_tokens() == {}
    assert len(mail.outbox) == 1
    assert reconnect.account_reconnect_notice_send(account_id=x_account.pk) == 2


@pytest.mark.parametrize("failure", ["503", "429", "timeout", "down"])
def test_a_transient_refresh_failure_keeps_the_account_and_retries_later(
    idp: FakeOAuth,
    x_account: ChannelAccount,
    settings: Any,
    failure: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    old = dict(x_account.credentials)
    due(x_account)
    if failure == "503":
        idp.fail("POST", "/2/oauth2/token", 503, {"title": "Service Unavailable"})
    elif failure == "429":
        idp.fail("POST", "/2/oauth2/token", 429, {}, {"x-rate-limit-reset": "1"})
    elif failure == "timeout":
        settings.OUTBOUND_READ_TIMEOUT_SECONDS = 0.5
        idp.hang_seconds = 2.0
        idp.lose_answer("POST", "/2/oauth2/token")
    else:
        settings.X_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert oauth.refresh_due_tokens() == {"transient": 1}
    assert callbacks == [] and mail.outbox == []
    x_account.refresh_from_db()
    assert x_account.status == AccountStatus.CONNECTED
    assert x_account.refresh_lease_until is None
    assert x_account.last_error.startswith("Could not get a token from")
    assert old["refresh_token"] not in x_account.last_error
    if failure == "timeout":
        # The lost answer may have rotated the token at the network: the next
        # run then meets invalid_grant, which is definite. Nothing to retry.
        return
    assert x_account.credentials == old

    # The next run (the network is back) refreshes with the same refresh token.
    settings.X_API_BASE_URL = idp.base_url
    assert oauth.refresh_due_tokens() == {"refreshed": 1}
    x_account.refresh_from_db()
    assert x_account.credentials["refresh_token"] != old["refresh_token"]
    assert x_account.last_error == "" and x_account.status == AccountStatus.CONNECTED


def test_two_refreshes_at_once_use_the_refresh_token_once(
    transactional_db: None, idp: FakeOAuth, tenant: Any
) -> None:
    """The second refresh starts while the first one's token request is at the
    network (inside the fake's handler), from another thread and connection."""
    account = connect(browser(tenant.owner, tenant.workspace), Network.X)
    old = account.credentials["refresh_token"]
    due(account)
    racing: list[str] = []
    handle = idp.handle

    def handle_while_racing(request: Any) -> Any:
        if request.path == "/2/oauth2/token" and not racing:
            worker = threading.Thread(target=race)
            worker.start()
            worker.join()
        return handle(request)

    def race() -> None:
        from django.db import connections

        try:
            racing.append(oauth.refresh_account(account.pk, force=True))
            racing.append(str(oauth.refresh_due_tokens()))
        finally:
            connections.close_all()

    idp.handle = handle_while_racing  # type: ignore[method-assign]
    assert oauth.refresh_account(account.pk) == "refreshed"
    assert racing == ["skipped", "Counter({'skipped': 1})"]
    assert [c.form()["refresh_token"] for c in idp.token_calls("refresh_token")] == [
        old
    ]
    account.refresh_from_db()
    assert account.status == AccountStatus.CONNECTED
    assert account.credentials["refresh_token"] in idp.refresh
    # Once done, a later refresh runs (not due: skipped; forced: refreshed).
    assert oauth.refresh_account(account.pk) == "skipped"
    assert oauth.refresh_account(account.pk, force=True) == "refreshed"


@pytest.mark.parametrize("meanwhile", ["disconnect", "reconnect"])
def test_tokens_of_a_refresh_overtaken_by_a_disconnect_or_reconnect_are_dropped(
    idp: FakeOAuth,
    x_account: ChannelAccount,
    tenant: Any,
    monkeypatch: pytest.MonkeyPatch,
    meanwhile: str,
) -> None:
    """While the refresh request is at the network, a person disconnects the
    account (its credentials wiped) or reconnects it (a new grant)."""
    from connections import accounts

    client = browser(tenant.owner, tenant.workspace)
    due(x_account)
    token_request = oauth_refresh.token_request
    after: dict[str, Any] = {}

    def overtaken(provider: Any, form: dict[str, str]) -> dict[str, Any]:
        if form["grant_type"] != "refresh_token":  # the reconnect's own exchange
            return token_request(provider, form)
        if meanwhile == "disconnect":
            accounts.account_disconnect(x_account, by=tenant.owner)
        else:
            after.update(connect(client, Network.X).credentials)
        return token_request(provider, form)

    monkeypatch.setattr(oauth_refresh, "token_request", overtaken)
    assert oauth.refresh_account(x_account.pk) == "skipped"
    x_account.refresh_from_db()
    if meanwhile == "disconnect":
        assert x_account.credentials is None
        assert x_account.status == AccountStatus.DISABLED
    else:
        assert x_account.credentials == after
        assert x_account.status == AccountStatus.CONNECTED
    assert x_account.refresh_lease_until is None


def test_a_stale_lease_of_a_dead_process_is_taken_over(
    idp: FakeOAuth, x_account: ChannelAccount
) -> None:
    due(x_account)
    ChannelAccount.objects.filter(pk=x_account.pk).update(
        refresh_lease_until=timezone.now() + timedelta(minutes=1)
    )
    assert oauth.refresh_due_tokens() == {"skipped": 1}
    ChannelAccount.objects.filter(pk=x_account.pk).update(
        refresh_lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert oauth.refresh_due_tokens() == {"refreshed": 1}


# --- the scheduler ------------------------------------------------------------------


def test_the_scheduler_runs_refresh_due_tokens_periodically(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler

    from publishing.management.commands import run_scheduler

    seen: dict[str, Any] = {}

    class Recorder(BlockingScheduler):
        def start(self, *args: Any, **kwargs: Any) -> None:  # do not block
            seen.update({job.id: job for job in self.get_jobs()})

    monkeypatch.setattr(run_scheduler, "BlockingScheduler", Recorder)
    monkeypatch.setattr(run_scheduler.signal, "signal", lambda *a: None)
    settings.TOKEN_REFRESH_INTERVAL_SECONDS = 120
    run_scheduler.Command().handle(name="t")
    job = seen["token-refresh"]
    assert job.args == ("token-refresh", oauth.refresh_due_tokens)
    assert job.func is run_scheduler._guarded
    assert job.trigger.interval == timedelta(seconds=120)
