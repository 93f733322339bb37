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
from plotext._dict import color_codes
from plotext._figure import _figure_class
from rich.align import Align
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.content import Content
from textual.strip import Strip
from textual.widget import Widget

from initscope.tui.axes import Axis, layer_axis, linear_axis, log_axis
from initscope.tui.legend import LegendRow, legend_rows, legend_strips
from initscope.tui.placement import Placed, cell_values, drawn_cells, hidden_notes, matrix_cells, place_points
from initscope.tui.plots import RGB, Figure, FloatArray, Line, downsample, segments

MIN_PLOT_ROWS = 6
"""The legend never takes the plot below this many rows (frame, ticks and at least three rows of data)."""
TINT = 0.35
"""Share of a line's colour in the background tint it leaves under a marker (the rest is the background)."""
SELECTED_COLOR: RGB = (110, 110, 110)
"""The selected layer's vertical line: grey, apart from every series' colour."""


# ------------------------------------------------------------------------------------------ axes
def finite_span(arrays: list[FloatArray]) -> tuple[float, float]:
    """min and max of the finite values of all the arrays ((inf, -inf) when there are none)."""
    lo, hi = math.inf, -math.inf
    for values in arrays:
        finite = values[np.isfinite(values)]
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
    return lo, hi


def y_data(fig: Figure) -> tuple[float, float]:
    """min and max over everything a figure plots on y (lines, bands, bar tops; bars start at the floor)."""
    arrays = [line.y for line in fig.lines] + [e for band in fig.fills for e in (band.low, band.high)]
    arrays += [np.asarray(b.counts, dtype=np.float64) for b in fig.bars]
    arrays.append(np.asarray(fig.y_include, dtype=np.float64))
    lo, hi = finite_span(arrays)
    if fig.bars and fig.y_floor is not None:
        lo = min(lo, fig.y_floor)
    return lo, hi


def y_axis(fig: Figure, rows: int) -> Axis:
    """The y axis of a figure with `rows` rows of data: ticks at least a row apart, three at least."""
    most = max(3, (rows + 1) // 2)
    if fig.y_range is not None:
        return on_rows(linear_axis(*fig.y_range, most, exact=True, room=rows), rows)
    lo, hi = y_data(fig)
    if fig.log_y:
        return on_rows(log_axis(lo, hi, most, room=rows), rows)
    return on_rows(linear_axis(lo, hi, most, floor=fig.y_floor, ceiling=fig.y_ceiling, room=rows), rows)


def on_rows(axis: Axis, rows: int) -> Axis:
    """The ticks that land on a row of their own (plotext's rounding of a value to a row); from the top, a
    tick on the row of the one kept above it is left out (log axes space round values unevenly)."""
    span = axis.high - axis.low
    if span <= 0 or rows < 2:
        return axis
    kept: list[int] = []
    last = None
    for i in sorted(range(len(axis.ticks)), key=lambda k: -axis.ticks[k]):
        row = math.floor(round(0.5 + (rows - 1) * (axis.ticks[i] - axis.low) / span, 8))
        if row != last:
            kept.append(i)
            last = row
    kept.sort()
    return Axis(axis.low, axis.high, tuple(axis.ticks[i] for i in kept), tuple(axis.labels[i] for i in kept))


def x_axis(fig: Figure, cols: int) -> Axis:
    custom = fig.x_tick_marks(cols)
    if fig.x_is_layer and custom is None:
        depth = max(1, fig.depth)
        return layer_axis(depth, max(3, cols // (len(str(depth)) + 4)))
    if fig.x_range is not None and fig.x_range[1] > fig.x_range[0]:
        lo, hi = fig.x_range
    else:
        lo, hi = finite_span([line.x for line in fig.lines] + [np.asarray(b.centers, dtype=np.float64)
                                                                for b in fig.bars])
        if fig.x_is_layer:
            lo, hi = 0.5, max(1, fig.depth) + 0.5
        if not (math.isfinite(lo) and math.isfinite(hi)):
            lo, hi = 0.0, 1.0
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
    if custom is not None:
        return Axis(lo, hi, tuple(custom.values), tuple(custom.labels))
    if fig.x_ticks:
        return Axis(lo, hi, tuple(t for t, _ in fig.x_ticks), tuple(label for _, label in fig.x_ticks))
    return linear_axis(lo, hi, max(2, cols // 8), exact=True)


# ------------------------------------------------------------------------------------------ plotting
def dodge_offsets(fig: Figure, cols: int) -> dict[int, float]:
    """x shift (in layers) of each dodged series: one column apart when a layer is wide enough, else as far
    apart as a layer's slot allows."""
    dodged = [k for k, line in enumerate(fig.lines) if line.dodge]
    n = len(dodged)
    if n < 2 or not fig.x_is_layer:
        return {}
    per_layer = cols / max(1, fig.depth)  # columns per layer
    gap = 1.0 / per_layer if per_layer >= n else 0.8 / n  # one column apart, or spread over 80 % of a layer
    return {k: (i - (n - 1) / 2) * gap for i, k in enumerate(dodged)}


def plot_line(plt: Any, line: Line, x: FloatArray, y: FloatArray, cols: int) -> None:
    x, y = downsample(x, y, max(8, 2 * cols))
    if line.points:  # markers join nothing: one plotext signal of the finite points (each signal has a cost)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.any():
            marker = line.marker if int(ok.sum()) <= 2 * cols else "hd"
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


def plot_bars(plt: Any, fig: Figure, xa: Axis, bottom: float, cols: int) -> None:
    """Pre-binned histograms as one filled column of whole cells per plot column (plotext's bar plot and
    half-cell fills cost 5-15 times more to build)."""
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
            plt.scatter(xs[keep].tolist(), heights[keep].tolist(), marker="sd", color=bars.color, fillx=bottom)


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
        row[area.left:] = [pairs[k] if k >= 0 else None for k in shades[r].tolist()]
    return out


class Frame(NamedTuple):
    """A plot's axes at its size: the rows and columns of data, the y labels' gutter, the x label shown."""

    x: Axis
    y: Axis
    gutter: int
    cols: int
    rows: int
    x_label: str


def plot_frame(fig: Figure, width: int, height: int) -> Frame:
    x_label = fig.x_label if height >= 12 else ""  # a short plot keeps its rows for the data
    rows = max(1, height - 2 - (1 if x_label else 0))
    ya = y_axis(fig, rows)
    gutter = max((len(s) for s in ya.labels), default=1) + 1
    cols = max(4, width - gutter - 1)
    return Frame(x_axis(fig, cols), ya, gutter, cols, rows, x_label)


def placed_points(fig: Figure, frame: Frame, width: int) -> Placed:
    """The dodged markers' places (plotext's canvas runs to the right edge, as there is no right frame: a column
    more than the axis was ticked for)."""
    return place_points(fig, frame.x, frame.y, width - frame.gutter, frame.rows, dodge_offsets(fig, frame.cols))


def predicted_notes(fig: Figure, width: int, height: int) -> tuple[str, ...]:
    """The notes on covered markers that building the plot at this size will give (without building it)."""
    placed = placed_points(fig, plot_frame(fig, width, height), width)
    return hidden_notes(drawn_cells(fig, placed), fig, placed, width) if placed.cells else ()


def build_matrix(plt: Any, fig: Figure, width: int, height: int, points: bool = True,
                 lines: bool = True) -> DataArea:
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


# ------------------------------------------------------------------------------------------ to strips
def rgb_of(color: RGB | str) -> RGB:
    if isinstance(color, str):
        t = Color.parse(color).get_truecolor()
        return (t.red, t.green, t.blue)
    return color


def plotext_color(value: object) -> Color | None:
    """A plotext colour (a name, a 0-255 code or an RGB triple) as a Rich colour."""
    if isinstance(value, str):
        name = value.strip()
        code = color_codes.get(name)
        return Color.from_ansi(code) if isinstance(code, int) and 0 <= code <= 255 else None
    if isinstance(value, int) and 0 <= value <= 255:
        return Color.from_ansi(value)
    if isinstance(value, (tuple, list)) and len(value) == 3:
        return Color.from_rgb(*value)
    return None


Underlay = list[list[tuple[RGB, RGB] | None]]
"""Per cell (rows bottom-up, as plotext stores them): the colour painted there and the background it leaves
under whatever covers it; None where nothing is."""


def underlay(matrix: Any, skip: set[RGB] | None = None, toward: RGB | None = None) -> Underlay:
    """What every painted cell of a built matrix shows (None where it is blank, frame or a `skip` colour); its
    background is that colour mixed with `toward` when given (a line under a marker shows as a tint, the marker
    stays readable)."""
    skip = skip or set()
    seen: dict[object, tuple[RGB, RGB] | None] = {}

    def entry(color: object) -> tuple[RGB, RGB] | None:
        key = tuple(color) if isinstance(color, list) else color
        if key in seen:
            return seen[key]
        out: tuple[RGB, RGB] | None = None
        if isinstance(color, (tuple, list)):
            rgb = (int(color[0]), int(color[1]), int(color[2]))
            if rgb not in skip:
                back = rgb if toward is None else (int(TINT * rgb[0] + (1 - TINT) * toward[0]),
                                                   int(TINT * rgb[1] + (1 - TINT) * toward[1]),
                                                   int(TINT * rgb[2] + (1 - TINT) * toward[2]))
                out = (rgb, back)
        seen[key] = out
        return out

    return [[entry(color) if ch.strip() else None for ch, color in zip(chars, fgs, strict=True)]
            for chars, fgs in zip(matrix.marker, matrix.fullground, strict=True)]


def backgrounds(chars: list[str], fg: list[object], unders: list[list[tuple[RGB, RGB] | None]]) -> list[object]:
    """Per cell that shows a glyph, the background left by the first of `unders` (topmost first) whose colour
    differs from the glyph's."""
    out: list[object] = [None] * len(fg)
    shown = [tuple(f) if isinstance(f, (tuple, list)) else f for f in fg]
    for under in reversed(unders):
        out = [u[1] if u is not None and u[0] != f and c != " " else o
               for u, f, o, c in zip(under, shown, out, chars, strict=True)]
    return out


def matrix_strips(matrix: Any, width: int, base: Style, cache: dict[object, Style],
                  unders: list[Underlay] | None = None, heat: Underlay | None = None) -> list[Strip]:
    """Strips of a built plotext matrix (its rows are stored bottom-up), one segment per colour run. A cell
    that covers what an underlay painted (a marker over a theory line, a line over a band) gets that colour
    as its background, so what it covers still shows; `unders` go topmost first. `heat` colours the
    background of every cell it paints, blank ones too, under all else."""
    markers: list[list[str]] = matrix.marker
    fgs: list[list[object]] = matrix.fullground
    strips: list[Strip] = []
    for row in range(len(markers) - 1, -1, -1):
        chars, fg = markers[row], fgs[row]
        bg = backgrounds(chars, fg, [u[row] for u in unders]) if unders else [None] * len(chars)
        if heat is not None:
            bg = [h[1] if b is None and h is not None else b for b, h in zip(bg, heat[row], strict=True)]
        out: list[Segment] = []
        start, n = 0, len(chars)
        while start < n:
            color, back = fg[start], bg[start]
            end = start + 1
            while end < n and fg[end] == color and bg[end] == back:
                end += 1
            key = (tuple(color) if isinstance(color, list) else color, tuple(back) if isinstance(back, list) else back)
            style = cache.get(key)
            if style is None:
                style = cache[key] = base + Style(color=plotext_color(color), bgcolor=plotext_color(back))
            out.append(Segment("".join(chars[start:end]), style))
            start = end
        strips.append(Strip(out, n).adjust_cell_length(width, base))
    return strips


def legend_layout(fig: Figure, width: int, height: int, legend_height: int,
                  title: Content | None) -> tuple[list[LegendRow], int]:
    """The legend rows a figure shows and how many rows they take (at least `legend_height`, padded)."""
    rows = legend_rows(fig, width, title)
    if len(rows) > height - MIN_PLOT_ROWS and title is not None:  # short of rows: the title goes first
        rows = legend_rows(fig, width)
    rows = rows[: max(0, height - 4)]  # every entry while the plot keeps a frame and two rows of data
    shown = min(max(0, height - MIN_PLOT_ROWS), max(len(rows), legend_height)) if legend_height > len(rows) \
        else len(rows)
    return rows, shown


def plot_body(plt: Any, fig: Figure, width: int, height: int, base: Style,
              cache: dict[object, Style]) -> tuple[list[Strip], DataArea]:
    """The plot's own rows (frame, ticks, data) and where its data cells are."""
    unders: list[Underlay] = []
    bg = base.bgcolor.triplet if base.bgcolor is not None else None
    surface: RGB = (bg.red, bg.green, bg.blue) if bg is not None else (0, 0, 0)
    if any(line.points for line in fig.lines) and any(not line.points for line in fig.lines):
        build_matrix(plt, fig, width, height, points=False)  # what the markers will cover
        skip = {surface, SELECTED_COLOR} | {rgb_of(band.color) for band in fig.fills}
        unders.append(underlay(plt.monitor.matrix, skip, toward=surface))
    if fig.fills or (fig.bars and fig.lines):
        build_matrix(plt, fig, width, height, lines=False)  # the bands and bars alone: what lines cover
        unders.append(underlay(plt.monitor.matrix, {surface}))
    area = build_matrix(plt, fig, width, height)
    heat = heat_cells(fig, area, width, len(plt.monitor.matrix.marker))
    return matrix_strips(plt.monitor.matrix, width, base, cache, unders, heat), area


def render_figure(plt: Any, fig: Figure, width: int, height: int, base: Style, legend_height: int = 0,
                  cache: dict[object, Style] | None = None, title: Content | None = None,
                  hidden: list[str] | None = None) -> list[Strip]:
    """The figure as `height` strips: the title and legend rows (at least `legend_height`), then the plot. The
    notes on markers that stay covered (see hidden_notes) join the legend's notes, and `hidden` when given."""
    cache = {} if cache is None else cache
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
        hidden += notes
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
        self.renders = 0
        """How many times this widget built a plot (tests and the benchmark read it)."""
        self.strips: list[Strip] | None = None
        """The rows of the last plot built (tests read them)."""
        self.hidden_notes: tuple[str, ...] = ()
        """The notes of the last plot built on markers that stay covered (shown after the figure's notes)."""
        self._key: object = None
        self._failure = ""
        self._plt: Any = _figure_class()
        self._styles: dict[object, Style] = {}
        self._partner_rows: tuple[object, int] = (None, 0)

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

    def drawable(self) -> bool:
        fig = self.figure
        return not (fig is None or fig.message or fig.empty() or self.size.width < 16 or self.size.height < 6)

    def render_line(self, y: int) -> Strip:
        base = self.visual_style.rich_style
        key = (id(self.figure), id(self.title), self.size, base, self.partner_legend_rows())
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
            strips = render_figure(self._plt, fig, self.size.width, self.size.height, base,
                                   self.partner_legend_rows(), self._styles, self.title, hidden)
        except Exception as err:  # a plot must never take the app down
            self._failure = f"plot failed: {err}"
            self.refresh()
            return None
        self.renders += 1
        if tuple(hidden) != self.hidden_notes:
            self.hidden_notes = tuple(hidden)
            if self.partner is not None:
                self.partner.refresh()  # its legend lines up with this one's, notes included
        return strips
