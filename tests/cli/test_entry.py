"""The `initscope` command's entry: the console script and `python -m initscope` both call `cli.command`,
which returns main's exit code and leaves the process's objects frozen, so that the interpreter's exit
skips collecting them (docs/performance.md: about 17 ms of `initscope run`)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_console_script_and_python_m_call_command() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"initscope": "initscope.cli:command"}
    main_module = ast.parse((ROOT / "initscope" / "__main__.py").read_text())
    called = {n.func.id for n in ast.walk(main_module) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert "command" in called


def run_command(argv: list[str]) -> tuple[int, int]:
    """(command()'s return value, gc.get_freeze_count() after it) in a fresh interpreter."""
    code = (
        "import gc, sys; from initscope.cli import command; "
        f"sys.argv = ['initscope', *{argv!r}]; before = gc.get_freeze_count(); code = command(); "
        "print((code, gc.get_freeze_count() - before), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    code_and_frozen: tuple[int, int] = ast.literal_eval(done.stderr.strip().splitlines()[-1])
    return code_and_frozen


def test_command_returns_mains_code_and_freezes_what_the_process_holds() -> None:
    code, frozen = run_command(["run", "--fan-in", "8", "--batch", "8", "--depth", "2"])
    assert code == 0
    assert frozen > 10_000  # NumPy and initscope's modules, functions and classes


def test_a_refused_value_still_exits_2_through_command() -> None:
    code, _ = run_command(["run", "--depth", "0"])
    assert code == 2
