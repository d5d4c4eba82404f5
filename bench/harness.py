"""What the publishing benchmarks (publishing.py, recovery.py) share: a fresh,
migrated database with the environment production settings require of a
benchmark process, and /proc readings of the measured processes' memory and CPU.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import threading
import time
from pathlib import Path


def prepare_django(tmp: Path, *, database_url: str, broker_url: str) -> None:
    """Set the environment (setdefault where the caller may override), create the
    database afresh, start Django and migrate."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", secrets.token_urlsafe(32))
    os.environ.setdefault("DATABASE_URL", database_url)
    os.environ["CELERY_BROKER_URL"] = broker_url
    os.environ["CELERY_RESULT_BACKEND"] = broker_url
    os.environ["ADLOOP_VAR_DIR"] = str(tmp)
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["OUTBOUND_ALLOW_PRIVATE"] = "true"
    os.environ["REDIS_URL"] = ""  # webhooks have no rate limit: no bucket calls
    # One process with DEBUG off: say so, as production settings require.
    os.environ["ALLOW_LOCAL_CACHE"] = "true"
    os.environ.setdefault("EMAIL_DISABLED", "true")
    create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def create_database(url: str) -> None:
    """A fresh database for every run (psycopg, on the server's postgres db):
    rows left by earlier runs would make each run slower than the last."""
    if not url.startswith("postgres"):
        return
    import psycopg

    base, _, name = url.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        print(f"could not check/create database {name}: {exc}", file=sys.stderr)


class RssSampler(threading.Thread):
    """Peak resident memory of some processes (with their children), sampled."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak = 0
        self.last = 0
        self._halt = threading.Event()

    @staticmethod
    def rss(pids: list[int]) -> int:
        """Bytes resident in `pids` and all their descendants, read from /proc
        (Linux; the benchmark's machines), so no extra dependency is needed."""
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        tree = set(pids)
        grew = True
        while grew:
            children = {p for p, parent in parents.items() if parent in tree}
            grew = not children <= tree
            tree |= children
        total = 0
        for pid in tree:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            total += int(match.group(1)) * 1024 if match else 0
        return total

    def run(self) -> None:
        while not self._halt.is_set():
            self.last = self.rss(self.pids)
            self.peak = max(self.peak, self.last)
            time.sleep(0.25)

    def stop(self) -> int:
        self._halt.set()
        self.join(timeout=2)
        return self.peak


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used (all their threads):
    the workers' cost per publication, steadier than a rate on a shared machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"
