"""The SMTP connector connects to the address it checked, never to a second DNS
answer (rebinding), and uses the host name only for TLS: the SNI and the
certificate check of STARTTLS and SMTPS still verify the name."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connections.models import Network
from networks import ConnectorError
from networks.email.connector import EmailConnector
from tests.factories import ChannelAccountFactory
from tests.realservices import MailCollector, free_port

pytestmark = [
    pytest.mark.django_db,
    # SMTPS: TLS from the first byte, which aiosmtpd does not count as "TLS".
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]

NAME = "smtp.rebind.test"
PUBLIC = "93.184.216.34"
USER, PASSWORD = "news@beans.test", "smtp-Pinned-Secret-7"
REAL_GETADDRINFO = socket.getaddrinfo


def _account(port: int, security: str = "starttls", **kw: object):
    return ChannelAccountFactory(
        **kw,
        network=Network.EMAIL,
        credentials={
            "host": NAME,
            "port": port,
            "security": security,
            "username": USER,
            "password": PASSWORD,
            "from_email": USER,
        },
    )


def _answers(*addresses: str):
    """A resolver for NAME that gives each address in turn (the last one after
    that); other names resolve as usual. `asked` counts its answers."""
    queue = list(addresses)

    def getaddrinfo(host, port, *args, **kw):
        if host != NAME:
            return REAL_GETADDRINFO(host, port, *args, **kw)
        getaddrinfo.asked += 1  # type: ignore[attr-defined]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    getaddrinfo.asked = 0  # type: ignore[attr-defined]
    return getaddrinfo


def test_a_dns_answer_that_changes_after_the_check_does_not_reach_loopback(
    monkeypatch,
) -> None:
    """Public during the check, 127.0.0.1 afterwards: the connection still goes
    to the public address that was checked, never to loopback."""
    resolver = _answers(PUBLIC, "127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    targets: list[tuple[str, int]] = []

    def create_connection(address, *args, **kw):
        host, port = address
        # What a plain connect by name would do: resolve again.
        resolved = resolver(host, port)[0][4][0] if host == NAME else host
        targets.append((resolved, port))
        raise ConnectionRefusedError("not in tests")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(ConnectorError) as failed:
        EmailConnector().check(_account(587))
    assert failed.value.kind == "transient"  # it could not connect
    assert targets == [(PUBLIC, 587)]
    assert resolver.asked == 1  # checked once, never asked again


def test_a_private_answer_at_the_check_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _answers("10.0.0.7"))
    with pytest.raises(ConnectorError) as refused:
        EmailConnector().check(_account(587))
    assert refused.value.kind == "permanent"
    assert "private or loopback" in refused.value.message


def _cert(folder: Path, name: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture(params=["starttls", "ssl"])
def tls_server(
    request, tmp_path: Path, monkeypatch, settings
) -> Iterator[tuple[int, str, Path]]:
    """A TLS SMTP server on 127.0.0.1 whose certificate names only NAME (not
    the IP address), trusted through SSL_CERT_FILE; NAME resolves to it."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    security = request.param
    cert, key = _cert(tmp_path, NAME)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == (
            PASSWORD
        )
        return AuthResult(success=ok, handled=False)

    port = free_port()
    options = (
        {"tls_context": context, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": context}
    )
    controller = Controller(
        MailCollector(),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=security == "starttls",
        **options,
    )
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setattr(socket, "getaddrinfo", _answers("127.0.0.1"))
    settings.OUTBOUND_ALLOW_PRIVATE = True
    try:
        yield port, security, cert
    finally:
        controller.stop()


def test_tls_still_verifies_the_host_name(tls_server) -> None:
    """Connected to 127.0.0.1, the certificate made for NAME is accepted: the
    TLS handshake used the name, not the address."""
    port, security, _ = tls_server
    found = EmailConnector().check(_account(port, security))
    assert found.detail == {"host": NAME, "port": port, "security": security}


def test_a_certificate_for_another_name_is_refused(tls_server, monkeypatch) -> None:
    """The same server under another name that resolves to it: the
    certificate does not match, so the check says so."""
    port, security, _ = tls_server
    other = "other.rebind.test"
    resolver = _answers("127.0.0.1")

    def getaddrinfo(host, port_, *args, **kw):
        return resolver(NAME if host == other else host, port_, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    account = _account(port, security)
    account.credentials = {**account.credentials, "host": other}
    account.save()
    with pytest.raises(ConnectorError) as refused:
        EmailConnector().check(account)
    assert "certificate could not be verified" in refused.value.message


def _dribbling_smtp() -> tuple[socket.socket, threading.Event]:
    """An SMTP server that greets one byte every 0.3 s (never a per-read
    timeout: a byte always comes)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                for byte in b"220 slow.example ESMTP ready\r\n" * 50:
                    if stop.wait(0.3):
                        return
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break

    threading.Thread(target=serve, daemon=True).start()
    return listener, stop


def test_test_connection_to_a_slow_smtp_server_ends_at_its_deadline(
    monkeypatch, settings, tenant, user_client
) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.OUTBOUND_CHECK_TIMEOUT_SECONDS = 1
    monkeypatch.setattr(socket, "getaddrinfo", _answers("127.0.0.1"))
    listener, stop = _dribbling_smtp()
    account = _account(listener.getsockname()[1], "none", workspace=tenant.workspace)
    client = user_client(tenant.admin)
    assert client.get(f"/api/v1/channels/{account.pk}/").status_code == 200  # warm
    try:
        start = time.monotonic()
        answer = client.post(f"/api/v1/channels/{account.pk}/test/")
        assert time.monotonic() - start < 1 + 2.0  # SMTP's timeout is 20 s a read
        assert answer.json()["ok"] is False
        assert "did not finish answering within 1 seconds" in answer.json()["message"]
        with pytest.raises(ConnectorError) as late:  # the "Send test" button too
            EmailConnector().send_test(account, to="someone@example.com")
        assert "did not finish answering" in late.value.message
        assert time.monotonic() - start < 2 * (1 + 2.0)
    finally:
        stop.set()
        listener.close()


def test_connects_to_an_ipv6_checked_address_too(monkeypatch) -> None:
    """The pinned address may be IPv6; it is what the socket is opened to."""
    public6 = str(ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946"))

    def getaddrinfo(host, port, *args, **kw):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (public6, port, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    targets: list[tuple[str, int]] = []

    def create_connection(address, *args, **kw):
        targets.append(address)
        raise ConnectionRefusedError("not in tests")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(ConnectorError):
        EmailConnector().check(_account(465, "ssl"))
    assert targets == [(public6, 465)]
