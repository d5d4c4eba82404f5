"""`seed_demo`'s login: the same on every run, kept 0600 under var/, taken from
DEMO_PASSWORD when set, and handed to `run_all` for its ready line once the
demo is seeded."""

from __future__ import annotations

import stat
from io import StringIO

import pytest
from django.core.management import call_command

from publishing.management.commands.run_all import _demo_sign_in
from workspaces.models import (
    ApiKey,
    Invitation,
    Membership,
    Organization,
    Role,
    User,
    Workspace,
)
from workspaces.permissions import role_in_workspace

pytestmark = pytest.mark.django_db


def _run(name: str, *args: str, **options: object) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def _counts() -> dict[str, int]:
    models = (User, Organization, Workspace, Membership, Invitation, ApiKey)
    return {m.__name__: m.objects.count() for m in models}


def _password_line(output: str) -> str:
    return next(line for line in output.splitlines() if "Password:" in line)


@pytest.fixture
def var_dir(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    settings.VAR_DIR = tmp_path
    return tmp_path


def test_seed_demo_is_idempotent_and_prints_the_same_login(var_dir) -> None:
    first, _ = _run("seed_demo")
    counts = _counts()
    hashes = dict(User.objects.values_list("email", "password"))
    second, _ = _run("seed_demo")

    assert _counts() == counts
    assert dict(User.objects.values_list("email", "password")) == hashes
    assert _password_line(first) == _password_line(second)
    assert "demo@adloop.local" in second
    # No URL before anything listens: run_all prints it once the web answers.
    assert "http://testserver/" not in second and "Open:" not in second

    password = (var_dir / "demo_password").read_text().strip()
    assert password in _password_line(first)
    assert stat.S_IMODE((var_dir / "demo_password").stat().st_mode) == 0o600
    assert User.objects.get(email="demo@adloop.local").check_password(password)


def test_seed_demo_builds_the_agency_with_people_in_roles(var_dir) -> None:
    _run("seed_demo")
    demo = Workspace.objects.get(slug="demo")
    bikes = Workspace.objects.get(slug="demo-bikes")
    assert demo.name == "Demo Coffee Roasters"
    assert demo.time_zone == "Europe/Berlin"
    assert demo.organization.name == "Demo Agency"
    assert bikes.organization == demo.organization
    owner = User.objects.get(email="demo@adloop.local")
    assert role_in_workspace(owner, demo) == Role.OWNER
    assert role_in_workspace(owner, bikes) == Role.OWNER
    for email, role in [
        ("editor@adloop.local", Role.EDITOR),
        ("reviewer@adloop.local", Role.REVIEWER),
        ("client@adloop.local", Role.CLIENT),
    ]:
        person = User.objects.get(email=email)
        assert role_in_workspace(person, demo) == role
        assert role_in_workspace(person, bikes) is None


def test_seed_demo_uses_demo_password_from_the_environment(
    var_dir, monkeypatch
) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "correct horse battery")
    out, _ = _run("seed_demo")
    assert "correct horse battery" in _password_line(out)
    assert not (var_dir / "demo_password").exists()
    user = User.objects.get(email="demo@adloop.local")
    assert user.check_password("correct horse battery")


def test_run_all_reads_the_login_only_once_the_demo_is_seeded(var_dir) -> None:
    counts = _counts()
    assert _run("seed_demo", sign_in=True) == ("\n", "")
    assert _counts() == counts  # asking creates nothing
    assert not (var_dir / "demo_password").exists()

    _run("seed_demo")
    password = (var_dir / "demo_password").read_text().strip()
    out, _ = _run("seed_demo", sign_in=True)
    assert out == f"demo@adloop.local / {password}\n"

    User.objects.filter(email="demo@adloop.local").update(is_active=False)
    assert _run("seed_demo", sign_in=True) == ("\n", "")


@pytest.mark.django_db(transaction=True)  # it closes its thread's connection
def test_run_all_names_the_demo_login_in_its_ready_line(var_dir, monkeypatch) -> None:
    assert _demo_sign_in() == ""
    monkeypatch.setenv("DEMO_PASSWORD", "a-demo-password")
    _run("seed_demo")
    assert _demo_sign_in() == " and sign in as demo@adloop.local / a-demo-password"
