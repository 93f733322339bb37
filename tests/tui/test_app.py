"""Pilot tests of the explorer: controls -> worker -> result on screen, and the keys."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import Input, Select
from tui_helpers import settle, text_of

from initscope.engine.config import Config
from initscope.engine.propagate import run
from initscope.engine.result import Result
from initscope.tui.app import InitScopeApp
from initscope.tui.controls import ControlPane
from initscope.tui.plot_widget import Plot
from initscope.tui.screens import HelpScreen
from initscope.tui.summary import SummaryPane, num, pct
from initscope.tui.tabs import TabView


def legend_of(app: InitScopeApp, selector: str) -> str:
    """The legend entries a plot shows, one string."""
    figure = app.query_one(selector, Plot).figure
    return "  ".join(entry.label for entry in figure.legend) if figure is not None else ""


SMALL = Config(fan_in=64, depth=6, batch=64)


def engine(cfg: Config) -> Result:
    return run(cfg, threading.Event())


def assert_summary_matches(app: InitScopeApp, cfg: Config, layer: int = 1) -> None:
    """The summary shows the numbers run(cfg) returns, formatted as the pane formats them."""
    r = engine(cfg)
    i = layer - 1
    weights = text_of(app, "#summary-weights")
    acts = text_of(app, "#summary-activations")
    verdict = text_of(app, "#summary-verdict")
    w = r.weights
    for value in (w.summary.min[i], w.summary.max[i], w.summary.mean[i], w.summary.std[i], w.expected_std[i]):
        assert num(value) in weights, (num(value), weights)
    assert f"std {num(w.summary.std[i])} (exp {num(w.expected_std[i])})" in weights
    assert f"std {num(r.forward.activation.std[i])}" in acts
    assert f"pre-act std {num(r.forward.preactivation.std[i])}" in acts
    assert f"grad std {num(r.backward.activation_grad_std[i])}" in acts
    if r.forward.dead_fraction[i] == r.forward.dead_fraction[i]:
        assert f"dead {pct(r.forward.dead_fraction[i])}" in acts
    assert r.verdict.text in verdict
    assert app.result is not None and app.result.config == cfg


async def test_default_config_summary_shows_engine_numbers() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        assert_summary_matches(app, SMALL)


async def test_each_kind_of_control_reruns_with_engine_numbers() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        # an Input typed into, key by key
        fan_in = app.query_one("#fan_in", Input)
        fan_in.focus()
        await pilot.press("end", "backspace", "backspace", "3", "2")
        await settle(pilot)
        cfg = SMALL.replace(fan_in=32)
        assert app.config == cfg
        assert_summary_matches(app, cfg)
        # a Select
        app.query_one("#activation", Select).value = "tanh"
        await settle(pilot)
        cfg = cfg.replace(activation="tanh")
        assert_summary_matches(app, cfg)
        # the initializer Select, then one of its own parameter fields
        app.query_one("#initializer", Select).value = "xavier_normal"
        await settle(pilot)
        await pilot.pause()
        gain = app.query_one("#init-param-gain", Input)
        gain.value = "1.5"
        await settle(pilot)
        cfg = cfg.replace(initializer="xavier_normal", initializer_params={"gain": 1.5})
        assert_summary_matches(app, cfg)
        # dtype, seed, bias and clipping
        app.query_one("#dtype", Select).value = "float64"
        app.query_one("#seed", Input).value = "7"
        app.query_one("#bias", Input).value = "constant(0.1)"
        app.query_one("#clip", Input).value = "0.5"
        await settle(pilot)
        cfg = cfg.replace(dtype="float64", seed=7, bias="constant", bias_params={"value": 0.1}, clip=0.5)
        assert app.config == cfg
        assert_summary_matches(app, cfg)
        # up arrow on a number field doubles it
        depth = app.query_one("#depth", Input)
        depth.focus()
        await pilot.press("up")
        await settle(pilot)
        assert app.config.depth == 12


async def test_invalid_fan_in_marks_the_field_and_keeps_the_old_result() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        before = app.result
        app.query_one("#fan_in", Input).value = "0"
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        fan_in = app.query_one("#fan_in", Input)
        assert fan_in.has_class("-invalid-field")
        error = text_of(app, "#control-error")
        assert "fan_in" in error and "\n" not in error
        assert app.result is before
        assert "invalid" in app.status
        assert_summary_matches(app, SMALL)
        # fixing it clears the mark and runs again
        fan_in.value = "48"
        await settle(pilot)
        assert not fan_in.has_class("-invalid-field")
        assert app.config.fan_in == 48


async def test_memory_budget_refusal_is_a_notification_and_a_marked_field() -> None:
    cfg = SMALL.replace(memory_budget=4 * 1024**2)
    app = InitScopeApp(config=cfg, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        before = app.result
        app.query_one("#batch", Input).value = "65536"
        await pilot.pause()
        assert app.query_one("#batch", Input).has_class("-invalid-field")
        assert any("memory_budget" in n.message for n in app._notifications)
        assert app.result is before


async def test_ten_rapid_changes_show_only_the_last_result() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    shown: list[Config] = []
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        original = app.redraw

        def spy() -> None:
            if app.result is not None:
                shown.append(app.result.config)
            original()

        app.redraw = spy  # type: ignore[method-assign]
        depth = app.query_one("#depth", Input)
        for d in range(20, 30):
            depth.value = str(d)
        await settle(pilot)
        assert app.result is not None
        assert app.result.config.depth == 29
        assert shown and all(c.depth == 29 for c in shown), [c.depth for c in shown]
        assert_summary_matches(app, SMALL.replace(depth=29))


async def test_pin_and_clear() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        assert len(app.pins) == 1
        await pilot.press("right_square_bracket")
        await settle(pilot)
        await pilot.press("p")
        assert len(app.pins) == 2
        await pilot.press("2")
        await pilot.pause()
        legend = legend_of(app, "#std Plot")
        assert "pin 1" in legend and "pin 2" in legend
        await pilot.press("P")
        await pilot.pause()
        assert app.pins == []
        assert "pin 1" not in legend_of(app, "#std Plot")


async def test_help_opens_and_closes() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "pin the current run" in text_of(app, "#help-text")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_command_switches_the_initializer() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"initializer: orthogonal")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        await settle(pilot)
        assert app.config.initializer == "orthogonal"
        assert app.result is not None and app.result.config.initializer == "orthogonal"
        assert app.query_one("#initializer", Select).value == "orthogonal"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_overflow_config_says_overflow_and_no_plot_raises(size: tuple[int, int]) -> None:
    cfg = Config(initializer="normal", initializer_params={"std": 10}, depth=100, dtype="float16",
                 fan_in=64, batch=64)
    app = InitScopeApp(config=cfg, clock=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert app.result is not None and app.result.verdict.kind == "overflow"
        assert "overflow" in text_of(app, "#summary-verdict").lower()
        for tab in ("1", "2", "3", "4"):
            await pilot.press(tab)
            await pilot.pause()
            view = app.query_one(f"#{app.query_one('#tabs').active}-view", TabView)  # type: ignore[attr-defined]
            for _ in range(len(view.VIEWS) or 1):
                await pilot.pause()
                for canvas in view.query(Plot):
                    if canvas.display and canvas.region.area:
                        assert "plot failed" not in str(canvas.render())
                view.next_view()
            for _ in range(3):
                await pilot.press("full_stop")
        assert app.is_running


async def test_only_the_visible_tab_redraws() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        views = {name: app.query_one(f"#{name}-view", TabView) for name in ("weights", "forward", "backward")}
        before = {name: v.updates for name, v in views.items()}
        app.query_one("#seed", Input).value = "3"
        await settle(pilot)
        assert views["weights"].updates == before["weights"] + 1
        assert views["forward"].updates == before["forward"]
        assert views["backward"].updates == before["backward"]
        await pilot.press("3")
        await pilot.pause()
        assert views["backward"].updates == before["backward"] + 1
        assert views["backward"].shown_state is app.state


async def test_a_tab_switch_sets_the_room_and_draws_the_tab_at_once() -> None:
    """The summary's room and the tab's drawing change with the switch itself, before the next frame (on the
    TabActivated message they came a frame later: a second layout pass of the whole right side)."""
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        summary = app.query_one(SummaryPane)
        app.action_tab("theory")
        assert summary.display and summary.has_class("-theory-tab")
        assert app.query_one("#theory-view", TabView).shown_state is app.state
        app.action_tab("train")
        assert not summary.display and not summary.has_class("-theory-tab")
        app.action_tab("backward")
        assert summary.display and not summary.has_class("-theory-tab")
        assert app.query_one("#backward-view", TabView).shown_state is app.state
        await pilot.pause()


async def test_controls_follow_keys_and_keep_exact_defaults() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert app.config.activation == "leaky_relu"
        assert app.query_one("#activation", Select).value == "leaky_relu"
        # he_normal's gain sqrt(2) is shown rounded but passed exactly: no spurious parameter
        assert app.config.initializer_params == Config().initializer_params
        assert "gain" not in app.config.to_string()
        assert isinstance(app.query_one(ControlPane), ControlPane)


async def test_export_open_and_screenshot(tmp_path: Path) -> None:
    app = InitScopeApp(config=SMALL, export_dir=tmp_path, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        shown = app.result
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        exported = sorted(tmp_path.glob("*.json"))
        assert len(exported) == 1 and exported[0].with_suffix(".csv").exists()
        assert any(str(exported[0]) in n.message for n in app._notifications)
        await pilot.press("s")
        await pilot.pause()
        assert len(list(tmp_path.glob("*.svg"))) == 1
        app.query_one("#seed", Input).value = "5"
        await settle(pilot)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.snapshot_path == exported[0]
        assert app.result is not None and shown is not None
        assert app.result.config == shown.config
        assert app.query_one("#seed", Input).value == "0"
        assert_summary_matches(app, SMALL)


async def test_export_failure_is_one_line_and_app_goes_on(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    app = InitScopeApp(config=SMALL, export_dir=blocker, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        failures = [n.message for n in app._notifications if "export failed" in n.message]
        assert failures and "\n" not in failures[0]
        app.query_one("#seed", Input).value = "2"
        await settle(pilot)
        assert app.config.seed == 2


async def test_open_at_start_pin_the_snapshot_and_rerun(tmp_path: Path) -> None:
    # `initscope --open FILE`: the snapshot is shown as exported; p pins it next to live runs; r re-runs it.
    from initscope import snapshot
    from initscope.engine import run

    other = SMALL.replace(initializer="lecun_normal", initializer_params={})
    saved = run(other)
    path = snapshot.write_atomic(tmp_path / "lecun.json", snapshot.dumps(saved))
    app = InitScopeApp(config=SMALL, export_dir=tmp_path, open_path=path, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        for _ in range(200):
            if app.snapshot_path == path:
                break
            await pilot.pause(0.02)
        assert app.snapshot_path == path and app.result is not None
        assert app.result.created_utc == saved.created_utc  # shown as exported, not recomputed
        assert app.query_one("#initializer", Select).value == "lecun_normal"
        await pilot.press("p")
        await pilot.pause()
        assert len(app.pins) == 1 and app.pins[0].result.config == other
        await pilot.press("r")
        await settle(pilot)
        assert app.snapshot_path is None and app.result is not None
        assert app.result.config == other
        assert_summary_matches(app, other)
