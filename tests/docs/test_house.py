"""The house rules a newcomer relies on, checked: small modules, short functions, one definition of each
array type (ruff checks complexity, C901; mypy the types)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "initscope"
MAX_MODULE_LINES = 460
"""About 450: a module past this holds more than one job."""
MAX_FUNCTION_LINES = 60


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_over_about_450_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n for p in sources() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, long


def test_no_function_is_over_60_lines_without_a_reason() -> None:
    """A longer function says why in its docstring, in a sentence starting 'Long: ' (a parser's flat list
    of flags reads best as one block)."""
    long = []
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno is not None:
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES and "Long: " not in (ast.get_docstring(node) or ""):
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, long


def test_array_types_are_defined_once() -> None:
    pattern = re.compile(r"^(FloatArray|IntArray|Array)\s*=", re.M)
    defined = [str(p.relative_to(PACKAGE)) for p in sources() if pattern.search(p.read_text())]
    assert defined == ["engine/arrays.py"], defined
