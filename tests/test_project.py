"""Project-level checks: migrations, lint, deploy settings, start-up, import weight.

Each runs the real command in a subprocess, as CI and an operator would.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
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
        # Production refuses a per-process cache and console mail (settings).
        "REDIS_URL": "redis://127.0.0.1:6379/14",
        "EMAIL_HOST": "smtp.example.com",
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


_IMPORT_WEB_AND_TASKS = """
import importlib, json, sys
from pathlib import Path

import django

django.setup()
import config.celery, config.wsgi
from django.apps import apps

root = Path.cwd().resolve()
tasks = []
for app in apps.get_app_configs():
    base = Path(app.path)
    if base.parent != root:
        continue  # Django's and third parties' apps
    for file in sorted(base.rglob("*.py")):
        parts = file.relative_to(root).with_suffix("").parts
        if "tasks" in parts:
            tasks.append(".".join(p for p in parts if p != "__init__"))
for name in tasks:
    importlib.import_module(name)
heavy = sorted(m for m in ("torch", "diffusers") if m in sys.modules)
print(json.dumps({"tasks": tasks, "heavy": heavy}))
"""


def test_web_and_worker_modules_do_not_import_ml_libraries(tmp_path: Path) -> None:
    """torch and diffusers cost seconds and gigabytes: only image jobs load them.

    The worker's modules are every `tasks` module (or package) of every app of
    ours, found by walking the apps, so a new app's tasks are covered unasked."""
    env = _production_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings")
    result = _run([PYTHON, "-c", _IMPORT_WEB_AND_TASKS], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["heavy"] == [], found
    for app in ("workspaces", "connections", "content", "publishing", "workflow"):
        assert f"{app}.tasks" in found["tasks"], found  # the walk found them


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


# --- types ------------------------------------------------------------------------


def mypy_cache_dir() -> Path:
    """`${XDG_CACHE_HOME:-~/.cache}/adloop/mypy`, as .pre-commit-config.yaml has it."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "adloop" / "mypy"


def test_mypy_passes_on_the_checked_modules() -> None:
    """mypy with django-stubs and djangorestframework-stubs, configured in
    [tool.mypy]: `files` are checked (with warn_unused_ignores, so a stale
    `# type: ignore` fails too); the override list says what is not yet checked.

    Its cache is outside the checkout, in `mypy_cache_dir()` (shared with
    pre-commit), so it lasts from one run of the suite to the next on one
    machine, even in a fresh clone: CI's first run there is cold, later ones
    warm. Measured on the 2-core development machine under load: cold about
    200 s (it analyses every app the checked modules import), warm about 6 s.
    """
    local = Path(PYTHON).parent / "mypy"
    if not local.exists():
        pytest.fail("mypy is not installed (pip install -e '.[dev]')")
    cache = ["--cache-dir", str(mypy_cache_dir())]
    env = {**os.environ, "NO_COLOR": "1"}
    result = _run([str(local), *cache], env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout, result.stdout


# --- layers -----------------------------------------------------------------------


def _lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    """import-linter from this environment, without its on-disk cache (a second)."""
    local = Path(PYTHON).parent / "lint-imports"
    if not local.exists():
        pytest.fail("import-linter is not installed (pip install -e '.[dev]')")
    # Wide, so no import chain in a report is wrapped over two lines.
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return _run([str(local), "--no-cache", *args], env=env)


def test_import_contracts_hold() -> None:
    """The layers in [tool.importlinter] (docs/architecture.md, "Layers")."""
    result = _lint_imports()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "kept, 0 broken." in result.stdout, result.stdout


def test_import_contracts_can_fail(tmp_path: Path) -> None:
    """The check above can fail: a contract that does not hold, on a copy.

    Content does read the networks' text rules (networks.textrules): a
    contract forbidding content to import networks is broken, and the report
    names the import."""
    contract = (
        "\n[[tool.importlinter.contracts]]\n"
        'name = "Content imports nothing from networks"\n'
        'type = "forbidden"\n'
        'source_modules = ["content"]\n'
        'forbidden_modules = ["networks"]\n'
    )
    config = _pyproject_with(
        tmp_path,
        lambda text: text.replace("[tool.ruff]\n", contract + "\n[tool.ruff]\n"),
    )
    result = _lint_imports(str(config))
    assert result.returncode != 0, result.stdout
    assert "Content imports nothing from networks BROKEN" in result.stdout
    assert "-> networks.textrules" in result.stdout, result.stdout


# --- dependencies -----------------------------------------------------------------


def _deptry(*args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    """deptry from this environment; its configuration is [tool.deptry]."""
    local = Path(PYTHON).parent / "deptry"
    if not local.exists():
        pytest.fail("deptry is not installed (pip install -e '.[dev]')")
    env = {**os.environ, "NO_COLOR": "1"}
    extra = ["--config", str(config)] if config else []
    return _run([str(local), *args, *extra, "--no-ansi"], env=env)


def _deptry_code() -> list[str]:
    """The application: every import declared, in the extra that needs it."""
    return ["."]


def _deptry_dev() -> list[str]:
    """tests/ and bench/: they may use dev packages, and import nothing undeclared."""
    # -e/-ee replace the configured excludes (tests/, bench/) with a no-match
    # pattern; unused (DEP002) and dev-in-code (DEP004) are the first pass's job.
    return ["tests", "bench", "-e", "x^", "-ee", "x^", "--ignore", "DEP002,DEP004"]


def test_every_imported_package_is_declared_and_every_declared_one_used() -> None:
    """bin/run installs only what pyproject declares: an import that works only
    because another package pulled it in breaks the run command on a fresh machine
    (it did: httpx came only with the images extra)."""
    result = _deptry(*_deptry_code())
    assert result.returncode == 0, result.stdout + result.stderr


def test_tests_and_benchmarks_import_only_declared_packages() -> None:
    result = _deptry(*_deptry_dev())
    assert result.returncode == 0, result.stdout + result.stderr


def _pyproject_with(tmp_path: Path, edit: Callable[[str], str]) -> Path:
    text = (ROOT / "pyproject.toml").read_text()
    changed = edit(text)
    assert changed != text, "the edit did not apply: update this test"
    path = tmp_path / "pyproject.toml"
    path.write_text(changed)
    return path


def _drop(line: str) -> Callable[[str], str]:
    return lambda text: "\n".join(
        x for x in text.splitlines() if not x.strip().startswith(line)
    )


def _after(anchor: str, line: str) -> Callable[[str], str]:
    return lambda text: text.replace(anchor, f"{anchor}\n    {line}", 1)


@pytest.mark.parametrize(
    ("edit", "code", "package"),
    [
        # undeclared: imported by core/http.py, installed only by luck
        (_drop('"httpx>='), "DEP003", "httpx"),
        # unused: declared, imported nowhere, not on the ignore list
        (_after('"regex>=2024.4.16",', '"six>=1.16",'), "DEP002", "six"),
        # misplaced: a package the application imports, declared only for dev
        (
            lambda text: _after('"aiosmtpd>=1.4",', '"numpy>=1.26",')(
                _drop('"numpy>=')(text)
            ),
            "DEP004",
            "numpy",
        ),
    ],
    ids=["undeclared", "unused", "dev-only"],
)
def test_dependency_check_fails_on_a_broken_declaration(
    tmp_path: Path, edit: Callable[[str], str], code: str, package: str
) -> None:
    """The check above can fail: each kind of mistake, made on a copy."""
    result = _deptry(*_deptry_code(), config=_pyproject_with(tmp_path, edit))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"{code} '{package}'" in output, output


_BLOCK_IMAGE_EXTRA = """
import importlib, importlib.abc, pkgutil, sys

BLOCKED = {"torch", "diffusers", "transformers", "accelerate"}


class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Block())
import django

django.setup()
import config.celery, config.wsgi

from pathlib import Path
from django.apps import apps

root = Path.cwd().resolve()
ours = [a.name for a in apps.get_app_configs() if Path(a.path).parent == root]
# And the layers that are plain packages, not Django apps.
ours += [p.name for p in sorted(root.iterdir()) if (p / "__init__.py").exists()
         and p.name not in ours and p.name not in ("config", "tests", "bench")]
count = 0
for package in ["config", *ours]:
    for info in pkgutil.walk_packages(
        importlib.import_module(package).__path__, package + "."
    ):
        importlib.import_module(info.name)
        count += 1
from django.core.management import call_command

call_command("migrate", verbosity=0)  # where bin/run died without httpx
call_command("check")
print("imported", count, "modules of", ", ".join(ours))
"""


def test_web_and_worker_start_without_the_images_extra(tmp_path: Path) -> None:
    """bin/run installs no `images` extra unless IMAGE_MODEL names a diffusion
    model: every module of every app imports, and migrate runs, with torch,
    diffusers, transformers and accelerate missing."""
    env = _production_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings")
    result = _run([PYTHON, "-c", _BLOCK_IMAGE_EXTRA], env=env, timeout=180)
    assert result.returncode == 0, result.stderr[-4000:]
    count = int(result.stdout.split("imported", 1)[1].split()[0])
    assert count > 50, result.stdout  # the walk found the apps' modules
    for app in ("campaigns", "publishing", "networks", "content", "analytics"):
        assert app in result.stdout.split("modules of", 1)[1], result.stdout


def test_filesystem_broker_keeps_every_folder_under_the_var_dir(
    tmp_path: Path,
) -> None:
    """kombu's filesystem transport defaults its folders to the working directory
    (a `control/` folder appeared in the checkout): each one it reads is set."""
    code = (
        "import json\n"
        "from django.conf import settings\n"
        "from kombu.transport.filesystem import Channel\n"
        "folders = sorted(n for n in dir(Channel) if n.endswith('_folder'))\n"
        "print(json.dumps({'folders': folders, 'var': str(settings.VAR_DIR),\n"
        "  'options': settings.CELERY_BROKER_TRANSPORT_OPTIONS,\n"
        "  'results': settings.CELERY_RESULT_BACKEND}))\n"
    )
    env = _production_env(
        tmp_path, DJANGO_SETTINGS_MODULE="config.settings", CELERY_BROKER_URL=""
    )
    result = _run([PYTHON, "-c", f"import django; django.setup()\n{code}"], env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout)
    var = Path(found["var"])
    assert var == tmp_path / "var"
    assert "control_folder" in found["folders"], found  # kombu still names it so
    for name in found["folders"]:
        assert name in found["options"], f"{name} left to kombu's relative default"
        folder = Path(found["options"][name])
        assert folder.is_absolute() and folder.is_relative_to(var), (name, folder)
        assert folder.is_dir(), folder
    assert found["results"] == f"file://{var / 'celery' / 'results'}"
