"""Every command in a ```sh block of README.md and docs/*.md runs verbatim and exits 0.

The commands of one document run in order, in one empty temporary folder (a later command may read what an
earlier one wrote: `initscope diff tanh.json other.json`), with the `initscope` of this interpreter's
environment first on PATH. Lines that create an environment or install the package (`python3 -m venv`,
`pip install`) are left out: the package under test is installed already, and the README's test line would
run this suite inside itself. Each line runs through `bash -o pipefail -c`, so `#` comments, `&&` and pipes
mean what they mean in a terminal.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs the commands as processes

ROOT = Path(__file__).parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
INSTALLING = re.compile(r"\bpip install\b|-m venv\b")
TIMEOUT_S = 600


def sh_commands(text: str) -> list[str]:
    """The command lines of every ```sh block, in order (blank lines and whole-line comments left out)."""
    commands: list[str] = []
    inside = False
    for line in text.splitlines():
        fence = line.strip()
        if fence.startswith("```"):
            inside = not inside and fence[3:].strip() == "sh"
            continue
        if inside and fence and not fence.startswith("#"):
            commands.append(line.strip())
    return commands


def test_sh_blocks_are_found() -> None:
    """The extraction itself: README has sh blocks and their commands come out whole and in order."""
    text = "intro\n```sh\ninitscope list   # a comment\n\ninitscope run --depth 3\n```\n```\n$ not sh\n```\n"
    assert sh_commands(text) == ["initscope list   # a comment", "initscope run --depth 3"]
    readme = sh_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert any(c.startswith("initscope diff") for c in readme)
    assert any(c.startswith("initscope theory") for c in readme)


DOCUMENTS_WITH_COMMANDS = [d for d in DOCUMENTS if sh_commands(d.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("document", DOCUMENTS_WITH_COMMANDS, ids=lambda d: d.name)
def test_every_sh_command_runs_verbatim(document: Path, tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    failures: list[str] = []
    ran = 0
    for command in sh_commands(document.read_text(encoding="utf-8")):
        if INSTALLING.search(command):
            continue
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
        ran += 1
        if done.returncode != 0:
            failures.append(f"{command}\n  exit {done.returncode}: {done.stderr.strip()[-500:]}")
    assert ran > 0
    assert not failures, f"{document.name}: commands that fail verbatim:\n" + "\n".join(failures)
