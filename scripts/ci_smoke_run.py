"""CI's proof that the README's run command works: `bin/run` as a newcomer runs it.

.ci/run calls this in its fresh clone before the test command. Standard library
only: it runs before the project's virtual environment exists (bin/run makes it,
with only the extras bin/run installs, so a dependency that only the test extras
bring in fails here).

  1. start `bin/run` on a free port, as a newcomer would (no AdLoop settings in
     the environment: the embedded database, broker and var/);
  2. wait, bounded, for the one "AdLoop is running: open URL and sign in as
     EMAIL / PASSWORD" line, and for the URL to answer;
  3. sign in with that login through the real form (CSRF token, POST /login/)
     and check the dashboard answers 200 signed in, not a redirect to /login/;
  4. stop it with SIGINT, as Ctrl-C does, and check that web, worker, scheduler
     and every process under them are gone;
  5. check the checkout is as clean as before: everything the run writes is
     under var/ (ignored by git).

Any failure prints what went wrong and the tail of the run's log, and exits 1.

  python3 scripts/ci_smoke_run.py [--start-timeout 600] [--stop-timeout 60]
"""

from __future__ import annotations

import argparse
import contextlib
import html.parser
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY = re.compile(
    r"AdLoop is running: open (?P<url>\S+?)/? and sign in as (?P<email>\S+) / "
    r"(?P<password>\S+)"
)
STARTED = re.compile(r"started (?P<name>web|worker|scheduler) \(pid (?P<pid>\d+)\)")
# Settings a developer's shell may carry that would make this run differ from a
# newcomer's (another database, broker or var/, or the images extra).
NOT_A_NEWCOMERS = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "ADLOOP_VAR_DIR",
    "DJANGO_SETTINGS_MODULE",
    "SITE_URL",
    "DEBUG",
    "IMAGE_MODEL",
    "DEMO_PASSWORD",
    "VIRTUAL_ENV",
    "PYTHONPATH",
)


class SmokeFailure(Exception):
    """The run command did not do what the README says."""


def say(text: str) -> None:
    print(f"ci-smoke: {text}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def git_status() -> str:
    """Untracked and changed files, ignored ones (var/, .venv/) left out."""
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def descendants(pid: int) -> set[int]:
    """Every process under `pid` now (Linux /proc), found by parent links."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is gone for our purpose: it holds no port or queue
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class FormFields(html.parser.HTMLParser):
    """The named inputs of the page's forms (the CSRF token among them)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            named = dict(attrs)
            if named.get("name"):
                self.fields[named["name"] or ""] = named.get("value") or ""


class Browser:
    """Cookies and redirects, as a browser keeps them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def open(
        self, path: str, data: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(  # noqa: S310 - our own local URL
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl(), exc.read().decode(errors="replace")


def wait_for_ready(
    process: subprocess.Popen[bytes], log: Path, timeout: float
) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SmokeFailure(f"bin/run exited with code {process.returncode}")
        match = READY.search(log.read_text(errors="replace"))
        if match:
            return match
        time.sleep(1)
    raise SmokeFailure(f"no 'AdLoop is running' line within {timeout:.0f} s")


def sign_in(url: str, email: str, password: str) -> None:
    browser = Browser(url)
    status, _, page = browser.open("/login/")
    if status != 200:
        raise SmokeFailure(f"GET /login/ answered {status}")
    form = FormFields()
    form.feed(page)
    if "csrfmiddlewaretoken" not in form.fields:
        raise SmokeFailure("the sign-in page has no CSRF token")
    login_field = "username" if "username" in form.fields else "email"
    status, landed, page = browser.open(
        "/login/",
        {
            "csrfmiddlewaretoken": form.fields["csrfmiddlewaretoken"],
            login_field: email,
            "password": password,
        },
    )
    path = urllib.parse.urlsplit(landed).path
    if status != 200 or path.startswith("/login/"):
        raise SmokeFailure(
            f"signing in as {email} landed on {path} ({status}), not signed in"
        )
    status, landed, page = browser.open("/")
    path = urllib.parse.urlsplit(landed).path
    if status != 200 or path.startswith("/login/"):
        raise SmokeFailure(f"the dashboard answered {status} at {path} after sign-in")
    if "/logout/" not in page:
        raise SmokeFailure("the dashboard shows no sign-out: not signed in")
    say(f"signed in as {email}; the dashboard ({path}) answers 200")


def stop(
    process: subprocess.Popen[bytes], pids: dict[str, int], timeout: float
) -> None:
    """SIGINT, as Ctrl-C in the terminal; then nothing may be left running."""
    tree = descendants(process.pid) | set(pids.values())
    say(f"SIGINT to bin/run (pid {process.pid}); {len(tree)} processes under it")
    process.send_signal(signal.SIGINT)
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SmokeFailure(f"bin/run did not stop within {timeout:.0f} s") from None
    left = {pid for pid in tree if alive(pid)}
    named = {name: pid for name, pid in pids.items() if pid in left}
    if left:
        raise SmokeFailure(
            f"still running after stop: {sorted(left)}"
            + (f" ({', '.join(f'{n} {p}' for n, p in named.items())})" if named else "")
        )
    if code != 0:
        raise SmokeFailure(f"bin/run exited with code {code} on SIGINT")
    say(f"stopped: web, worker and scheduler ({sorted(pids.values())}) are gone")


def kill_everything(process: subprocess.Popen[bytes], pids: dict[str, int]) -> None:
    """After a failure: leave nothing running behind CI.

    run_all starts each child in its own process group (a gunicorn worker, the
    celery pool go with it), and bin/run runs in its own.
    """
    for group in [*pids.values(), process.pid]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
    process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-timeout", type=float, default=600.0)
    parser.add_argument("--stop-timeout", type=float, default=60.0)
    args = parser.parse_args()

    if (ROOT / ".venv").exists():
        say(
            "note: .venv exists already; only a fresh clone proves that bin/run "
            "installs what it needs"
        )
    before = git_status()
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="adloop-ci-smoke-")) / "bin-run.log"
    env = {k: v for k, v in os.environ.items() if k not in NOT_A_NEWCOMERS}
    env.update(PORT=str(port), NO_COLOR="1")
    say(f"bin/run on port {port} (the first run installs the core dependencies)")
    say(f"its log: {log}")
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bin/run"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, as a terminal's job is
        )
    pids: dict[str, int] = {}
    try:
        ready = wait_for_ready(process, log, args.start_timeout)
        shown = ready.group(0).replace(ready["password"], "***")
        say(f"ready after {time.monotonic() - started:.0f} s: {shown!r}")
        pids = {m["name"]: int(m["pid"]) for m in STARTED.finditer(log.read_text())}
        if set(pids) != {"web", "worker", "scheduler"}:
            raise SmokeFailure(f"expected web, worker and scheduler; started {pids}")
        expected = f"http://127.0.0.1:{port}"
        if ready["url"].rstrip("/") != expected:
            raise SmokeFailure(f"it names {ready['url']}, not {expected}")
        sign_in(expected, ready["email"], ready["password"])
        stop(process, pids, args.stop_timeout)
        after = git_status()
        if after != before:
            raise SmokeFailure(
                "the run wrote into the checkout (everything belongs under var/):\n"
                + after
            )
        say("the checkout is as clean as before the run")
    except SmokeFailure as failure:
        kill_everything(process, pids)
        tail = log.read_text(errors="replace").splitlines()[-60:]
        print("\n".join(["", "---- bin/run log (last 60 lines) ----", *tail]))
        say(f"FAILED: {failure}")
        return 1
    say(f"the run command works ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
