"""The local supervisor (`manage.py run_all`, what bin/run ends in), for real."""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from demo.management.commands.seed_demo import DEMO_EMAIL
from tests.factories import UserFactory
from tests.integration.procs import PYTHON, ROOT, child_env, wait_until
from tests.realservices import free_port

pytestmark = pytest.mark.integration


def _get(url: str) -> tuple[int, bytes] | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return None


def _start(port: int, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, "manage.py", "run_all", "--port", str(port), "--concurrency", "1"],
        cwd=ROOT,
        env=child_env(SCHEDULER_HEARTBEAT_SECONDS="1", **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _child_pids(output: str) -> dict[str, int]:
    return {
        name: int(pid)
        for name, pid in re.findall(r"started (\w+) \(pid (\d+)\)", output)
    }


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _finish(process: subprocess.Popen[str], timeout: float = 40) -> str:
    try:
        return process.communicate(timeout=timeout)[0]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_run_all_serves_health_and_stops_all_three_on_sigint(
    transactional_db: None,
) -> None:
    port = free_port()
    process = _start(port)
    try:
        answer = wait_until(
            lambda: (
                process.poll() is not None or _get(f"http://127.0.0.1:{port}/healthz")
            ),
            timeout=40,
            interval=0.3,
        )
        assert process.poll() is None, _finish(process)
        assert isinstance(answer, tuple), "web did not answer within 40 s"
        status, body = answer
        assert status == 200, body
        assert json.loads(body)["checks"]["broker"]["ok"] is True
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    output = _finish(process)
    assert process.returncode == 0, output
    codes = dict(re.findall(r"(\w+)=(-?\d+)", output.rsplit("all stopped", 1)[-1]))
    # 0, or -15 for a process still booting when our SIGTERM came: both clean.
    assert set(codes) == {"web", "worker", "scheduler"}, output
    assert all(int(code) in (0, -signal.SIGTERM) for code in codes.values()), output
    pids = _child_pids(output)
    assert set(pids) == {"web", "worker", "scheduler"}, output
    assert all(_gone(pid) for pid in pids.values()), output


def test_run_all_stops_the_others_when_one_dies(transactional_db: None) -> None:
    port = free_port()
    process = _start(port)
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:  # until all three have started
            lines.append(line)
            if len(_child_pids("".join(lines))) == 3:
                break
        pids = _child_pids("".join(lines))
        assert len(pids) == 3, "".join(lines)
        os.kill(pids["scheduler"], signal.SIGKILL)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    output = "".join(lines) + _finish(process)
    assert process.returncode != 0, output
    assert "scheduler was killed by SIGKILL; stopping the others" in output
    assert all(_gone(pid) for pid in pids.values()), output


def _smoke_script() -> Any:
    """scripts/ci_smoke_run.py (a script, not a package), loaded by path."""
    path = ROOT / "scripts" / "ci_smoke_run.py"
    spec = importlib.util.spec_from_file_location("ci_smoke_run", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """The supervisor's output line by line (None at its end), read in a thread."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _read_until(
    lines: queue.Queue[str | None], seen: list[str], pattern: str, timeout: float
) -> bool:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            return False
        if line is None:
            return False
        seen.append(line)
        if re.search(pattern, line):
            return True
    return False


def test_run_all_prints_url_and_login_once_the_web_answers_and_writes_only_under_var(
    transactional_db: None, tmp_path: Path
) -> None:
    """What bin/run ends in, on its embedded broker: the one "open" line comes when
    the web answers, with the demo login; the broker's folders (its `control/`
    too) are made under ADLOOP_VAR_DIR, never in the checkout."""
    UserFactory(email=DEMO_EMAIL)
    var = tmp_path / "var"
    before = set(os.listdir(ROOT))
    port = free_port()
    process = _start(
        port,
        CELERY_BROKER_URL="filesystem://",
        CELERY_RESULT_BACKEND="",
        ADLOOP_VAR_DIR=str(var),
        SITE_URL=f"http://127.0.0.1:{port}",
        DEMO_PASSWORD="a-demo-password",
    )
    seen: list[str] = []
    try:
        lines = _lines(process)
        announced = _read_until(lines, seen, r"AdLoop is running", timeout=60)
        assert announced, "".join(seen)
        # Said only once the server answers: it answers at once.
        answer = _get(f"http://127.0.0.1:{port}/healthz")
        assert answer is not None and answer[0] == 200, answer
        ready = r"celery@\S+ ready"
        worker_ready = any(re.search(ready, line) for line in seen) or _read_until(
            lines, seen, ready, timeout=60
        )
        assert worker_ready, "".join(seen)
        exchanges = wait_until(
            lambda: list((var / "celery" / "control").glob("*.exchange")), timeout=10
        )
        assert exchanges, "the worker bound no queue under var/celery/control"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    output = "".join(seen) + _finish(process)
    assert process.returncode == 0, output
    running = [line for line in output.splitlines() if "AdLoop is running" in line]
    assert len(running) == 1, output
    assert (
        running[0]
        .rstrip()
        .endswith(
            f"AdLoop is running: open http://127.0.0.1:{port}/"
            f" and sign in as {DEMO_EMAIL} / a-demo-password"
        )
    ), running
    assert "Open:" not in output
    # CI's smoke run of bin/run reads the login from this line.
    ready = _smoke_script().READY.search(running[0])
    assert ready is not None and ready["password"] == "a-demo-password", running
    assert not (ROOT / "control").exists()
    assert set(os.listdir(ROOT)) - before == set(), "written outside var/"
