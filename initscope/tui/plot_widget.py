"""The plot widget: plotext builds every figure, and its character matrix goes on screen cell by cell.

plotext (5.3.2) builds a figure into a matrix of characters with a colour per cell; `Plot` reads that matrix
straight into Textual strips (one segment per run of one colour), so there is no ANSI string to print and
parse back. Each widget owns its own plotext figure object (plotext's module-level figure is shared state).

Presentation rules kept here rather than left to plotext: the axes and their round ticks come from axes.py
(plotext's own ticks are not round and its log scale is not used: log10 values are plotted on a linear
axis); every series is split at its NaN gaps before plotting (plotext cannot draw NaN); the legend
(legend.py) is drawn above the plot, wrapped between entries. Drawing order: bands, the selected layer's
marker, then lines, then points, so measured values sit on top of theory lines.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, ClassVar, NamedTuple

import numpy as np
from plotext._figure import _figure_class
from rich.align import Align
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.content import Content
from textual.strip import Strip
from textual.widget import Widget

from initscope.engine.arrays import FloatArray
from initscope.tui.axes import Axis
from initscope.tui.legend import LegendRow, legend_rows, legend_strips
from initscope.tui.placement import (
    Placed,
    cell_index,
    cell_values,
    dodge_offsets,
    hidden_notes,
    layer_window,
    matrix_cells,
    placed_points,
    plot_frame,
    predicted_notes,
    window_size,
)
from initscope.tui.plot_strips import Underlay, matrix_strips, rgb_of, underlay
from initscope.tui.plots import MARKS_PER_COLUMN, RGB, Figure, Line, downsample, segments, thinned

MIN_PLOT_ROWS = 6
"""The legend never takes the plot below this many rows (frame, ticks and at least three rows of data)."""
SELECTED_COLOR: RGB = (110, 110, 110)
"""The selected layer's vertical line: grey, apart from every series' colour."""


# ------------------------------------------------------------------------------------------ plotting
def plot_line(plt: Any, line: Line, x: FloatArray, y: FloatArray, cols: int) -> None:
    x, y = downsample(x, y, max(8, MARKS_PER_COLUMN * cols))
    if line.points:  # markers join nothing: one plotext signal of the finite points (each signal has a cost)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.any():
            marker = "hd" if thinned(int(ok.sum()), cols) else line.marker
            plt.scatter(x[ok].tolist(), y[ok].tolist(), marker=marker, color=line.color)
        return
    for sx, sy in segments(x, y):
        plt.plot(sx.tolist(), sy.tolist(), marker=line.marker, color=line.color)


def column_xs(xa: Axis, cols: int, lo: float, hi: float) -> FloatArray:
    """The x of every plot column's centre that lies within [lo, hi]."""
    xs = xa.low + (np.arange(cols) + 0.5) / cols * (xa.high - xa.low)
    return xs[(xs >= lo) & (xs <= hi)]


def plot_fills(plt: Any, fig: Figure, xa: Axis, cols: int) -> None:
    """Each band as one zigzag line of whole cells, up and down its span column by column (a line's cost goes
    with the band's height, a fill's with all the area under it); a band thinner than a row still takes one
    cell per column. Bands come first: everything else covers them."""
    for band in fig.fills:
        ok = np.isfinite(band.low) & np.isfinite(band.high)
        for sx, _ in segments(band.x, np.where(ok, 0.0, np.nan)):
            pick = np.isin(band.x, sx)
            xs = column_xs(xa, cols, float(sx[0]), float(sx[-1]))
            if xs.size == 0:
                continue
            low = np.interp(xs, sx, band.low[pick])
            high = np.interp(xs, sx, band.high[pick])
            up = np.arange(xs.size) % 2 == 0
            ys = np.empty(2 * xs.size)
            ys[0::2] = np.where(up, low, high)
            ys[1::2] = np.where(up, high, low)
            plt.plot(np.repeat(xs, 2).tolist(), ys.tolist(), marker="sd", color=band.color)


def bar_columns(fig: Figure, xa: Axis, bottom: float, cols: int) -> list[tuple[FloatArray, FloatArray, RGB | str]]:
    """Per histogram, the x of every plot column its bars cover, the height of the bar there and its colour
    (columns whose bar does not reach above `bottom` left out)."""
    out: list[tuple[FloatArray, FloatArray, RGB | str]] = []
    for bars in fig.bars:
        centers = np.asarray(bars.centers, dtype=np.float64)
        counts = np.asarray(bars.counts, dtype=np.float64)
        if centers.size == 0:
            continue
        half = (centers[-1] - centers[0]) / (centers.size - 1) / 2 if centers.size > 1 else 0.5
        xs = column_xs(xa, cols, float(centers[0] - half), float(centers[-1] + half))
        index = np.clip(np.floor((xs - (centers[0] - half)) / (2 * half)).astype(np.int64), 0, centers.size - 1)
        heights = counts[index]
        keep = np.isfinite(heights) & (heights > bottom)
        if keep.any():
            out.append((xs[keep], heights[keep], bars.color))
    return out


def plot_bars(plt: Any, fig: Figure, xa: Axis, bottom: float, cols: int) -> None:
    """Pre-binned histograms as one filled column of whole cells per plot column (plotext's bar plot and
    half-cell fills cost 5-15 times more to build)."""
    for xs, heights, color in bar_columns(fig, xa, bottom, cols):
        plt.scatter(xs.tolist(), heights.tolist(), marker="sd", color=color, fillx=bottom)


def bar_underlay(fig: Figure, width: int, height: int) -> Underlay:
    """The cells plot_bars fills, with the bars' colour (rows bottom-up, as plotext stores them), computed with
    plotext's own rounding instead of building the plot a second time without its lines."""
    frame = plot_frame(fig, width, height)
    out: Underlay = [[None] * width for _ in range(height)]
    below, canvas = height - frame.rows, width - frame.gutter
    for xs, heights, color in bar_columns(fig, frame.x, frame.y.low, frame.cols):
        rgb = rgb_of(color)
        tops = cell_index(heights, frame.y, frame.rows).tolist()
        for c, top in zip(cell_index(xs, frame.x, canvas).tolist(), tops, strict=True):
            for r in range(max(0, min(top, frame.rows - 1)) + 1):
                if 0 <= c < canvas:
                    out[below + r][frame.gutter + c] = (rgb, rgb)
    return out


class DataArea(NamedTuple):
    """Where a built plot's data cells are: its axes, the first data column, the data rows and the matrix rows
    below them (the frame, the tick labels and the x label)."""

    x: Axis
    y: Axis
    left: int
    rows: int
    below: int
    hidden: tuple[str, ...] = ()
    """Notes on the legend series whose markers another series' cover at some layers."""


def heat_cells(fig: Figure, area: DataArea, width: int, height: int) -> Underlay | None:
    """The heat map as an underlay (rows bottom-up, as plotext stores them): every data cell gets its colour as
    the background of whatever plotext drew there, blank or not (a scatter of whole cells in plotext costs
    10-20 times more, 145 ms at 170x47)."""
    heat = fig.heat
    if heat is None:
        return None
    cols = width - area.left  # every column up to the edge (no right frame)
    shades = heat.shade(cell_values(area.x, cols), cell_values(area.y, area.rows))
    pairs = [(color, color) for color in heat.palette]
    out: Underlay = [[None] * width for _ in range(height)]
    for r in range(min(area.rows, height - area.below)):
        row = out[area.below + r]
        row[area.left :] = [pairs[k] if k >= 0 else None for k in shades[r].tolist()]
    return out


def build_matrix(plt: Any, fig: Figure, width: int, height: int, points: bool = True, lines: bool = True) -> DataArea:
    """Draw `fig` into plotext figure `plt` at width x height cells and build its matrix (`points` False:
    without the series drawn as markers; `lines` False: only the bands and the histogram bars); returns where
    its data cells are."""
    plt.clf()
    plt._limit_size(False, False)  # plotext caps a plot at the size of the terminal it sees, not the widget's
    plt.plotsize(width, height)
    plt.theme("clear")
    plt.xaxes(True, False)  # no top and right frame lines: a row and a column more for the data
    plt.yaxes(True, False)
    frame = plot_frame(fig, width, height)
    xa, ya, gutter, cols, rows, x_label = frame
    plot_fills(plt, fig, xa, cols)
    plot_bars(plt, fig, xa, ya.low, cols)
    # vertical marks as plotted signals (plotext draws its own vlines before every signal, under the bands)
    marks = [(fig.selected, SELECTED_COLOR)] if fig.selected is not None and lines else []
    for position, color in marks + (list(fig.vlines) if lines else []):
        if math.isfinite(position) and xa.low <= position <= xa.high:
            plt.plot([position, position], [ya.low, ya.high], marker="│", color=color)
    offsets = dodge_offsets(fig, cols)
    placed = placed_points(fig, frame, width) if points and lines else Placed({}, {})
    order = sorted(range(len(fig.lines)), key=lambda k: fig.lines[k].points)  # points over lines
    for k in order:
        line = fig.lines[k]
        if (line.points and not points) or not lines:
            continue
        # a marker left out where it has no room has a NaN x (plot_line draws finite points only)
        plot_line(plt, line, placed.x[k] if k in placed.x else line.x + offsets.get(k, 0.0), line.y, cols)
    plt.xlim(xa.low, xa.high)
    plt.ylim(ya.low, ya.high)
    plt.xticks(list(xa.ticks), list(xa.labels))
    plt.yticks(list(ya.ticks), list(ya.labels))
    if x_label:
        plt.xlabel(x_label)
    plt._set_sizes()
    plt._build_matrix()
    area = DataArea(xa, ya, gutter, rows, height - rows)
    if placed.cells:
        shown_at = matrix_cells(plt.monitor.matrix, gutter, area.below)
        area = area._replace(hidden=hidden_notes(shown_at, fig, placed, width))
    return area


def legend_layout(
    fig: Figure, width: int, height: int, legend_height: int, title: Content | None
) -> tuple[list[LegendRow], int]:
    """The legend rows a figure shows and how many rows they take (at least `legend_height`, padded)."""
    rows = legend_rows(fig, width, title)
    if len(rows) > height - MIN_PLOT_ROWS and title is not None:  # short of rows: the title goes first
        rows = legend_rows(fig, width)
    rows = rows[: max(0, height - 4)]  # every entry while the plot keeps a frame and two rows of data
    shown = (
        min(max(0, height - MIN_PLOT_ROWS), max(len(rows), legend_height)) if legend_height > len(rows) else len(rows)
    )
    return rows, shown


def plot_body(
    plt: Any, fig: Figure, width: int, height: int, base: Style, cache: dict[object, Style]
) -> tuple[list[Strip], DataArea]:
    """The plot's own rows (frame, ticks, data) and where its data cells are."""
    unders: list[Underlay] = []
    bg = base.bgcolor.triplet if base.bgcolor is not None else None
    surface: RGB = (bg.red, bg.green, bg.blue) if bg is not None else (0, 0, 0)
    if any(line.points for line in fig.lines) and any(not line.points for line in fig.lines):
        build_matrix(plt, fig, width, height, points=False)  # what the markers will cover
        skip = {surface, SELECTED_COLOR} | {rgb_of(band.color) for band in fig.fills}
        unders.append(underlay(plt.monitor.matrix, skip, toward=surface))
    if fig.fills:
        build_matrix(plt, fig, width, height, lines=False)  # the bands and bars alone: what lines cover
        unders.append(underlay(plt.monitor.matrix, {surface}))
    elif fig.bars and fig.lines:  # a histogram and its density: the bars' cells are known without a build
        unders.append(bar_underlay(fig, width, height))
    area = build_matrix(plt, fig, width, height)
    heat = heat_cells(fig, area, width, len(plt.monitor.matrix.marker))
    return matrix_strips(plt.monitor.matrix, width, base, cache, unders, heat), area


def render_figure(
    plt: Any,
    fig: Figure,
    width: int,
    height: int,
    base: Style,
    legend_height: int = 0,
    cache: dict[object, Style] | None = None,
    title: Content | None = None,
    hidden: list[str] | None = None,
    most_layers: int | None = None,
) -> list[Strip]:
    """The figure as `height` strips: the title and legend rows (at least `legend_height`), then the plot. A
    per-layer plot too narrow for every series at every layer shows a window of layers (layer_window; at most
    `most_layers`); the notes that the plot adds at its size (which layers, markers that stay covered) join the
    legend's notes, and `hidden` when given."""
    cache = {} if cache is None else cache
    windowed = layer_window(
        fig, width, height - legend_layout(fig, width, height, legend_height, title)[1], most_layers
    )
    window_note, fig = windowed.notes[len(fig.notes) :], windowed
    rows, shown = legend_layout(fig, width, height, legend_height, title)
    notes: tuple[str, ...] = ()
    for _ in range(3):  # a note may take a legend row from the plot, which may change what stays covered
        predicted = predicted_notes(fig, width, height - shown)
        if predicted == notes:
            break
        notes = predicted
        rows, shown = legend_layout(replace(fig, notes=[*fig.notes, *notes]), width, height, legend_height, title)
    body, area = plot_body(plt, fig, width, height - shown, base, cache)
    if area.hidden != notes:  # the built plot is what the notes describe, the prediction is only for the rows
        notes = area.hidden
        rows = legend_layout(replace(fig, notes=[*fig.notes, *notes]), width, height, legend_height, title)[0]
        rows = rows[:shown]
    if hidden is not None:
        hidden += [*window_note, *notes]
    strips = legend_strips(rows, width, base) + [Strip.blank(width, base)] * (shown - len(rows)) + body
    return strips[:height] + [Strip.blank(width, base)] * (height - len(strips))


# ------------------------------------------------------------------------------------------ the widget
class Plot(Widget):
    """Shows one Figure; its rows are built once per figure, size and style, and served row by row.

    `show` replaces the figure; a resize or a theme change rebuilds the rows at the next paint. A plot with
    a `partner` (the other plot of a side-by-side pair) gives its legend as many rows as the partner's, so
    both plot frames start on the same row.
    """

    DEFAULT_CSS: ClassVar[str] = """
    Plot { width: 1fr; height: 1fr; min-height: 8; background: $surface; color: $foreground; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.figure: Figure | None = None
        self.title: Content | None = None
        """Drawn first in the legend rows."""
        self.partner: Plot | None = None
        self.strips: list[Strip] | None = None
        """The rows of the last plot built (tests read them)."""
        self.hidden_notes: tuple[str, ...] = ()
        """The notes of the last plot built on markers that stay covered (shown after the figure's notes)."""
        self._key: object = None
        self._failure = ""
        self._plt: Any = _figure_class()
        self._styles: dict[object, Style] = {}
        self._partner_rows: tuple[object, int] = (None, 0)
        self._partner_window: tuple[object, int | None] = (None, None)

    def show(self, figure: Figure | None, title: Content | None = None) -> None:
        self.figure, self.title = figure, title
        self.hidden_notes = ()
        self.strips, self._key = None, None  # a new figure may reuse a freed one's id
        self._failure = ""
        self.refresh()

    def render(self) -> RenderResult:
        """The words shown instead of a plot."""
        fig = self.figure
        if fig is None:
            return Text("waiting for the first run…", style="dim", justify="center")
        if self._failure:
            return Text(self._failure, style="italic")
        if fig.message:
            return Align.center(Text(fig.message, style="italic"), vertical="middle")
        if fig.empty():
            return Align.center(Text("nothing finite to draw", style="italic"), vertical="middle")
        return Text("(too small to plot)", style="dim")

    def partner_legend_rows(self) -> int:
        """How many legend rows the partner's plot takes (0 without a shown partner); kept per figure and width,
        as every row of a paint asks."""
        partner = self.partner
        if partner is None or partner.figure is None or not partner.drawable():
            return 0
        key = (id(partner.figure), id(partner.title), partner.size.width, partner.hidden_notes)
        if self._partner_rows[0] != key:
            fig = partner.figure
            if partner.hidden_notes:
                fig = replace(fig, notes=[*fig.notes, *partner.hidden_notes])
            self._partner_rows = (key, len(legend_rows(fig, partner.size.width, partner.title)))
        return self._partner_rows[1]

    def partner_window(self) -> int | None:
        """How many layers the partner's plot would show on its own (None: all, or no shown partner): a pair
        shows the same layers, the fewer of the two."""
        partner = self.partner
        if partner is None or partner.figure is None or not partner.drawable():
            return None
        key = (id(partner.figure), partner.size)
        if self._partner_window[0] != key:
            height = partner.size.height - max(self.partner_legend_rows(), partner.partner_legend_rows())
            self._partner_window = (key, window_size(partner.figure, partner.size.width, height))
        return self._partner_window[1]

    def drawable(self) -> bool:
        fig = self.figure
        return not (fig is None or fig.message or fig.empty() or self.size.width < 16 or self.size.height < 6)

    def render_line(self, y: int) -> Strip:
        base = self.visual_style.rich_style
        key = (id(self.figure), id(self.title), self.size, base, self.partner_legend_rows(), self.partner_window())
        if self._key != key:  # decided once per figure, size and style, not per row
            self._key = key
            self.strips = self._build(base)
        if self.strips is None:
            return super().render_line(y)
        strips = self.strips
        return strips[y] if 0 <= y < len(strips) else Strip.blank(self.size.width, base)

    def _build(self, base: Style) -> list[Strip] | None:
        """The plot's rows, or None when `render` shows words instead (no plot, too small, failed)."""
        fig = self.figure
        if fig is None or not self.drawable():
            return None
        if base not in self._styles:
            self._styles = {base: base}  # colour styles are over the base: a new theme starts afresh
        hidden: list[str] = []
        try:
            strips = render_figure(
                self._plt,
                fig,
                self.size.width,
                self.size.height,
                base,
                self.partner_legend_rows(),
                self._styles,
                self.title,
                hidden,
                self.partner_window(),
            )
        except Exception as err:  # a plot must never take the app down
            self._failure = f"plot failed: {err}"
            self.refresh()
            return None
        if tuple(hidden) != self.hidden_notes:
            self.hidden_notes = tuple(hidden)
            if self.partner is not None:
                self.partner.refresh()  # its legend lines up with this one's, notes included
        return strips
