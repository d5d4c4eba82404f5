"""Outbound calls cannot hold the server: a total deadline across connect, send
and every read, and a cap on the answer's size, in the one HTTP client
(core/http.py), against real slow servers on 127.0.0.1; "Test connection"
answers within its shorter deadline with a clear message."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from connections.models import ChannelAccount, Network
from core import http
from networks import ConnectorError
from networks.apicall import call
from tests.factories import ChannelAccountFactory

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"


@dataclass
class SlowServer:
    """A socket server that answers every connection with `behave(conn)`;
    `sent` counts the bytes it managed to send."""

    behave: Callable[[socket.socket, SlowServer], None]
    sent: int = 0
    port: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def send(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)
        self.sent += len(data)

    def wait(self, seconds: float) -> bool:
        """Sleep; False once the test is over."""
        return not self._stop.wait(seconds)


@pytest.fixture
def slow_server(settings) -> Iterator[Callable[..., SlowServer]]:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    servers: list[tuple[SlowServer, socket.socket]] = []

    def start(behave: Callable[[socket.socket, SlowServer], None]) -> SlowServer:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        server = SlowServer(behave, port=listener.getsockname()[1])

        def serve() -> None:
            while not server._stop.is_set():
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                threading.Thread(target=handle, args=(conn,), daemon=True).start()

        def handle(conn: socket.socket) -> None:
            with conn:
                conn.recv(65536)  # the request (small in these tests)
                with contextlib.suppress(OSError):  # the client gave up: good
                    server.behave(conn, server)

        threading.Thread(target=serve, daemon=True).start()
        servers.append((server, listener))
        return server

    yield start
    for server, listener in servers:
        server._stop.set()
        listener.close()


def dribble_body(conn: socket.socket, server: SlowServer) -> None:
    server.send(conn, HEAD + b"Content-Length: 1000\r\n\r\n")
    while server.wait(0.5):
        server.send(conn, b"x")


def dribble_headers(conn: socket.socket, server: SlowServer) -> None:
    for byte in HEAD:
        if not server.wait(0.5):
            return
        server.send(conn, bytes([byte]))


def headers_then_silence(conn: socket.socket, server: SlowServer) -> None:
    server.send(conn, HEAD + b"Content-Length: 10\r\n\r\nabc")
    server.wait(30)


def _ends_within(seconds: float, action: Callable[[], object]) -> BaseException:
    start = time.monotonic()
    with pytest.raises(http.OutboundError) as caught:
        action()
    took = time.monotonic() - start
    assert took < seconds, f"took {took:.2f} s"
    return caught.value


@pytest.mark.parametrize("behave", [dribble_body, dribble_headers])
def test_a_dribbling_server_is_cut_off_at_the_total_deadline(
    settings, slow_server, behave
) -> None:
    """One byte every 0.5 s never trips the 20 s read timeout; the total
    deadline (1.5 s) ends the call all the same."""
    settings.OUTBOUND_READ_TIMEOUT_SECONDS = 20
    settings.OUTBOUND_TOTAL_TIMEOUT_SECONDS = 1.5
    server = slow_server(behave)
    error = _ends_within(1.5 + 0.8, lambda: http.request("GET", server.url))
    assert isinstance(error, http.DeadlineExceeded)
    assert error.sent is True
    assert error.seconds == pytest.approx(1.5, abs=0.1)
    assert server.sent > 0  # it did answer, only too slowly


def test_a_read_waits_only_what_is_left_of_the_deadline(settings, slow_server) -> None:
    """Headers then silence: httpx's read timeout alone would wait 20 s."""
    settings.OUTBOUND_READ_TIMEOUT_SECONDS = 20
    settings.OUTBOUND_TOTAL_TIMEOUT_SECONDS = 1.0
    server = slow_server(headers_then_silence)
    error = _ends_within(1.0 + 0.5, lambda: http.request("GET", server.url))
    assert isinstance(error, http.DeadlineExceeded)


def test_a_shorter_deadline_context_wins(settings, slow_server) -> None:
    settings.OUTBOUND_TOTAL_TIMEOUT_SECONDS = 60
    server = slow_server(dribble_body)
    with http.deadline(1.0):
        error = _ends_within(1.0 + 0.6, lambda: http.request("GET", server.url))
    assert isinstance(error, http.DeadlineExceeded)


def test_a_fast_answer_is_unaffected(settings, slow_server) -> None:
    settings.OUTBOUND_TOTAL_TIMEOUT_SECONDS = 2

    def quick(conn: socket.socket, server: SlowServer) -> None:
        server.send(conn, HEAD + b"Content-Length: 5\r\n\r\nhello")

    answer = http.request("GET", slow_server(quick).url)
    assert (answer.status, answer.body) == (200, b"hello")


def _endless(declared: bytes) -> Callable[[socket.socket, SlowServer], None]:
    def behave(conn: socket.socket, server: SlowServer) -> None:
        server.send(conn, HEAD + declared + b"\r\n")
        chunk = b"y" * 65536
        while server.sent < 50_000_000 and server.wait(0.001):
            if b"chunked" not in declared:
                server.send(conn, chunk)
            else:  # chunked transfer encoding: no size announced
                server.send(conn, b"%x\r\n" % len(chunk) + chunk + b"\r\n")

    return behave


@pytest.mark.parametrize(
    "declared",
    [b"Content-Length: 50000000\r\n", b"Transfer-Encoding: chunked\r\n"],
    ids=["content-length", "chunked"],
)
def test_an_oversized_answer_is_refused_without_reading_it_all(
    settings, slow_server, declared: bytes
) -> None:
    settings.OUTBOUND_MAX_RESPONSE_BYTES = 200_000
    server = slow_server(_endless(declared))
    error = _ends_within(5, lambda: http.request("GET", server.url))
    assert isinstance(error, http.ResponseTooLarge)
    assert "200000" in str(error)
    time.sleep(0.3)
    assert server.sent < 10_000_000  # far from the 50 MB it would have sent


def test_connectors_say_what_went_wrong(settings, slow_server) -> None:
    settings.OUTBOUND_MAX_RESPONSE_BYTES = 200_000
    settings.OUTBOUND_TOTAL_TIMEOUT_SECONDS = 1
    big = slow_server(_endless(b"Content-Length: 50000000\r\n"))
    with pytest.raises(ConnectorError) as too_big:
        call("GET", big.url, network="Webhook")
    assert too_big.value.kind == "permanent"
    assert "more data than AdLoop accepts" in too_big.value.message
    with pytest.raises(ConnectorError) as posted:
        call("POST", big.url, network="Webhook", content=b"{}", creates_post=True)
    assert posted.value.kind == "ambiguous"  # the post may exist

    slow = slow_server(dribble_body)
    with pytest.raises(ConnectorError) as late:
        call("GET", slow.url, network="Webhook")
    assert late.value.kind == "transient"
    assert "did not finish answering within 1 seconds" in late.value.message


def _slow_webhook(tenant, server: SlowServer) -> ChannelAccount:
    return ChannelAccountFactory(
        workspace=tenant.workspace,
        network=Network.WEBHOOK,
        external_id=server.url,
        credentials={"secret": "s3cret-signing-key-never-shown"},
    )


@pytest.mark.django_db
def test_test_connection_answers_within_its_short_deadline(
    settings, slow_server, tenant, user_client
) -> None:
    settings.OUTBOUND_CHECK_TIMEOUT_SECONDS = 1.5
    settings.OUTBOUND_TOTAL_TIMEOUT_SECONDS = 60
    account = _slow_webhook(tenant, slow_server(dribble_body))
    client = user_client(tenant.admin)
    assert client.get(f"/api/v1/channels/{account.pk}/").status_code == 200  # warm
    start = time.monotonic()
    response = client.post(f"/api/v1/channels/{account.pk}/test/")
    assert time.monotonic() - start < 1.5 + 2.0  # not the 60 s total, nor 500 s
    assert response.status_code == 200, response.content
    assert response.json()["ok"] is False
    message = response.json()["message"]
    assert "did not finish answering within 1.5 seconds" in message
    account.refresh_from_db()
    assert account.last_error == message
    assert account.status == "connected"  # slow is not revoked


@pytest.mark.django_db
def test_test_connection_button_answers_within_its_short_deadline(
    settings, slow_server, tenant, web
) -> None:
    settings.OUTBOUND_CHECK_TIMEOUT_SECONDS = 1.0
    account = _slow_webhook(tenant, slow_server(headers_then_silence))
    client = web(tenant.admin, tenant.workspace)
    assert client.get(reverse("channels")).status_code == 200  # warm
    start = time.monotonic()
    response = client.post(reverse("channel-test", args=[account.pk]), follow=True)
    assert time.monotonic() - start < 1.0 + 3.0  # the read timeout is 20 s
    assert "did not finish answering within 1 seconds" in response.content.decode()


@pytest.mark.django_db
def test_an_oversized_answer_to_test_connection_does_not_take_the_account_out(
    settings, slow_server, tenant, user_client
) -> None:
    """Too much data is the server's problem, not revoked credentials: the
    message is shown and the account stays connected (only a definite refusal,
    `ConnectorError.reconnect`, asks for a reconnect)."""
    settings.OUTBOUND_MAX_RESPONSE_BYTES = 200_000
    account = _slow_webhook(
        tenant, slow_server(_endless(b"Content-Length: 9000000\r\n"))
    )
    response = user_client(tenant.admin).post(f"/api/v1/channels/{account.pk}/test/")
    assert response.status_code == 200, response.content
    assert response.json()["ok"] is False
    assert "more data than AdLoop accepts" in response.json()["message"]
    account.refresh_from_db()
    assert account.status == "connected"


def test_a_slow_name_lookup_is_cut_off_at_the_deadline(settings, monkeypatch) -> None:
    """getaddrinfo has no timeout of its own; a DNS server that never answers
    must not hold the caller past its deadline. (The resolver is the one edge
    replaced here: a real DNS server cannot be made slow from a test.)"""
    settings.OUTBOUND_CONNECT_TIMEOUT_SECONDS = 10
    settings.OUTBOUND_TOTAL_TIMEOUT_SECONDS = 60
    released = threading.Event()
    real = socket.getaddrinfo

    def hanging(host: str, *args, **kw):
        if host == "slow-dns.example":
            released.wait(30)
        return real(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    try:
        with http.deadline(0.8):
            error = _ends_within(
                0.8 + 0.5, lambda: http.request("GET", "https://slow-dns.example/")
            )
        assert isinstance(error, http.DeadlineExceeded)
        assert error.sent is False
        # Without a deadline, the connect timeout bounds the lookup.
        settings.OUTBOUND_CONNECT_TIMEOUT_SECONDS = 0.5
        error = _ends_within(
            0.5 + 0.5, lambda: http.request("GET", "https://slow-dns.example/")
        )
        assert error.sent is False
        assert "took too long" in str(error)
    finally:
        released.set()
