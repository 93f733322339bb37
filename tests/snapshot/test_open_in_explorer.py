"""The explorer opening a hostile file shows one error message and keeps its screen (never blank)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from initscope import snapshot
from initscope.engine import Config, run
from initscope.tui.app import InitScopeApp

SMALL = Config(depth=3, fan_in=8, batch=8)


def _good() -> dict[str, object]:
    return json.loads(snapshot.dumps(run(SMALL)))  # type: ignore[no-any-return]


def _string_count(path: Path) -> None:
    doc = _good()
    doc["layers"][0]["activation"]["histogram"]["total"] = "many"  # type: ignore[index]
    path.write_text(json.dumps(doc))


def _overflowing_count(path: Path) -> None:  # OverflowError in int64 before the schema
    doc = _good()
    doc["layers"][1]["weight"]["histogram"]["counts"][0] = 2**70  # type: ignore[index]
    path.write_text(json.dumps(doc))


def _bounds_list(path: Path) -> None:  # TypeError before the schema
    doc = _good()
    doc["layers"][0]["weight"]["bounds"] = [[1], [2]]  # type: ignore[index]
    path.write_text(json.dumps(doc))


HOSTILE: dict[str, tuple[Callable[[Path], None], str]] = {
    "string_count": (_string_count, "layers[0].activation.histogram.total"),
    "overflow": (_overflowing_count, "layers[1].weight.histogram.counts[0]"),
    "type": (_bounds_list, "layers[0].weight.bounds[0]"),
    "deep": (lambda p: p.write_text("[" * 1000 + "]" * 1000), "nested more than"),
    "fifo": (lambda p: os.mkfifo(p), "not a regular file"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_a_hostile_file_gives_a_message(name: str, tmp_path: Path) -> None:
    make, expected = HOSTILE[name]
    path = tmp_path / f"{name}.json"
    make(path)
    app = InitScopeApp(config=SMALL, export_dir=tmp_path, open_path=path, clock=False)
    messages: list[str] = []
    real_notify = app.notify

    def notify(message: str, *args: object, **kwargs: object) -> None:
        messages.append(message)
        real_notify(message, *args, **kwargs)  # type: ignore[arg-type]

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=(100, 32)) as pilot:
        for _ in range(500):
            if any("cannot open" in m for m in messages) and app.result is not None:
                break
            await pilot.pause(0.02)
        await app.workers.wait_for_complete()
        shown = [m for m in messages if "cannot open" in m]
        assert shown and expected in shown[0] and "\n" not in shown[0], messages
        assert app.result is not None and app.snapshot_path is None  # the live run is on screen instead
