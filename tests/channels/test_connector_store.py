"""Connectors persist only through the `ConnectorStore` they are handed: run
with a `MemoryStore` and no database, what they keep lands in the store; the
database's store (`publishing.connector_store`) keeps the rules the connectors
kept before (a session only for the app password it was made with, a container
id only while the publication is being published)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from connections.accounts import account_check
from connections.models import ChannelAccount
from networks.base import ConnectorError, MemoryStore, Recipient
from networks.bluesky.connector import BlueskyConnector
from networks.email.connector import EmailConnector
from networks.instagram.connector import InstagramConnector
from publishing.connector_store import connector_store
from publishing.models import EmailDelivery, Publication, Subscriber, SubscriberStatus
from publishing.models import PublicationStatus as PS
from tests.channels import test_connector_bluesky as bluesky_tests
from tests.channels import test_connector_email as email_tests
from tests.channels.connector_kit import jpeg, queued_publication, request_for
from tests.channels.test_connector_email import Smtp, credentials
from tests.factories import ChannelAccountFactory, member
from tests.fakes.graph import FakeGraph
from tests.peers.pds import Pds
from workspaces.models import Role

# The email tests' real SMTP server (STARTTLS and AUTH), as fixtures here too.
smtp, server = email_tests.smtp, email_tests.server

# --- connectors with a MemoryStore, no database ------------------------------------


def test_instagram_keeps_its_container_in_the_store_and_looks_it_up(
    graph_api: FakeGraph, settings
) -> None:
    settings.OUTBOUND_READ_TIMEOUT_SECONDS = 0.5
    account = SimpleNamespace(
        pk=None,
        external_id=graph_api.ig_user_id,
        credentials={"access_token": "page-token-1"},
    )
    store = MemoryStore()
    image = jpeg(Path(settings.MEDIA_ROOT), "a.jpg", (1080, 1350))
    request = request_for(account, media=(image,), publication_id=9, store=store)
    graph_api.lose_answer("POST", "/media_publish$")
    with pytest.raises(ConnectorError) as caught:
        InstagramConnector().publish(request)
    assert caught.value.kind == "ambiguous", caught.value.message
    [container] = graph_api.containers.values()
    assert store.external_ids == {9: f"ig-container:{container.id}"}

    found = InstagramConnector().lookup(request)
    [published] = graph_api.ig_media
    assert found is not None and found.external_id == published.id
    assert len(graph_api.calls("POST", "/media_publish$")) == 1


def test_the_newsletter_ledger_and_bounces_go_through_the_store(server: Smtp) -> None:
    account = SimpleNamespace(
        pk=5, name="Beans Weekly", credentials=credentials(server.port)
    )
    store = MemoryStore(
        [
            Recipient(2, "bea@example.test", "tok-bea-0123456789abcdef"),
            Recipient(1, "al@example.test", "tok-al-0123456789abcdef"),
            Recipient(3, "gone@example.test", "tok-gone-0123456789abcdef"),
        ]
    )
    server.mailbox.unknown.add("gone@example.test")
    request = request_for(account, publication_id=4, title="News", store=store)

    result = EmailConnector().publish(request)

    assert result.external_id == "key-1:2"
    assert sorted(store.deliveries[4]) == [1, 2]
    assert store.deliveries[4][1] == "<key-1.1@beans.test>"
    assert store.bounced == {3}
    assert [m.rcpt_tos for m in server.mailbox.messages] == [
        ["al@example.test"],
        ["bea@example.test"],
    ]
    # A retry mails nobody twice: the store says who already has it.
    assert EmailConnector().publish(request).external_id == "key-1:2"
    assert len(server.mailbox.messages) == 2


def test_bluesky_keeps_its_session_in_the_store(pds: Pds, settings) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    account = bluesky_tests.Account(pds)
    account.pk = 7  # a saved account, as far as the connector can tell
    store = MemoryStore()
    BlueskyConnector().publish(bluesky_tests.request(account, "Hi", store=store))
    assert store.sessions[7]["did"] == pds.accounts["alice"].did
    assert store.sessions[7] == account.credentials["session"]

    checked = MemoryStore()  # "Test connection" signs in again and keeps it
    del account.credentials["session"]
    BlueskyConnector().check(account, store=checked)
    assert checked.sessions[7]["did"] == pds.accounts["alice"].did


# --- the database's store --------------------------------------------------------


@pytest.mark.django_db
def test_test_connection_keeps_a_bluesky_session_in_the_database(
    pds: Pds, settings
) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    account = ChannelAccountFactory(
        network="bluesky", credentials=bluesky_tests.Account(pds, "bob").credentials
    )
    outcome = account_check(account, by=member(account.workspace, Role.OWNER))
    assert outcome.ok, outcome.message
    saved = ChannelAccount.objects.get(pk=account.pk).credentials
    assert saved["session"]["did"] == pds.accounts["bob"].did


@pytest.mark.django_db
def test_a_session_is_kept_only_for_the_app_password_it_was_made_with() -> None:
    account = ChannelAccountFactory(
        network="bluesky", credentials={"handle": "a.test", "app_password": "one"}
    )
    session = {"did": "did:plc:a", "accessJwt": "access", "refreshJwt": "refresh"}

    connector_store.save_session(account.pk, session, app_password="two")
    assert "session" not in ChannelAccount.objects.get(pk=account.pk).credentials

    connector_store.save_session(account.pk, session, app_password="one")
    saved = ChannelAccount.objects.get(pk=account.pk).credentials
    assert saved == {"handle": "a.test", "app_password": "one", "session": session}


@pytest.mark.django_db
def test_an_external_id_is_noted_only_while_publishing() -> None:
    account = ChannelAccountFactory(network="instagram", credentials={"a": "b"})
    publication = queued_publication(account)
    connector_store.remember_external_id(publication.pk, "ig-container:1")
    assert connector_store.remembered_external_id(publication.pk) == ""

    Publication.objects.filter(pk=publication.pk).update(status=PS.PUBLISHING)
    connector_store.remember_external_id(publication.pk, "ig-container:2")
    assert connector_store.remembered_external_id(publication.pk) == "ig-container:2"
    assert connector_store.remembered_external_id(0) == ""


@pytest.mark.django_db
def test_the_newsletter_audience_skips_the_delivered_and_the_unconfirmed() -> None:
    account = ChannelAccountFactory(network="email", credentials={"a": "b"})
    publication = queued_publication(account)

    def add(name: str, status: str = SubscriberStatus.CONFIRMED) -> Subscriber:
        return Subscriber.objects.create(
            workspace=account.workspace,
            account=account,
            email=f"{name}@example.test",
            status=status,
            unsubscribe_token=f"tok-{name}-0123456789abcdef",
        )

    first, second = add("first"), add("second")
    add("pending", SubscriberStatus.PENDING)
    connector_store.newsletter_delivered(publication.pk, first.pk, "<m1@x>")
    connector_store.newsletter_delivered(publication.pk, first.pk, "<again@x>")
    connector_store.newsletter_bounced(second.pk)
    third = add("third")

    delivered, pending = connector_store.newsletter_audience(publication.pk, account.pk)

    assert delivered == 1
    assert pending == [
        Recipient(third.pk, "third@example.test", "tok-third-0123456789abcdef")
    ]
    assert EmailDelivery.objects.get(publication=publication).message_id == "<m1@x>"
    second.refresh_from_db()
    assert second.status == SubscriberStatus.BOUNCED
