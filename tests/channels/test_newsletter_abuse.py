"""The public newsletter sign-up cannot be used to flood an inbox: limits per
source and per target address (cache, hashed), one confirmation per
NEWSLETTER_RESEND_SECONDS for a pending address (database), 429 with
Retry-After, and no answer that tells who is on the list. Against the email
tests' real SMTP server."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone

from publishing import newsletter
from publishing.models import Subscriber, SubscriberStatus
from tests.channels import test_connector_email as mail
from tests.channels.test_connector_email import newsletter_account, subscriber

pytestmark = pytest.mark.django_db

smtp = mail.smtp
server = mail.server

SOURCE = "203.0.113.77"


@pytest.fixture(autouse=True)
def own_cache(settings):
    """A cache of this test's own: counters from other tests do not leak in."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"abuse-{uuid.uuid4().hex}",
        }
    }
    yield
    cache.clear()


def sign_up(client: Client, account, email: str, source: str = SOURCE, **headers):
    return client.post(
        f"/newsletter/{account.pk}/subscribe/",
        {"email": email},
        REMOTE_ADDR=source,
        **headers,
    )


def page(answer) -> bytes:
    """The answer without its per-request CSRF token and nonce."""
    return re.sub(rb"[A-Za-z0-9+/=_-]{16,}", b"", answer.content)


def test_twenty_sign_ups_of_one_address_send_one_mail(
    server, django_capture_on_commit_callbacks
) -> None:
    account = newsletter_account(server.port)
    client = Client()
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(20):
            answers.append(sign_up(client, account, "victim@readers.test"))
    assert len(server.mailbox.to("victim@readers.test")) == 1
    codes = [a.status_code for a in answers]
    # NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR = 5: the rest are refused.
    assert codes == [200] * 5 + [429] * 15
    refused = answers[-1]
    assert int(refused["Retry-After"]) > 0
    assert b"signed up too many times" in refused.content
    assert Subscriber.objects.get(account=account).status == SubscriberStatus.PENDING


def test_pending_address_is_not_mailed_again_within_the_window(
    server, settings, django_capture_on_commit_callbacks
) -> None:
    # Without the cache limits, the database rule alone holds.
    settings.NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR = 1000
    settings.NEWSLETTER_SIGNUPS_PER_SOURCE_PER_HOUR = 1000
    settings.NEWSLETTER_RESEND_SECONDS = 3600
    account = newsletter_account(server.port)
    client = Client()
    start = timezone.now()
    with (
        time_machine.travel(start, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        answers = [sign_up(client, account, "slow@readers.test") for _ in range(20)]
    assert {a.status_code for a in answers} == {200}
    assert len({page(a) for a in answers}) == 1  # one answer, whatever happened
    assert len(server.mailbox.to("slow@readers.test")) == 1
    person = Subscriber.objects.get(account=account)
    assert person.last_confirmation_sent_at == start

    with (
        time_machine.travel(start + timedelta(seconds=3599), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert sign_up(client, account, "slow@readers.test").status_code == 200
    assert len(server.mailbox.to("slow@readers.test")) == 1

    with (
        time_machine.travel(start + timedelta(seconds=3601), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert sign_up(client, account, "slow@readers.test").status_code == 200
    assert len(server.mailbox.to("slow@readers.test")) == 2


def test_the_resend_rule_holds_for_the_audience_api_too(
    server, settings, django_capture_on_commit_callbacks
) -> None:
    account = newsletter_account(server.port)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            newsletter.subscriber_subscribe(account=account, email="api@readers.test")
    assert len(server.mailbox.to("api@readers.test")) == 1


def test_a_failed_send_can_be_asked_for_again(
    server, settings, django_capture_on_commit_callbacks
) -> None:
    account = newsletter_account(server.port, password="wrong")
    with django_capture_on_commit_callbacks(execute=True):
        person = newsletter.subscriber_subscribe(
            account=account, email="retry@readers.test"
        )
    person.refresh_from_db()
    assert person.last_confirmation_sent_at is None  # nothing went out
    assert server.mailbox.to("retry@readers.test") == []


def test_per_source_limit_answers_429(
    server, settings, django_capture_on_commit_callbacks
) -> None:
    settings.NEWSLETTER_SIGNUPS_PER_SOURCE_PER_HOUR = 3
    account = newsletter_account(server.port)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        codes = [
            sign_up(client, account, f"r{i}@readers.test").status_code for i in range(3)
        ]
        # A forged X-Forwarded-For from an untrusted peer changes nothing.
        refused = sign_up(
            client, account, "r9@readers.test", HTTP_X_FORWARDED_FOR="198.51.100.1"
        )
        # Another source is counted on its own.
        other = sign_up(client, account, "r10@readers.test", source="192.0.2.10")
    assert codes == [200, 200, 200]
    assert refused.status_code == 429
    assert b"Too many sign-ups from your network" in refused.content
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert server.mailbox.to("r9@readers.test") == []
    assert not Subscriber.objects.filter(email="r9@readers.test").exists()
    assert other.status_code == 200


def test_confirmed_and_new_addresses_get_the_same_answer(server, settings) -> None:
    account = newsletter_account(server.port)
    subscriber(account, "known@readers.test")
    subscriber(account, "waiting@readers.test", status=SubscriberStatus.PENDING)
    client = Client()
    known = sign_up(client, account, "known@readers.test")
    waiting = sign_up(client, account, "waiting@readers.test")
    new = sign_up(client, account, "new@readers.test")
    assert known.status_code == waiting.status_code == new.status_code == 200
    assert page(known) == page(waiting) == page(new)


def test_no_raw_address_is_kept(server, django_capture_on_commit_callbacks) -> None:
    account = newsletter_account(server.port)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(7):
            sign_up(client, account, "private@readers.test")
    stored = cache._cache  # type: ignore[attr-defined]  # LocMemCache's dict
    assert stored, "the limits count in the cache"
    for key, value in stored.items():
        blob = key.encode() + value  # the raw pickled bytes
        assert SOURCE.encode() not in blob
        assert b"private@readers.test" not in blob.lower()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM channels_subscriber")
        rows = repr(cursor.fetchall())
    assert SOURCE not in rows
