"""Recovery: seconds from a broker or workers coming back until every
publication is published.

    .venv/bin/python bench/recovery.py [--count 500] [--compare]

PostgreSQL, a redis-server of the benchmark's own as the broker (no
persistence: a restart loses every message, as a flushed or failed-over broker
does), a deduplicating webhook sink, two `celery worker`s (threads pool,
`--concurrency` tasks each, so most messages wait in the broker's queue) and
one `run_scheduler`, all with production's publishing settings. Two scenarios:

- broker: `--count` publications due at once, the sink answering after
  `--sink-delay` seconds (so work is queued and in flight); once a tenth is
  published the broker is killed, down for 2 s, and started again empty.
  Figure: seconds from the broker answering again until the last publication
  is published.
- workers: the same, but both workers are SIGKILLed, down for 2 s, and started
  again. Figure: seconds from the workers' restart until the last publication
  is published.

The design measured: leases (`PUBLISH_LEASE_SECONDS` 30, renewed every 10 s)
and the broker queue check (`PUBLISH_QUEUED_GRACE_SECONDS` 15, the sweep every
10 s). `--compare` runs the old design too (no lease, no queue check: only the
hard timeouts of 300 s queued and 900 s publishing), which takes up to about 20
minutes. Target: under 60 s for both scenarios.

Defaults: DATABASE_URL postgres://postgres@127.0.0.1:5432/adloop_bench_recovery
(dropped, created and migrated at every run: use a database of the benchmark's
own). The figure is the last line.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: run() imports the test helpers when it runs
    from tests.integration.outbox import Proc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import prepare_django  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/adloop_bench_recovery"
# The old design: leases and the queue check never fire, the timeouts decide.
OLD = {"PUBLISH_LEASE_SECONDS": "100000", "PUBLISH_QUEUED_GRACE_SECONDS": "100000"}


def _setup(tmp: Path, broker_url: str) -> None:
    prepare_django(tmp, database_url=DEFAULT_DB, broker_url=broker_url)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_up(port: int, timeout: float = 15) -> float:
    """Wait until the broker answers; the moment it did (monotonic)."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if client.ping():
                return time.monotonic()
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit(f"redis on {port} did not come up")


def _published(ids: list[int]) -> int:
    from publishing.models import Publication
    from publishing.models import PublicationStatus as PS

    return Publication.objects.filter(pk__in=ids, status=PS.PUBLISHED).count()


def _wait(ids: list[int], at_least: int, timeout: float) -> float | None:
    """Poll until `at_least` are published; the moment (monotonic), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _published(ids) >= at_least:
            return time.monotonic()
        time.sleep(0.25)
    return None


def _env(design: str, broker: str) -> dict[str, str]:
    """The worker's and the scheduler's environment under one design."""
    from tests.integration.procs import child_env

    return child_env(
        CELERY_BROKER_URL=broker,
        CELERY_RESULT_BACKEND=broker,
        PUBLISH_LATE_CUTOFF_SECONDS="0",
        OUTBOUND_ALLOW_PRIVATE="true",
        LOG_LEVEL="WARNING",
        REDIS_URL="",
        **(OLD if design == "old" else {}),
    )


def _restart(workers: list[Proc]) -> float:
    """Kill the workers mid-flight and start them again; the monotonic comeback."""
    for proc in workers:
        proc.kill()
    time.sleep(2)
    for proc in workers:
        proc.start()
    return time.monotonic()


def _watch(
    ids: list[int], procs: list[Proc], *, back: float, deadline: float
) -> tuple[float | None, list[str]]:
    """Until all are published or the deadline: when (monotonic), and every 5 s
    since the comeback how many were published."""
    done = None
    timeline: list[str] = []
    while time.monotonic() < deadline:
        for proc in procs:  # a supervisor's restart (see the integration test)
            if not proc.alive():
                proc.start()
        published = _published(ids)
        mark = 5 * (len(timeline) + 1)
        if time.monotonic() - back >= mark:
            timeline.append(f"+{mark}s {published}")
        if published >= len(ids):
            done = time.monotonic()
            break
        time.sleep(0.25)
    return done, timeline


def run(
    scenario: str,
    design: str,
    *,
    count: int,
    sink_delay: float,
    concurrency: int,
    tmp: Path,
) -> float | None:
    """One scenario under one design: seconds from the comeback until all are
    published (None: not within the design's own timeouts plus a minute)."""
    from tests.fakes.sink import SinkServer
    from tests.integration import outbox

    port = _free_port()
    folder = tmp / f"{scenario}-{design}"
    folder.mkdir()
    redis_proc = outbox.start_redis(port, folder / "redis")
    _redis_up(port)
    broker = f"redis://127.0.0.1:{port}/0"
    sink = SinkServer(delay=sink_delay).start()
    env = _env(design, broker)
    workers = [
        outbox.worker(f"rec-w{i}", env, folder, concurrency=concurrency) for i in (1, 2)
    ]
    scheduler = outbox.scheduler("rec-s1", env, folder)
    procs = [*workers, scheduler]
    try:
        for proc in procs:
            proc.start()
        ids = outbox.make_due_publications(count, url=sink.url)
        if _wait(ids, max(1, count // 10), timeout=120) is None:
            raise SystemExit(f"{scenario}/{design}: publishing never started")
        if scenario == "broker":
            redis_proc.kill()
            time.sleep(2)
            redis_proc = outbox.start_redis(port, folder / "redis")
            back = _redis_up(port)
        else:
            back = _restart(workers)
        print(
            f"  {scenario}/{design}: {_published(ids)} of {count} published "
            "when it came back",
            flush=True,
        )
        limit = (300 if scenario == "broker" else 900) + 60 if design == "old" else 300
        done, timeline = _watch(ids, procs, back=back, deadline=back + limit)
        print(f"  {scenario}/{design} published by: {', '.join(timeline)}", flush=True)
        return None if done is None else done - back
    finally:
        for proc in procs:
            proc.stop()
        redis_proc.kill()
        sink.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--sink-delay", type=float, default=1.0)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=4,
        help="tasks per worker: what they hold is not in the broker's queue",
    )
    parser.add_argument(
        "--compare", action="store_true", help="also run the old timeouts (slow)"
    )
    parser.add_argument("--only", choices=["broker", "workers"], default=None)
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        raise SystemExit("needs redis-server (a broker of the benchmark's own)")
    with tempfile.TemporaryDirectory(prefix="adloop-recovery-") as name:
        tmp = Path(name)
        _setup(tmp, "redis://127.0.0.1:1/0")  # each run starts its own broker
        designs = ["lease", "old"] if args.compare else ["lease"]
        results: dict[tuple[str, str], float | None] = {}
        for design in designs:
            for scenario in [args.only] if args.only else ["broker", "workers"]:
                took = run(
                    scenario,
                    design,
                    count=args.count,
                    sink_delay=args.sink_delay,
                    concurrency=args.concurrency,
                    tmp=tmp,
                )
                results[(scenario, design)] = took
                text = "not recovered" if took is None else f"{took:.1f} s"
                print(f"{scenario}/{design}: {text}", flush=True)

    def shown(key: tuple[str, str]) -> str:
        took = results.get(key)
        return "not recovered" if took is None else f"{took:.1f} s"

    parts = []
    for scenario in [args.only] if args.only else ["broker", "workers"]:
        what = "broker" if scenario == "broker" else "workers"
        part = f"{shown((scenario, 'lease'))} after the {what} came back"
        if args.compare:
            part += f" (old timeouts: {shown((scenario, 'old'))})"
        parts.append(part)
    figure = (
        f"FIGURE: every publication published {', '.join(parts)}; "
        f"{args.count} due, leases and queue check, target < 60 s"
    )
    print(figure)


if __name__ == "__main__":
    main()
