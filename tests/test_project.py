"""Project-level checks: migrations, lint, deploy settings, start-up, import weight.

Each runs the real command in a subprocess, as CI and an operator would.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def _run(
    args: list[str], env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def _production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """Only what a production host would set: no test-run variables leak in."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "adloop.example.com",
        "ADLOOP_VAR_DIR": str(tmp_path / "var"),
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _ruff() -> str:
    local = Path(PYTHON).parent / "ruff"
    found = str(local) if local.exists() else shutil.which("ruff")
    if not found:
        pytest.fail("ruff is not installed (pip install -e '.[dev]')")
    return found


def test_models_have_no_missing_migrations() -> None:
    result = _run([PYTHON, "manage.py", "makemigrations", "--check", "--dry-run"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def test_ruff_check_is_clean() -> None:
    result = _run([_ruff(), "check", "."])
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run([_ruff(), "format", "--check", "."])
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_passes_with_production_settings(tmp_path: Path) -> None:
    result = _run(
        [PYTHON, "manage.py", "check", "--deploy"], env=_production_env(tmp_path)
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ERRORS:" not in output


def test_missing_secret_key_stops_start_up_with_one_line_naming_it(
    tmp_path: Path,
) -> None:
    env = _production_env(tmp_path)
    del env["SECRET_KEY"]
    result = _run([PYTHON, "manage.py", "check"], env=env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0]
    assert "Traceback" not in result.stderr


def test_web_and_worker_modules_do_not_import_ml_libraries(tmp_path: Path) -> None:
    """torch and diffusers cost seconds and gigabytes: only image jobs load them."""
    code = (
        "import sys, django\n"
        "django.setup()\n"
        "import config.wsgi, config.celery, campaigns.tasks\n"
        "heavy = sorted(m for m in ('torch', 'diffusers') if m in sys.modules)\n"
        "print('heavy:', heavy)\n"
        "sys.exit(1 if heavy else 0)\n"
    )
    env = _production_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings")
    result = _run([PYTHON, "-c", code], env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rest_framework_settings_resolve_before_any_view_is_imported(
    tmp_path: Path,
) -> None:
    """Django runs system checks in no fixed order; DRF's own check may be first.

    If a class named in REST_FRAMEWORK imports `rest_framework.views` at module
    level, resolving the settings first is a circular import, and manage.py
    commands (checks, makemigrations, the worker) then fail at random.
    """
    code = (
        "import django\n"
        "django.setup()\n"
        "from rest_framework.settings import api_settings\n"
        "for name in ('DEFAULT_PAGINATION_CLASS', 'DEFAULT_THROTTLE_CLASSES',\n"
        "             'DEFAULT_AUTHENTICATION_CLASSES', 'EXCEPTION_HANDLER'):\n"
        "    getattr(api_settings, name)\n"
    )
    env = _production_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings")
    result = _run([PYTHON, "-c", code], env=env)
    assert result.returncode == 0, result.stderr[-3000:]
