"""What the network packages may import, beyond the import-linter contract
(which cannot name `django.db`: it sees external packages by their top name
only). Connectors never touch the ORM; of AdLoop they use their own package,
the other networks' shared parts and core (the outbound HTTP choke point)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.project_layers import first_party

ROOT = Path(__file__).resolve().parents[2]
NETWORKS = ROOT / "networks"
FIRST_PARTY = first_party()
ALLOWED = ("networks", "core")


def imported(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (`from a import b` counts as
    `a.b` too, so `from publishing import models` is seen as publishing.models)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(f"{p}.") for p in packages)


def refused(name: str) -> bool:
    if _within(name, ("django.db",)):
        return True
    if name.split(".")[0] not in FIRST_PARTY or name in FIRST_PARTY:
        return False  # a bare `content` is its submodule, checked too
    return not _within(name, ALLOWED)


@pytest.mark.parametrize(
    "path", sorted(NETWORKS.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_a_connector_imports_no_orm_and_no_other_app(path: Path) -> None:
    assert not sorted(filter(refused, imported(path)))


def test_the_check_itself_refuses_the_orm() -> None:
    assert refused("publishing.models")
    assert refused("django.db")
    assert refused("django.db.transaction")
    assert refused("content.models")
    assert refused("campaigns.terms")
    assert not refused("core.http")
    assert not refused("networks.textrules")
    assert not refused("django.conf")
