"""A new network is one package (`networks/<key>/`) and one registration
(`networks.registry.NETWORKS`): outside `networks/`, no module names a network
except those listed here, each with the reason it may.

"Names" means code: an identifier with the network as one of its words
(`Network.MASTODON`, `mastodon_form`) or a string that has it as a word;
comments and docstrings do not count. Only the networks whose names are not
also everyday words are looked for (not x, email or webhook).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from networks.registry import NETWORKS
from tests.project_layers import first_party

ROOT = Path(__file__).resolve().parents[2]
APPS = tuple(sorted(first_party() - {"networks"}))
# Every registered network, but those whose key is a common word in code too.
COMMON_WORDS = {"email", "webhook", "x"}
WORDS = tuple(key for key in NETWORKS if key not in COMMON_WORDS)
WORD = re.compile(rf"\b({'|'.join(WORDS)})\b", re.IGNORECASE)

# Module (path from the repository root) -> why it may name a network.
# "Words": a person-facing text (help, labels, schema docs) that must read
# as it does; the others hold the database's or the demo's own data, or
# settings and icons per network.
ALLOWED: dict[str, str] = {
    "connections/models.py": "the Network choices and MastodonApp (the database's)",
    "demo/management/commands/seed_demo.py": "demo seed data",
    "demo/seed.py": "demo seed data",
    "config/settings/publishing.py": "settings: each network's API base URLs",
    "workflow/templatetags/calendar_tags.py": "icons and colours per network",
    # Words.
    "campaigns/views/post_forms.py": "words: the blog fields' help (and WORDPRESS)",
    "connections/api/accounts.py": "words: the connect endpoint's schema text",
    "connections/api/connect.py": "words: the connect endpoint's schema examples",
    "connections/api/serializers.py": "words: the limits field's schema text",
    "connections/forms_accounts.py": "words: a handle's placeholder",
    "connections/management/commands/rotate_encryption_keys.py": "words: help",
    "content/api/asset_docs.py": "words: a schema example",
    "content/api/generations.py": "words: schema examples",
    "content/api/variants.py": "words: the schema text",
    "publishing/api/publications.py": "words: a schema example",
    "workflow/api/post_serializers.py": "words: the blog fields' schema text",
    "workflow/api/review.py": "words: the blog fields' schema text",
}


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list) or not body:
            continue
        first = body[0]
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            end = first.end_lineno or first.lineno
            lines.update(range(first.lineno, end + 1))
    return lines


def names_a_network(source: str) -> list[str]:
    """The tokens of `source` that name a network (see the module's docstring)."""
    docstrings = _docstring_lines(ast.parse(source))
    found: list[str] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME:
            words = token.string.lower().split("_")
            if any(word in WORDS for word in words):
                found.append(f"{token.start[0]}: {token.string}")
        elif (
            token.type == tokenize.STRING
            and token.start[0] not in docstrings
            and WORD.search(token.string)
        ):
            found.append(f"{token.start[0]}: {token.string[:60]}")
    return found


def modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def offenders() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in modules():
        found = names_a_network(path.read_text())
        if found:
            out[str(path.relative_to(ROOT))] = found
    return out


def test_only_the_listed_modules_outside_networks_name_a_network() -> None:
    found = offenders()
    unexpected = {path: hits[:3] for path, hits in found.items() if path not in ALLOWED}
    assert unexpected == {}, (
        "Move this network knowledge into its package (networks/<key>/), or list "
        "the module in ALLOWED with the reason it cannot move."
    )


def test_every_listed_module_still_names_a_network() -> None:
    """An entry that no longer applies goes, so the list stays the truth."""
    found = offenders()
    assert sorted(set(ALLOWED) - set(found)) == []


def test_the_scan_sees_code_and_skips_prose() -> None:
    source = (
        '"""Posts to Mastodon."""\n'
        "# Bluesky too\n"
        "def f():\n"
        '    """Facebook\'s way."""\n'
        '    return "wordpress", Network.LINKEDIN, instagram_scopes, Mastodonish\n'
    )
    hits = names_a_network(source)
    assert [hit.split(": ")[1] for hit in hits] == [
        '"wordpress"',
        "LINKEDIN",
        "instagram_scopes",
    ]
