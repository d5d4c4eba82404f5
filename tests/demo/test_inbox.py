"""The demo inbox (issue 9: the demo could never show a post going out): a real
signed webhook from the real connector arrives through the publishing path;
bad signatures are recorded as not verified; workspaces see only their own
deliveries; everything is 404 when the inbox is off; outbound calls may reach
exactly the inbox's receiver and no other loopback URL."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from connections.models import Network
from core import http
from demo import inbox
from demo.models import DemoDelivery
from networks.webhook.connector import sign
from publishing import delivery
from publishing.models import PublicationStatus as PS
from tests.channels.connector_kit import queued_publication
from tests.factories import ChannelAccountFactory, member

SECRET = "whsec-demo-inbox-test-secret-0123456789"


@pytest.fixture
def inbox_on(settings):
    settings.DEMO_INBOX = True
    settings.OUTBOUND_ALLOW_PRIVATE = False
    return settings


def _inbox_account(workspace=None):
    account = ChannelAccountFactory(
        network=Network.WEBHOOK,
        credentials={"secret": SECRET},
        **({"workspace": workspace} if workspace else {}),
    )
    account.external_id = inbox.hook_url(account.pk)
    account.save(update_fields=["external_id"])
    return account


def _signed(body: bytes, secret: str = SECRET, stamp: str | None = None) -> dict:
    stamp = stamp or str(int(time.time()))
    return {
        "HTTP_X_ADLOOP_TIMESTAMP": stamp,
        "HTTP_X_ADLOOP_SIGNATURE": sign(secret, stamp, body),
        "HTTP_X_ADLOOP_EVENT": "post.published",
    }


def test_a_real_webhook_arrives_through_the_publishing_path(
    transactional_db, live_server, inbox_on
) -> None:
    inbox_on.SITE_URL = live_server.url
    account = _inbox_account()
    publication = queued_publication(account, body="Fresh roast, delivered.")
    delivery.publication_publish(publication.pk)

    publication.refresh_from_db()
    assert publication.status == PS.PUBLISHED, publication.error
    [arrived] = DemoDelivery.objects.all()
    assert publication.external_id == f"demo-{arrived.pk}"
    assert publication.url.endswith(f"/demo/inbox/#delivery-{arrived.pk}")
    assert arrived.verified and arrived.workspace == account.workspace
    assert arrived.event == "post.published"
    assert json.loads(arrived.body)["text"] == "Fresh roast, delivered."
    assert arrived.idempotency_key == publication.idempotency_key


def test_a_bad_signature_is_recorded_as_not_verified_and_refused(
    client, db, inbox_on
) -> None:
    account = _inbox_account()
    url = reverse("demo:inbox-hook", args=[account.pk])
    body = b'{"event":"post.published","text":"hi"}'
    bad = _signed(body, secret="not-the-channel-secret")
    response = client.post(url, body, content_type="application/json", **bad)
    assert response.status_code == 401
    old = _signed(body, stamp=str(int(time.time()) - 3600))
    assert (
        client.post(url, body, content_type="application/json", **old).status_code
        == 401
    )
    unsigned = client.post(url, body, content_type="application/json")
    assert unsigned.status_code == 401
    rows = list(DemoDelivery.objects.order_by("pk"))
    assert [r.verified for r in rows] == [False, False, False]
    assert "does not match" in rows[0].check_note
    assert "too old" in rows[1].check_note
    assert "No signature" in rows[2].check_note
    good = client.post(url, body, content_type="application/json", **_signed(body))
    assert (
        good.status_code == 200
        and DemoDelivery.objects.filter(verified=True).count() == 1
    )


def test_a_repeated_idempotency_key_is_acknowledged_once(client, db, inbox_on) -> None:
    account = _inbox_account()
    url = reverse("demo:inbox-hook", args=[account.pk])
    body = b'{"text":"once"}'
    headers = {**_signed(body), "HTTP_IDEMPOTENCY_KEY": "adloop-key-1"}
    first = client.post(url, body, content_type="application/json", **headers)
    again = client.post(url, body, content_type="application/json", **headers)
    assert first.json()["id"] == again.json()["id"]
    assert DemoDelivery.objects.count() == 1


def test_the_page_shows_only_the_current_workspaces_deliveries(web, inbox_on) -> None:
    mine, theirs = _inbox_account(), _inbox_account()
    inbox.receive(mine.pk, {}, b'{"text":"ours, unsigned"}')
    body = b'{"text":"theirs, signed"}'
    stamp = str(int(time.time()))
    signed = {
        "X-AdLoop-Timestamp": stamp,
        "X-AdLoop-Signature": sign(SECRET, stamp, body),
    }
    inbox.receive(theirs.pk, signed, body)
    user = member(mine.workspace)
    page = web(user, mine.workspace).get(reverse("demo:inbox"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "ours, unsigned" in html and "theirs, signed" not in html
    assert (
        "Demo inbox — a local receiver for trying publishing; not a real network"
        in html
    )
    assert "Signature verified: no" in html
    assert mine.workspace.time_zone in html
    # The other workspace's person sees theirs, verified, and not ours.
    other = web(member(theirs.workspace), theirs.workspace).get(reverse("demo:inbox"))
    assert "theirs, signed" in other.content.decode()
    assert "Signature verified: yes" in other.content.decode()
    assert "ours, unsigned" not in other.content.decode()


def test_an_unknown_or_non_webhook_account_is_404(client, db, inbox_on) -> None:
    mastodon = ChannelAccountFactory(network=Network.MASTODON)
    customers = ChannelAccountFactory(
        network=Network.WEBHOOK,
        external_id="https://hooks.example.com/x",
        credentials={"secret": SECRET},
    )
    for pk in (mastodon.pk, customers.pk, 999999):
        url = reverse("demo:inbox-hook", args=[pk])
        assert (
            client.post(url, b"{}", content_type="application/json").status_code == 404
        )
    assert DemoDelivery.objects.count() == 0


def test_everything_is_404_when_the_inbox_is_off(client, web, settings) -> None:
    settings.DEMO_INBOX = False
    account = _inbox_account()
    body = b"{}"
    url = reverse("demo:inbox-hook", args=[account.pk])
    response = client.post(url, body, content_type="application/json", **_signed(body))
    assert response.status_code == 404
    user = member(account.workspace)
    page = web(user, account.workspace)
    assert page.get(reverse("demo:inbox")).status_code == 404
    assert "Demo inbox" not in page.get(reverse("dashboard")).content.decode()
    assert DemoDelivery.objects.count() == 0


# --- The loopback allow-list (core/http.py) ------------------------------------


def test_only_the_exact_inbox_receiver_on_site_url_is_allowed(inbox_on, db) -> None:
    inbox_on.SITE_URL = "http://127.0.0.1:8000"
    assert http.demo_inbox_target("http://127.0.0.1:8000/demo/inbox/hook/7/")
    refused = [
        "http://127.0.0.1:8000/demo/inbox/",  # the page, not the receiver
        "http://127.0.0.1:8000/demo/inbox/hook/7/extra",
        "http://127.0.0.1:8000/demo/inbox/hook/7/?x=1",
        "http://127.0.0.1:8001/demo/inbox/hook/7/",  # another port
        "https://127.0.0.1:8000/demo/inbox/hook/7/",  # another scheme
        "http://localhost:8000/demo/inbox/hook/7/",  # another host name
        "http://user:pw@127.0.0.1:8000/demo/inbox/hook/7/",
        "http://127.0.0.1:8000/admin/",
        "http://10.0.0.1:8000/demo/inbox/hook/7/",
    ]
    for url in refused:
        assert not http.demo_inbox_target(url), url
    inbox_on.DEMO_INBOX = False
    assert not http.demo_inbox_target("http://127.0.0.1:8000/demo/inbox/hook/7/")


def test_other_loopback_urls_stay_refused_while_the_inbox_is_on(inbox_on, db) -> None:
    inbox_on.SITE_URL = "http://127.0.0.1:8000"
    for url in (
        "http://127.0.0.1:8000/admin/",
        "http://127.0.0.1:6379/",
        "http://localhost:8000/demo/inbox/hook/1/",
    ):
        with pytest.raises(http.OutboundRefused):
            http.request("POST", url, content=b"{}")
