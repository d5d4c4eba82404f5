"""The email connector: `validate`, `publish` (one message per confirmed
subscriber, paced, each recorded in the request's store the moment the server
accepted it), `check` and a test message."""

from __future__ import annotations

import smtplib
import socket
import time
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from core.outbound_deadline import deadline
from networks.base import (
    AccountCheck,
    Capabilities,
    ConnectorError,
    ConnectorStore,
    PublishRequest,
    PublishResult,
    Recipient,
)
from networks.email.message import build_message
from networks.email.smtp import (
    SmtpSettings,
    close_connection,
    open_connection,
    smtp_error,
    smtp_settings,
)


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
        problems = self.validate(request)
        if problems:
            raise ConnectorError(" ".join(problems), kind="permanent")
        smtp = smtp_settings(request.account)
        delivered, audience = request.store.newsletter_audience(
            request.publication_id, request.account.pk
        )
        if audience:
            delivered += self._send_all(request, smtp, audience)
        return PublishResult(
            external_id=f"{request.idempotency_key}:{delivered}"[:500],
            url="",
            http_status=None,
        )

    def _send_all(
        self, request: PublishRequest, smtp: SmtpSettings, audience: list[Recipient]
    ) -> int:
        backend = open_connection(smtp)
        pace = _Pace(smtp.rate_per_second)
        count = 0
        try:
            for subscriber in audience:
                key = f"{request.idempotency_key}.{subscriber.id}"
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
                        request.store.newsletter_bounced(subscriber.id)
                        continue
                    raise
                request.store.newsletter_delivered(
                    request.publication_id,
                    subscriber.id,
                    str(message.extra_headers["Message-ID"]),
                )
                count += 1
        except (smtplib.SMTPException, OSError) as exc:
            raise smtp_error(exc, smtp) from exc
        finally:
            close_connection(backend)
        return count

    def check(
        self, account: Any, *, store: ConnectorStore | None = None
    ) -> AccountCheck:
        """Connect, STARTTLS (or SSL), log in and NOOP: the "Test connection"."""
        smtp = smtp_settings(account)
        backend = open_connection(smtp)
        try:
            assert backend.connection is not None
            code, _ = backend.connection.noop()
            if code != 250:
                raise smtplib.SMTPResponseException(code, b"NOOP refused")
        except (smtplib.SMTPException, OSError) as exc:
            raise smtp_error(exc, smtp) from exc
        finally:
            close_connection(backend)
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
            raise smtp_error(exc, smtp) from exc
        finally:
            close_connection(backend)
        return str(message.extra_headers["Message-ID"])
