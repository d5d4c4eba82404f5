"""Email newsletter: one message per confirmed subscriber over the account's SMTP.

Credentials (the account's encrypted `credentials` JSON):
- `host`, `port` (default 587), `security`: "starttls" (default), "ssl" (SMTPS,
  usually port 465) or "none" (only for a relay on a trusted network);
- `username`, `password`: SMTP AUTH (both empty: no AUTH);
- `from_email` and `from_name` (or one `from_address`: "Beans Weekly
  <news@beans.example>"), `reply_to` (optional);
- `rate_per_second`: the most messages per second this account may send
  (default 5; providers throttle or block bulk senders that go faster).

Each subscriber gets their own message (their own unsubscribe link), with a
`Message-ID` made from the publication's idempotency key and the subscriber id,
and an `EmailDelivery` row the moment the server accepted it. A retried
publication skips everyone with a row, so a 4xx halfway through, a dropped
connection or a dead worker never mails anyone twice (the one message in flight
when a connection broke is the only one that can repeat, and its Message-ID is
the same, which lets receiving servers drop it). Hence `dedupes=True`.

Every message is multipart/alternative (plain text and HTML) and carries
`List-Unsubscribe` (the one-click URL and a mailto:) and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058). Only
`confirmed` subscribers receive anything (double opt-in: channels/newsletter.py).

Errors: a refused login is permanent and asks to reconnect; a 4xx reply, a
refused or dropped connection is transient; a 5xx for one recipient marks that
subscriber bounced and goes on; any other 5xx is permanent.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, urlize

from channels import http, outbound_urls
from channels.connectors.base import (
    AccountCheck,
    Capabilities,
    ConnectorError,
    PublishRequest,
    PublishResult,
    credentials_of,
)
from channels.connectors.smtp_pinned import open_pinned
from channels.outbound_deadline import deadline, past_deadline

SUBJECT_LIMIT = 78  # what mail clients show; longer subjects are cut with "…"
DEFAULT_RATE = 5.0
SMTP_TIMEOUT_SECONDS = 20
SECURITIES = ("starttls", "ssl", "none")
RECONNECT = (
    "The mail server refused the SMTP username or password; enter them again "
    "in the channel (reconnect)."
)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    username: str
    password: str
    from_address: str
    reply_to: str
    rate_per_second: float

    @property
    def from_domain(self) -> str:
        address = parseaddr(self.from_address)[1]
        return address.rpartition("@")[2] or "adloop.invalid"


def smtp_settings(account: Any) -> SmtpSettings:
    """The account's SMTP settings; a permanent error naming what is missing."""
    raw = credentials_of(account)
    security = str(raw.get("security") or "starttls").lower()
    problems = []
    host = str(raw.get("host") or "").strip()
    from_address = str(raw.get("from_address") or "").strip()
    if not from_address and raw.get("from_email"):
        from_address = formataddr(
            (str(raw.get("from_name") or ""), str(raw["from_email"]).strip())
        )
    if not host:
        problems.append("the SMTP server")
    if "@" not in parseaddr(from_address)[1]:
        problems.append("the sender address")
    if security not in SECURITIES:
        problems.append("the connection security (STARTTLS, SSL or none)")
    try:
        port = int(raw.get("port") or (465 if security == "ssl" else 587))
        rate = float(raw.get("rate_per_second") or DEFAULT_RATE)
    except (TypeError, ValueError):
        problems.append("a valid port and sending rate")
        port, rate = 0, DEFAULT_RATE
    if problems:
        raise ConnectorError(
            "The newsletter channel is missing " + ", ".join(problems) + ".",
            kind="permanent",
        )
    return SmtpSettings(
        host=host,
        port=port,
        security=security,
        username=str(raw.get("username") or ""),
        password=str(raw.get("password") or ""),
        from_address=from_address,
        reply_to=str(raw.get("reply_to") or "").strip(),
        rate_per_second=max(rate, 0.01),
    )


def _error(exc: BaseException, smtp: SmtpSettings) -> ConnectorError:
    """One SMTP failure as a `ConnectorError` (see the module docstring)."""
    detail = http.redact(f"{type(exc).__name__}: {exc}", [smtp.password])[:500]
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return ConnectorError(
            RECONNECT,
            kind="permanent",
            reconnect=True,
            http_status=None,
            detail=detail,
        )
    if isinstance(exc, (smtplib.SMTPException, OSError)) and past_deadline():
        # Test connection's deadline shut the socket (channels.outbound_deadline):
        # whatever smtplib made of the half-read reply, this is why.
        return ConnectorError(
            "The mail server did not finish answering within "
            f"{settings.OUTBOUND_CHECK_TIMEOUT_SECONDS:g} seconds; AdLoop stopped "
            "waiting (the server is slow or overloaded).",
            kind="transient",
            detail=detail,
        )
    if isinstance(exc, http.OutboundError):  # the name lookup ran out of time
        return ConnectorError(
            "The mail server's name could not be looked up in time; trying again.",
            kind="transient",
            detail=detail,
        )
    if isinstance(exc, http.OutboundRefused):
        return ConnectorError(
            outbound_urls.refused("The SMTP server's address"),
            kind="permanent",
            detail=detail,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return ConnectorError(
            "The mail server does not support what the channel asks for "
            "(STARTTLS or login); check the connection security setting.",
            kind="permanent",
            detail=detail,
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ConnectorError(
            "The mail server's TLS certificate could not be verified; check the "
            "server name.",
            kind="permanent",
            detail=detail,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        if 400 <= exc.smtp_code < 500:
            return ConnectorError(
                f"The mail server asked to try later (SMTP {exc.smtp_code}).",
                kind="transient",
                detail=detail,
            )
        return ConnectorError(
            f"The mail server refused the newsletter (SMTP {exc.smtp_code}).",
            kind="permanent",
            detail=detail,
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return ConnectorError(
            "The mail server refused the recipient for now; trying again.",
            kind="transient",
            detail=detail,
        )
    if isinstance(exc, (smtplib.SMTPException, OSError)):
        # Refused, reset or timed-out connections, unknown hosts, TLS breaks.
        return ConnectorError(
            "Could not reach the mail server; trying again.",
            kind="transient",
            detail=detail,
        )
    raise exc


def open_connection(smtp: SmtpSettings) -> EmailBackend:
    """A logged-in SMTP connection (Django's backend: it verifies the server's
    certificate against the system's CAs, or `SSL_CERT_FILE`)."""
    try:
        # Connects to the address that was checked; the name only for TLS.
        return open_pinned(
            smtp.host,
            smtp.port,
            username=smtp.username or None,
            password=smtp.password or None,
            use_tls=smtp.security == "starttls",
            use_ssl=smtp.security == "ssl",
            timeout=http.time_left(SMTP_TIMEOUT_SECONDS),
            fail_silently=False,
        )
    except (
        http.OutboundRefused,
        http.OutboundError,
        smtplib.SMTPException,
        OSError,
    ) as exc:
        raise _error(exc, smtp) from exc


def _close(backend: EmailBackend) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        backend.close()


def unsubscribe_url(token: str) -> str:
    return settings.SITE_URL + reverse("newsletter-unsubscribe", args=[token])


def subject_for(request: PublishRequest) -> str:
    subject = (request.title or request.text.strip().splitlines()[0]).strip()
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - 1].rstrip() + "…"
    return subject


def render_bodies(
    request: PublishRequest, *, unsubscribe: str, audience_name: str
) -> tuple[str, str]:
    """(plain text, HTML) of one newsletter: the copy, the link, the footer."""
    text = request.text.strip()
    link = request.link.strip()
    plain = text
    if link and link not in text:
        plain += f"\n\n{link}"
    plain += (
        f"\n\n-- \nYou receive this because you subscribed to {audience_name}.\n"
        f"Unsubscribe: {unsubscribe}\n"
    )
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    html_parts = [
        "<p>" + urlize(p.strip(), autoescape=True).replace("\n", "<br>\n") + "</p>"
        for p in paragraphs
    ]
    if link and link not in text:
        html_parts.append(f'<p><a href="{escape(link)}">{escape(link)}</a></p>')
    html = (
        '<!doctype html>\n<html><body style="font-family:sans-serif;'
        'line-height:1.5;max-width:40em">\n'
        + "\n".join(html_parts)
        + '\n<hr>\n<p style="font-size:small;color:#666">You receive this because '
        f"you subscribed to {escape(audience_name)}. "
        f'<a href="{escape(unsubscribe)}">Unsubscribe</a></p>\n</body></html>\n'
    )
    return plain, html


def build_message(
    request: PublishRequest, smtp: SmtpSettings, *, to: str, token: str, key: str
) -> EmailMultiAlternatives:
    """One subscriber's newsletter. `key` makes the Message-ID (stable per try)."""
    unsubscribe = unsubscribe_url(token)
    mailto = parseaddr(smtp.reply_to or smtp.from_address)[1]
    plain, html = render_bodies(
        request,
        unsubscribe=unsubscribe,
        audience_name=getattr(request.account, "name", "") or "this newsletter",
    )
    message = EmailMultiAlternatives(
        subject=subject_for(request),
        body=plain,
        from_email=smtp.from_address,
        to=[to],
        reply_to=[smtp.reply_to] if smtp.reply_to else None,
        headers={
            "Message-ID": f"<{key}@{smtp.from_domain}>",
            "List-Unsubscribe": (
                f"<{unsubscribe}>, <mailto:{mailto}?subject=unsubscribe>"
            ),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Precedence": "bulk",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


class _Pace:
    """At most `rate` sends per second from this loop (one publication's send)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next_at = time.monotonic()

    def wait(self) -> None:
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


class EmailConnector:
    key = "email"
    capabilities = Capabilities(
        text_limit=None, max_images=0, link_cards=False, dedupes=True, lookup=False
    )

    def validate(self, request: PublishRequest) -> list[str]:
        problems = []
        try:
            smtp_settings(request.account)
        except ConnectorError as exc:
            problems.append(exc.message)
        if not request.text.strip():
            problems.append("The newsletter has no text.")
        return problems

    def publish(self, request: PublishRequest) -> PublishResult:
        from channels.models import EmailDelivery, Subscriber, SubscriberStatus

        problems = self.validate(request)
        if problems:
            raise ConnectorError(" ".join(problems), kind="permanent")
        smtp = smtp_settings(request.account)
        sent = set(
            EmailDelivery.objects.filter(
                publication_id=request.publication_id
            ).values_list("subscriber_id", flat=True)
        )
        audience = [
            s
            for s in Subscriber.objects.filter(
                account=request.account, status=SubscriberStatus.CONFIRMED
            ).order_by("pk")
            if s.pk not in sent
        ]
        delivered = len(sent)
        if audience:
            delivered += self._send_all(request, smtp, audience)
        return PublishResult(
            external_id=f"{request.idempotency_key}:{delivered}"[:500],
            url="",
            http_status=None,
        )

    def _send_all(
        self, request: PublishRequest, smtp: SmtpSettings, audience: list[Any]
    ) -> int:
        from channels.models import EmailDelivery, Subscriber, SubscriberStatus

        backend = open_connection(smtp)
        pace = _Pace(smtp.rate_per_second)
        count = 0
        try:
            for subscriber in audience:
                key = f"{request.idempotency_key}.{subscriber.pk}"
                message = build_message(
                    request,
                    smtp,
                    to=subscriber.email,
                    token=subscriber.unsubscribe_token,
                    key=key,
                )
                pace.wait()
                try:
                    backend.send_messages([message])
                except smtplib.SMTPRecipientsRefused as exc:
                    codes = [code for code, _ in exc.recipients.values()]
                    if codes and all(code >= 500 for code in codes):
                        # The address does not exist (any more): stop mailing it.
                        Subscriber.objects.filter(pk=subscriber.pk).update(
                            status=SubscriberStatus.BOUNCED
                        )
                        continue
                    raise
                EmailDelivery.objects.get_or_create(
                    publication_id=request.publication_id,
                    subscriber=subscriber,
                    defaults={
                        "message_id": message.extra_headers["Message-ID"],
                        "sent_at": timezone.now(),
                    },
                )
                count += 1
        except (smtplib.SMTPException, OSError) as exc:
            raise _error(exc, smtp) from exc
        finally:
            _close(backend)
        return count

    def check(self, account: Any) -> AccountCheck:
        """Connect, STARTTLS (or SSL), log in and NOOP: the "Test connection"."""
        smtp = smtp_settings(account)
        backend = open_connection(smtp)
        try:
            assert backend.connection is not None
            code, _ = backend.connection.noop()
            if code != 250:
                raise smtplib.SMTPResponseException(code, b"NOOP refused")
        except (smtplib.SMTPException, OSError) as exc:
            raise _error(exc, smtp) from exc
        finally:
            _close(backend)
        return AccountCheck(
            external_id=parseaddr(smtp.from_address)[1],
            name=smtp.from_address,
            detail={"host": smtp.host, "port": smtp.port, "security": smtp.security},
        )

    def send_test(self, account: Any, *, to: str) -> str:
        """Send one test message to `to` with the account's settings; its
        Message-ID. Raises `ConnectorError` as `publish` would. A person
        waits for it: it ends within OUTBOUND_CHECK_TIMEOUT_SECONDS."""
        with deadline(settings.OUTBOUND_CHECK_TIMEOUT_SECONDS):
            return self._send_test(account, to=to)

    def _send_test(self, account: Any, *, to: str) -> str:
        smtp = smtp_settings(account)
        backend = open_connection(smtp)
        message = EmailMultiAlternatives(
            subject=f"Test message from {getattr(account, 'name', 'AdLoop')}",
            body=(
                "This is a test from AdLoop: the newsletter channel's SMTP "
                "settings work.\n"
            ),
            from_email=smtp.from_address,
            to=[to],
            reply_to=[smtp.reply_to] if smtp.reply_to else None,
            headers={
                "Message-ID": f"<test-{socket.gethostname()}-{time.time_ns()}"
                f"@{smtp.from_domain}>"
            },
        )
        try:
            backend.send_messages([message])
        except (smtplib.SMTPException, OSError) as exc:
            raise _error(exc, smtp) from exc
        finally:
            _close(backend)
        return message.extra_headers["Message-ID"]
