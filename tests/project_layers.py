"""The packages and layers pyproject.toml's import contract declares, for the
tests that check what import-linter cannot (foreign keys, `django.db`, network
names): one reading of the contract, so they never drift from it."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@cache
def _importlinter() -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return dict(config["tool"]["importlinter"])


def first_party() -> frozenset[str]:
    """Our top-level packages (`root_packages`)."""
    return frozenset(_importlinter()["root_packages"])


def heights() -> dict[str, int]:
    """Package -> its layer's height (0 is the bottom), from the layers contract."""
    [layered] = [c for c in _importlinter()["contracts"] if c["type"] == "layers"]
    height = {}
    for level, layer in enumerate(reversed(layered["layers"])):
        for name in layer.replace(":", "|").split("|"):
            height[name.strip()] = level
    return height
