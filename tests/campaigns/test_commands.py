"""Management commands: API-key minting from a shell (the demo seed: tests/demo/)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import WorkspaceFactory
from workspaces.models import ApiKey
from workspaces.services.api_keys import api_key_authenticate

pytestmark = pytest.mark.django_db


def _run(name: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_api_key_prints_only_a_working_key(tenant) -> None:
    slug = tenant.workspace.slug
    out, err = _run("create_api_key", slug, "--scope", "write", "--name", "CI")
    assert out.count("\n") == 1
    secret = out.strip()
    assert secret and " " not in secret
    assert secret not in err
    key = api_key_authenticate(secret)
    assert key is not None
    assert (key.workspace, key.scope, key.name) == (tenant.workspace, "write", "CI")


def test_create_api_key_defaults_to_read_and_can_reach_the_organization(
    tenant,
) -> None:
    out, _ = _run("create_api_key", tenant.workspace.slug, "--organization")
    key = api_key_authenticate(out.strip())
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
