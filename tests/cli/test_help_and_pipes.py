"""The CLI explains every flag, shows framework code in plain `list`, and leaves quietly when its reader goes."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator

import pytest

from initscope.cli import EXIT_BROKEN_PIPE, main, make_parser
from initscope.engine.initializers import CATALOGUE
from initscope.reference import EXAMPLE_FANS
from initscope.snippets import snippets


def every_action(parser: argparse.ArgumentParser, path: str = "initscope") -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from every_action(sub, f"{path} {name}")
        else:
            yield path, action


def test_every_flag_and_argument_has_help() -> None:
    actions = list(every_action(make_parser()))
    assert len(actions) > 60  # the walk reached the subcommands
    missing = [
        f"{path} {'/'.join(action.option_strings) or action.dest}"
        for path, action in actions
        if not action.help or action.help == argparse.SUPPRESS
    ]
    assert not missing, missing


def test_every_help_text_formats(capsys: pytest.CaptureFixture[str]) -> None:
    # a stray % in a help string only fails when --help formats it
    for argv in (
        ["--help"],
        ["run", "--help"],
        ["sample", "--help"],
        ["list", "--help"],
        ["diff", "--help"],
        ["theory", "--help"],
        ["train", "--help"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--max-iters" in out and "taken by lsuv" in out


def test_plain_list_shows_every_entry_s_framework_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for entry in CATALOGUE:
        block = out[out.index(f"\n{entry.name}") :]
        block = block[: block.find("\n\n", 1)] if "\n\n" in block[1:] else block
        for code in snippets(entry, *EXAMPLE_FANS).values():
            for line in code.splitlines():
                assert line in block, (entry.name, line)


@pytest.mark.parametrize(
    "argv",
    [
        ["sample", "--fan-in", "10", "-n", "100"],
        ["run", "--fan-in", "8", "--batch", "8", "--depth", "400", "--format", "csv"],
    ],
    ids=["sample (print, flushed at exit)", "run csv (one large write)"],
)
def test_a_reader_that_went_away_is_not_an_error(argv: list[str]) -> None:
    """`initscope sample ... | head -3` where head has gone before initscope writes: it used to print
    `unexpected error: [Errno 32] Broken pipe` (exit 1), or Python's "Exception ignored" at exit (120)."""
    proc = subprocess.Popen([sys.executable, "-m", "initscope", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before the command has written anything (it computes first)
    _, err = proc.communicate(timeout=120)
    assert err.decode() == ""
    assert proc.returncode == EXIT_BROKEN_PIPE


def test_sample_piped_to_head_is_quiet() -> None:
    """The issue's own command line. Whether head has gone before initscope's last write is a race (with
    PYTHONUNBUFFERED every print is two writes), so only the quiet stderr is certain; the shell reports
    head's status."""
    done = subprocess.run(
        f"{sys.executable} -m initscope sample --fan-in 10 -n 100 | head -3",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stderr == ""
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 3
