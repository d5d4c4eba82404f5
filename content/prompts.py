"""Prompt templates: versioned files under `content/prompts/`, rendered with
`string.Template`.

A file is named `<name>.v<version>.txt` and starts with a header of
`key: value` lines that must declare the same `name` and `version`, then a
`--- system ---` and a `--- user ---` section. Variables are `$name`; every
variable a template uses must be given (a missing one is a bug, not an empty
string), and values are substituted once, so a `$` in a brief stays a `$`.

Templates never hold secrets: what goes in is the brand profile, the campaign,
the post and the channel rules. A new wording is a new version file, so every
variant can name the exact template that produced it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from networks.copy_types import RenderedPrompt

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
_FILE = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)\.v(?P<version>\d+)\.txt$")
_SECTION = re.compile(r"^--- (system|user) ---$", re.MULTILINE)


class PromptError(Exception):
    """A template file that is missing, malformed, or rendered without a variable."""


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: str
    description: str
    system: Template
    user: Template

    def render(self, variables: dict[str, Any]) -> RenderedPrompt:
        values = {k: "" if v is None else str(v) for k, v in variables.items()}
        try:
            system = self.system.substitute(values).strip()
            user = self.user.substitute(values).strip()
        except KeyError as exc:
            raise PromptError(
                f"Prompt {self.name} v{self.version} needs the variable {exc}."
            ) from None
        return RenderedPrompt(
            template=self.name, version=self.version, system=system, user=user
        )


def _parse(path: Path) -> PromptTemplate:
    match = _FILE.match(path.name)
    if match is None:
        raise PromptError(f"{path.name} is not named <name>.v<version>.txt")
    text = path.read_text(encoding="utf-8")
    parts = _SECTION.split(text)
    # [header, "system", body, "user", body]
    if len(parts) != 5 or parts[1] != "system" or parts[3] != "user":
        raise PromptError(f"{path.name} needs a system then a user section")
    header: dict[str, str] = {}
    for line in parts[0].splitlines():
        if line.strip():
            key, _, value = line.partition(":")
            header[key.strip()] = value.strip()
    if header.get("name") != match["name"] or header.get("version") != match["version"]:
        raise PromptError(f"{path.name}: the header's name and version differ")
    return PromptTemplate(
        name=match["name"],
        version=match["version"],
        description=header.get("description", ""),
        system=Template(parts[2]),
        user=Template(parts[4]),
    )


@functools.cache
def load(name: str, version: str | None = None) -> PromptTemplate:
    """The template `name` at `version`, or its highest version."""
    versions = available(name)
    if not versions:
        raise PromptError(f"No prompt template named {name!r}")
    chosen = version or versions[-1]
    if chosen not in versions:
        raise PromptError(f"Prompt {name!r} has no version {chosen}")
    return _parse(PROMPTS_DIR / f"{name}.v{chosen}.txt")


def available(name: str) -> list[str]:
    """The versions of template `name` on disk, lowest first."""
    found = []
    for path in PROMPTS_DIR.glob(f"{name}.v*.txt"):
        match = _FILE.match(path.name)
        if match and match["name"] == name:
            found.append(match["version"])
    return sorted(found, key=int)


def render(
    name: str, variables: dict[str, Any], *, version: str | None = None
) -> RenderedPrompt:
    return load(name, version).render(variables)
