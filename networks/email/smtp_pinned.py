"""SMTP to the address that was checked, not to whatever the name resolves to
next.

`core.http.resolve()` checks every address the SMTP host name resolves to.
smtplib would then resolve the name again to connect, so a DNS answer that
changes in between (a short TTL, a rebinding attack) could reach an internal
address. Here the socket goes to the checked address; the name stays smtplib's
`_host`, which it uses only for TLS: the SNI and the certificate check of
STARTTLS and of SMTPS (`server_hostname=self._host`).

Under `core.http.deadline()` (Test connection) the socket is also shut down
when the deadline passes, since smtplib's timeout applies per read.
"""

from __future__ import annotations

import smtplib
import socket
from typing import Any

from django.core.mail.backends.smtp import EmailBackend

from core import http


class _PinnedMixin:
    """Connects to `address` (checked) while `_host` keeps the name."""

    _address: str = ""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # smtplib's own connect, to the checked address: SMTP_SSL wraps the
        # result with server_hostname=self._host (the name), as STARTTLS does.
        sock: socket.socket = super()._get_socket(  # type: ignore[misc]  # undocumented smtplib method, absent from typeshed
            self._address or host, port, timeout
        )
        http.shutdown_at_deadline(sock)
        return sock


class PinnedSMTP(_PinnedMixin, smtplib.SMTP):
    def __init__(self, host: str, port: int, *, address: str, **kw: Any) -> None:
        self._address = address
        super().__init__(host, port, **kw)


class PinnedSMTPSSL(_PinnedMixin, smtplib.SMTP_SSL):
    def __init__(self, host: str, port: int, *, address: str, **kw: Any) -> None:
        self._address = address
        super().__init__(host, port, **kw)


class PinnedEmailBackend(EmailBackend):
    """Django's SMTP backend (its TLS context, login and sending), connected to
    `address`; `host` is the name used for TLS."""

    def __init__(self, *, address: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.address = address

    @property
    def connection_class(self) -> Any:
        cls = PinnedSMTPSSL if self.use_ssl else PinnedSMTP

        def connect(host: str, port: int, **kw: Any) -> smtplib.SMTP:
            return cls(host, port, address=self.address, **kw)

        return connect


def open_pinned(host: str, port: int, **kw: Any) -> PinnedEmailBackend:
    """An open, logged-in connection to the first address `host` resolves to,
    after every one of them was checked (`core.http.resolve`: refused with
    `OutboundRefused` when one is private, unless allowed)."""
    address = http.resolve(host, port)[0]
    backend = PinnedEmailBackend(address=address, host=host, port=port, **kw)
    backend.open()
    return backend
