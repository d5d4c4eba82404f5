"""Helpers for tests that start real AdLoop processes (worker, scheduler, web).

A child process must see what the test sees: the test database (not the
development one), the same broker, the same var/ folder and secrets. These
helpers build that environment from the running settings.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON = sys.executable


def test_database_url() -> str:
    """DATABASE_URL of the database the tests run on (after pytest-django made it).

    pytest-django rewrites settings.DATABASES["default"]["NAME"] to the test
    database, so this must be called from a test or a fixture that depends on
    `django_db_setup`.
    """
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    if "postgresql" in db["ENGINE"]:
        auth = quote(db.get("USER") or "", safe="")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        return f"postgres://{auth}@{host}:{port}/{db['NAME']}"
    raise NotImplementedError(f"no URL form for {db['ENGINE']}")


def child_env(**extra: str) -> dict[str, str]:
    """The test process's environment, pointed at the test database and broker."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=test_database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_RESULT_BACKEND=settings.CELERY_RESULT_BACKEND or "",
        ADLOOP_VAR_DIR=str(settings.VAR_DIR),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def wait_until(
    condition: Callable[[], object], *, timeout: float, interval: float = 0.1
) -> object:
    """Poll `condition` until it returns something truthy; None after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)
