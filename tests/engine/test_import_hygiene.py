"""The engine imports nothing from textual, rich or plotext."""

from __future__ import annotations

import subprocess
import sys


def test_engine_loads_no_ui_package() -> None:
    code = (
        "import sys, initscope.engine, initscope.engine.theory, initscope.engine.verdict, initscope.snapshot,"
        "initscope.engine.jacobian, initscope.engine.ensemble, initscope.engine.training;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'plotext', 'textual_plotext'));"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
