"""Pilot tests of the explorer: controls -> worker -> result on screen, and the keys."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select
from tui_helpers import count_calls, settle, text_of

from initscope.engine.config import Config
from initscope.engine.propagate import run
from initscope.engine.result import Result
from initscope.tui.app import InitScopeApp
from initscope.tui.chrome import TextLine
from initscope.tui.controls import ControlPane
from initscope.tui.plot_widget import Plot
from initscope.tui.screens import HelpScreen
from initscope.tui.summary import SummaryPane, num, pct
from initscope.tui.tabs.base import TabView


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
        await settle(pilot)
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
    cfg = SMALL.replace(memory_budget=16 * 1024**2)
    app = InitScopeApp(config=cfg, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        before = app.result
        app.query_one("#batch", Input).value = "65536"
        await settle(pilot)
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
    cfg = Config(initializer="normal", initializer_params={"std": 10}, depth=100, dtype="float16", fan_in=64, batch=64)
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
        shows = {name: count_calls(v, "show") for name, v in views.items()}
        app.query_one("#seed", Input).value = "3"
        await settle(pilot)
        assert shows["weights"] == [1]
        assert shows["forward"] == [0]
        assert shows["backward"] == [0]
        await pilot.press("3")
        await pilot.pause()
        assert shows["backward"] == [1]
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


# ---------------------------------------------------------------- the screen shows only the state it drew
async def type_into(pilot: Pilot[InitScopeApp], field: Input, text: str) -> None:
    """Focus `field`, clear it and type `text` key by key, as quickly as the pilot sends keys."""
    field.focus()
    await pilot.press("end", *["backspace"] * len(field.value), *text)


async def test_typing_65537_into_fan_in_never_shows_a_prefix_result() -> None:
    # Each keystroke used to run its prefix (6, 65, 655, 6553) and the header named the prefix while the field
    # said 65537 was refused. Now the text is applied when typing pauses: 65537 is refused as a whole, and the
    # header only ever names the config of the result on screen.
    app = InitScopeApp(config=SMALL, clock=False)
    shown: list[int] = []
    titles: list[str] = []
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        before = app.result
        original_redraw = app.redraw

        def spy() -> None:
            if app.result is not None:
                shown.append(app.result.config.fan_in)
            original_redraw()

        app.redraw = spy  # type: ignore[method-assign]
        title = app.query_one("#title", TextLine)
        original_set = title.set

        def record(text: str) -> None:
            titles.append(text)
            original_set(text)

        title.set = record  # type: ignore[method-assign]
        await type_into(pilot, app.query_one("#fan_in", Input), "65537")
        await settle(pilot)
        assert set(shown) <= {SMALL.fan_in}, shown
        assert app.result is before
        assert all("fan-in 64 " in t for t in titles), titles
        assert "fan-in 64 " in title.text
        assert app.status == "invalid · kept"
        assert "fan_in" in text_of(app, "#control-error") and "65537" in text_of(app, "#control-error")


async def test_enter_applies_typed_text_at_once() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_into(pilot, app.query_one("#depth", Input), "9")
        assert app.query_one(ControlPane).edit_pending
        await pilot.press("enter")
        assert not app.query_one(ControlPane).edit_pending
        assert app.config.depth == 9
        await settle(pilot)
        assert app.result is not None and app.result.config.depth == 9


async def test_a_typed_minus_is_an_error_naming_the_field_not_a_halving() -> None:
    # `-` used to halve the focused number: typing -5 ran fan-in 5 without a word.
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        before = app.result
        fan_in = app.query_one("#fan_in", Input)
        await type_into(pilot, fan_in, "-5")
        await settle(pilot)
        assert fan_in.value == "-5"
        assert fan_in.has_class("-invalid-field")
        error = text_of(app, "#control-error")
        assert "fan_in" in error and "-5" in error, error
        assert app.config.fan_in == SMALL.fan_in
        assert app.result is before


async def test_invalid_kept_clears_once_the_field_is_valid_again() -> None:
    # Correcting a refused value back to the shown config used to leave `invalid · kept` until `r`.
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        fan_in = app.query_one("#fan_in", Input)
        fan_in.value = "0"
        await settle(pilot)
        assert app.status == "invalid · kept"
        fan_in.value = str(SMALL.fan_in)  # one edit back to the config on screen: no run is needed
        await settle(pilot)
        assert app.status == "done"
        assert not fan_in.has_class("-invalid-field")
        assert text_of(app, "#control-error") == ""


async def test_a_width_list_sets_the_depth() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_into(pilot, app.query_one("#width", Input), "48,32,16")
        await settle(pilot)
        assert app.query_one("#depth", Input).value == "3"
        assert app.result is not None
        assert app.result.config.widths == (48, 32, 16) and app.result.config.depth == 3
        assert not app.query_one("#depth", Input).has_class("-invalid-field")


async def test_the_same_config_cannot_be_pinned_twice() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        app.query_one("#depth", Input).value = "7"
        await settle(pilot)
        app.query_one("#depth", Input).value = str(SMALL.depth)
        await settle(pilot)  # a new run of the pinned config
        await pilot.press("p")
        await pilot.pause()
        assert len(app.pins) == 1
        assert any("pinned already" in n.message for n in app._notifications)


async def test_summary_shows_activation_min_and_max() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        a = engine(SMALL).forward.activation
        acts = text_of(app, "#summary-activations")
        assert f"min {num(a.min[0])}  max {num(a.max[0])}" in acts, acts


# ---------------------------------------------------------------- palette, ctrl+c, progress
async def palette_hits(pilot: Pilot[InitScopeApp], query: str) -> list[str]:
    """The command texts the palette lists for `query`."""
    from textual.command import CommandList

    app = pilot.app
    await pilot.press("ctrl+p")
    await pilot.press(*query)
    await pilot.pause(0.5)
    hits = [str(option.prompt) for option in app.screen.query_one(CommandList).options]
    await pilot.press("escape")
    await pilot.pause()
    return hits


async def test_palette_finds_aliases_and_description_words() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        kaiming = await palette_hits(pilot, "kaiming")  # aliases kaiming_normal, kaiming_uniform: listed first
        assert {h.split(" (")[0] for h in kaiming[:2]} == {"initializer: he_normal", "initializer: he_uniform"}, kaiming
        torch = await palette_hits(pilot, "torch")  # the alias torch_default first, then summaries naming torch
        assert torch[0].startswith("initializer: inv_sqrt_fan_in_uniform"), torch
        assert len(torch) > 2
        glorot = "\n".join(await palette_hits(pilot, "glorot"))
        assert "initializer: xavier_uniform" in glorot and "initializer: xavier_normal" in glorot, glorot


async def test_keys_typed_while_the_palette_opens_are_its_query(tmp_path: Path) -> None:
    # Until the palette's input has the focus, a key went to the app's bindings (`e` wrote an export).
    from textual.command import CommandInput, CommandPalette

    app = InitScopeApp(config=SMALL, clock=False, export_dir=tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        app.screen.set_focus(None)  # the state of its first frames, before its input is focused
        await pilot.press("e", "x")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert list(tmp_path.iterdir()) == []
        assert app.screen.query_one(CommandInput).value == "ex"


async def test_ctrl_c_quits_when_nothing_is_selected() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app._exit


async def test_progress_counts_layers_then_says_it_is_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bar is determinate while layers are counted and indeterminate otherwise, never full before the
    result (it sat full while a depth-1000 run worked)."""
    import time as time_module

    from textual.widgets import ProgressBar

    import initscope.tui.explorer as explorer_module

    release = threading.Event()
    reached: dict[str, threading.Event] = {k: threading.Event() for k in ("start", "half", "all")}

    def slow_run(cfg: Config, cancel: threading.Event | None = None, progress: Any = None) -> Result:
        time_module.sleep(0.3)  # beyond PROGRESS_DELAY_S, before any layer is counted
        reached["start"].set()
        release.wait(10)
        release.clear()
        progress(cfg.n_layers, 2 * cfg.n_layers)
        reached["half"].set()
        release.wait(10)
        release.clear()
        progress(2 * cfg.n_layers, 2 * cfg.n_layers)
        reached["all"].set()
        release.wait(10)
        return run(cfg, threading.Event())

    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(explorer_module, "run", slow_run)
        bar = app.query_one("#progress", ProgressBar)
        app.query_one("#depth", Input).value = "8"
        app.query_one(ControlPane).apply_typed()

        async def wait_for(key: str) -> None:
            while not reached[key].is_set():
                await pilot.pause(0.02)
            await pilot.pause(0.1)

        await wait_for("start")
        assert bar.total is None and app.status == "running"
        release.set()
        await wait_for("half")
        assert (bar.progress, bar.total) == (8, 16) and app.status == "running 8/16 layers"
        release.set()
        await wait_for("all")
        assert bar.total is None and "theory" in app.status
        release.set()
        await settle(pilot)
        assert app.result is not None and app.result.config.depth == 8
        assert bar.total == 16 and bar.progress == 16


async def test_the_train_tab_data_field_has_room_for_a_file_name() -> None:
    # It was one grid column (10 cells at 100 columns): a data file's name was cut to its last letters.
    name = "spirals_2000_rows.csv"
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await pilot.pause()
        data = app.query_one("#race-data", Input)
        contenders = app.query_one("#race-contenders", Input)
        assert data.size.width >= len(f"data/{name}"), data.size
        assert data.size.width == contenders.size.width
