"""Management commands: the demo seed and API-key minting from a shell."""

from __future__ import annotations

import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from campaigns import services
from campaigns.models import (
    ApiKey,
    Invitation,
    Membership,
    Organization,
    Role,
    User,
    Workspace,
)
from campaigns.permissions import role_in_workspace
from tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db


def _run(name: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err)
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


def test_create_api_key_prints_only_a_working_key(tenant) -> None:
    slug = tenant.workspace.slug
    out, err = _run("create_api_key", slug, "--scope", "write", "--name", "CI")
    assert out.count("\n") == 1
    secret = out.strip()
    assert secret and " " not in secret
    assert secret not in err
    key = services.api_key_authenticate(secret)
    assert key is not None
    assert (key.workspace, key.scope, key.name) == (tenant.workspace, "write", "CI")


def test_create_api_key_defaults_to_read_and_can_reach_the_organization(
    tenant,
) -> None:
    out, _ = _run("create_api_key", tenant.workspace.slug, "--organization")
    key = services.api_key_authenticate(out.strip())
    assert key is not None
    assert key.scope == "read"
    assert key.workspace is None
    assert key.organization == tenant.workspace.organization


def test_create_api_key_rejects_an_unknown_workspace() -> None:
    WorkspaceFactory(slug="known")
    with pytest.raises(CommandError, match="No workspace with slug 'nope'"):
        _run("create_api_key", "nope")
    assert ApiKey.objects.count() == 0


def test_create_api_key_rejects_an_unknown_scope(tenant) -> None:
    with pytest.raises(CommandError, match="Unknown scope 'admin'"):
        _run("create_api_key", tenant.workspace.slug, "--scope", "admin")
    assert ApiKey.objects.count() == 0
