"""Module and function size limits, for every Python file of the checkout.

A long module or function hides its seams; the limits make a split the default
and a long piece a stated choice:

- a module outside the tests: at most 400 lines (migrations are generated);
- a test module (under tests/, or named test_*.py / conftest.py): at most 600;
- a function (or method) over 60 lines, counted from its `def` to its last
  line, in the tests as elsewhere, says why it is one piece: a comment starting
  `# One piece:` before its first statement (after the docstring, if any). A
  test splits along its own phases (arrangement helpers, fixtures, separate
  tests); a browser story whose steps need each other's state says so.

The walk skips what is not ours: .venv, node_modules, var, migrations, hidden
and build folders.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MODULE_LIMIT = 400
TEST_MODULE_LIMIT = 600
FUNCTION_LIMIT = 60
ONE_PIECE = "# One piece:"

SKIPPED_FOLDERS = {
    ".venv",
    "node_modules",
    "var",
    "migrations",
    "__pycache__",
    "build",
    "staticfiles",
}


def _skipped(folder: str) -> bool:
    return (
        folder in SKIPPED_FOLDERS
        or folder.startswith(".")
        or folder.endswith(".egg-info")
    )


def _python_files() -> Iterator[Path]:
    """Every .py file of ours under ROOT, in a stable order."""
    folders = [ROOT]
    while folders:
        folder = folders.pop()
        for entry in sorted(folder.iterdir()):
            if entry.is_dir():
                if not _skipped(entry.name):
                    folders.append(entry)
            elif entry.suffix == ".py":
                yield entry


def _is_test_module(path: Path) -> bool:
    relative = path.relative_to(ROOT)
    return (
        relative.parts[0] == "tests"
        or path.name.startswith("test_")
        or path.name == "conftest.py"
    )


def _line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _head(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> list[str]:
    """The lines from `def` to just before the first statement after the docstring."""
    body = node.body
    has_docstring = (
        isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )
    first = body[1] if has_docstring and len(body) > 1 else body[0]
    return lines[node.lineno - 1 : first.lineno - 1]


def _long_functions_without_reason(path: Path, root: Path = ROOT) -> list[str]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for node in _functions(ast.parse(text, filename=str(path))):
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length <= FUNCTION_LIMIT:
            continue
        if any(line.strip().startswith(ONE_PIECE) for line in _head(node, lines)):
            continue
        found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({length})")
    return found


def test_the_walk_finds_the_apps_and_the_tests() -> None:
    """The limits below are only as good as the walk: it sees the code."""
    found = {p.relative_to(ROOT).parts[0] for p in _python_files()}
    for folder in ("campaigns", "publishing", "networks", "content", "config", "tests"):
        assert folder in found, found
    assert ".venv" not in found and "var" not in found


def test_no_module_is_over_its_line_limit() -> None:
    over = []
    for path in _python_files():
        limit = TEST_MODULE_LIMIT if _is_test_module(path) else MODULE_LIMIT
        count = _line_count(path)
        if count > limit:
            over.append(f"{path.relative_to(ROOT)}: {count} lines (limit {limit})")
    assert not over, "Split along the module's own sections:\n" + "\n".join(over)


def test_a_function_over_60_lines_says_why_it_is_one_piece() -> None:
    found = [
        f for path in _python_files() for f in _long_functions_without_reason(path)
    ]
    assert not found, (
        f"Split these, or start them with a `{ONE_PIECE} <why>` comment:\n"
        + "\n".join(found)
    )


def test_the_function_rule_sees_a_long_function_and_its_reason(
    tmp_path: Path,
) -> None:
    """The rule itself: 61 lines fail; the comment after the docstring passes."""
    body = "\n".join(f"    x{i} = {i}" for i in range(FUNCTION_LIMIT - 1))
    plain = tmp_path / "plain.py"
    plain.write_text(f'def f():\n    """Doc."""\n{body}\n')
    reasoned = tmp_path / "reasoned.py"
    reasoned.write_text(f'def f():\n    """Doc."""\n    {ONE_PIECE} a table.\n{body}\n')
    assert _long_functions_without_reason(plain, tmp_path) == ["plain.py:1 f (61)"]
    assert _long_functions_without_reason(reasoned, tmp_path) == []
