"""The plot widget: a Figure drawn straight into terminal cells (frame, ticks, labels, and the series on a
2x2 sub-cell grid).

Every screen redraws its plots, so this is the hottest code of the explorer: it works on NumPy arrays of
sub-cells (two columns and two rows per character, drawn with the quadrant glyphs ▘▝▖▗ and their unions)
and emits one Rich segment per run of cells of one colour. A later series overwrites the cells an earlier
one drew (whole cells, as a terminal can give a cell only one colour); vertical marker lines go first,
under the data. Nothing here computes a statistic: the figure arrives with log10 and downsampling done.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from rich.align import Align
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.strip import Strip
from textual.widget import Widget

from initscope.tui.plots import (
    RGB,
    Bars,
    Figure,
    Fill,
    FloatArray,
    Line,
    Ticks,
    count_label,
    decade_ticks,
    downsample,
    fmt_tick,
    layer_ticks,
    nice_ticks,
    segments,
)

QUADRANTS = " ▘▝▀▖▌▞▛▗▚▐▜▄▙▟█"
"""Glyph of a cell by its sub-cell bits: 1 upper left, 2 upper right, 4 lower left, 8 lower right."""
CELL_MARKERS = {"dot": "•"}
"""Markers drawn one glyph per cell along the line (thin series that must not hide what lies under them)."""
POINT_MARKER = "●"
POINTS_PER_SUBCELL = 1.5
"""Lines are downsampled to this many points per sub-cell column before drawing (more adds nothing)."""

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class Frame:
    """Where the plot area sits in the widget and which data rectangle it shows."""

    left: int
    """Column of the y axis (the labels are left of it); the plot area starts one column to the right."""
    cols: int
    rows: int
    x0: float
    x1: float
    y0: float
    y1: float

    def fx(self, x: FloatArray) -> FloatArray:
        return (x - self.x0) / (self.x1 - self.x0)

    def fy(self, y: FloatArray) -> FloatArray:
        return (y - self.y0) / (self.y1 - self.y0)

    def sub_x(self, x: FloatArray) -> FloatArray:
        """Continuous sub-cell column of x: sub-cell k is centred on k, from 0 at x0 to 2·cols - 1 at x1."""
        return self.fx(x) * (2 * self.cols - 1)

    def sub_y(self, y: FloatArray) -> FloatArray:
        """Continuous sub-cell row of y counted from the bottom: 0 at y0, 2·rows - 1 at y1."""
        return self.fy(y) * (2 * self.rows - 1)

    def col_of(self, x: float) -> int:
        """The cell column of x (the same rounding as the data, so a tick sits where its value is drawn)."""
        return int(np.clip(np.floor(self.sub_x(np.array(x)) + 0.5), 0, 2 * self.cols - 1)) // 2

    def row_of(self, y: float) -> int:
        """The cell row of y counted from the top."""
        return self.rows - 1 - int(np.clip(np.floor(self.sub_y(np.array(y)) + 0.5), 0, 2 * self.rows - 1)) // 2


class Raster:
    """The plot area's cells: a glyph, its sub-cell bits, a colour index and a background colour index each
    (-1: the widget's own style)."""

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.glyph = np.full((rows, cols), " ", dtype="<U1")
        self.bits = np.zeros((rows, cols), dtype=np.int64)
        self.color = np.full((rows, cols), -1, dtype=np.int64)
        self.back = np.full((rows, cols), -1, dtype=np.int64)
        self.colors: list[RGB | str] = []

    def color_index(self, color: RGB | str) -> int:
        if color not in self.colors:
            self.colors.append(color)
        return self.colors.index(color)

    def paint_subcells(self, on: BoolArray, color: RGB | str) -> None:
        """Paint a (2·rows x 2·cols) sub-cell image, row 0 at the top: every cell with a sub-cell on takes the
        quadrant glyph of its sub-cells in this colour. Where what was there before fills the rest of the cell
        (a line across the top of a bar), it stays as the cell's background."""
        bits = (on[0::2, 0::2] * 1 + on[0::2, 1::2] * 2 + on[1::2, 0::2] * 4 + on[1::2, 1::2] * 8).astype(np.int64)
        hit = bits > 0
        if not hit.any():
            return
        new, old, old_color = bits[hit], self.bits[hit], self.color[hit]
        under = (old_color >= 0) & (new != 15) & ((old | new) == 15) & ((old & ~new) != 0)
        self.back[hit] = np.where(under, old_color, -1)
        self.glyph[hit] = np.array(list(QUADRANTS))[new]
        self.bits[hit] = new
        self.color[hit] = self.color_index(color)

    def paint_cells(self, rows: IntArray, cols: IntArray, glyph: str, color: RGB | str) -> None:
        """One glyph per cell; a cell a line or bar went through keeps its colour as the background (a
        measured point on its prediction shows both)."""
        drawn = (self.bits[rows, cols] > 0) & (self.color[rows, cols] >= 0)
        self.back[rows, cols] = np.where(drawn, self.color[rows, cols], -1)
        self.glyph[rows, cols] = glyph
        self.bits[rows, cols] = 0
        self.color[rows, cols] = self.color_index(color)


# ------------------------------------------------------------------------------------------ series
def line_samples(frame: Frame, x: FloatArray, y: FloatArray, per_unit: float) -> tuple[FloatArray, FloatArray]:
    """Points along the polyline (x, y) at least every 1/per_unit sub-cells, in sub-cell units (y from the
    bottom); NaN gaps split the line."""
    xs: list[FloatArray] = []
    ys: list[FloatArray] = []
    for sx, sy in segments(x, y):
        px, py = frame.sub_x(sx), frame.sub_y(sy)
        if px.size == 1:
            xs.append(px)
            ys.append(py)
            continue
        dx, dy = np.diff(px), np.diff(py)
        steps = np.ceil(np.maximum(np.abs(dx), np.abs(dy)) * per_unit).astype(np.int64)
        steps = np.clip(steps, 1, 4 * (frame.cols + frame.rows) * max(1, int(per_unit)))
        segment = np.repeat(np.arange(steps.size), steps)
        start = np.repeat(np.cumsum(steps) - steps, steps)
        t = (np.arange(segment.size) - start) / steps[segment]
        xs += [px[:-1][segment] + t * dx[segment], px[-1:]]
        ys += [py[:-1][segment] + t * dy[segment], py[-1:]]
    if not xs:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(xs), np.concatenate(ys)


def subcell_image(frame: Frame, px: FloatArray, py: FloatArray) -> BoolArray:
    """The sub-cells hit by points given in sub-cell units (y from the bottom); points outside are dropped."""
    width, height = 2 * frame.cols, 2 * frame.rows
    keep = _inside(px, width) & _inside(py, height)
    ix, iy = np.floor(px + 0.5), np.floor(py + 0.5)
    image = np.zeros((height, width), dtype=bool)
    image[height - 1 - iy[keep].astype(np.int64), ix[keep].astype(np.int64)] = True
    return image


def _inside(s: FloatArray, n: int) -> BoolArray:
    """Sub-cell coordinates within the data limits (0 .. n - 1, a hair of round-off allowed)."""
    return (s >= -1e-9) & (s <= n - 1 + 1e-9)


def _cells(frame: Frame, px: FloatArray, py: FloatArray) -> tuple[IntArray, IntArray]:
    """(rows from the top, columns) of the cells holding points given in sub-cell units; outsiders dropped."""
    keep = _inside(px, 2 * frame.cols) & _inside(py, 2 * frame.rows)
    cols = np.floor(px[keep] + 0.5).astype(np.int64) // 2
    rows = frame.rows - 1 - np.floor(py[keep] + 0.5).astype(np.int64) // 2
    return rows, cols


def draw_line(raster: Raster, frame: Frame, line: Line, x: FloatArray, y: FloatArray) -> None:
    if line.marker in CELL_MARKERS:
        rows, cols = _cells(frame, *line_samples(frame, x, y, 0.5))  # every cell along the way
        raster.paint_cells(rows, cols, CELL_MARKERS[line.marker], line.color)
        return
    px, py = line_samples(frame, x, y, 2.0)
    raster.paint_subcells(subcell_image(frame, px, py), line.color)


def draw_points(raster: Raster, frame: Frame, x: FloatArray, y: FloatArray, color: RGB | str) -> None:
    ok = np.isfinite(x) & np.isfinite(y)
    rows, cols = _cells(frame, frame.sub_x(x[ok]), frame.sub_y(y[ok]))
    raster.paint_cells(rows, cols, POINT_MARKER, color)


def column_centres(frame: Frame) -> FloatArray:
    """The data x at the centre of every sub-cell column."""
    return frame.x0 + np.arange(2 * frame.cols) / (2 * frame.cols - 1) * (frame.x1 - frame.x0)


def span_image(frame: Frame, low: FloatArray, high: FloatArray) -> BoolArray:
    """Sub-cells whose centre lies between low and high (data y per sub-cell column; NaN: none)."""
    height = 2 * frame.rows
    centre = frame.y0 + (height - 1 - np.arange(height))[:, None] / (height - 1) * (frame.y1 - frame.y0)
    lo, hi = np.minimum(low, high), np.maximum(low, high)
    with np.errstate(invalid="ignore"):
        return (centre >= lo[None, :]) & (centre <= hi[None, :])


def draw_bars(raster: Raster, frame: Frame, bars: Bars) -> None:
    """A pre-binned histogram as adjacent filled bars, at sub-cell resolution."""
    centers = np.asarray(bars.centers, dtype=np.float64)
    counts = np.asarray(bars.counts, dtype=np.float64)
    if centers.size == 0:
        return
    half = (centers[-1] - centers[0]) / (centers.size - 1) / 2 if centers.size > 1 else 0.5
    x = column_centres(frame)
    left, right = centers[0] - half, centers[-1] + half
    index = np.clip(np.floor((x - left) / (2 * half)).astype(np.int64), 0, centers.size - 1)
    inside = (x >= left) & (x <= right)
    height = np.where(inside, counts[index], np.nan)
    top = np.where(height > 0, height, np.nan)
    image = span_image(frame, np.full(x.shape, min(frame.y0, 0.0)), top)
    # a bar lower than half a sub-cell still shows as one sub-cell: a bin with counts is never invisible
    first_row = 2 * frame.rows - 1
    image[first_row, np.isfinite(top)] = True
    raster.paint_subcells(image, bars.color)


def draw_fill(raster: Raster, frame: Frame, fill: Fill) -> None:
    x = column_centres(frame)
    ok = np.isfinite(fill.low) & np.isfinite(fill.high)
    if ok.sum() == 0:
        return
    low = np.interp(x, fill.x[ok], fill.low[ok], left=np.nan, right=np.nan)
    high = np.interp(x, fill.x[ok], fill.high[ok], left=np.nan, right=np.nan)
    # no band across a gap: a sub-cell column between two finite runs takes nothing
    for gap in _gaps(fill.x, ok):
        low[(x > gap[0]) & (x < gap[1])] = np.nan
    raster.paint_subcells(span_image(frame, low, high), fill.color)


def _gaps(x: FloatArray, ok: BoolArray) -> list[tuple[float, float]]:
    """(last finite x, next finite x) around every run of non-finite band edges."""
    out: list[tuple[float, float]] = []
    finite = np.flatnonzero(ok)
    for a, b in itertools.pairwise(finite.tolist()):
        if b > a + 1:
            out.append((float(x[a]), float(x[b])))
    return out


# ------------------------------------------------------------------------------------------ axes
def finite_span(arrays: list[FloatArray]) -> tuple[float, float]:
    """min and max of the finite values of all the arrays ((inf, -inf) when there are none)."""
    lo, hi = math.inf, -math.inf
    for values in arrays:
        finite = values[np.isfinite(values)]
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
    return lo, hi


def data_limits(fig: Figure) -> tuple[float, float]:
    """min and max over everything a figure plots on y (lines, fills, bars from 0)."""
    lo, hi = finite_span([line.y for line in fig.lines] + [e for band in fig.fills for e in (band.low, band.high)])
    for bars in fig.bars:
        if bars.counts.size:
            lo, hi = min(lo, 0.0), max(hi, float(np.max(bars.counts)))
    return lo, hi


def x_limits(fig: Figure) -> tuple[float, float]:
    if fig.x_is_layer:
        depth = max(1, fig.depth)
        return (0.5, depth + 0.5) if depth > 1 else (0.0, 2.0)
    if fig.x_range is not None and fig.x_range[1] > fig.x_range[0]:
        return fig.x_range
    lo, hi = finite_span([line.x for line in fig.lines] + [np.asarray(b.centers, dtype=np.float64)
                                                            for b in fig.bars])
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return 0.0, 1.0
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def y_axis(fig: Figure, rows: int) -> tuple[float, float, Ticks]:
    """The y limits and ticks of a figure drawn `rows` cells high."""
    lo, hi = data_limits(fig)
    custom = fig.y_tick_marks()
    room = max(1, (rows - 1) // 2)  # tick intervals of at least two rows: evenly spaced labels
    if fig.log_y:
        values, labels, _ = decade_ticks(lo, hi, 2 * room)
        return (*on_whole_rows(values, rows), Ticks(values, labels))
    if fig.y_range is not None:
        y0, y1 = fig.y_range
    elif fig.bars:
        y0, y1 = min(0.0, lo), hi
    else:
        y0, y1 = lo, hi
    if not (math.isfinite(y0) and math.isfinite(y1)):
        y0, y1 = 0.0, 1.0
    if y1 <= y0:
        pad = abs(y0) * 0.5 or 1.0
        y0, y1 = y0 - pad, y1 + pad
    if custom is not None:
        return y0, y1, custom
    if fig.bars:
        top = max(float(np.max(b.counts)) for b in fig.bars if b.counts.size) if any(
            b.counts.size for b in fig.bars) else 0.0
        if top > 0:
            values = [0.0, top / 2, top]
            return y0, y1, Ticks(values, [count_label(v) for v in values])
    values = nice_ticks(y0, y1, room)
    if fig.y_range is not None and len(values) >= 2 and math.isclose(values[0], y0) and math.isclose(
            values[-1], y1, rel_tol=1e-9, abs_tol=1e-12):  # a fixed range whose ends are ticks: even rows too
        y0, y1 = on_whole_rows(values, rows)
    elif fig.y_range is None and len(values) >= 2:  # an axis of the data's own range ends on labelled ticks
        step = values[1] - values[0]
        first, last = math.floor(y0 / step + 1e-9), math.ceil(y1 / step - 1e-9)
        values = [k * step for k in range(first, last + 1)]
        y0, y1 = on_whole_rows(values, rows)
    return y0, y1, Ticks(values, [fmt_tick(v) for v in values])


def on_whole_rows(ticks: list[float], rows: int) -> tuple[float, float]:
    """y limits that put evenly spaced ticks k rows apart, the first on the bottom row (any spare rows stay
    above the last tick); without room for that, the ticks' own span."""
    n = len(ticks) - 1
    k = (rows - 1) // n if n > 0 else 0
    if k < 1:
        return ticks[0], ticks[-1]
    step = ticks[1] - ticks[0]
    # row r (from the bottom) is centred on sub-cell 2r + 0.5 of 2·rows; tick i must be on row i·k
    span = step * (2 * rows - 1) / (2 * k)
    y0 = ticks[0] - step / (4 * k)
    return y0, y0 + span


def x_ticks(fig: Figure, x0: float, x1: float, cols: int) -> Ticks:
    custom = fig.x_tick_marks(cols)
    if custom is not None:
        return custom
    if fig.x_is_layer:
        values = [float(t) for t in layer_ticks(max(1, fig.depth), cols)]
        return Ticks(values, [str(int(t)) for t in values])
    if fig.x_ticks:
        return Ticks([t for t, _ in fig.x_ticks], [label for _, label in fig.x_ticks])
    values = np.linspace(x0, x1, max(2, min(6, cols // 12))).tolist()
    return Ticks(values, [fmt_tick(float(t)) for t in values])


# ------------------------------------------------------------------------------------------ the figure
def render_figure(fig: Figure, width: int, height: int, base: Style) -> list[Strip]:
    """The figure as `height` strips of `width` cells; `base` is the widget's own style (background, text)."""
    x_label = fig.x_label if height >= 7 else ""  # a short canvas keeps its rows for the data
    rows = max(1, height - 3 - (1 if x_label else 0))  # the frame's top and bottom lines, tick labels, title
    y0, y1, yt = y_axis(fig, rows)
    slack = 1e-9 * (y1 - y0)
    inside_y = [(v, s) for v, s in zip(yt.values, yt.labels, strict=True) if y0 - slack <= v <= y1 + slack]
    gutter = max((len(s) for _, s in inside_y), default=1)
    cols = max(1, width - gutter - 2)
    x0, x1 = x_limits(fig)
    frame = Frame(gutter, cols, rows, x0, x1, y0, y1)

    raster = Raster(cols, rows)
    for position, color in fig.vlines:
        if math.isfinite(position) and x0 <= position <= x1:
            col = frame.col_of(position)
            raster.paint_cells(np.arange(rows), np.full(rows, col), "│", color)
    max_points = max(8, int(POINTS_PER_SUBCELL * 2 * cols))
    sparse_room = max(2, (width - 10) // 3)

    def fills_due(at: int | None) -> None:
        for band in fig.fills:
            if at is None:
                due = band.at_line is None
            elif at < len(fig.lines):
                due = band.at_line == at
            else:
                due = band.at_line is not None and band.at_line >= at
            if due:
                draw_fill(raster, frame, band)

    fills_due(None)
    for bars in fig.bars:
        draw_bars(raster, frame, bars)
    for k, line in enumerate(fig.lines):
        fills_due(k)
        x, y = downsample(line.x, line.y, max_points)
        if line.points and len(x) <= sparse_room:
            draw_points(raster, frame, x, y, line.color)
        else:
            draw_line(raster, frame, line, x, y)
    fills_due(len(fig.lines))

    xt = x_ticks(fig, x0, x1, cols)
    strips = compose(frame, raster, inside_y, xt, x_label, width, base)[:height]
    return strips + [Strip.blank(width, base)] * (height - len(strips))


def compose(frame: Frame, raster: Raster, y_ticks: list[tuple[float, str]], xt: Ticks, x_label: str,
            width: int, base: Style) -> list[Strip]:
    """Frame, tick labels and the raster as strips."""
    gutter, cols, rows = frame.left, frame.cols, frame.rows
    rich_colors = [_rich_color(c) for c in raster.colors]
    styles: dict[tuple[int, int], Style] = {}

    def style_of(fg: int, bg: int) -> Style:
        style = styles.get((fg, bg))
        if style is None:
            style = styles[(fg, bg)] = base + Style(color=rich_colors[fg] if fg >= 0 else None,
                                                    bgcolor=rich_colors[bg] if bg >= 0 else None)
        return style

    tick_rows: dict[int, str] = {}
    for value, label in y_ticks:
        tick_rows.setdefault(frame.row_of(value), label)
    strips = [_text_strip(" " * gutter + "┌" + "─" * cols + "┐", width, base)]
    # runs of one (colour, background) per row, found for all rows at once
    change = np.zeros((rows, cols), dtype=bool)
    change[:, 0] = True
    change[:, 1:] = (raster.color[:, 1:] != raster.color[:, :-1]) | (raster.back[:, 1:] != raster.back[:, :-1])
    run_rows, run_starts = np.nonzero(change)
    run_colors = raster.color[run_rows, run_starts].tolist()
    run_backs = raster.back[run_rows, run_starts].tolist()
    texts = ["".join(row) for row in raster.glyph.tolist()]
    k = 0
    n_runs = run_rows.size
    row_of_run = run_rows.tolist()
    start_of_run = run_starts.tolist()
    for r in range(rows):
        tick = tick_rows.get(r)
        head = (tick.rjust(gutter) + "┤") if tick is not None else " " * gutter + "│"
        segments = [Segment(head, base)]
        text = texts[r]
        while k < n_runs and row_of_run[k] == r:
            a = start_of_run[k]
            b = start_of_run[k + 1] if k + 1 < n_runs and row_of_run[k + 1] == r else cols
            segments.append(Segment(text[a:b], style_of(run_colors[k], run_backs[k])))
            k += 1
        segments.append(Segment("│", base))
        strips.append(Strip(segments, gutter + cols + 2).adjust_cell_length(width, base))
    axis = ["─"] * cols
    labels = [" "] * cols
    free_from = 0
    for value, label in zip(xt.values, xt.labels, strict=True):
        if not (frame.x0 - 1e-9 <= value <= frame.x1 + 1e-9):
            continue
        col = frame.col_of(value)
        axis[col] = "┬"
        start = min(max(0, col - len(label) // 2), max(0, cols - len(label)))
        if start >= free_from and start + len(label) <= cols:
            labels[start:start + len(label)] = list(label)
            free_from = start + len(label) + 1
    strips.append(_text_strip(" " * gutter + "└" + "".join(axis) + "┘", width, base))
    strips.append(_text_strip(" " * (gutter + 1) + "".join(labels), width, base))
    if x_label:
        strips.append(_text_strip(" " * (gutter + 1) + x_label.center(cols), width, base))
    return strips


def _text_strip(text: str, width: int, style: Style) -> Strip:
    return Strip([Segment(text[:width], style)], min(len(text), width)).adjust_cell_length(width, style)


def _rich_color(color: RGB | str) -> Color:
    if isinstance(color, str):
        return Color.parse(color)
    return Color.from_rgb(*color)


# ------------------------------------------------------------------------------------------ the widget
class Canvas(Widget):
    """Shows one Figure; its rows are built once per figure, size and style, and served to Textual row by row.

    `show` replaces the figure; a resize or a theme change rebuilds the rows at the next paint.
    """

    DEFAULT_CSS: ClassVar[str] = """
    Canvas { width: 1fr; height: 1fr; min-height: 4; background: $surface; color: $foreground; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.figure: Figure | None = None
        self.renders = 0
        """How many times this canvas built a plot (tests and the benchmark read it)."""
        self._strips: list[Strip] | None = None
        self._key: object = None
        self._failure = ""

    def show(self, figure: Figure | None) -> None:
        self.figure = figure
        self._strips, self._key = None, None  # a new figure may reuse a freed one's id
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

    def render_line(self, y: int) -> Strip:
        base = self.visual_style.rich_style
        key = (id(self.figure), self.size, base)
        if self._key != key:  # decided once per figure, size and style, not per row
            self._key = key
            self._strips = self._build(base)
        if self._strips is None:
            return super().render_line(y)
        strips = self._strips
        return strips[y] if 0 <= y < len(strips) else Strip.blank(self.size.width, base)

    def _build(self, base: Style) -> list[Strip] | None:
        """The plot's rows, or None when `render` shows words instead (no plot, too small, failed)."""
        fig = self.figure
        if fig is None or fig.message or fig.empty() or self.size.width < 12 or self.size.height < 4:
            return None
        try:
            strips = render_figure(fig, self.size.width, self.size.height, base)
        except Exception as err:  # a plot must never take the app down
            self._failure = f"plot failed: {err}"
            self.refresh()
            return None
        self.renders += 1
        return strips
