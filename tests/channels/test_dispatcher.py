"""The dispatcher's back-pressure: a burst waits in the table, not in the broker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels import dispatcher, publishing
from channels.models import Network, Publication
from channels.models import PublicationStatus as PS
from tests.channels.test_publications import scheduled_post

pytestmark = pytest.mark.django_db


def test_dispatch_keeps_at_most_the_cap_queued_in_due_order(settings) -> None:  # type: ignore[no-untyped-def]
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

    publishing.publication_move([pubs[0].pk], to=PS.CANCELED, sources=[PS.QUEUED])
    assert dispatcher.dispatch() == 1
    assert Publication.objects.get(pk=pubs[3].pk).status == PS.QUEUED
    assert Publication.objects.get(pk=pubs[4].pk).status == PS.SCHEDULED

    settings.DISPATCH_MAX_QUEUED = 0  # no cap
    assert dispatcher.dispatch() == 1
