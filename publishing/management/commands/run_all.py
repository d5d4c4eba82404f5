"""`manage.py run_all`: web, worker and scheduler together, for the local demo.

A small supervisor, not a process manager: it starts the three processes the
architecture names, prefixes their output, and stops all of them together.
Ctrl-C or SIGTERM stops them cleanly (SIGTERM to each, SIGKILL after a grace
period); if one of them dies on its own the others are stopped too, with a line
saying which one and how, because a demo silently missing its worker or
scheduler looks like a bug in AdLoop rather than a dead process.

Production runs the same three commands under its own supervisor (systemd,
Kubernetes, ...) instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from types import FrameType
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

COLOURS = {"web": "36", "worker": "35", "scheduler": "33", "run_all": "1"}
_LIBC_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the supervisor itself is killed.

    Without it a `kill -9` of the supervisor leaves the three running, holding
    the port and the queue. Linux only; elsewhere a no-op.
    """
    os.setpgid(0, 0)  # own group: the terminal's Ctrl-C reaches only us
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(_LIBC_PR_SET_PDEATHSIG, signal.SIGTERM)
        except OSError:
            pass


def _gunicorn_extra_flags() -> list[str]:
    """Flags of newer gunicorn releases that keep the demo inside the checkout.

    Recent gunicorn opens a control socket under $HOME by default; the demo should
    not write outside its folder, and nothing here uses the socket.
    """
    from gunicorn.config import KNOWN_SETTINGS

    flags = {flag for setting in KNOWN_SETTINGS for flag in (setting.cli or [])}
    return ["--no-control-socket"] if "--no-control-socket" in flags else []


def _demo_sign_in() -> str:
    """The ready line's end, naming the demo login when the demo is seeded.

    Asked of the demo app's `seed_demo` command by name, not imported: the demo
    sits on top and no app imports it. Without the demo app, nothing.
    """
    from django.core.management import call_command
    from django.db import DatabaseError, connection

    out = io.StringIO()
    try:
        call_command("seed_demo", sign_in=True, stdout=out)
    except (CommandError, DatabaseError):
        return ""
    finally:
        connection.close()  # this thread's; the supervisor needs no other query
    login = out.getvalue().strip()
    return f" and sign in as {login}" if login else ""


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    reader: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Command(BaseCommand):
    help = (
        "Run web (gunicorn), worker (celery) and scheduler together; Ctrl-C stops all."
    )
    # The children run Django's checks themselves; the supervisor needs none.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host", default=os.environ.get("HOST", "127.0.0.1"), help="Web bind host"
        )
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("PORT", "8000"))
        )
        parser.add_argument("--threads", type=int, default=4, help="gunicorn threads")
        parser.add_argument(
            "--concurrency", type=int, default=2, help="celery worker processes"
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=20.0,
            help="Seconds to wait for a clean stop before SIGKILL",
        )

    # --- output ------------------------------------------------------------------

    def _emit(self, name: str, line: bytes) -> None:
        text = line.decode(errors="replace").rstrip("\n")
        prefix = f"{name:>9} | "
        if self._colour:
            prefix = f"\x1b[{COLOURS.get(name, '0')}m{prefix}\x1b[0m"
        with self._lock:
            self._out.write(prefix + text + "\n")
            self._out.flush()

    def _say(self, text: str) -> None:
        self._emit("run_all", text.encode())

    def _pump(self, child: Child, stream: IO[bytes]) -> None:
        for line in iter(stream.readline, b""):
            self._emit(child.name, line)
        stream.close()

    # --- life cycle --------------------------------------------------------------

    def _children(self, options: dict[str, Any]) -> list[Child]:
        py = sys.executable
        bind = f"{options['host']}:{options['port']}"
        return [
            Child(
                "web",
                [
                    *(py, "-m", "gunicorn", "config.wsgi:application"),
                    *("--bind", bind, "--workers", "1"),
                    *("--threads", str(options["threads"])),
                    *("--access-logfile", "-", "--graceful-timeout", "10"),
                    # Token links (password reset, invitations) masked in its log.
                    *("--logger-class", "config.gunicorn_logging.RedactingLogger"),
                    *_gunicorn_extra_flags(),
                ],
            ),
            Child(
                "worker",
                [
                    *(py, "-m", "celery", "-A", "config", "worker"),
                    *("-l", "info", "-c", str(options["concurrency"])),
                    # The demo's one worker also takes image jobs (production
                    # runs `-Q images -c 1` per GPU; settings.CELERY_TASK_ROUTES).
                    *("-Q", "celery,images"),
                ],
            ),
            Child("scheduler", [py, "manage.py", "run_scheduler"]),
        ]

    def _start(self, children: list[Child]) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for child in children:
            child.process = subprocess.Popen(
                child.argv,
                cwd=settings.BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
            self._say(f"started {child.name} (pid {child.process.pid})")
        for child in children:  # readers only after every fork (preexec_fn)
            assert child.process is not None and child.process.stdout is not None
            child.reader = threading.Thread(
                target=self._pump,
                args=(child, child.process.stdout),
                name=f"pump-{child.name}",
                daemon=True,
            )
            child.reader.start()

    def _announce_when_up(self, url: str, timeout: float = 60) -> None:
        """One line once the web process answers, so the URL is not lost in logs.

        Printed only then: a URL shown before anything listens sends a newcomer
        to a browser error. The demo login goes with it when the demo is seeded.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._stopping.is_set():
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 - our own URL
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError:
                time.sleep(0.5)
                continue
            line = f"AdLoop is running: open {settings.SITE_URL}/{_demo_sign_in()}"
            if status != 200:
                line += f"  (health check {url}/healthz answers {status})"
            self._say(line)
            return
        if not self._stopping.is_set():
            self._say(f"web did not answer on {url} within {timeout:.0f} s")

    def _stop(self, children: list[Child], grace: float) -> None:
        for child in children:
            if child.running:
                assert child.process is not None
                self._say(f"stopping {child.name} (pid {child.process.pid})")
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while any(c.running for c in children):
            if time.monotonic() > deadline or self._forced.is_set():
                for child in children:
                    if child.running:
                        assert child.process is not None
                        self._say(f"{child.name} did not stop: killing it")
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(child.process.pid, signal.SIGKILL)
                break
            time.sleep(0.1)
        for child in children:
            assert child.process is not None
            child.process.wait()
            if child.reader is not None:
                child.reader.join(timeout=2)
            # Anything left in the group (a celery pool child, a gunicorn
            # worker) goes with its parent.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.process.pid, signal.SIGKILL)

    def handle(self, *args: Any, **options: Any) -> None:
        self._out = sys.stdout
        self._colour = self._out.isatty() and "NO_COLOR" not in os.environ
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._forced = threading.Event()
        reason: list[str] = []

        def on_signal(signum: int, frame: FrameType | None) -> None:
            if self._stopping.is_set():
                self._forced.set()  # a second Ctrl-C: do not wait any longer
                return
            reason.append(signal.Signals(signum).name)
            self._stopping.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)

        children = self._children(options)
        self._start(children)
        url = f"http://{options['host']}:{options['port']}"
        threading.Thread(
            target=self._announce_when_up, args=(url,), daemon=True
        ).start()

        failed: Child | None = None
        while not self._stopping.is_set():
            failed = next((c for c in children if not c.running), None)
            if failed is not None:
                break
            self._stopping.wait(0.2)
        self._stopping.set()

        if failed is not None:
            assert failed.process is not None
            if failed.reader is not None:
                failed.reader.join(timeout=2)  # its last words before ours
            code = failed.process.returncode
            how = (
                f"was killed by {signal.Signals(-code).name}"
                if code < 0
                else f"exited with code {code}"
            )
            self._say(f"{failed.name} {how}; stopping the others")
        else:
            self._say(f"{reason[0] if reason else 'stop'} received: stopping all")
        self._stop(children, options["grace"])
        codes = ", ".join(
            f"{c.name}={c.process.returncode}" for c in children if c.process
        )
        self._say(f"all stopped ({codes})")
        if failed is not None:
            raise CommandError(f"{failed.name} died; everything was stopped")
