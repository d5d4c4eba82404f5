"""Publishing at scale: the outbox against one Celery task per post with `eta`.

    .venv/bin/python bench/publishing.py [--count 20000] [--concurrency 16]

PostgreSQL + Redis, real processes: a webhook sink answering in 50 ms (its own
process, `tests/fakes/sink.py`, deduplicating by `Idempotency-Key`). Two
scenarios, each for both designs:

- burst: `--count` publications all due at one instant, for throughput
  (count / (last published - due));
- spread: the same count due evenly within `--spread` seconds (the issue's
  "20,000 due in the same minute"), for lateness p50/p99 (published - own due).

1. the outbox: one `run_scheduler` and two `celery worker`s (threads pool), the
   workers' peak RSS, and their RSS while the posts wait in the table (flat in
   their number);
2. the naive design: the same tasks sent with `eta` to two workers of the same
   kind (`bench/naive_tasks.py`); the workers hold every eta task in memory
   until it is due: their RSS before and after receiving them.

Defaults: DATABASE_URL postgres://postgres@127.0.0.1:5432/adloop_bench (dropped,
created and migrated at every run: use a database of the benchmark's own), broker redis://127.0.0.1:6379/10
(flushed at the start: use a Redis database of the benchmark's own). The figure
is the last line.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import RssSampler, cpu_seconds, mb, prepare_django  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/adloop_bench"
DEFAULT_BROKER = "redis://127.0.0.1:6379/10"


def _setup(tmp: Path) -> None:
    broker = os.environ.get("CELERY_BROKER_URL") or DEFAULT_BROKER
    prepare_django(tmp, database_url=DEFAULT_DB, broker_url=broker)
    import redis

    redis.Redis.from_url(broker).flushdb()


def _figures(ids: list[int], due: Any) -> dict[str, float]:  # due: the first
    from publishing.models import Publication
    from publishing.models import PublicationStatus as PS

    published = Publication.objects.filter(pk__in=ids, status=PS.PUBLISHED)
    # A published row always has its finished_at; the filter says so to the types.
    rows = [(d, f) for d, f in published.values_list("due_at", "finished_at") if f]
    late = sorted((f - d).total_seconds() for d, f in rows)
    if not late:
        return {"published": 0, "rate": 0.0, "p50": float("nan"), "p99": float("nan")}
    span = max((f - due).total_seconds() for _, f in rows)
    return {
        "published": len(rows),
        "rate": len(rows) / max(span, 1e-9),
        "p50": statistics.median(late),
        "p99": late[min(len(late) - 1, int(len(late) * 0.99))],
        "span": span,
    }


def _wait_published(ids: list[int], timeout: float, label: str) -> bool:
    from publishing.models import Publication
    from publishing.models import PublicationStatus as PS

    deadline = time.monotonic() + timeout
    shown = time.monotonic()
    # The ids are one bulk insert's: a range scan, not a 20,000-item IN list
    # (polling must not take the CPU the measured processes need).
    mine = Publication.objects.filter(pk__gte=min(ids), pk__lte=max(ids))
    while time.monotonic() < deadline:
        done = mine.filter(status=PS.PUBLISHED).count()
        if done == len(ids):
            return True
        if time.monotonic() - shown > 10:
            print(f"{label}: {done}/{len(ids)} published", file=sys.stderr)
            shown = time.monotonic()
        time.sleep(1.0)
    return False


def _start_sink(delay: float) -> tuple[subprocess.Popen[str], str]:
    sink = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.sink", "--delay", str(delay)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout is not None
    port = int(sink.stdout.readline().split()[1])
    return sink, f"http://127.0.0.1:{port}/hook"


def _workers(
    design: str,
    args: argparse.Namespace,
    env: dict[str, str],
    log_dir: Path,
    extra: list[str] | None = None,
) -> list[Any]:
    """Two workers of the same kind for either design, started and left to
    settle (idle) for a few seconds."""
    from tests.integration import outbox

    started = [
        outbox.worker(
            f"bench-{design}-w{i}",
            env,
            log_dir,
            pool=args.pool,
            concurrency=args.concurrency,
            extra=extra or [],
        ).start()
        for i in (1, 2)
    ]
    time.sleep(8)
    return started


def _publications(
    design: str, args: argparse.Namespace, url: str, due: Any, spread: float
) -> list[int]:
    from tests.integration import outbox

    return outbox.make_due_publications(
        args.count,
        url=url,
        due=due,
        tag=f"{design}-{secrets.token_hex(3)}",
        spread=spread,
    )


def run_outbox(
    args: argparse.Namespace, url: str, log_dir: Path, spread: float
) -> dict[str, Any]:
    from django.utils import timezone

    from tests.integration import outbox

    env = dict(
        os.environ,
        DISPATCH_INTERVAL_SECONDS="1",
        DISPATCH_BATCH_SIZE=str(args.batch),
        DISPATCH_MAX_QUEUED=str(args.max_queued),
        PUBLISH_LATE_CUTOFF_SECONDS="0",
    )
    procs: list[outbox.Proc] = []
    sampler: RssSampler | None = None
    try:
        procs += _workers("outbox", args, env, log_dir)
        pids = [p.pid for p in procs]
        idle = RssSampler.rss(pids)
        due = timezone.now() + timedelta(seconds=args.lead)
        ids = _publications("outbox", args, url, due, spread)
        waiting = RssSampler.rss(pids)  # N future posts in the table
        sampler = RssSampler(pids)
        sampler.start()
        cpu_before = cpu_seconds(pids)
        procs.append(outbox.scheduler("bench-outbox-s1", env, log_dir).start())
        finished = _wait_published(ids, args.timeout + args.lead + spread, "outbox")
        cpu = cpu_seconds(pids) - cpu_before
    finally:
        peak = sampler.stop() if sampler is not None else 0
        for proc in procs:
            proc.stop()
    return {
        "finished": finished,
        "idle": idle,
        "waiting": waiting,
        "peak": peak,
        "cpu_ms": 1000 * cpu / len(ids),
        **_figures(ids, due),
    }


def run_naive(
    args: argparse.Namespace, url: str, log_dir: Path, spread: float
) -> dict[str, Any]:
    from django.utils import timezone

    from bench.naive_tasks import naive_publish
    from tests.integration import outbox

    env = dict(os.environ)
    workers: list[outbox.Proc] = []
    sampler: RssSampler | None = None
    holding = 0
    try:
        workers += _workers(
            "naive", args, env, log_dir, extra=["--include", "bench.naive_tasks"]
        )
        pids = [w.pid for w in workers]
        idle = RssSampler.rss(pids)
        due = timezone.now() + timedelta(seconds=args.naive_lead)
        ids = _publications("naive", args, url, due, spread)
        from publishing.models import Publication

        sent = time.monotonic()
        for pk, when in Publication.objects.filter(pk__in=ids).values_list(
            "pk", "due_at"
        ):
            naive_publish.apply_async(args=[pk], eta=when)
        send_s = time.monotonic() - sent
        late_send = timezone.now() >= due
        # The workers hold every eta task until it is due: memory while holding.
        time.sleep(max(0.0, (due - timezone.now()).total_seconds() - 2))
        holding = RssSampler.rss(pids)
        sampler = RssSampler(pids)
        sampler.start()
        cpu_before = cpu_seconds(pids)
        finished = _wait_published(ids, args.timeout + 5 + spread, "naive")
        cpu = cpu_seconds(pids) - cpu_before
    finally:
        peak = max(sampler.stop() if sampler is not None else 0, holding)
        for w in workers:
            w.stop()
    return {
        "finished": finished,
        "idle": idle,
        "holding": holding,
        "peak": peak,
        "send_s": send_s,
        "late_send": late_send,
        "cpu_ms": 1000 * cpu / len(ids),
        **_figures(ids, due),
    }


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--pool", default="threads")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch", type=int, default=500, help="claim batch size")
    parser.add_argument("--max-queued", type=int, default=2000)
    parser.add_argument("--delay", type=float, default=0.05, help="sink answer (s)")
    parser.add_argument("--spread", type=float, default=60.0, help="due within (s)")
    parser.add_argument("--lead", type=float, default=15.0, help="s before due")
    parser.add_argument("--naive-lead", type=float, default=90.0)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument(
        "--only", choices=["burst", "spread"], help="run one scenario (quick checks)"
    )
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    # `timeout` or Ctrl-C: leave through the `finally`s that stop the children.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    scenarios = {"burst": 0.0, "spread": args.spread}
    if args.only:
        scenarios = {args.only: scenarios[args.only]}
    outbox: dict[str, dict[str, Any]] = {}
    naive: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="adloop-bench-") as tmp:
        _setup(Path(tmp))
        log_dir = Path(tmp)
        sink, url = _start_sink(args.delay)
        try:
            for name, spread in scenarios.items():
                outbox[name] = run_outbox(args, url, log_dir, spread)
                if not args.skip_naive:
                    naive[name] = run_naive(args, url, log_dir, spread)
        finally:
            sink.terminate()
            sink.wait(timeout=10)
    _report(args, list(scenarios), outbox, naive)


def _report(
    args: argparse.Namespace,
    scenarios: list[str],
    outbox: dict[str, dict[str, Any]],
    naive: dict[str, dict[str, Any]],
) -> None:
    """The conditions, one line per scenario and design, then the figure."""
    cores = os.cpu_count()
    load = os.getloadavg()[0]
    print(
        f"conditions: {cores} cores, load average {load:.1f} at the end; "
        f"{args.count} publications, sink {args.delay * 1000:.0f} ms, 2 workers "
        f"--pool={args.pool} --concurrency={args.concurrency}, claim batch "
        f"{args.batch}, max queued {args.max_queued}, task batch "
        f"{os.environ.get('PUBLISH_TASK_BATCH', 'default')}; burst = all due at "
        f"one instant (throughput), spread = due evenly within {args.spread:.0f} s "
        "(lateness)"
    )
    for name in scenarios:
        out = outbox[name]
        print(
            f"outbox {name}: {out['published']}/{args.count} published, "
            f"{out['rate']:.0f} publications/s, lateness p50 {out['p50']:.2f} s "
            f"p99 {out['p99']:.2f} s; worker CPU {out['cpu_ms']:.2f} ms per "
            f"publication; worker RSS idle {mb(out['idle'])}, with "
            f"{args.count} future posts waiting {mb(out['waiting'])}, peak "
            f"{mb(out['peak'])}"
        )
        if name in naive:
            old = naive[name]
            print(
                f"naive {name} (eta tasks): {old['published']}/{args.count} "
                f"published, {old['rate']:.0f} publications/s, lateness p50 "
                f"{old['p50']:.2f} s p99 {old['p99']:.2f} s; worker CPU "
                f"{old['cpu_ms']:.2f} ms per publication; sending {args.count} "
                f"eta tasks took {old['send_s']:.1f} s; worker RSS idle "
                f"{mb(old['idle'])}, holding {args.count} eta tasks "
                f"{mb(old['holding'])} (+{mb(old['holding'] - old['idle'])}), "
                f"peak {mb(old['peak'])}"
            )
    print(_figure(args, outbox, naive))


def _figure(
    args: argparse.Namespace,
    outbox: dict[str, dict[str, Any]],
    naive: dict[str, dict[str, Any]],
) -> str:
    """The one line BENCHMARKS.md quotes."""
    if args.only:
        out = outbox[args.only]
        return (
            f"FIGURE ({args.only} only): outbox {out['rate']:.0f} publications/s, "
            f"lateness p99 {out['p99']:.2f} s, worker CPU {out['cpu_ms']:.2f} ms "
            "per publication"
        )
    burst, spread = outbox["burst"], outbox["spread"]
    figure = (
        f"FIGURE: outbox {burst['rate']:.0f} publications/s (burst), lateness p99 "
        f"{spread['p99']:.2f} s (spread), memory for {args.count} future posts "
        f"+{mb(burst['waiting'] - burst['idle'])}"
    )
    if naive:
        nb, ns = naive["burst"], naive["spread"]
        ratio = burst["rate"] / nb["rate"] if nb["rate"] else float("nan")
        figure += (
            f"; naive {nb['rate']:.0f}/s ({ratio:.2f}x), p99 {ns['p99']:.2f} s, "
            f"memory +{mb(nb['holding'] - nb['idle'])}"
        )
    return figure


if __name__ == "__main__":
    main()
