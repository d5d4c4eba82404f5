"""The email newsletter against a real SMTP server (aiosmtpd) that insists on
STARTTLS and AUTH: what arrives is parsed (parts, headers), the one-click
unsubscribe URL from the received message is POSTed back, double opt-in is
walked through, and a retry after a partial send mails nobody twice."""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from campaigns.models import PostStatus
from connections.models import Network
from networks import ConnectorError, get_connector
from networks.email.connector import EmailConnector
from publishing import delivery, newsletter
from publishing.models import EmailDelivery, Publication, Subscriber, SubscriberStatus
from publishing.models import PublicationStatus as PS
from tests.factories import ChannelAccountFactory, PostFactory, member
from tests.integration.test_smtp_tls import _self_signed
from tests.realservices import MailCollector, ReceivedMail, free_port
from workspaces.models import Role

pytestmark = pytest.mark.django_db

USER, PASSWORD = "news@beans.test", "smtp-News-Secret-9"
SITE = "https://adloop.example"


@dataclass
class FlakyMailbox(MailCollector):
    """Keeps every message; answers 451 once for each address in `defer_once`
    and 550 for each address in `unknown` (at RCPT, as real servers do)."""

    defer_once: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server, session, envelope, address, rcpt_options
    ) -> str:
        if address in self.unknown:
            return "550 5.1.1 No such user"
        if address in self.defer_once:
            self.defer_once.discard(address)
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def to(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.messages if address in m.rcpt_tos]


@dataclass
class Smtp:
    port: int
    cert: Path
    mailbox: FlakyMailbox


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Smtp]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = _self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == USER
            and auth_data.password.decode() == PASSWORD
        )
        # handled=False: aiosmtpd answers 535 itself (True leaves the client
        # waiting for a reply until its timeout).
        return AuthResult(success=ok, handled=False)

    mailbox = FlakyMailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield Smtp(port, cert, mailbox)
    finally:
        controller.stop()


@pytest.fixture
def server(smtp: Smtp, settings, monkeypatch, static_files) -> Smtp:
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp.cert))
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.SITE_URL = SITE
    smtp.mailbox.messages.clear()
    smtp.mailbox.defer_once.clear()
    smtp.mailbox.unknown.clear()
    return smtp


def credentials(port: int, **over: object) -> dict[str, object]:
    return {
        "host": "127.0.0.1",
        "port": port,
        "security": "starttls",
        "username": USER,
        "password": PASSWORD,
        "from_email": USER,
        "from_name": "Beans Weekly",
        "reply_to": "editor@beans.test",
        "rate_per_second": 200,
        **over,
    }


def newsletter_account(port: int, **over: object):
    return ChannelAccountFactory(
        network=Network.EMAIL,
        name="Beans Weekly",
        credentials=credentials(port, **over),
    )


def subscriber(account, email: str, status=SubscriberStatus.CONFIRMED):
    return Subscriber.objects.create(
        workspace=account.workspace,
        account=account,
        email=email,
        status=status,
        unsubscribe_token=f"tok-{email.split('@')[0]}-0123456789abcdef",
    )


def queued_publication(account, text: str = "Fresh beans today.\n\nCome by!"):
    post = PostFactory(
        campaign__workspace=account.workspace,
        body=text,
        topic="Fresh beans this week",
        link="https://beans.example/fresh",
    )
    post.accounts.set([account])
    post.scheduled_at = timezone.now() - timedelta(seconds=1)
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["scheduled_at", "status"])
    [publication] = delivery.publication_create_for_post(post)
    return publication


def run(publication: Publication) -> str:
    delivery.publication_move([publication.pk], to=PS.QUEUED, sources=[PS.SCHEDULED])
    return delivery.publication_publish(publication.pk, task_id="t-mail")


def test_the_registry_serves_the_email_connector() -> None:
    assert isinstance(get_connector("email"), EmailConnector)


def test_only_confirmed_subscribers_get_a_multipart_newsletter(server: Smtp) -> None:
    account = newsletter_account(server.port)
    alice = subscriber(account, "alice@readers.test")
    subscriber(account, "bob@readers.test")
    subscriber(account, "pending@readers.test", SubscriberStatus.PENDING)
    subscriber(account, "gone@readers.test", SubscriberStatus.UNSUBSCRIBED)
    publication = queued_publication(account)

    assert run(publication) == "published"

    recipients = sorted(r for m in server.mailbox.messages for r in m.rcpt_tos)
    assert recipients == ["alice@readers.test", "bob@readers.test"]
    [mail] = server.mailbox.to("alice@readers.test")
    message = mail.message
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "Fresh beans this week"
    assert message["From"] == f"Beans Weekly <{USER}>"
    assert message["Reply-To"] == "editor@beans.test"
    assert message["Message-ID"] == (
        f"<{publication.idempotency_key}.{alice.pk}@beans.test>"
    )
    unsubscribe = f"{SITE}/u/{alice.unsubscribe_token}"
    assert message["List-Unsubscribe"] == (
        f"<{unsubscribe}>, <mailto:editor@beans.test?subject=unsubscribe>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Fresh beans today." in plain and "https://beans.example/fresh" in plain
    assert f"Unsubscribe: {unsubscribe}" in plain
    assert '<a href="https://beans.example/fresh">' in html
    assert f'<a href="{unsubscribe}">Unsubscribe</a>' in html
    publication.refresh_from_db()
    assert publication.status == PS.PUBLISHED
    assert EmailDelivery.objects.filter(publication=publication).count() == 2


def test_the_one_click_unsubscribe_url_from_the_message_works(server: Smtp) -> None:
    account = newsletter_account(server.port)
    reader = subscriber(account, "reader@readers.test")
    assert run(queued_publication(account)) == "published"
    [mail] = server.mailbox.to("reader@readers.test")
    url = re.match(r"<([^>]+)>", mail.message["List-Unsubscribe"]).group(1)  # type: ignore[union-attr]
    path = url.removeprefix(SITE)
    client = Client(enforce_csrf_checks=True)  # a mail client has no CSRF token

    page = client.get(path)  # link scanners GET: nothing happens
    assert page.status_code == 200 and b"Unsubscribe</button>" in page.content
    reader.refresh_from_db()
    assert reader.status == SubscriberStatus.CONFIRMED

    answer = client.post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    reader.refresh_from_db()
    assert reader.status == SubscriberStatus.UNSUBSCRIBED
    assert reader.unsubscribed_at is not None
    server.mailbox.messages.clear()
    assert run(queued_publication(account)) == "published"
    assert server.mailbox.messages == []
    assert client.post("/u/not-a-token").status_code == 404


def test_double_opt_in_through_the_public_pages(
    server: Smtp, django_capture_on_commit_callbacks
) -> None:
    account = newsletter_account(server.port)
    client = Client(enforce_csrf_checks=True)
    form = client.get(f"/newsletter/{account.pk}/subscribe/")
    assert form.status_code == 200
    csrf = form.cookies["csrftoken"].value
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            f"/newsletter/{account.pk}/subscribe/",
            {"email": "New.Reader@Readers.test", "csrfmiddlewaretoken": csrf},
        )
    assert answer.status_code == 200 and b"Check your inbox" in answer.content
    person = Subscriber.objects.get(account=account)
    assert person.status == SubscriberStatus.PENDING
    assert len(person.confirm_token_hash) == 64

    # Pending: the newsletter is not sent to them.
    assert run(queued_publication(account)) == "published"
    [confirmation] = server.mailbox.to("New.Reader@Readers.test")
    assert "List-Unsubscribe" not in confirmation.message
    link = re.search(rf"{SITE}(/newsletter/confirm/\S+/)", confirmation.body)
    assert link is not None
    assert person.confirm_token_hash not in confirmation.body

    assert client.get(link.group(1)).status_code == 200  # a scanner's GET
    person.refresh_from_db()
    assert person.status == SubscriberStatus.PENDING
    page = client.get(link.group(1))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert token is not None
    answer = client.post(
        link.group(1), {"csrfmiddlewaretoken": token.group(1).decode()}
    )
    assert answer.status_code == 200, answer.content
    person.refresh_from_db()
    assert person.status == SubscriberStatus.CONFIRMED
    assert person.confirmed_at is not None and person.confirm_token_hash == ""

    server.mailbox.messages.clear()
    assert run(queued_publication(account)) == "published"
    assert [m.rcpt_tos for m in server.mailbox.messages] == [
        ["New.Reader@Readers.test"]
    ]
    # The same address in other letters: still one subscriber, still confirmed.
    again = newsletter.subscriber_subscribe(
        account=account, email="new.reader@readers.TEST", send=False
    )
    assert again.pk == person.pk and again.status == SubscriberStatus.CONFIRMED


def test_a_forged_or_reused_confirmation_link_is_refused(server: Smtp) -> None:
    account = newsletter_account(server.port)
    person = newsletter.subscriber_subscribe(
        account=account, email="x@readers.test", send=False
    )
    newsletter.subscriber_confirmation_send(subscriber_id=person.pk)
    first = server.mailbox.to("x@readers.test")[0].body
    newsletter.subscriber_confirmation_send(subscriber_id=person.pk)
    with pytest.raises(newsletter.InvalidToken):  # superseded by the second link
        newsletter.subscriber_confirm(token=first.split("/newsletter/confirm/")[1][:-1])
    with pytest.raises(newsletter.InvalidToken):
        newsletter.subscriber_confirm(token="forged")


def test_a_retry_after_a_partial_send_mails_nobody_twice(server: Smtp) -> None:
    account = newsletter_account(server.port)
    readers = [subscriber(account, f"r{i}@readers.test") for i in range(5)]
    server.mailbox.defer_once.add("r3@readers.test")  # 451 halfway through
    publication = queued_publication(account)

    assert run(publication) == "retry"
    publication.refresh_from_db()
    assert publication.error_kind == "transient"
    done = set(
        EmailDelivery.objects.filter(publication=publication).values_list(
            "subscriber__email", flat=True
        )
    )
    assert done == {"r0@readers.test", "r1@readers.test", "r2@readers.test"}

    Publication.objects.filter(pk=publication.pk).update(next_attempt_at=timezone.now())
    assert run(publication) == "published"
    for reader in readers:
        assert len(server.mailbox.to(reader.email)) == 1, reader.email
    ids = [m.message["Message-ID"] for m in server.mailbox.messages]
    assert len(ids) == len(set(ids)) == 5


def test_an_address_the_server_does_not_know_is_marked_bounced(server: Smtp) -> None:
    account = newsletter_account(server.port)
    subscriber(account, "ok@readers.test")
    ghost = subscriber(account, "ghost@readers.test")
    server.mailbox.unknown.add("ghost@readers.test")
    assert run(queued_publication(account)) == "published"
    ghost.refresh_from_db()
    assert ghost.status == SubscriberStatus.BOUNCED
    assert len(server.mailbox.to("ok@readers.test")) == 1


def test_a_wrong_password_is_permanent_and_asks_to_reconnect(server: Smtp) -> None:
    account = newsletter_account(server.port, password="wrong-password")
    subscriber(account, "a@readers.test")
    with pytest.raises(ConnectorError) as caught:
        EmailConnector().check(account)
    assert caught.value.kind == "permanent" and caught.value.reconnect
    assert "wrong-password" not in f"{caught.value.message} {caught.value.detail}"

    publication = queued_publication(account)
    assert run(publication) == "failed"
    publication.refresh_from_db()
    assert "reconnect" in publication.error
    assert server.mailbox.messages == []


def test_a_refused_connection_is_transient(server: Smtp) -> None:
    account = newsletter_account(free_port())  # nothing listens there
    subscriber(account, "a@readers.test")
    with pytest.raises(ConnectorError) as caught:
        EmailConnector().check(account)
    assert caught.value.kind == "transient"
    assert run(queued_publication(account)) == "retry"


def test_check_logs_in_and_send_test_delivers_one_message(server: Smtp) -> None:
    account = newsletter_account(server.port)
    found = EmailConnector().check(account)
    assert found.external_id == USER and found.detail["security"] == "starttls"

    owner = member(account.workspace, Role.OWNER)
    message_id = newsletter.email_send_test(
        account=account, to="me@agency.test", by=owner
    )
    [mail] = server.mailbox.to("me@agency.test")
    assert mail.message["Message-ID"] == message_id
    assert "SMTP settings work" in mail.body
    with pytest.raises(PermissionDenied):
        newsletter.email_send_test(
            account=account,
            to="me@agency.test",
            by=member(account.workspace, Role.EDITOR),
        )


def test_validate_names_missing_settings() -> None:
    account = ChannelAccountFactory(network=Network.EMAIL, credentials={"port": 25})
    request = delivery.build_request(queued_publication(account))
    problems = EmailConnector().validate(request)
    assert problems and "SMTP server" in problems[0] and "sender" in problems[0]
