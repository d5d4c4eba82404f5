"""Load for the publishing outbox: many publications due at once, and the real
processes that publish them (`celery worker`, `manage.py run_scheduler`).

Shared by `tests/integration/test_publishing_at_scale.py` and
`bench/publishing.py`, so the benchmark measures the path the test proves.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from tests.integration.procs import PYTHON, ROOT

WEBHOOK_SECRET = "sink-signing-secret"


def make_due_publications(
    count: int,
    *,
    url: str,
    due: datetime | None = None,
    accounts: int = 4,
    tag: str = "",
    spread: float = 0.0,
) -> list[int]:
    """`count` scheduled posts, each with one webhook publication due at `due`
    (default: now), spread over `accounts` webhook accounts posting to `url`.
    With `spread` (seconds) the due times are evenly spaced from `due` to
    `due + spread` instead of all at once.

    Made with bulk inserts (a few seconds for 20,000): what is measured is the
    publishing, not the making.
    """
    from connections.models import ChannelAccount, Network

    tag = tag or secrets.token_hex(4)
    due = due or timezone.now()
    with transaction.atomic():
        workspace, campaign = _load_campaign(tag, due)
        targets = [
            ChannelAccount.objects.create(
                workspace=workspace,
                network=Network.WEBHOOK,
                name=f"Sink {i}",
                external_id=url,
                credentials={"secret": WEBHOOK_SECRET},
            )
            for i in range(accounts)
        ]
        times = [due + timedelta(seconds=spread * i / count) for i in range(count)]
        posts = _bulk_posts(workspace, campaign, tag, times)
        publications = _bulk_publications(workspace, posts, targets, times)
    return [p.pk for p in publications]


def _load_campaign(tag: str, due: datetime) -> tuple[Any, Any]:
    """An organization, workspace, brand and campaign of their own, named by
    `tag`, so several loads (and the suite's other rows) never mix."""
    from campaigns.models import BrandProfile, Campaign
    from workspaces.models import Organization, Workspace

    org = Organization.objects.create(name=f"Load {tag}", slug=f"load-{tag}")
    workspace = Workspace.objects.create(
        organization=org, name=f"Load {tag}", slug=f"load-{tag}"
    )
    brand = BrandProfile.objects.create(workspace=workspace, name="Load")
    campaign = Campaign.objects.create(
        workspace=workspace,
        brand=brand,
        name=f"Load {tag}",
        start_date=due.date(),
        end_date=due.date() + timedelta(days=1),
        time_zone="UTC",
    )
    return workspace, campaign


def _bulk_posts(
    workspace: Any, campaign: Any, tag: str, times: list[datetime]
) -> list[Any]:
    """One scheduled post per due time, in batches of 2,000: one statement per
    batch, not one per post."""
    from campaigns.models import Post, PostStatus

    count = len(times)
    return Post.objects.bulk_create(
        [
            Post(
                workspace=workspace,
                campaign=campaign,
                topic=f"Load {tag} {i}",
                body=f"Post {i} of {count}.",
                status=PostStatus.SCHEDULED,
                scheduled_at=times[i],
            )
            for i in range(count)
        ],
        batch_size=2000,
    )


def _bulk_publications(
    workspace: Any, posts: list[Any], targets: list[Any], times: list[datetime]
) -> list[Any]:
    """Each post's account link and its one publication, round robin over the
    accounts, so the load is spread as a real workspace's would be."""
    from campaigns.models import Post
    from connections.models import Network
    from publishing.delivery import new_idempotency_key
    from publishing.models import Publication

    accounts = len(targets)
    links = Post.accounts.through
    links.objects.bulk_create(
        [
            links(post_id=post.pk, channelaccount_id=targets[i % accounts].pk)
            for i, post in enumerate(posts)
        ],
        batch_size=2000,
    )
    return Publication.objects.bulk_create(
        [
            Publication(
                workspace=workspace,
                post=post,
                account=targets[i % accounts],
                network=Network.WEBHOOK,
                due_at=times[i],
                next_attempt_at=times[i],
                idempotency_key=new_idempotency_key(),
            )
            for i, post in enumerate(posts)
        ],
        batch_size=2000,
    )


@dataclass
class Proc:
    """One child process (by its own pid only) with its log file."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, tasks in flight cut off."""
        if self.alive():
            assert self.process is not None
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (warm shutdown), then SIGKILL if it does not go."""
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


def worker(
    name: str,
    env: dict[str, str],
    log_dir: Path,
    *,
    pool: str = "threads",
    concurrency: int = 8,
    extra: Sequence[str] = (),
) -> Proc:
    return Proc(
        name,
        [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}@%h",
            *extra,
        ],
        env,
        log_dir / f"{name}.log",
    )


def scheduler(name: str, env: dict[str, str], log_dir: Path) -> Proc:
    return Proc(
        name,
        [PYTHON, "manage.py", "run_scheduler", "--name", name],
        env,
        log_dir / f"{name}.log",
    )


def start_redis(port: int, folder: Path) -> Proc:
    """A redis-server of the test's own on `port` (never the machine's one):
    no persistence, so a restart loses every message in it, as a flushed or
    failed-over broker does."""
    folder.mkdir(parents=True, exist_ok=True)
    return Proc(
        f"redis-{port}",
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        {},
        folder / "redis.log",
    ).start()
