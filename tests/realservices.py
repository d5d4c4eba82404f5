"""Real services for tests: an SMTP server and a Celery worker.

Both are session-scoped (started once, a second or two each). `tests/conftest.py`
registers these fixtures once for the whole suite, so the integration and the
browser tests share one worker and one SMTP server (two workers on one queue
would take each other's tasks): request `celery_worker` to have tasks executed
by a real `celery -A config worker` process, `smtp_server` to read what it
mailed. The worker's log is attached to the report of any test that fails while
using it (`attach_worker_log`).
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.conf import settings

from tests import testenv
from tests.integration.procs import PYTHON, ROOT, child_env, wait_until

WORKER_START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- SMTP --------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


@dataclass
class MailCollector:
    """aiosmtpd handler keeping every message, with a bounded wait for one."""

    messages: list[ReceivedMail] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        with self._lock:
            self.messages.append(
                ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message)  # type: ignore[arg-type]
            )
        return "250 Message accepted for delivery"

    def wait_for(
        self, predicate: Callable[[ReceivedMail], bool], *, timeout: float = 30.0
    ) -> ReceivedMail | None:
        def find() -> ReceivedMail | None:
            with self._lock:
                return next((m for m in self.messages if predicate(m)), None)

        return wait_until(find, timeout=timeout)  # type: ignore[return-value]


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: MailCollector


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd, in-process) on a free port of 127.0.0.1."""
    from aiosmtpd.controller import Controller

    mailbox = MailCollector()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()


# --- Celery worker -------------------------------------------------------------


@dataclass
class CeleryWorker:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def assert_running(self) -> None:
        code = self.process.poll()
        assert code is None, f"celery worker exited with {code}:\n{self.log()}"


def _flush_broker() -> None:
    """Start from an empty queue: a message left by an earlier run is not ours."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("redis"):
        import redis

        redis.Redis.from_url(url).flushdb()
    elif url == "filesystem://":
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for key in ("data_folder_in", "data_folder_out"):
            for leftover in Path(options[key]).glob("*"):
                if leftover.is_file():
                    leftover.unlink()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Warm shutdown by pid (SIGTERM), then SIGKILL if it does not go."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: None,
    smtp_server: SmtpServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CeleryWorker]:
    """A real `celery -A config worker` on the test database, broker and SMTP server.

    Tests that use it need committed data (`transactional_db`): the worker is
    another process and sees only what was committed.
    """
    if testenv.CI and not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.fail("CI=true: the integration worker must run on Redis")
    _flush_broker()
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    env = child_env(
        EMAIL_HOST=smtp_server.host,
        EMAIL_PORT=str(smtp_server.port),
        EMAIL_USE_TLS="false",
        EMAIL_TIMEOUT="10",
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                # The default queue and the images queue (uploads' renditions).
                "-Q",
                "celery,images",
                "--pool=solo",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"adloop-test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = CeleryWorker(process, log_path)
    try:
        ready = wait_until(
            lambda: process.poll() is not None or " ready." in worker.log(),
            timeout=WORKER_START_TIMEOUT,
        )
        worker.assert_running()
        assert ready, f"celery worker not ready after {WORKER_START_TIMEOUT}s:\n" + (
            worker.log()
        )
        yield worker
    finally:
        _stop(process)


def attach_worker_log(item: pytest.Item, report: pytest.TestReport) -> None:
    worker = getattr(item, "funcargs", {}).get("celery_worker")
    if report.failed and isinstance(worker, CeleryWorker):
        report.sections.append(("celery worker log", worker.log()[-20_000:]))
