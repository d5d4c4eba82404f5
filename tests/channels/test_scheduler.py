"""The scheduler's heartbeat: the service and the real `run_scheduler` process."""

from __future__ import annotations

import signal
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from publishing import services
from publishing.models import SchedulerHeartbeat
from tests.integration.procs import PYTHON, ROOT, child_env, wait_until


@pytest.mark.django_db
def test_heartbeat_creates_the_row_then_counts_ticks() -> None:
    started = timezone.now() - timedelta(minutes=1)
    first = services.scheduler_heartbeat_record(
        name="a", started_at=started, hostname="host-a", pid=41
    )
    assert (first.ticks, first.hostname, first.pid) == (1, "host-a", 41)
    later = first.last_tick_at + timedelta(seconds=5)
    second = services.scheduler_heartbeat_record(
        name="a", started_at=started, hostname="host-a", pid=41, now=later
    )
    assert second.pk == first.pk
    assert second.ticks == 2
    assert second.last_tick_at == later
    assert second.started_at == started
    services.scheduler_heartbeat_record(name="b", started_at=started)
    assert SchedulerHeartbeat.objects.count() == 2


@pytest.mark.django_db
def test_heartbeat_after_restart_keeps_counting_and_records_the_new_start() -> None:
    old = timezone.now() - timedelta(hours=1)
    services.scheduler_heartbeat_record(name="a", started_at=old, pid=1)
    new = timezone.now()
    beat = services.scheduler_heartbeat_record(name="a", started_at=new, pid=2)
    assert (beat.ticks, beat.pid, beat.started_at) == (2, 2, new)


def test_default_name_is_hostname_and_pid() -> None:
    import os
    import socket

    assert services.scheduler_default_name() == f"{socket.gethostname()}-{os.getpid()}"


def test_run_scheduler_ticks_and_stops_cleanly_on_sigint(transactional_db) -> None:
    process = subprocess.Popen(
        [PYTHON, "manage.py", "run_scheduler", "--name", "test-scheduler"],
        cwd=ROOT,
        env=child_env(SCHEDULER_HEARTBEAT_SECONDS="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        ticked = wait_until(
            lambda: (
                process.poll() is not None
                or SchedulerHeartbeat.objects.filter(
                    name="test-scheduler", ticks__gte=2
                ).exists()
            ),
            timeout=20,
        )
        assert process.poll() is None, process.communicate()[0].decode()
        assert ticked, "no two heartbeats within 20 s"
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=10)[0].decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "stopped" in output
    beat = SchedulerHeartbeat.objects.get(name="test-scheduler")
    assert beat.pid == process.pid
