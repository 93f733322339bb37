"""Every figure of the explorer, as a user sees it: each legend series owns cells on screen, tick labels are round
and in order, no legend entry is cut, at 80x24, 120x36 and 200x60, with a pin and seed bands on."""

from __future__ import annotations

import asyncio
import itertools
import math
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np
import pytest
from rich.color import Color
from rich.style import Style
from textual.pilot import Pilot
from textual.strip import Strip
from tui_helpers import settle

from initscope.engine.config import Config
from initscope.tui.app import InitScopeApp
from initscope.tui.axes import linear_axis, log_axis
from initscope.tui.legend import legend_rows
from initscope.tui.plot_widget import Plot, render_figure
from initscope.tui.plots import Figure, Legend, Line
from initscope.tui.seed_ensemble import SeedEnsemble
from initscope.tui.tabs.backward import BackwardTab
from initscope.tui.tabs.base import TabView, views_of
from initscope.tui.tabs.forward import ForwardTab
from initscope.tui.tabs.weights import WeightsTab
from initscope.tui.theory.jacobian import JacobianView
from initscope.tui.theory.phase import PhaseView
from initscope.tui.theory.views import TheoryTab

VIEWS = views_of((WeightsTab, ForwardTab, BackwardTab, TheoryTab))
MIN_PLOT_HEIGHT = 8
"""Every plot on screen is at least this many rows tall, at 80x24 too."""
NUMBER = re.compile(r"^-?\d+(\.\d+)?(e-?\d+)?$")


# ------------------------------------------------------------------------------------------ reading a plot
def color_of(style: Style | None) -> tuple[int, int, int] | None:
    if style is None or style.color is None or style.color.triplet is None:
        return None
    t = style.color.triplet
    return (t.red, t.green, t.blue)


def rgb(color: object) -> tuple[int, int, int]:
    if isinstance(color, str):
        t = Color.parse(color).get_truecolor()
        return (t.red, t.green, t.blue)
    assert isinstance(color, tuple)
    return (int(color[0]), int(color[1]), int(color[2]))


def cells_by_color(strips: list[Strip], base_bg: object = None) -> dict[tuple[int, int, int], int]:
    """How many cells each colour shows in: as the glyph's colour (non-blank cells) or as the background."""
    out: dict[tuple[int, int, int], int] = {}
    for strip in strips:
        for seg in strip:
            c = color_of(seg.style)
            if c is not None:
                out[c] = out.get(c, 0) + sum(1 for ch in seg.text if ch != " ")
            b = seg.style.bgcolor.triplet if seg.style and seg.style.bgcolor and seg.style.bgcolor.triplet else None
            if b is not None and b != base_bg:
                key = (b.red, b.green, b.blue)
                out[key] = out.get(key, 0) + len(seg.text)
    return out


def tick_value(label: str) -> float:
    assert NUMBER.match(label), f"tick label {label!r} is not a number"
    return float(label)


def one_two_five(v: float) -> bool:
    """v is 1, 2 or 5 times a power of ten."""
    if v <= 0:
        return False
    m = v / 10.0 ** math.floor(math.log10(v) + 1e-12)
    return any(math.isclose(m, k, rel_tol=1e-6) for k in (1.0, 2.0, 5.0))


def round_ticks(values: list[float]) -> bool:
    """Ticks are round: each is 1, 2 or 5 x 10^k (a log axis), or all are whole multiples of one such step no
    finer than a tenth of their spacing (a log axis may leave out a tick that would share a row)."""
    if all(one_two_five(abs(v)) or v == 0 for v in values):
        return True
    gap = float(np.min(np.abs(np.diff(values))))
    for step in (
        m * 10.0**k
        for k in range(math.floor(math.log10(gap)) - 1, math.floor(math.log10(gap)) + 1)
        for m in (1.0, 2.0, 5.0)
    ):
        if step >= gap / 10 and all(math.isclose(v / step, round(v / step), abs_tol=1e-6) for v in values):
            return True
    return False


def y_tick_labels(plot_rows: list[str]) -> list[str]:
    return [row.split("┤")[0].strip() for row in plot_rows if "┤" in row and row.split("┤")[0].strip()]


def x_tick_labels(plot_rows: list[str]) -> list[str]:
    bottom = next(i for i, row in enumerate(plot_rows) if "└" in row)
    return plot_rows[bottom + 1].split() if bottom + 1 < len(plot_rows) else []


def check_plot(plot: Plot, where: str) -> None:
    fig, strips = plot.figure, plot.strips
    assert fig is not None and strips is not None, where
    width = plot.size.width
    n_legend = max(len(legend_rows(fig, width, plot.title)), plot.partner_legend_rows())
    legend_text = " ".join(s.text for s in strips[:n_legend])
    body = strips[n_legend:]
    rows = [s.text for s in body]
    # no legend entry cut: each is on screen whole
    for entry in fig.legend:
        assert f"{entry.mark} {entry.label}" in legend_text, f"{where}: legend entry {entry.label!r} cut or missing"
    # every legend series owns cells in the plot
    own = plot.visual_style.rich_style.bgcolor
    painted = cells_by_color(body, own.triplet if own is not None else None)
    for entry in fig.legend:
        if entry.color is not None:
            assert painted.get(rgb(entry.color), 0) > 0, f"{where}: {entry.label!r} not visible\n" + "\n".join(rows)
    # y ticks: numbers, round, in order, one format, three at least
    labels = y_tick_labels(rows)
    assert len(labels) >= 3, f"{where}: y ticks {labels}\n" + "\n".join(rows)
    values = [tick_value(s) for s in labels]
    assert all(a > b for a, b in itertools.pairwise(values)), f"{where}: y ticks {labels} not in order"
    assert round_ticks(values), f"{where}: y ticks {labels} not round"
    decimals = {len(s.split(".")[1]) if "." in s else 0 for s in labels if "e" not in s and s != "0"}
    assert len(decimals) <= 1, f"{where}: y ticks {labels} mix number formats"
    # x ticks: in order, round, three at least where the axis has three layers or more
    xs = x_tick_labels(rows)
    if fig.x_is_layer and fig.depth < 3:
        return
    assert len(xs) >= 3, f"{where}: x ticks {xs}\n" + "\n".join(rows)
    if all(NUMBER.match(s) for s in xs):
        xv = [float(s) for s in xs]
        assert all(a < b for a, b in itertools.pairwise(xv)), f"{where}: x ticks {xs} not in order"
        if fig.x_ticks is None:
            assert round_ticks(xv), f"{where}: x ticks {xs} not round"


# ------------------------------------------------------------------------------------------ every view
async def wait_until(app: InitScopeApp, pilot: Pilot[Any], done: Callable[[], bool]) -> None:
    """Let the workers run until `done` (at most ~60 s)."""
    for _ in range(1200):
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)
        if done():
            return


def finished(job: Any) -> bool:
    """A widget's worker has run and stopped."""
    return job is not None and job.status != "running"


async def bands_on(app: InitScopeApp, pilot: Pilot[Any]) -> None:
    await pilot.press("k")  # seed bands
    await wait_until(app, pilot, lambda: finished(app.query_one(SeedEnsemble).job))


async def drawn(app: InitScopeApp, pilot: Pilot[Any], timeout: float = 2.0) -> None:
    """Let the screen repaint until every plot on it that has something to draw has built its rows (at most
    `timeout` seconds; a plot still unbuilt then is left out by the caller, whose counts then fall short)."""
    deadline = asyncio.get_running_loop().time() + timeout
    await pilot.pause()
    while asyncio.get_running_loop().time() < deadline:
        await pilot.pause(0.05)
        shown = [p for p in app.screen.query(Plot) if p.display and p.region.area and p.drawable()]
        if all(p.strips is not None for p in shown):  # none shown: the view draws words, not a plot
            return


async def shown_plots(app: InitScopeApp, pilot: Pilot[Any], tab: str, view: str) -> AsyncIterator[Plot]:
    """Every plot of a tab's view on screen with a legend, both plots of a pair (a narrow pane shows them one at
    a time: `v` turns to the other)."""
    app.action_tab(tab)
    if view:
        app.action_set_view(tab, view)
    if view == "jacobian":
        await pilot.press("j")
        await wait_until(app, pilot, lambda: finished(app.query_one(JacobianView).job))
    if view == "phase":
        await wait_until(app, pilot, lambda: bool(app.query_one(PhaseView).grids))
    for second in (False, True):
        await drawn(app, pilot)
        for plot in app.screen.query(Plot):
            if (
                plot.display
                and plot.region.area
                and plot.strips is not None
                and plot.figure is not None
                and plot.figure.legend
            ):
                yield plot
        view_widget = app.query_one(f"#{tab}-view", TabView)
        if not second and view_widget.shown_pair() is not None:
            view_widget.next_view()  # the pair's other plot


@pytest.mark.slow
@pytest.mark.parametrize("size", [(80, 24), (120, 36), (200, 60)])
async def test_every_view_shows_every_series(size: tuple[int, int]) -> None:
    app = InitScopeApp(config=Config(depth=30, activation="tanh", initializer="xavier_normal"), clock=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("p")  # a pin, then the shown run differs from it
        app._apply(Config(depth=10, activation="tanh", initializer="xavier_normal", initializer_params={"gain": 1.2}))
        await settle(pilot)
        await bands_on(app, pilot)
        checked = 0
        for tab, view in VIEWS:
            async for plot in shown_plots(app, pilot, tab, view):
                assert plot.size.height >= MIN_PLOT_HEIGHT, f"{tab}/{view} at {size}: {plot.size.height} rows"
                check_plot(plot, f"{tab}/{view} at {size}")
                checked += 1
        assert checked >= 9


# ------------------------------------------------------------------------------------------ the rules
def test_flat_log_series_keeps_its_row() -> None:
    """A flat series (0.835 against 0.827) gets an axis of its own few per cent, not whole decades."""
    axis = log_axis(math.log10(0.827), math.log10(0.835), most=5, room=10)
    assert axis.high - axis.low < 0.02
    assert len(axis.ticks) >= 3 and round_ticks([float(s) for s in axis.labels])


@pytest.mark.parametrize(("lo", "hi"), [(-0.367, 0.356), (0.0, 4487.0), (-0.01, 0.01), (0.0, 21.0), (-3e-5, 0.2)])
def test_linear_ticks_are_round_and_share_a_format(lo: float, hi: float) -> None:
    axis = linear_axis(lo, hi, most=5, room=8)
    assert len(axis.ticks) >= 3
    assert round_ticks([float(s) for s in axis.labels]), axis.labels
    steps = np.diff(axis.ticks)
    assert np.allclose(steps, steps[0])
    assert axis.low <= lo and axis.high >= hi


def test_log_ticks_never_share_a_row() -> None:
    """0.3 .. 1.0 on a log axis of 4 rows: 0.4, 0.6, 0.8, 1.0 are unevenly spaced (0.6 and 0.8 would share a
    row); each tick kept has a row of its own."""
    from initscope.tui.axes import on_rows

    rows = 4
    axis = on_rows(log_axis(math.log10(0.3), math.log10(1.0), most=3, room=rows), rows)
    span = axis.high - axis.low
    placed = [math.floor(round(0.5 + (rows - 1) * (t - axis.low) / span, 8)) for t in axis.ticks]
    assert len(set(placed)) == len(placed) >= 3, (axis.labels, placed)
    assert round_ticks([float(s) for s in axis.labels])


def test_percentages_fit_their_data() -> None:
    axis = linear_axis(0.0, 21.0, most=5, floor=0.0, ceiling=100.0)
    assert axis.low == 0.0 and axis.high < 30.0


def test_equal_series_all_visible_and_pins_apart() -> None:
    """Three series with the same values at every layer, two of them pins: each owns cells (dodged)."""
    x = np.arange(1, 11, dtype=np.float64)
    y = np.log10(np.full(10, 0.83))
    colors = [(0, 150, 255), (255, 120, 200), (214, 112, 255), (0, 210, 210)]
    marks = ["●", "◆", "▲", "▼"]
    fig = Figure(
        lines=[Line(x, y, (80, 200, 120))]
        + [Line(x, y, c, marker=m, points=True, dodge=True) for c, m in zip(colors, marks, strict=True)],
        log_y=True,
        depth=10,
        selected=3.0,
        legend=[Legend("theory", (80, 200, 120), "━")]
        + [Legend(f"s{k}", c, m) for k, (c, m) in enumerate(zip(colors, marks, strict=True))],
    )
    from plotext._figure import _figure_class

    strips = render_figure(_figure_class(), fig, 60, 14, Style())
    painted = cells_by_color(strips[1:])
    for entry in fig.legend:
        assert painted.get(rgb(entry.color), 0) > 0, entry.label


def cells_of(strip: Strip) -> list[tuple[str, tuple[int, int, int] | None, tuple[int, int, int] | None]]:
    """(character, colour, background) of every cell of a strip."""
    out = []
    for seg in strip:
        back = seg.style.bgcolor.triplet if seg.style and seg.style.bgcolor and seg.style.bgcolor.triplet else None
        for ch in seg.text:
            out.append((ch, color_of(seg.style), (back.red, back.green, back.blue) if back else None))
    return out


def test_phase_map_bottom_row_is_sigma_b_zero() -> None:
    """tanh at sigma_b^2 = 0: the chi1 = 1 edge is at sigma_w^2 = 1 exactly; the bottom row (labelled 0) must
    turn chaotic there, not where a row above would (the edge bends to ~1.36 by sigma_b^2 = 0.006), and the
    first column (labelled 0) is sigma_w^2 = 0."""
    from plotext._figure import _figure_class

    from initscope.engine.phase import PhaseKey, compute_phase_grid
    from initscope.tui.figures import phase_figure

    grid = compute_phase_grid(PhaseKey("tanh", (), 4.0, 0.5))
    surface = (30, 30, 30)
    fig = phase_figure(grid, (2.0, 0.0), [], (0, 150, 255), (230, 60, 60), (240, 240, 240), (255, 180, 0), surface)
    assert fig.heat is not None
    chaotic = set(fig.heat.palette[3:])
    width = 90
    strips = render_figure(_figure_class(), fig, width, 16, Style(bgcolor=Color.from_rgb(*surface)))
    rows = [s.text for s in strips]
    frame = next(i for i, row in enumerate(rows) if "└" in row)
    bottom = rows[frame - 1]
    assert bottom.split("┤")[0].strip() == "0"  # the bottom row is labelled sigma_b^2 = 0
    first = bottom.index("┤") + 1
    cols = width - first
    cells = cells_of(strips[frame - 1])[first:]
    shade = [bg for _, _, bg in cells]  # the heat map is every data cell's background
    hot = [c for c, color in enumerate(shade) if color in chaotic]
    step = grid.w_max / (cols - 1)
    assert hot, "no chaotic cell in the bottom row"
    assert 1.0 <= hot[0] * step <= 1.0 + step, (hot[0] * step, step)
    assert shade[0] not in chaotic  # sigma_w^2 = 0 is ordered


def test_phase_figure_says_what_every_shade_means() -> None:
    """Each shade on the map has a legend entry (and none is listed that the grid does not have)."""
    from initscope.engine.phase import PhaseKey, compute_phase_grid
    from initscope.tui.figures import CHI_LABELS, chi_shades, phase_figure

    grid = compute_phase_grid(PhaseKey("tanh", (), 4.0, 0.5))
    fig = phase_figure(grid, None, [], (0, 150, 255), (230, 60, 60), (240, 240, 240), (255, 180, 0), (30, 30, 30))
    present = sorted(set(chi_shades(grid.chi1).ravel().tolist()) - {-1})
    assert [e.label for e in fig.legend if e.mark == "█"] == [CHI_LABELS[k] for k in present]
    assert len(present) >= 4  # ordered and chaotic shades both on a tanh map up to sigma_w^2 = 4


async def test_g_puts_histogram_counts_on_a_log_axis() -> None:
    app = InitScopeApp(config=Config(depth=4, fan_in=64, batch=64), clock=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        plot = app.query_one("#weights-hist Plot", Plot)
        assert plot.figure is not None and not plot.figure.log_y
        linear = plot.figure.bars[0].counts.copy()
        await pilot.press("g")
        await pilot.pause()
        assert plot.figure is not None and plot.figure.log_y
        shown = plot.figure.bars[0].counts
        nonzero = linear > 0
        assert np.allclose(shown[nonzero], np.log10(linear[nonzero])) and np.isnan(shown[~nonzero]).all()
        assert plot.title is not None and "log10 counts" in plot.title.plain


def test_a_pin_is_named_by_what_it_changes() -> None:
    from initscope.tui.figures import config_difference

    assert config_difference(Config(depth=30), Config()) == "depth 30"
    assert config_difference(Config(initializer="xavier_normal", seed=3), Config()) == "xavier_normal, seed 3"
    assert config_difference(Config(), Config()) == "same config"


async def test_z_sets_the_exact_zeros_of_a_relu_histogram_apart() -> None:
    app = InitScopeApp(config=Config(depth=4, fan_in=64, batch=64), clock=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        app.action_set_view("forward", "histograms")
        await pilot.pause()
        plot = app.query_one("#hist-selected Plot", Plot)
        assert plot.figure is not None
        before = plot.figure.bars[0].counts.copy()
        await pilot.press("z")
        await pilot.pause()
        r = app.result
        assert r is not None and plot.figure is not None
        h = r.forward.histograms[0]
        zeros = round(float(r.forward.dead_fraction[0]) * h.total)
        after = plot.figure.bars[0].counts
        assert zeros > 0 and before.sum() - after.sum() == zeros  # only the zeros left the bars
        assert f"{zeros} exact zeros" in " ".join(plot.figure.notes)


# ------------------------------------------------------------------------------------------ covered markers
def data_cells(strips: list[Strip]) -> list[tuple[str, tuple[int, int, int] | None]]:
    """(glyph, colour) of every data cell of a rendered plot: right of the y-axis frame, above the x-axis frame
    (the legend rows above the plot and the tick labels below are left out)."""
    rows = [s.text for s in strips]
    bottom = next(i for i, row in enumerate(rows) if "└" in row)
    frame = rows[bottom].index("└")
    top = bottom
    while top > 0 and len(rows[top - 1]) > frame and rows[top - 1][frame] in "│┤":
        top -= 1
    return [cell[:2] for strip in strips[top:bottom] for cell in cells_of(strip)[frame + 1 :]]


def shown_window(text: str, depth: int) -> tuple[int, int]:
    """The first and last layer a plot shows: those its note names ('layers 21–34 of 50'), else all."""
    found = re.search(rf"layers (\d+)–(\d+) of {depth}\b", text)
    return (int(found.group(1)), int(found.group(2))) if found else (1, depth)


def check_every_layer_shown(fig: Figure, strips: list[Strip], where: str) -> int:
    """Each legend series drawn as markers shows one marker (its glyph in its colour) at every layer of the
    window shown where it has a finite value, and no note says a marker is hidden; returns how many series."""
    text = " ".join(s.text for s in strips)
    assert " hidden at " not in text, f"{where}: a note says a marker is hidden\n" + "\n".join(s.text for s in strips)
    first, last = shown_window(text, fig.depth)
    cells = data_cells(strips)
    checked = 0
    for line in fig.lines:
        for entry in fig.legend:
            if line.points and line.dodge and entry.mark == line.marker and rgb(entry.color) == rgb(line.color):
                inside = (line.x >= first) & (line.x <= last)
                layers = int((np.isfinite(line.y) & inside).sum())
                shown = cells.count((entry.mark, rgb(entry.color)))
                assert shown == layers, (
                    f"{where}: {entry.label} shows at {shown} of {layers} layers {first}-{last}\n"
                    + "\n".join(s.text for s in strips)
                )
                checked += 1
    return checked


STANDARD_VIEWS = [
    ("forward", "std"),
    ("forward", "mean"),
    ("forward", "fractions"),
    ("backward", ""),
    ("theory", "measured"),
    ("theory", "saturation"),
]


@pytest.mark.slow
@pytest.mark.parametrize("size", [(80, 24), (120, 36), (200, 60)])
async def test_each_series_shows_at_every_layer(size: tuple[int, int]) -> None:
    """He against a pinned Xavier run, depth 50 (A std 0.82 and Z std 1.41 share a row of the log axis), seed
    bands on: in every standard per-layer view every legend series' markers, counted on screen by glyph and
    colour, show at every finite layer of the layers shown (all of them, or the window a note names), and no note
    says a marker is hidden. At 200x60 the forward std plot shows all 50 layers."""
    app = InitScopeApp(config=Config(initializer="xavier_normal", depth=50), clock=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("p")
        app._apply(Config(initializer="he_normal", depth=50))
        await settle(pilot)
        await bands_on(app, pilot)
        series = 0
        for tab, view in STANDARD_VIEWS:
            async for plot in shown_plots(app, pilot, tab, view):
                if plot.figure is not None and plot.strips is not None and plot.figure.x_is_layer:
                    series += check_every_layer_shown(plot.figure, plot.strips, f"{tab}/{view} at {size}")
        assert series >= 10
        app.action_tab("forward")
        app.action_set_view("forward", "std")
        app.action_layer(29)  # what 29 presses of `.` do, at once
        await pilot.press("full_stop")  # `.` moves the selected layer, and the window with it
        await pilot.pause(0.3)
        plot = app.query_one("#std Plot", Plot)
        assert plot.strips is not None and plot.figure is not None and plot.figure.selected == 31.0
        text = " ".join(s.text for s in plot.strips)
        first, last = shown_window(text, 50)
        assert first <= 31 <= last, text
        if size == (200, 60):
            assert (first, last) == (1, 50)
        else:
            check_every_layer_shown(plot.figure, plot.strips, f"forward/std at {size}, layer 31")


@pytest.mark.parametrize(("width", "height", "selected"), [(60, 16, 1), (60, 16, 30), (80, 18, 50), (200, 30, 25)])
def test_crowded_markers_all_show(width: int, height: int, selected: int) -> None:
    """Three series at 50 layers, all in one row (0.82, 1.41 and 0.83 on a log axis of whole decades): a plot
    with fewer columns than layers times series shows a window of layers around the selected one, and there
    each series shows at every layer; a wide one shows all 50."""
    from plotext._figure import _figure_class

    rng = np.random.default_rng(0)
    x = np.arange(1, 51, dtype=np.float64)
    values = [
        0.82 + 0.01 * rng.standard_normal(50),
        1.41 + 0.01 * rng.standard_normal(50),
        np.full(50, 0.83),
        np.full(50, 1e-6),
    ]
    colors = [(0, 150, 255), (255, 160, 0), (214, 112, 255)]
    marks = ["●", "◆", "▲"]
    fig = Figure(
        lines=[Line(x, np.log10(values[3]), (80, 200, 120))]
        + [
            Line(x, np.log10(v), c, marker=m, points=True, dodge=True)
            for v, c, m in zip(values, colors, marks, strict=False)
        ],
        log_y=True,
        depth=50,
        selected=float(selected),
        legend=[Legend(f"s{k}", c, m) for k, (c, m) in enumerate(zip(colors, marks, strict=True))],
    )
    strips = render_figure(_figure_class(), fig, width, height, Style())
    assert check_every_layer_shown(fig, strips, f"{width}x{height}") == 3
    first, last = shown_window(" ".join(s.text for s in strips), 50)
    assert first <= selected <= last
    if width >= 3 * 50 + 10:
        assert (first, last) == (1, 50)


@pytest.mark.parametrize(("width", "depth"), [(60, 200), (90, 500)])
def test_a_net_too_deep_for_a_window_says_how_many_layers_are_marked(width: int, depth: int) -> None:
    """Over twice as many layers as columns: the plot keeps the whole net (no window) and marks evenly spaced
    layers; the notes say how many of them (before, the layers left out went unsaid)."""
    from plotext._figure import _figure_class

    x = np.arange(1, depth + 1, dtype=np.float64)
    fig = Figure(
        lines=[Line(x, np.zeros(depth), (0, 150, 255), marker="●", points=True, dodge=True)],
        log_y=True,
        depth=depth,
        selected=1.0,
        legend=[Legend("A std", (0, 150, 255), "●")],
    )
    strips = render_figure(_figure_class(), fig, width, 20, Style())
    text = " ".join(s.text for s in strips)
    match = re.search(r"(\d+)(?: of |/)(\d+) layers marked", text)
    assert match is not None, text
    kept, total = int(match.group(1)), int(match.group(2))
    assert total == depth and 8 <= kept < depth
    assert "hidden at" not in text and "of " + str(depth) + " (, . move)" not in text


def test_layers_are_said_marked_exactly_when_plot_line_thins_them() -> None:
    """At twice as many layers as axis columns every marker is drawn (no note); one layer more and the markers
    are thinned, which the notes say. The notes, the placement and plot_line share one rule."""
    from initscope.tui.placement import layer_window, plot_frame

    def figure(depth: int) -> Figure:
        x = np.arange(1, depth + 1, dtype=np.float64)
        return Figure(
            lines=[Line(x, np.zeros(depth), (0, 150, 255), marker="●", points=True, dodge=True)],
            log_y=True,
            depth=depth,
            selected=1.0,
            legend=[Legend("A std", (0, 150, 255), "●")],
        )

    width, height = 70, 20
    cols = plot_frame(figure(50), width, height).cols
    assert plot_frame(figure(2 * cols + 1), width, height).cols == cols  # the y labels do not move with depth
    assert not any("layers marked" in n for n in layer_window(figure(2 * cols), width, height).notes)
    notes = layer_window(figure(2 * cols + 1), width, height).notes
    assert any(f"/{2 * cols + 1} layers marked" in n or f"of {2 * cols + 1} layers marked" in n for n in notes)


@pytest.mark.parametrize(
    ("width", "height", "bins", "log_counts"),
    [(60, 16, 40, False), (90, 20, 64, False), (100, 30, 64, True), (44, 10, 20, False)],
)
def test_bar_cells_are_those_plotext_fills(width: int, height: int, bins: int, log_counts: bool) -> None:
    """The bars' cells under a density line, computed without a second build, are the cells plotext fills when it
    builds the bars alone."""
    from plotext._figure import _figure_class

    from initscope.tui.plot_strips import underlay
    from initscope.tui.plot_widget import bar_underlay, build_matrix
    from initscope.tui.plots import Bars

    counts = np.histogram(np.random.default_rng(bins).standard_normal(5000), bins=bins)[0].astype(np.float64)
    if log_counts:
        counts = np.where(counts > 0, np.log10(np.maximum(counts, 1.0)), np.nan)
    edges = np.linspace(-4.0, 4.0, bins + 1)
    centers = 0.5 * (edges[1:] + edges[:-1])
    fig = Figure(
        bars=[Bars(centers, counts, (0, 150, 255))],
        lines=[Line(centers, 0.9 * counts, (255, 0, 0))],
        x_is_layer=False,
        x_range=(-4.0, 4.0),
        y_floor=None if log_counts else 0.0,
        log_y=log_counts,
    )
    plt = _figure_class()
    build_matrix(plt, fig, width, height, lines=False)
    built = underlay(plt.monitor.matrix, {(0, 0, 0)})
    computed = bar_underlay(fig, width, height)
    assert sum(cell is not None for row in computed for cell in row) > bins
    assert computed == built
