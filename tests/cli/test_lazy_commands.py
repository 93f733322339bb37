"""Subcommands whose modules load only when chosen: the same help, and `run` does not import their engines."""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys

import pytest

from initscope.cli import main, make_parser
from initscope.subcommands import LAZY_COMMANDS


def test_the_lazy_parser_lists_the_same_commands_and_help_as_the_full_one() -> None:
    assert make_parser(lazy=True).format_help() == make_parser().format_help()


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_a_lazy_command_gets_its_real_flags_when_chosen(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    eager = make_parser()
    sub = next(a for a in eager._actions if isinstance(a, argparse._SubParsersAction))
    assert capsys.readouterr().out == sub.choices[name].format_help()


def loaded_after(argv: list[str], names: tuple[str, ...], setup: str = "") -> list[str]:
    """Which of `names` (modules, or packages with everything below them) a fresh interpreter has loaded after
    `setup` (statements) and `initscope argv`."""
    code = (
        f"import sys; {setup}from initscope.cli import main; "
        f"main({argv!r}); "
        f"print(sorted(m for m in sys.modules if any(m == n or m.startswith(n + '.') for n in {names!r})), "
        "file=sys.stderr)"
    )  # printed as a Python list, not with json, which is one of the modules asked about
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: list[str] = ast.literal_eval(done.stderr.strip().splitlines()[-1])
    return loaded


def test_run_imports_neither_the_training_nor_the_audit_engine() -> None:
    argv = ["run", "--fan-in", "8", "--batch", "8", "--depth", "2", "--format", "csv"]
    engines = ("initscope.engine.training", "initscope.engine.audit", "initscope.train_cli", "initscope.audit_cli")
    assert loaded_after(argv, engines) == []


def test_run_with_a_table_imports_no_snapshot_writer() -> None:
    """`initscope run` printing its table needs neither the snapshot document (and its schema), nor json, nor
    tempfile (atomic writes): they load only when a document or a file is written. difflib loads only to
    suggest a name for an unknown one, the two-input correlation map only for a smooth chaotic net."""
    argv = ["run", "--fan-in", "8", "--batch", "8", "--depth", "2"]
    later = ("initscope.snapshot", "initscope.schema", "tempfile", "json", "difflib", "initscope.engine.correlation")
    assert loaded_after(argv, later) == []


def test_run_with_the_weight_helper_loads_neither_logging_nor_numpy_polynomial() -> None:
    """The weight feed's helper hands results back without concurrent.futures (which loads logging) and the
    theory's quadrature rules are stored numbers (no numpy.polynomial): about 6 ms of every `initscope run`.
    The helper is forced on: by default it depends on the machine's load."""
    forced = "from initscope.engine import execution; execution.use_helper = lambda fans: True; "
    names = ("logging", "concurrent.futures", "numpy.polynomial")
    assert loaded_after(["run", "--activation", "tanh"], names, setup=forced) == []
