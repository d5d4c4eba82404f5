"""Loaded with `-p tests.testenv`, before pytest-django imports the settings.

- Tests run with production-like settings (DEBUG off) and throwaway secrets made
  for this run only, so no secret is ever written into the repository.
- Real services when they answer: PostgreSQL on 127.0.0.1:5432 and Redis on
  127.0.0.1:6379 (as the Celery broker). Otherwise SQLite and kombu's filesystem
  transport, and the tests that need the real thing say so when skipped.
- With CI=true a missing PostgreSQL or Redis stops the run: CI must never pass
  on the fallback by accident.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


CI = _truthy("CI")
# What the suite runs on, for conftest's report and the tests' skip reasons.
SERVICES: dict[str, str] = {}

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("FIELD_ENCRYPTION_KEY", secrets.token_urlsafe(32))
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("SITE_URL", "http://testserver")
# Production refuses these two unless told (config/settings/); the suite says
# so explicitly. One process per test run keeps its counters in local memory
# (helpers running side by side must not share a Redis cache), and mail is off
# unless a test configures a server (pytest-django captures in-process mail).
os.environ.setdefault("ALLOW_LOCAL_CACHE", "true")
os.environ.setdefault("EMAIL_DISABLED", "true")
# Test data (SQLite files, the filesystem broker, media) stays out of the demo's var/.
os.environ.setdefault("ADLOOP_VAR_DIR", str(ROOT / "var" / "test"))
# whitenoise warns on every request when STATIC_ROOT is missing; the pages that
# need the real files use the `static_files` fixture (tests/conftest.py).
Path(os.environ["ADLOOP_VAR_DIR"], "staticfiles").mkdir(parents=True, exist_ok=True)

_missing: list[str] = []
if "DATABASE_URL" not in os.environ:
    if _answers("127.0.0.1", 5432):
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/adloop"
    else:
        _missing.append("PostgreSQL on 127.0.0.1:5432")
if "CELERY_BROKER_URL" not in os.environ:
    if _answers("127.0.0.1", 6379):
        # Database 15: far from the demo's, and flushed by the worker fixture.
        os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/15"
        os.environ.setdefault("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/15")
    else:
        _missing.append("Redis on 127.0.0.1:6379")

if _missing and CI:
    sys.stderr.write(
        "adloop tests: CI=true but these services do not answer: "
        + ", ".join(_missing)
        + ". Start them (see README, 'Tests') or unset CI to use the fallbacks.\n"
    )
    raise SystemExit(3)

_db_url = os.environ.get("DATABASE_URL", "")
SERVICES["database"] = "postgresql" if _db_url.startswith("postgres") else "sqlite"
SERVICES["broker"] = (
    os.environ["CELERY_BROKER_URL"].split(":", 1)[0]
    if "CELERY_BROKER_URL" in os.environ
    else "filesystem"
)
MISSING = _missing
