"""The explorer's file work, done in its threads: a snapshot written (with the Train tab's race) or read (with
the race it holds). Each returns what the app then says or shows; nothing here touches the screen."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

from initscope import snapshot
from initscope.engine.errors import ConfigError
from initscope.engine.result import Result
from initscope.engine.training import RaceResult
from initscope.tui.text import one_line

Severity = Literal["information", "warning", "error"]
Notice = tuple[str, Severity]
"""A notification: text and severity."""
MAX_ERROR_CHARS = 300
"""An error read from a file is cut to this: it is shown in a toast."""


def export_snapshot(result: Result, race: RaceResult | None, export_dir: Path) -> list[Notice]:
    """Write `result` (with `race` as its `training` block, when there is one) into `export_dir`; what to say."""
    notices: list[Notice] = []
    if race is not None:
        try:  # to_dict re-reads a race's data file: if it is gone, the snapshot goes without the race
            result = dataclasses.replace(result, training=race.to_dict())
        except ValueError as err:
            notices.append((f"the race is left out of the snapshot: {one_line(err)}", "warning"))
    try:
        json_path, csv_path = snapshot.export(result, export_dir)
    except (OSError, ValueError) as err:
        return [*notices, (f"export failed: {one_line(err)}", "error")]
    return [*notices, (f"exported {json_path} and {csv_path.name}", "information")]


def race_of_snapshot(result: Result) -> tuple[RaceResult | None, str]:
    """The race a snapshot's `training` block holds (call in a thread: it validates, and may read the data
    file): (race, "") or (None, why it cannot be shown) or (None, "") without a block."""
    block = result.training
    if not block:
        return None, ""
    try:
        return RaceResult.from_dict(block), ""
    except (ConfigError, ValueError, TypeError, KeyError, ArithmeticError, OSError) as err:
        return None, one_line(err)[:MAX_ERROR_CHARS]


def read_snapshot(path: Path) -> tuple[Result, RaceResult | None, str] | str:
    """(the result, its race, why its race cannot be shown) read from `path`, or why it cannot be opened."""
    try:
        result = snapshot.read(path)
    except Exception as err:  # a bad file is a SnapshotError; anything else must still be a message
        text = one_line(err)
        if not isinstance(err, snapshot.SnapshotError):
            text = f"{path}: {type(err).__name__}: {text}"
        return f"cannot open: {text[:MAX_ERROR_CHARS]}"
    race, race_error = race_of_snapshot(result)
    return result, race, race_error
