"""The local supervisor (`manage.py run_all`, what bin/run ends in), for real."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import urllib.error
import urllib.request

import pytest

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


def _start(port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, "manage.py", "run_all", "--port", str(port), "--concurrency", "1"],
        cwd=ROOT,
        env=child_env(SCHEDULER_HEARTBEAT_SECONDS="1"),
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
