"""The dispatcher's back-pressure: a burst waits in the table, not in the broker."""

from __future__ import annotations

from datetime import UTC, date, time, timedelta

import pytest
from django.utils import timezone

from connections.models import AccountStatus, ChannelAccount, Network
from core.timezones import slot_to_utc
from publishing import delivery, dispatcher
from publishing.models import Publication, PublishAttempt
from publishing.models import PublicationStatus as PS
from tests.channels.test_publications import scheduled_post

pytestmark = pytest.mark.django_db


def test_dispatch_keeps_at_most_the_cap_queued_in_due_order(settings) -> None:
    settings.DISPATCH_MAX_QUEUED = 3
    settings.PUBLISH_LATE_CUTOFF_SECONDS = 0
    now = timezone.now()
    pubs = []
    for minutes in (5, 4, 3, 2, 1):
        _, [pub] = scheduled_post(
            Network.WEBHOOK, when=now - timedelta(minutes=minutes)
        )
        pubs.append(pub)

    assert dispatcher.dispatch(batch=2) == 3
    queued = set(
        Publication.objects.filter(status=PS.QUEUED).values_list("pk", flat=True)
    )
    assert queued == {p.pk for p in pubs[:3]}  # the longest due first
    assert dispatcher.dispatch() == 0  # full: nothing more until one leaves

    delivery.publication_move([pubs[0].pk], to=PS.CANCELED, sources=[PS.QUEUED])
    assert dispatcher.dispatch() == 1
    assert Publication.objects.get(pk=pubs[3].pk).status == PS.QUEUED
    assert Publication.objects.get(pk=pubs[4].pk).status == PS.SCHEDULED

    settings.DISPATCH_MAX_QUEUED = 0  # no cap
    assert dispatcher.dispatch() == 1


@pytest.mark.parametrize(
    "held", [AccountStatus.DISABLED, AccountStatus.NEEDS_RECONNECT]
)
def test_a_held_account_waits_and_goes_out_when_connected_again(settings, held) -> None:
    settings.DISPATCH_MAX_QUEUED = 0
    settings.PUBLISH_LATE_CUTOFF_SECONDS = 0
    _, [waiting] = scheduled_post(
        Network.WEBHOOK, when=timezone.now() - timedelta(minutes=1)
    )
    _, [other] = scheduled_post(
        Network.WEBHOOK, when=timezone.now() - timedelta(minutes=1)
    )
    ChannelAccount.objects.filter(pk=waiting.account_id).update(status=held)

    assert dispatcher.dispatch() == 1  # only the connected account's
    assert Publication.objects.get(pk=other.pk).status == PS.QUEUED
    assert Publication.objects.get(pk=waiting.pk).status == PS.SCHEDULED

    ChannelAccount.objects.filter(pk=waiting.account_id).update(
        status=AccountStatus.CONNECTED
    )
    assert dispatcher.dispatch() == 1
    assert Publication.objects.get(pk=waiting.pk).status == PS.QUEUED


def test_an_account_disabled_after_the_claim_sends_nothing() -> None:
    _, [pub] = scheduled_post(Network.WEBHOOK, when=timezone.now())
    delivery.publication_move([pub.pk], to=PS.QUEUED, sources=[PS.SCHEDULED])
    ChannelAccount.objects.filter(pk=pub.account_id).update(
        status=AccountStatus.DISABLED
    )
    assert delivery.publication_publish(pub.pk, task_id="t") == "held"
    pub.refresh_from_db()
    assert pub.status == PS.SCHEDULED and pub.attempts == 0
    assert not PublishAttempt.objects.filter(publication=pub).exists()


def test_past_the_cutoff_a_held_publication_fails_saying_why(settings) -> None:
    settings.PUBLISH_LATE_CUTOFF_SECONDS = 3600
    _, [held] = scheduled_post(
        Network.WEBHOOK, when=timezone.now() - timedelta(hours=2)
    )
    _, [missed] = scheduled_post(
        Network.WEBHOOK, when=timezone.now() - timedelta(hours=2)
    )
    ChannelAccount.objects.filter(pk=held.account_id).update(
        status=AccountStatus.DISABLED
    )
    assert sorted(dispatcher.fail_late()) == sorted([held.pk, missed.pk])
    held.refresh_from_db()
    missed.refresh_from_db()
    assert held.status == missed.status == PS.FAILED
    assert "disabled or needed reconnecting" in held.error
    assert "publishing was not running" in missed.error
    assert "1 hour late" in missed.error


@pytest.mark.parametrize(
    "day, utc_hour",
    [(date(2026, 3, 28), 8), (date(2026, 3, 30), 7), (date(2026, 10, 26), 8)],
)
def test_nine_oclock_berlin_goes_out_at_nine_local_across_dst(
    settings, day, utc_hour
) -> None:
    """The publication is due at the instant of 09:00 local that day (UTC+1 in
    winter, UTC+2 in summer), and the dispatcher claims it then, not an hour off."""
    settings.PUBLISH_LATE_CUTOFF_SECONDS = 0
    settings.DISPATCH_MAX_QUEUED = 0
    at = slot_to_utc(day, time(9, 0), "Europe/Berlin")
    _, [pub] = scheduled_post(Network.WEBHOOK, when=at)
    assert pub.due_at.astimezone(UTC).hour == utc_hour
    assert dispatcher.claim_due(now=at - timedelta(seconds=1)) == []
    assert dispatcher.claim_due(now=at) == [pub.pk]


def test_a_post_due_while_the_scheduler_was_down_goes_out_when_it_returns(
    settings,
) -> None:
    settings.PUBLISH_LATE_CUTOFF_SECONDS = 3600
    settings.DISPATCH_MAX_QUEUED = 0
    _, [recent] = scheduled_post(
        Network.WEBHOOK, when=timezone.now() - timedelta(minutes=20)
    )
    _, [stale] = scheduled_post(
        Network.WEBHOOK, when=timezone.now() - timedelta(minutes=61)
    )
    assert dispatcher.dispatch() == 1  # the scheduler's first tick after the gap
    recent.refresh_from_db()
    stale.refresh_from_db()
    assert recent.status == PS.QUEUED  # 20 minutes late: still published
    assert stale.status == PS.FAILED and stale.error_kind == "late"
    assert "Reschedule it" in stale.error
