"""The SMTP side of the email connector: the account's settings, a logged-in
connection to the address that was checked, and the `ConnectorError` for an
SMTP failure."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend

from core import http, outbound_urls
from core.outbound_deadline import past_deadline
from networks.base import ConnectorError, credentials_of
from networks.email.smtp_pinned import open_pinned

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


def smtp_error(exc: BaseException, smtp: SmtpSettings) -> ConnectorError:
    """One SMTP failure as a `ConnectorError` (see the package docstring)."""
    # One piece: an ordered ladder in which the first matching type wins
    # (smtplib's subclasses before their bases, the deadline before OSError).
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
        # Test connection's deadline shut the socket (core.outbound_deadline):
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
        raise smtp_error(exc, smtp) from exc


def close_connection(backend: EmailBackend) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        backend.close()
