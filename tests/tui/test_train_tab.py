"""Pilot tests of the Train tab: the race runs in its own worker and the tab shows what run_race returns."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input
from tui_helpers import count_calls, settle, text_of

from initscope.engine.config import Config
from initscope.engine.propagate import run
from initscope.engine.training import DEFAULT_NETWORK, RaceResult, TrainConfig, run_race
from initscope.tui.app import InitScopeApp
from initscope.tui.summary import num
from initscope.tui.train.tab import TrainTab

SMALL = Config(fan_in=64, depth=6, batch=64)
CONTENDERS = "he_normal,xavier_normal,zeros"


async def until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.02)


async def checked(pilot: Pilot[Any], tab: TrainTab) -> None:
    """Wait until the latest edit of the race form has been validated."""
    await pilot.pause()  # the Input.Changed of the edit is handled first
    await until(pilot, lambda: tab.checked_generation == tab.check_generation, what="validation")


async def open_train_tab(pilot: Pilot[Any], epochs: str) -> TrainTab:
    app = pilot.app
    await settle(pilot)
    await pilot.press("5")
    tab = app.query_one(TrainTab)
    app.query_one("#race-contenders", Input).value = CONTENDERS
    app.query_one("#race-epochs", Input).value = epochs
    await checked(pilot, tab)
    app.set_focus(None)
    return tab


async def race(pilot: Pilot[Any], tab: TrainTab) -> RaceResult:
    started = tab.generation
    await pilot.press("t")
    await until(pilot, lambda: tab.generation > started and not tab.racing, what="the race")
    await pilot.pause()
    assert tab.race is not None
    return tab.race


def row_of(table: str, label: str) -> str:
    return next(line for line in table.splitlines() if line.lstrip("■ ").startswith(label + " "))


async def test_race_table_shows_what_run_race_returns() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(120, 36)) as pilot:
        tab = await open_train_tab(pilot, "6")
        draws = count_calls(tab, "_draw_race")
        shown = await race(pilot, tab)
        headless = run_race(TrainConfig(network=DEFAULT_NETWORK, contenders=CONTENDERS, epochs=6))
        table = text_of(app, "#race-table")
        for mine, theirs in zip(shown.contenders, headless.contenders, strict=True):
            assert mine.label == theirs.label
            assert mine.steps_to_target == theirs.steps_to_target
            assert mine.final_loss == theirs.final_loss  # same seeds, same batches: bit-identical
            row = row_of(table, theirs.label)
            steps = "—" if theirs.steps_to_target is None else str(theirs.steps_to_target)
            assert f" {steps} " in row and f" {num(theirs.final_loss)} " in row, row
            assert theirs.reason in row
        assert "1 of 64 — symmetric" in row_of(table, "zeros")
        assert headless.conclusion() in table.replace("\n", " ")
        # the symmetry indicator per layer, on the update:data view
        await pilot.press("v")
        await pilot.pause()
        assert "zeros 1 1 1 — symmetric" in text_of(app, "#race-units")
        assert draws[0] >= 1


async def test_contenders_follow_the_controls_then_bad_input_keeps_the_last_race(tmp_path: Path) -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        field = app.query_one("#race-contenders", Input)
        assert field.value == CONTENDERS  # he_normal, and the engine's default rivals while nothing is pinned
        await pilot.press("p", "right_square_bracket")
        await settle(pilot)
        assert field.value == f"{app.config.initializer},he_normal"  # the current initializer, then the pin
        field.value = "zeros,lecun_normal"  # the user's choice stays
        app.set_focus(None)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert field.value == "zeros,lecun_normal"
        tab = await open_train_tab(pilot, "2")
        before = await race(pilot, tab)
        table = text_of(app, "#race-table")
        lr = app.query_one("#race-lr", Input)
        lr.value = "0"
        await checked(pilot, tab)
        assert lr.has_class("-invalid-field") and tab.invalid_field == "lr"
        status = text_of(app, "#race-status")
        assert "lr" in status and "> 0" in status and "\n" not in tab.error_text
        app.set_focus(None)
        await pilot.press("t")  # refused: the last race stays
        await until(pilot, lambda: not tab.racing, what="the refusal")
        assert tab.race is before and text_of(app, "#race-table") == table
        lr.value = ""
        await checked(pilot, tab)
        assert tab.invalid_field is None and not lr.has_class("-invalid-field")
        # epochs over the work budget
        app.query_one("#race-epochs", Input).value = "1000000"
        await checked(pilot, tab)
        assert tab.invalid_field == "epochs" and "budget" in tab.error_text
        app.query_one("#race-epochs", Input).value = "2"
        # a malformed data file: the reason names the line
        bad = tmp_path / "bad.csv"
        bad.write_text("x,y,label\n1,2,0\n3,oops,1\n")
        app.query_one("#race-data", Input).value = str(bad)
        await checked(pilot, tab)
        assert tab.invalid_field == "data" and "line 3" in tab.error_text, tab.error_text
        assert app.query_one("#race-data", Input).has_class("-invalid-field")
        assert tab.race is before


async def test_a_race_runs_beside_the_explorer_and_x_cancels_it() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        tab = await open_train_tab(pilot, "5000")
        app.action_race()  # as the key t does (Pilot's press waits for an idle app, which a race never is)
        await until(pilot, lambda: tab.live is not None and tab.live.running, what="progress")
        # a control changed during the race: the forward/backward run goes on and the summary shows it
        app.query_one("#seed", Input).value = "9"
        await until(
            pilot, lambda: app.result is not None and app.result.config.seed == 9, what="the forward/backward run"
        )
        assert tab.racing, "the race should still be running"
        expected = run(SMALL.replace(seed=9), threading.Event())
        assert f"std {num(expected.weights.summary.std[0])}" in text_of(app, "#summary-weights")
        # x stops the race; what it had stays, marked cancelled
        app.set_focus(None)
        await pilot.press("x")
        await until(pilot, lambda: not tab.racing, timeout=5, what="the cancelled race")
        r = tab.race
        assert r is not None and r.cancelled and r.epochs_done < 5000
        assert all(c.status == "cancelled" for c in r.contenders)
        table = text_of(app, "#race-table")
        for c in r.contenders:  # the reason, or its short form when the table is narrow
            row = row_of(table, c.label)
            assert f"cancelled at step {c.stopped_step}" in row or f"cancelled @{c.stopped_step}" in row, row
        # editing a race setting stops a running race too
        app.action_race()
        await until(pilot, lambda: tab.live is not None, what="the second race")
        app.query_one("#race-epochs", Input).value = "4000"
        await until(pilot, lambda: not tab.racing, timeout=5, what="the race stopped by the edit")
        assert tab.race is not None and tab.race is not r and tab.race.cancelled


async def test_export_holds_the_race_and_open_shows_it(tmp_path: Path) -> None:
    app = InitScopeApp(config=SMALL, export_dir=tmp_path, clock=False)
    async with app.run_test(size=(120, 36)) as pilot:
        tab = await open_train_tab(pilot, "3")
        shown = await race(pilot, tab)
        await pilot.press("e")
        await until(pilot, lambda: any(tmp_path.glob("*.json")), what="the export")
        await app.workers.wait_for_complete()
        path = next(tmp_path.glob("*.json"))
        block = json.loads(path.read_text())["training"]
        assert block["format"] == "initscope.training"
        assert [c["label"] for c in block["contenders"]] == [c.label for c in shown.contenders]
        assert [c["steps_to_target"] for c in block["contenders"]] == [c.steps_to_target for c in shown.contenders]
        # another race, then open the snapshot: its race comes back, with its settings in the form
        app.query_one("#race-epochs", Input).value = "2"
        await checked(pilot, tab)
        app.set_focus(None)
        other = await race(pilot, tab)
        assert other.epochs_done == 2
        app.load_snapshot(path)
        await until(pilot, lambda: tab.race_source == path.name, what="the opened race")
        await pilot.pause()
        opened = tab.race
        assert opened is not None and opened is not other
        assert [c.final_loss for c in opened.contenders] == [c.final_loss for c in shown.contenders]
        table = text_of(app, "#race-table")
        for c in shown.contenders:
            assert f" {num(c.final_loss)} " in row_of(table, c.label)
        assert app.query_one("#race-epochs", Input).value == "3"
        assert "from " + path.name in text_of(app, "#race-status")


async def test_config_contenders_race_on_the_train_tab() -> None:
    """The explorer's residual architecture is the first contender; typed config contenders race as the CLI's."""
    app = InitScopeApp(config=SMALL.replace(arch="residual", branch_scale="1/sqrt(2L)"), clock=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        tab = app.query_one(TrainTab)
        field = app.query_one("#race-contenders", Input)
        assert field.value.startswith("arch=residual branch_scale=1/sqrt(2L),")
        contenders = "arch=residual norm=none, arch=residual norm=layernorm"
        field.value = contenders
        app.query_one("#race-depth", Input).value = "8"
        app.query_one("#race-epochs", Input).value = "3"
        await checked(pilot, tab)
        assert tab.invalid_field is None, tab.error_text
        app.set_focus(None)
        shown = await race(pilot, tab)
        headless = run_race(TrainConfig(network=DEFAULT_NETWORK.replace(depth=8), contenders=contenders, epochs=3))
        assert [c.label for c in shown.contenders] == ["arch=residual norm=none", "arch=residual norm=layernorm"]
        for mine, theirs in zip(shown.contenders, headless.contenders, strict=True):
            assert mine.status == theirs.status
            assert mine.final_loss == theirs.final_loss or (
                mine.final_loss != mine.final_loss and theirs.final_loss != theirs.final_loss
            )
        table = text_of(app, "#race-table")
        assert "arch=residual norm=none" in table or "arch=residual" in table
