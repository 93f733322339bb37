"""The CLI's help and the explorer's number fields quote engine/limits.py, not numbers of their own."""

from __future__ import annotations

from initscope.cli import make_parser
from initscope.engine import limits


def test_cli_help_quotes_the_limits() -> None:
    text = " ".join(make_parser().format_help().split())
    assert f"1..{limits.MAX_UNITS}" in text and f"1..{limits.MAX_DEPTH}" in text
    assert f"1..{limits.MAX_BATCH}" in text


def test_explorer_integer_fields_stop_at_the_limits() -> None:
    from initscope.tui.controls import INTEGER_FIELDS

    assert INTEGER_FIELDS == {
        "fan_in": (1, limits.MAX_UNITS),
        "depth": (1, limits.MAX_DEPTH),
        "batch": (1, limits.MAX_BATCH),
        "seed": (0, limits.MAX_SEED),
    }
