"""How much the provider concurrency buys, and how fast a cached repeat is.

    .venv/bin/python bench/llm_generation.py [--posts 25] [--latency 0.15]

Starts the local OpenAI-protocol server (`tests.llm_server.LLMServer`, every
answer delayed by `--latency` seconds) in a child process and points the
OpenAI-compatible provider at it through the real `openai` client. On a
throwaway SQLite database (migrated here), `--posts` posts on 8 networks each
ask for one variant per network: 200 variants, one provider call each. Each
post goes through the real service path, `generation_request` then
`run_generation` (what the Celery task calls), first with LLM_CONCURRENCY=8,
then with LLM_CONCURRENCY=1 (`fresh`, so nothing is reused), in the same run.
One uncounted generation first warms the process up (imports, connection
pool), as a worker's first job would. Then every post asks again with the same
inputs, not fresh, four times: served from the stored result without a call.
Prints both wall times, their ratio and the time per cached repeat; the
figures come last.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the functions import after django.setup()
    from campaigns.models import Post
    from workspaces.models import User

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NETWORKS = (
    "x",
    "bluesky",
    "mastodon",
    "linkedin",
    "facebook",
    "instagram",
    "email",
    "wordpress",
)
CONCURRENCY = 8
CACHED_ROUNDS = 4


def _serve(latency: float, conn) -> None:  # type: ignore[no-untyped-def]
    """The model server's process: a real server is never inside the worker, and
    its threads would otherwise compete with the worker's for one GIL."""
    from tests.llm_server import LLMServer

    with LLMServer(latency=latency, models=["bench-model"]) as server:
        conn.send(server.base_url)
        while conn.recv() == "calls":
            conn.send(len(server.chat_requests()))


class ServerProcess:
    """`LLMServer(latency=...)` in a child process; `calls()` asks it how many
    chat completions it answered."""

    def __init__(self, latency: float) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(latency, child), daemon=True)

    def __enter__(self) -> ServerProcess:
        self._process.start()
        self.base_url: str = self._conn.recv()
        return self

    def calls(self) -> int:
        self._conn.send("calls")
        return int(self._conn.recv())

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        self._process.join(timeout=10)


def _setup(tmp: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", secrets.token_urlsafe(32))
    os.environ["ADLOOP_VAR_DIR"] = str(tmp)
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    # A process-local cache: the provider slots must not be shared with other
    # processes (a test run on the same Redis would hold some of them).
    os.environ["REDIS_URL"] = ""
    # One process with DEBUG off: say so, as production settings require.
    os.environ["ALLOW_LOCAL_CACHE"] = "true"
    os.environ.setdefault("EMAIL_DISABLED", "true")
    os.environ["LLM_PROVIDER"] = "openai"
    os.environ["LLM_MODEL"] = "bench-model"
    os.environ["OPENAI_API_KEY"] = "sk-bench-not-a-real-key"
    os.environ["LLM_MODERATION"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _posts(count: int):  # type: ignore[no-untyped-def]
    from campaigns import services
    from campaigns.services.posts import post_create
    from connections.models import ChannelAccount
    from workspaces.models import Membership, Organization, Role, User, Workspace

    org = Organization.objects.create(name="Bench", slug="bench")
    workspace = Workspace.objects.create(organization=org, name="Bench", slug="bench")
    user = User.objects.create_user(email="bench@example.test")
    Membership.objects.create(
        user=user, organization=org, workspace=workspace, role=Role.EDITOR
    )
    accounts = [
        ChannelAccount.objects.create(workspace=workspace, network=n, name=f"B {n}")
        for n in NETWORKS
    ]
    brand = services.brands.brand_create(
        workspace=workspace,
        by=user,
        data={"name": "Bench Coffee", "voice": "warm, plain", "default_cta": "Try it"},
    )
    campaign = services.campaigns.campaign_create(
        workspace=workspace,
        by=user,
        data={
            "brand": brand,
            "name": "Bench",
            "start_date": date(2030, 3, 1),
            "end_date": date(2030, 11, 30),
            "time_zone": "Europe/Berlin",
            "brief": "Light roasts keep the origin's fruit.",
        },
        cadences=[services.campaigns.Cadence(a, 3) for a in accounts],
        pillars=[services.campaigns.PillarSpec("Product", 2)],
    )
    posts = [
        post_create(
            campaign=campaign,
            by=user,
            data={
                "topic": f"Why we roast light, part {i}",
                "angle": "Myth-busting",
                "link": f"https://example.test/light/{i}",
                "accounts": accounts,
            },
        )
        for i in range(count)
    ]
    return user, posts


def _generate(posts, user, *, fresh: bool) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Request and run one generation per post; (seconds, variants written)."""
    from content import services
    from content.models import GenerationStatus, Variant

    started = time.perf_counter()
    made = []
    for post in posts:
        generation = services.generation_request(
            post=post, by=user, count=1, fresh=fresh
        )
        services.run_generation(generation.pk)  # what the Celery task calls
        made.append(generation.pk)
    seconds = time.perf_counter() - started
    from content.models import Generation

    statuses = set(
        Generation.objects.filter(pk__in=made).values_list("status", flat=True)
    )
    assert statuses == {GenerationStatus.SUCCEEDED}, statuses
    return seconds, Variant.objects.filter(generation_id__in=made).count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=25)
    parser.add_argument("--latency", type=float, default=0.15)
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="adloop-bench-") as tmp,
        ServerProcess(args.latency) as server,
    ):
        os.environ["OPENAI_BASE_URL"] = server.base_url
        _setup(Path(tmp))
        from django.conf import settings

        from content.services import generation as generation_module

        # No broker: the bench runs each job itself, right after the request.
        generation_module._enqueue = lambda generation_id: None
        settings.LLM_PRICES = {"bench-model": {"in": 0.15, "out": 0.6}}
        user, posts = _posts(args.posts + 1)
        # Warm up (not counted): the first call imports the `openai` client and
        # builds its connection pool, a once-per-worker-process cost of seconds
        # that would otherwise land on whichever run goes first.
        warm, posts = posts[0], posts[1:]
        settings.LLM_CONCURRENCY = CONCURRENCY
        _generate([warm], user, fresh=True)
        warm_calls = server.calls()

        settings.LLM_CONCURRENCY = CONCURRENCY
        pooled_s, pooled_n = _generate(posts, user, fresh=True)
        pooled_calls = server.calls() - warm_calls

        settings.LLM_CONCURRENCY = 1
        serial_s, serial_n = _generate(posts, user, fresh=True)
        serial_calls = server.calls() - pooled_calls - warm_calls

        calls_before = server.calls()
        cached = _cached_requests(posts, user)
        assert server.calls() == calls_before

    _report(
        args,
        server.base_url,
        serial=(serial_s, serial_n, serial_calls),
        pooled=(pooled_s, pooled_n, pooled_calls),
        cached_ms=[s * 1000 for s in cached],
    )


def _cached_requests(posts: list[Post], user: User) -> list[float]:
    """Seconds per request when every post's copy is already cached (no call)."""
    from content import services

    cached = []
    for _ in range(CACHED_ROUNDS):
        for post in posts:
            started = time.perf_counter()
            generation = services.generation_request(post=post, by=user, count=1)
            cached.append(time.perf_counter() - started)
            assert generation.cache_hit, generation
    return cached


def _report(
    args: argparse.Namespace,
    base_url: str,
    *,
    serial: tuple[float, int, int],
    pooled: tuple[float, int, int],
    cached_ms: list[float],
) -> None:
    """Print the runs: (seconds, variants, calls) one at a time and pooled."""
    serial_s, serial_n, serial_calls = serial
    pooled_s, pooled_n, pooled_calls = pooled
    ratio = serial_s / pooled_s
    ms = cached_ms
    print(
        f"server: {base_url} latency {args.latency * 1000:.0f} ms; "
        f"{args.posts} posts x {len(NETWORKS)} networks x 1 variant; SQLite"
    )
    print(
        f"one at a time (LLM_CONCURRENCY=1): {serial_n} variants, {serial_calls} "
        f"calls in {serial_s:.2f} s"
    )
    print(
        f"pooled (LLM_CONCURRENCY={CONCURRENCY}): {pooled_n} variants, "
        f"{pooled_calls} calls in {pooled_s:.2f} s"
    )
    print(
        f"cached repeat: {len(ms)} requests, median {statistics.median(ms):.2f} ms, "
        f"max {max(ms):.2f} ms, no call"
    )
    print(
        f"{pooled_n} variants: {pooled_s:.2f} s at concurrency {CONCURRENCY} vs "
        f"{serial_s:.2f} s one at a time: {ratio:.1f}x; cached repeat "
        f"{statistics.median(ms):.2f} ms each (median)"
    )


if __name__ == "__main__":
    main()
