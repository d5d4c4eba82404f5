"""`manage.py run_scheduler`: the process that keeps time for AdLoop.

One BlockingScheduler (APScheduler 3) with a heartbeat job, so /healthz can tell
a live scheduler from a dead one, the publication dispatcher and its sweep
(`publishing.dispatcher`), and the OAuth token refresh (`connections.oauth`).
SIGINT and SIGTERM stop it cleanly: the job in flight finishes, the process
exits 0. Any number may run side by side (each has
its own heartbeat row); the work they schedule is claimed atomically.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from connections import oauth
from publishing import dispatcher, services

logger = logging.getLogger("adloop.scheduler")


def _guarded(what: str, job: Callable[[], object]) -> None:
    """Run a periodic job in its own database connection; an error is logged and
    the next run comes on time (the scheduler must outlive a database blip)."""
    close_old_connections()
    try:
        job()
    except Exception:
        logger.exception("scheduler job %s failed", what)
    finally:
        close_old_connections()


def _heartbeat(name: str, started_at: datetime) -> None:
    """Runs in an APScheduler worker thread: it owns its database connection."""
    close_old_connections()
    try:
        beat = services.scheduler_heartbeat_record(name=name, started_at=started_at)
        logger.debug("heartbeat %s tick %s", name, beat.ticks)
    finally:
        close_old_connections()


class Command(BaseCommand):
    help = (
        "Run the scheduler: heartbeat, publication dispatcher and sweep, token refresh."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--name",
            default=None,
            help="Heartbeat row name (default: hostname-pid). Unique per process.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # One piece: the process's life in order (its jobs, the signal handler
        # that closes over the scheduler and `stopping`, the blocking start), read
        # top to bottom as one start-up sequence; the jobs themselves are above.
        # A line per job run every few seconds drowns everything else.
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        name = options["name"] or services.scheduler_default_name()
        interval = max(1, settings.SCHEDULER_HEARTBEAT_SECONDS)
        started_at = datetime.now(UTC)
        scheduler = BlockingScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            # A tick missed while the process was busy is not worth replaying.
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        scheduler.add_job(
            _heartbeat,
            "interval",
            seconds=interval,
            args=[name, started_at],
            id="heartbeat",
            next_run_time=started_at,  # tick at once: /healthz sees us immediately
            misfire_grace_time=interval,
        )
        # The outbox: claim due publications every few seconds, re-drive lost
        # work every PUBLISH_SWEEP_INTERVAL_SECONDS. One run at a time per
        # process (max_instances=1, coalesce); other processes are safe because
        # the claim is atomic. Periodic metric collection goes here too.
        dispatch_every = max(1, settings.DISPATCH_INTERVAL_SECONDS)
        sweep_every = max(1, settings.PUBLISH_SWEEP_INTERVAL_SECONDS)
        scheduler.add_job(
            _guarded,
            "interval",
            seconds=dispatch_every,
            args=["dispatch", dispatcher.dispatch],
            id="dispatch",
            next_run_time=started_at,
            misfire_grace_time=dispatch_every,
        )
        scheduler.add_job(
            _guarded,
            "interval",
            seconds=sweep_every,
            args=["sweep", dispatcher.sweep],
            id="sweep",
            next_run_time=started_at,
            misfire_grace_time=sweep_every,
        )
        # Access tokens are refreshed before they expire (a lease per account
        # keeps two schedulers from using one rotating refresh token twice).
        refresh_every = max(30, settings.TOKEN_REFRESH_INTERVAL_SECONDS)
        scheduler.add_job(
            _guarded,
            "interval",
            seconds=refresh_every,
            args=["token-refresh", oauth.refresh_due_tokens],
            id="token-refresh",
            next_run_time=started_at,
            misfire_grace_time=refresh_every,
        )

        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True
            logger.info(
                "scheduler %s: %s received, stopping", name, signal.Signals(signum).name
            )
            # wait=False: the signal handler must not block; the job in flight
            # still completes, because the pool's threads are joined at exit.
            if scheduler.running:
                scheduler.shutdown(wait=False)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stderr.write(
            f"scheduler {name} on {socket.gethostname()}: heartbeat every "
            f"{interval}s, dispatch every {dispatch_every}s (Ctrl-C to stop)"
        )
        if not stopping:  # a signal during start-up: do not block at all
            scheduler.start()
        self.stderr.write(f"scheduler {name}: stopped")
