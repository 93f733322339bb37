"""docs/guide.md is run, not trusted: every command in it runs, and what it quotes must be what it prints.

A console block is `$ initscope ...` followed by lines of its output, with `...` standing for lines left
out: the quoted lines must appear in the real output, in that order, character for character. Numbers
quoted in the prose as inline code (`0.182574`) must appear in the output of a command of the same section.
Either way a stale guide fails.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs the commands as processes

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
CODE_SPAN = re.compile(r"`([^`\n]+)`")


@dataclass(frozen=True)
class Example:
    section: str
    command: str
    quoted: tuple[str, ...]
    """Output lines as the guide quotes them; '...' marks a gap."""


def _sections() -> list[tuple[str, str]]:
    """(heading, body) of every '## ' section."""
    parts = re.split(r"^## (.+)$", GUIDE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def _examples() -> list[Example]:
    found = []
    for heading, body in _sections():
        for block in BLOCK.findall(body):
            lines = block.rstrip("\n").split("\n")
            assert lines[0].startswith("$ initscope "), f"{heading}: a block must start with '$ initscope'"
            found.append(Example(heading, lines[0][2:], tuple(lines[1:])))
    return found


@cache
def _output(command: str) -> str:
    args = shlex.split(command)
    done = subprocess.run(
        [sys.executable, "-m", "initscope", *args[1:]], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{command!r} exited {done.returncode}: {done.stderr}"
    return done.stdout


EXAMPLES = _examples()


def test_the_guide_has_every_claim() -> None:
    headings = " ".join(h for h, _ in _sections()).lower()
    for claim in ("zero init", "vanish or explode", "he init", "xavier", "clipping", "1/sqrt(n)"):
        assert claim in headings
    assert any("--fan-in 10 -n 1000" in e.command and "inv_sqrt_fan_in_uniform" in e.command for e in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.command for e in EXAMPLES])
def test_quoted_lines_are_what_the_command_prints(example: Example) -> None:
    actual = [line.rstrip() for line in _output(example.command).splitlines()]
    position = 0
    anchored = True  # without a leading '...', the first quoted line is the first printed line
    for line in example.quoted:
        if line.strip() == "...":
            anchored = False
            continue
        want = line.rstrip()
        if anchored:
            assert position < len(actual) and actual[position] == want, (
                f"{example.command}: expected line {position + 1} to be\n{want}\ngot\n"
                f"{actual[position] if position < len(actual) else '(end of output)'}"
            )
            position += 1
            continue
        assert want in actual[position:], f"{example.command}: stale quote, not printed (in this order):\n{want}"
        position = actual.index(want, position) + 1
        anchored = True


@pytest.mark.parametrize(("heading", "body"), _sections(), ids=[h for h, _ in _sections()])
def test_numbers_in_the_prose_are_printed_by_the_sections_commands(heading: str, body: str) -> None:
    prose = BLOCK.sub("", body)
    outputs = "\n".join(_output(e.command) for e in EXAMPLES if e.section == heading)
    for span in CODE_SPAN.findall(prose):
        if re.search(r"(?<![A-Za-z_])\d", span):  # a number, not a name such as gpt2 or t5
            assert span in outputs, f"section {heading!r} quotes `{span}`, which its commands do not print"
