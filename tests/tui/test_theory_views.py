"""Pilot tests of the Theory tab's views and the on-demand extras: phase diagram cursor, Jacobian spectrum
(key j), seed bands (key k), refusals, saturation residuals. Small nets, so the whole file runs in seconds."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from textual.pilot import Pilot
from textual.widgets import Input
from tui_helpers import settle, text_of

from initscope.engine.config import Config
from initscope.engine.jacobian import jacobian_spectrum
from initscope.engine.propagate import run
from initscope.tui.app import InitScopeApp
from initscope.tui.figures import CURSOR_MARK
from initscope.tui.plot_widget import Plot
from initscope.tui.seed_ensemble import SeedEnsemble
from initscope.tui.summary import num
from initscope.tui.tabs.base import PlotCard
from initscope.tui.theory.jacobian import JacobianView
from initscope.tui.theory.phase import PhaseView

SIZE = (120, 36)


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Let workers and messages run until `condition()` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)
    await pilot.pause()


def caption_of(app: InitScopeApp, card: str) -> str:
    """What a plot card says: its caption, or its plot's title, legend entries and notes."""
    plot = app.query_one(f"{card} Plot", Plot)
    words = [text_of(app, f"{card} .caption")]
    if plot.title is not None:
        words.append(plot.title.plain)
    if plot.figure is not None:
        words += [entry.label for entry in plot.figure.legend] + plot.figure.notes
    return "  ".join(words)


def cursor_cell(plot: Plot) -> tuple[int, int, int] | None:
    """Where the phase map shows this net: (column from sigma_w^2 = 0, row from sigma_b^2 = 0, columns), read off
    the plot's rows (the frame's corner └ gives the first column and the bottom row)."""
    if plot.strips is None:
        return None
    rows = [strip.text for strip in plot.strips]
    corner = next((i for i, row in enumerate(rows) if "└" in row), None)
    if corner is None:
        return None
    frame = rows[corner].index("└")
    for up, row in enumerate(reversed(rows[:corner])):
        if row[frame] not in "┤│":
            break
        if CURSOR_MARK in row[frame + 1 :]:
            return row.index(CURSOR_MARK, frame + 1) - frame - 1, up, len(row) - frame - 1
    return None


async def test_phase_cursor_sits_at_the_config_and_follows_the_gain() -> None:
    cfg = Config(initializer="xavier_normal", activation="tanh", fan_in=64, depth=8, batch=32)
    app = InitScopeApp(config=cfg, clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        app.action_set_view("theory", "phase")
        pmap = app.query_one("#phase-map", Plot)
        await wait_for(
            pilot, lambda: bool(app.query_one(PhaseView).grids) and cursor_cell(pmap) is not None, "the phase grid"
        )
        assert app.result is not None
        t = app.result.theory
        assert math.isclose(t.sigma_w2, 1.0) and t.sigma_b2 == 0.0  # xavier, square: sigma_w^2 = gain^2
        w_max = next(iter(app.query_one(PhaseView).grids.values())).w_max

        def column_of(sw2: float, columns: int) -> int:  # the column whose value is nearest sw2
            return round(sw2 / w_max * (columns - 1))

        first = cursor_cell(pmap)
        assert first is not None
        assert first[0] == column_of(t.sigma_w2, first[2])
        assert first[1] == 0  # sigma_b^2 = 0: the bottom row
        assert "this net (σw² 1, σb² 0)" in text_of(app, "#phase-caption")

        gain = app.query_one("#init-param-gain", Input)
        gain.value = "1.5"
        await settle(pilot)
        await wait_for(
            pilot, lambda: app.result is not None and app.result.theory.sigma_w2 != t.sigma_w2, "the new result"
        )
        moved = app.result.theory
        assert math.isclose(moved.sigma_w2, 2.25)
        await wait_for(pilot, lambda: cursor_cell(pmap) not in (None, first), "a redraw")
        now = cursor_cell(pmap)
        assert now is not None
        assert now[0] == column_of(moved.sigma_w2, now[2]) > first[0]
        assert "this net (σw² 2.25, σb² 0)" in text_of(app, "#phase-caption")


async def test_jacobian_of_an_orthogonal_linear_net_is_an_isometry_on_screen() -> None:
    cfg = Config(initializer="orthogonal", activation="linear", fan_in=64, depth=6, batch=64)
    expected = jacobian_spectrum(cfg, threading.Event())
    assert np.allclose(expected.singular_values, 1.0, atol=1e-5)
    app = InitScopeApp(config=cfg, clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await wait_for(
            pilot, lambda: (job := app.query_one(JacobianView).job) is not None and job.status == "done", "the Jacobian"
        )
        assert app.query_one("#tabs").active == "theory"  # type: ignore[attr-defined]
        numbers = text_of(app, "#jacobian-numbers")
        sv = expected.singular_values
        lo, mid, hi = num(float(sv.min())), num(float(np.median(sv))), num(float(sv.max()))
        assert f"min {lo} · median {mid} · max {hi}" in numbers
        assert "min 1 · median 1 · max 1" in numbers
        assert f"mean {num(expected.eig_mean)} (predicted {num(expected.prediction.mean)})" in numbers
        assert f"var/mean² {num(expected.eig_normalized_var)}" in numbers
        assert "L(μ2/μ1² − 1 − s1) = 6 × 0 = 0" in numbers  # linear + orthogonal: every term is 0
        assert "near dynamical isometry" in numbers
        canvas = app.query_one("#jacobian-hist", Plot)
        assert canvas.figure is not None and canvas.figure.message.startswith(f"all {sv.size} singular values equal 1")


async def test_seed_bands_appear_on_forward_and_backward_and_go_with_a_config_change() -> None:
    cfg = Config(fan_in=64, depth=6, batch=32)
    app = InitScopeApp(config=cfg, clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await wait_for(
            pilot, lambda: (job := app.query_one(SeedEnsemble).job) is not None and job.status == "done", "the ensemble"
        )
        assert app.query_one("#tabs").active == "forward"  # type: ignore[attr-defined]
        std = app.query_one("#forward-view").query_one("#std", PlotCard)
        caption = caption_of(app, "#forward-view #std")
        assert "8 seeds, 10–90 %" in caption
        assert "predicted 10–90 %" in caption  # relu, zero bias: the finite-width prediction applies
        figure = std.query_one(Plot).figure
        assert figure is not None and len(figure.fills) == 1
        job = app.query_one(SeedEnsemble).job
        assert job is not None and job.result is not None
        band = job.result.activation_std
        assert np.allclose(figure.fills[0].low, np.log10(band.q10))
        assert np.allclose(figure.fills[0].high, np.log10(band.q90))
        assert np.all(band.q10 <= band.median) and np.all(band.median <= band.q90)
        await pilot.press("3")
        await pilot.pause()
        assert "8 seeds, 10–90 %" in caption_of(app, "#backward-view #grad-std")

        app.query_one("#seed", Input).value = "5"  # a config change drops the bands
        await settle(pilot)
        assert app.query_one(SeedEnsemble).job is None
        assert "8 seeds" not in caption_of(app, "#backward-view #grad-std")
        await pilot.press("2")
        await pilot.pause()
        assert "8 seeds" not in caption_of(app, "#forward-view #std")
        figure = std.query_one(Plot).figure
        assert figure is not None and not figure.fills


async def test_a_refused_width_is_a_notification_not_a_crash() -> None:
    cfg = Config(fan_in=2048, depth=2, batch=4)
    app = InitScopeApp(config=cfg, clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await pilot.pause()
        job = app.query_one(JacobianView).job
        assert job is not None and job.status == "refused"
        assert any("fan_in: 2048 is too wide" in n.message for n in app._notifications)
        canvas = app.query_one("#jacobian-hist", Plot)
        assert canvas.figure is not None and "up to 1024" in canvas.figure.message
        # the app goes on: a narrower net is computed (the view follows the config once j was pressed)
        app.query_one("#fan_in", Input).value = "32"
        await settle(pilot)
        await wait_for(
            pilot, lambda: (job := app.query_one(JacobianView).job) is not None and job.status == "done", "the Jacobian"
        )
        job = app.query_one(JacobianView).job
        assert job is not None and job.config.fan_in == 32


async def test_saturation_residuals_for_tanh() -> None:
    cfg = Config(
        initializer="xavier_normal",
        initializer_params={"gain": 5 / 3},
        activation="tanh",
        fan_in=64,
        depth=10,
        batch=64,
    )
    r = run(cfg, threading.Event())
    residual = 100.0 * (r.forward.saturated_fraction - r.theory_layers.saturated_fraction)
    worst = int(np.argmax(np.abs(residual)))
    app = InitScopeApp(config=cfg, clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        app.action_set_view("theory", "saturation")
        await pilot.pause()
        caption = caption_of(app, "#saturation-residual")
        assert f"worst {num(abs(residual[worst]))} at layer {worst + 1}" in caption
        left = caption_of(app, "#saturation-compare")
        assert "measured" in left and "predicted" in left
        figure = app.query_one("#saturation-residual", PlotCard).query_one(Plot).figure
        assert figure is not None
        assert np.allclose(figure.lines[0].y, residual)
        # the readouts compare the depth with the trainable depth in words
        assert f"depth 10 is within the trainable depth ≈ {r.theory.trainable_depth:.0f}" in text_of(
            app, "#theory-numbers"
        )


async def test_a_view_shown_again_unchanged_keeps_its_drawing() -> None:
    """v draws a view only when the state changed since that view was drawn (drawing it again re-rasterized its
    plots at every key); a new result draws the views anew as they are shown."""
    cfg = Config(activation="tanh", fan_in=64, depth=8, batch=32)
    app = InitScopeApp(config=cfg, clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        app.action_set_view("theory", "phase")
        pmap = app.query_one("#phase-map", Plot)
        await wait_for(pilot, lambda: pmap.figure is not None and pmap.figure.heat is not None, "the phase grid")
        app.action_set_view("theory", "measured")
        await pilot.pause()
        canvases = [
            app.query_one(f"#{card}", PlotCard).query_one(Plot) for card in ("theory-compare", "theory-residual")
        ]
        figures = [c.figure for c in canvases]
        assert all(f is not None for f in figures)
        for _ in range(4):  # saturation, phase, jacobian, and back to measured
            app.action_next_view()
            await pilot.pause()
        assert app.query_one("#theory-view").view == "measured"  # type: ignore[attr-defined]
        assert all(c.figure is f for c, f in zip(canvases, figures, strict=True))  # not drawn again
        app.query_one("#seed", Input).value = "5"
        await settle(pilot)
        assert all(c.figure is not f for c, f in zip(canvases, figures, strict=True))  # the new result drawn


async def test_a_phase_grid_that_comes_while_the_tab_is_hidden_is_shown_on_return() -> None:
    cfg = Config(activation="tanh", fan_in=64, depth=8, batch=32)
    app = InitScopeApp(config=cfg, clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await pilot.pause()
        app.action_set_view("theory", "phase")  # asks for the grid (a worker) ...
        await pilot.press("1")  # ... and the tab is left before it comes
        await wait_for(pilot, lambda: bool(app.query_one(PhaseView).grids), "the phase grid")
        pmap = app.query_one("#phase-map", Plot)
        assert pmap.figure is None or pmap.figure.heat is None  # hidden: not drawn
        await pilot.press("4")
        await pilot.pause()
        assert pmap.figure is not None and pmap.figure.heat is not None and not pmap.figure.message


def test_tight_jacobian_numbers_keep_the_verdict_and_its_reason_in_three_rows() -> None:
    """A short pane (80x24) gets the numbers in three rows: the eigenvalue mean, the spread against the
    prediction, and the verdict with its short reason; the long form has more rows and the same verdict."""
    from initscope.tui.theory.jacobian_readout import jacobian_numbers, spread_words, why_short

    cfg = Config(initializer="he_normal", activation="tanh", fan_in=64, depth=8, batch=32)
    j = jacobian_spectrum(cfg, threading.Event())
    tight = jacobian_numbers(j, "tanh", compact=True, tight=True).plain.split("\n")
    long = jacobian_numbers(j, "tanh").plain.split("\n")
    _, words = spread_words(j.eig_normalized_var, compact=True)
    assert len(tight) == 3 < len(long)
    assert tight[2].endswith(f"{words}: {why_short(j.prediction)}")
    assert num(j.eig_mean) in tight[0] and num(j.eig_normalized_var) in tight[1]


async def test_the_phase_map_of_a_residual_net_says_it_is_a_plain_mlps() -> None:
    """The chi1 map is of plain MLPs: for a residual net it must say so, not show the map as this net's."""
    app = InitScopeApp(config=Config(arch="residual", fan_in=64, depth=6, batch=32), clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        app.action_set_view("theory", "phase")
        pmap = app.query_one("#phase-map", Plot)
        await wait_for(pilot, lambda: pmap.figure is not None and pmap.figure.heat is not None, "the phase grid")
        assert cursor_cell(pmap) is None
        assert "the map of a plain MLP" in text_of(app, "#phase-caption")
