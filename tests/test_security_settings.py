"""Production start-up refuses what would silently weaken it: a per-process
cache for the throttling counters, console mail (reset links in the logs), a
malformed TRUSTED_PROXIES; and a client's X-Forwarded-Proto is not believed
unless a setting says a proxy sets it."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRINT = (
    "import json, django; django.setup()\n"
    "from django.conf import settings as s\n"
    "print(json.dumps({'cache': s.CACHES['default']['BACKEND'],\n"
    "  'mail': s.EMAIL_BACKEND,\n"
    "  'ssl_header': getattr(s, 'SECURE_PROXY_SSL_HEADER', None),\n"
    "  'proxies': s.TRUSTED_PROXIES}))\n"
)


def _env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """What a production host sets, and nothing of the test run's environment."""
    env: dict[str, str | None] = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "adloop.example.com",
        "ADLOOP_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "REDIS_URL": "redis://127.0.0.1:6379/14",
        "EMAIL_HOST": "smtp.example.com",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _settings(tmp_path: Path, **overrides: str | None) -> dict:  # type: ignore[type-arg]
    result = subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=ROOT,
        env=_env(tmp_path, **overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def _refusal(tmp_path: Path, **overrides: str | None) -> str:
    """`manage.py check` must stop with one line (no traceback); returns it."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_env(tmp_path, **overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_production_refuses_a_per_process_cache(tmp_path: Path) -> None:
    line = _refusal(tmp_path, REDIS_URL=None)
    assert "REDIS_URL" in line and "ALLOW_LOCAL_CACHE" in line


def test_one_process_may_say_so_and_keep_the_memory_cache(tmp_path: Path) -> None:
    found = _settings(tmp_path, REDIS_URL=None, ALLOW_LOCAL_CACHE="true")
    assert found["cache"].endswith("LocMemCache")
    assert _settings(tmp_path)["cache"].endswith("RedisCache")


def test_production_refuses_to_start_without_a_mail_server(tmp_path: Path) -> None:
    line = _refusal(tmp_path, EMAIL_HOST=None)
    assert "EMAIL_HOST" in line and "EMAIL_DISABLED" in line


def test_mail_off_sends_nothing_and_prints_nothing(tmp_path: Path) -> None:
    found = _settings(tmp_path, EMAIL_HOST=None, EMAIL_DISABLED="true")
    assert found["mail"] == "django.core.mail.backends.dummy.EmailBackend"
    assert _settings(tmp_path)["mail"].endswith("smtp.EmailBackend")


def test_development_keeps_the_console_and_memory_cache(tmp_path: Path) -> None:
    found = _settings(tmp_path, DEBUG="true", EMAIL_HOST=None, REDIS_URL=None)
    assert found["mail"].endswith("console.EmailBackend")
    assert found["cache"].endswith("LocMemCache")


def test_x_forwarded_proto_is_not_believed_by_default(tmp_path: Path) -> None:
    assert _settings(tmp_path)["ssl_header"] is None
    found = _settings(tmp_path, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert found["ssl_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_trusted_proxies_are_parsed_and_a_bad_one_refused(tmp_path: Path) -> None:
    found = _settings(tmp_path, TRUSTED_PROXIES="10.0.0.0/8, 192.0.2.7")
    assert found["proxies"] == ["10.0.0.0/8", "192.0.2.7"]
    line = _refusal(tmp_path, TRUSTED_PROXIES="10.0.0.0/8,proxy.internal")
    assert "TRUSTED_PROXIES" in line and "proxy.internal" in line


@pytest.mark.django_db
def test_a_client_claiming_https_is_not_taken_for_https(client) -> None:
    """The suite runs with DEBUG off and no SECURE_PROXY_SSL_HEADER: the header a
    client sends does not make the request secure (no secure-only redirect)."""
    from django.conf import settings

    assert getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is None
    response = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
    assert response.wsgi_request.is_secure() is False


def test_readme_documents_the_security_settings_and_how_to_report() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration") :]
    table = table[: table.index("\n## ")]
    for name in (
        "REDIS_URL",
        "ALLOW_LOCAL_CACHE",
        "TRUSTED_PROXIES",
        "SECURE_PROXY_SSL_HEADER",
        "EMAIL_DISABLED",
        "SIGNIN_FREE_FAILURES",
        "SIGNIN_ADDRESS_FREE_FAILURES",
        "API_KEY_FREE_FAILURES",
        "SIGNIN_BACKOFF_BASE_SECONDS",
        "SIGNIN_BACKOFF_MAX_SECONDS",
        "SIGNIN_FAILURE_WINDOW_SECONDS",
        "PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR",
        "PASSWORD_RESETS_PER_ADDRESS_PER_HOUR",
    ):
        assert f"`{name}`" in table, f"add {name} to README's configuration table"
    security = readme[readme.index("\n## Security\n") :]
    security = security[: security.index("\n## ", 5)]
    assert "SECURITY.md" in security and "429" in security
    assert "security@" in (ROOT / "SECURITY.md").read_text()
