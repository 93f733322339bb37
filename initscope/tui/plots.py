"""Plot widgets: a plotext canvas that redraws from stored series, and the presentation helpers.

The rules of DESIGN §1 live here, once: never `yscale("log")` (we plot log10(y) on a linear axis and
label the decades ourselves), every series is sanitized before plotext sees it (non-finite and
non-positive values become gaps, and the caller says how many were hidden), lines are downsampled to a
few points per column, and histograms arrive pre-binned from the engine and are drawn with `bar()`.
Nothing here computes a statistic of the data: log10 and downsampling are presentation only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from plotext._dict import color_codes, no_color, style_codes
from rich.align import Align
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.strip import Strip
from textual_plotext import PlotextPlot

from initscope.engine.result import Histogram

FloatArray = npt.NDArray[np.float64]
RGB = tuple[int, int, int]

POINTS_PER_COLUMN = 3
"""Lines are downsampled to about this many points per terminal column (plotext costs ~17 µs a point)."""


# ------------------------------------------------------------------------------ presentation helpers
def log10_series(values: Sequence[float] | FloatArray) -> tuple[FloatArray, int]:
    """log10 of every value; non-finite and non-positive values become NaN (a gap).

    Returns (log values, hidden) where hidden counts the values that could not be drawn. Entries that
    are NaN (the engine's "not computed") count as hidden too: the caption says so.
    """
    arr = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(arr) & (arr > 0)
    out = np.full(arr.shape, np.nan)
    out[ok] = np.log10(arr[ok])
    return out, int(arr.size - np.count_nonzero(ok))


def linear_series(values: Sequence[float] | FloatArray, scale: float = 1.0) -> tuple[FloatArray, int]:
    """values * scale with non-finite values as NaN gaps; returns (values, hidden)."""
    arr = np.asarray(values, dtype=np.float64) * scale
    ok = np.isfinite(arr)
    out = np.where(ok, arr, np.nan)
    return out, int(arr.size - np.count_nonzero(ok))


def decade_label(k: int) -> str:
    """The tick label of decade k: 1e0, 1e-3, 1e12."""
    return f"1e{k}"


def decade_ticks(lo: float, hi: float, rows: int) -> tuple[list[float], list[str], tuple[float, float]]:
    """Integer-decade ticks covering [lo, hi] (log10 units), thinned to fit `rows` text rows.

    Returns (positions, labels, (ymin, ymax)). A flat series gets one decade of room either side.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = -1.0, 1.0
    bottom, top = math.floor(lo), math.ceil(hi)
    if top - bottom < 1:
        bottom, top = bottom - 1, top + 1
    span = top - bottom
    room = max(2, rows // 2)
    step = 1
    for candidate in (1, 2, 3, 5, 10, 20, 25, 50, 100, 200, 500, 1000):
        step = candidate
        if span / candidate <= room:
            break
    first = int(math.floor(bottom / step) * step)
    ticks = list(range(first, top + 1, step))
    if ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    positions = [float(t) for t in ticks]
    return positions, [decade_label(t) for t in ticks], (float(ticks[0]), float(ticks[-1]))


def downsample(x: FloatArray, y: FloatArray, max_points: int) -> tuple[FloatArray, FloatArray]:
    """Keep at most `max_points` evenly spaced points (first and last always kept)."""
    n = len(x)
    if n <= max_points or max_points < 2:
        return x, y
    idx = np.unique(np.round(np.linspace(0, n - 1, max_points)).astype(np.int64))
    return x[idx], y[idx]


def segments(x: FloatArray, y: FloatArray) -> list[tuple[FloatArray, FloatArray]]:
    """Split a series at its NaN gaps into runs of finite points."""
    ok = np.isfinite(y)
    out: list[tuple[FloatArray, FloatArray]] = []
    start: int | None = None
    for i, good in enumerate(ok):
        if good and start is None:
            start = i
        elif not good and start is not None:
            out.append((x[start:i], y[start:i]))
            start = None
    if start is not None:
        out.append((x[start:], y[start:]))
    return out


def layer_ticks(depth: int, columns: int) -> list[int]:
    """A few round layer numbers for the x axis."""
    if depth <= 1:
        return [1]
    room = max(2, columns // 7)
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000):
        step = candidate
        if depth / candidate <= room:
            break
    ticks = [1, *range(step, depth + 1, step)]
    return sorted(set(ticks))


def count_label(x: float) -> str:
    """A histogram count for the y axis: 0, 512, 17k, 1.2M."""
    if x >= 1e6:
        return f"{x / 1e6:.3g}M"
    if x >= 1e4:
        return f"{x / 1e3:.3g}k"
    return f"{x:.0f}"


def fmt_tick(x: float) -> str:
    """Short axis label for a linear value."""
    if x == 0:
        return "0"
    if abs(x) >= 1e4 or abs(x) < 1e-2:
        return f"{x:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")
    return f"{x:.3g}"


# ------------------------------------------------------------------------------ what a canvas draws
@dataclass
class Line:
    """One drawable series: x (layers), y (already log10 if the axis is logarithmic), its look."""

    x: FloatArray
    y: FloatArray
    color: RGB | str
    marker: str = "hd"
    """half blocks: 2x2 per cell, and they render in SVG screenshots (braille glyphs do not)."""
    points: bool = False
    """Measured values: drawn as a marker per layer when there is room (● per point), as a line when dense."""


@dataclass
class Fill:
    """A shaded band between two series on the same x (the seed ensemble's 10-90 % band); NaN is a gap."""

    x: FloatArray
    low: FloatArray
    high: FloatArray
    color: RGB | str
    at_line: int | None = None
    """None: under everything; k: drawn just before `Figure.lines[k]` (after them all when k >= their count),
    so the lines before it are covered where they run inside the band."""


def fill_path(fill: Fill, samples: int) -> list[tuple[FloatArray, FloatArray]]:
    """A zigzag through the band, one polyline per finite run: vertical strokes from low to high at about
    `samples` evenly spaced x (2 per column fills half-block cells solidly), joined along the edges."""
    ok = np.isfinite(fill.low) & np.isfinite(fill.high)
    span = float(fill.x[-1] - fill.x[0]) if fill.x.size > 1 else 0.0
    out: list[tuple[FloatArray, FloatArray]] = []
    for sx, _ in segments(fill.x, np.where(ok, 0.0, np.nan)):
        first = int(np.searchsorted(fill.x, sx[0]))
        lo, hi = fill.low[first:first + sx.size], fill.high[first:first + sx.size]
        n = max(2, round(samples * float(sx[-1] - sx[0]) / span)) if span > 0 and sx.size > 1 else 1
        xs = np.linspace(float(sx[0]), float(sx[-1]), n)
        a, b = np.interp(xs, sx, lo), np.interp(xs, sx, hi)
        flip = (np.arange(n) % 2).astype(bool)
        first_y, second_y = np.where(flip, b, a), np.where(flip, a, b)
        out.append((np.repeat(xs, 2), np.column_stack([first_y, second_y]).reshape(-1)))
    return out


@dataclass
class Bars:
    """A pre-binned histogram: bar centres and counts."""

    centers: FloatArray
    counts: FloatArray
    color: RGB | str


def bar_outline(bars: Bars, points: int) -> tuple[FloatArray, FloatArray]:
    """The histogram as a filled step curve sampled `points` times across the bins: adjacent bars of the
    bins' heights, drawn by plotext's fill in a few ms where `bar()` builds one rectangle per bin (~4x
    slower, and the largest part of a redraw)."""
    centers = np.asarray(bars.centers, dtype=np.float64)
    counts = np.asarray(bars.counts, dtype=np.float64)
    if centers.size == 1:
        return np.array([centers[0] - 0.5, centers[0] + 0.5]), np.array([counts[0], counts[0]])
    half = (centers[-1] - centers[0]) / (centers.size - 1) / 2
    x = np.linspace(centers[0] - half, centers[-1] + half, max(points, 2 * centers.size))
    index = np.clip(((x - (centers[0] - half)) / (2 * half)).astype(np.intp), 0, centers.size - 1)
    return x, counts[index]


@dataclass
class Figure:
    """Everything one canvas shows; rebuilt into plotext on every render."""

    lines: list[Line] = field(default_factory=list)
    bars: list[Bars] = field(default_factory=list)
    vlines: list[tuple[float, RGB | str]] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    """Shaded bands, drawn first (under the bars and lines)."""
    log_y: bool = False
    """y values are log10: label decades."""
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    x_is_layer: bool = True
    depth: int = 1
    x_label: str = ""
    x_ticks: list[tuple[float, str]] | None = None
    """Own x tick positions and labels (e.g. decades on a log10 axis) instead of evenly spaced numbers."""
    message: str = ""
    """Shown instead of a plot (e.g. 'all weights are 0: nothing to draw')."""

    def empty(self) -> bool:
        return (not self.message and not self.bars and not any(np.isfinite(ln.y).any() for ln in self.lines)
                and not any(np.isfinite(f.low).any() for f in self.fills))


class Canvas(PlotextPlot):
    """A plotext plot that rebuilds its figure from a stored `Figure` on every render.

    plotext state is cleared and redrawn each time (resize, theme change, tab switch), so nothing is
    ever transformed twice, and the series are downsampled to the width the canvas has now.
    """

    DEFAULT_CSS = """
    Canvas { width: 1fr; height: 1fr; min-height: 4; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.figure: Figure | None = None
        self.renders = 0
        """How many times this canvas built a plot (tests and the benchmark read it)."""
        self._strips: list[Strip] | None = None
        self._strips_key: object = None
        self._failure = ""
        self._style_cache: dict[tuple[object, object, object, Style], Style] = {}

    def show(self, figure: Figure | None) -> None:
        self.figure = figure
        self._strips = None
        self.refresh()

    def _drawable(self) -> Figure | None:
        """The figure when it is a plot to build at the current size (else render() says why not)."""
        fig = self.figure
        if fig is None or fig.message or fig.empty() or self.size.width < 12 or self.size.height < 4:
            return None
        return fig

    def render(self) -> RenderResult:
        """What the canvas shows when there is no plot to build (render_line draws the plots themselves)."""
        fig = self.figure
        if fig is None:
            return Text("waiting for the first run…", style="dim", justify="center")
        if fig.message:
            return Align.center(Text(fig.message, style="italic"), vertical="middle")
        if fig.empty():
            return Align.center(Text("nothing finite to draw", style="italic"), vertical="middle")
        if self.size.width < 12 or self.size.height < 4:
            return Text("(too small to plot)", style="dim")
        return Text(self._failure or "", style="italic")

    def render_line(self, y: int) -> Strip:
        """One row of the plot, read straight from plotext's character and colour matrices.

        plotext's own output is an ANSI string that Rich parses back and Textual splits into strips again:
        three times the work of building the plot (about 40 ms a redraw at 120x36). The strips of one
        figure at one size and theme are built once and served row by row.
        """
        fig = self._drawable()
        if fig is None:
            return super().render_line(y)
        key = (id(fig), self.size, self.app.theme, self.visual_style.rich_style)
        if self._strips is None or self._strips_key != key:
            self._strips_key = key
            try:
                self._strips = self._build_strips(fig)
                self._failure = ""
            except Exception as err:  # a plot must never take the app down
                self._strips = None
                self._failure = f"plot failed: {err}"
                self._dirty_regions.add(self.region)  # let render() say so
                return super().render_line(y)
            self.renders += 1
        strips = self._strips
        return strips[y] if 0 <= y < len(strips) else Strip.blank(self.size.width, self.visual_style.rich_style)

    def _build_strips(self, fig: Figure) -> list[Strip]:
        width, height = self.size.width, self.size.height
        self._draw(fig, width, height)
        plt: Any = self.plt  # plotext's private build steps are not in its stubs
        # what PlotextPlot.render does before plotext's build(), then the build without its ANSI string
        plt.plotsize(width, height)
        plt._set_size(width, height)
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        plt._set_sizes()
        plt._build_matrix()
        return matrix_strips(plt.monitor.matrix, width, self.visual_style.rich_style, self._style_cache)

    def _draw(self, fig: Figure, width: int, height: int) -> None:
        plt = self.plt
        plt.clear_figure()
        plt.frame(True)
        max_points = max(8, POINTS_PER_COLUMN * width)
        lo, hi = math.inf, -math.inf

        def draw_fills(at: int | None) -> None:
            """The fills drawn at this point: under everything (None), before line `at`, or after them all."""
            nonlocal lo, hi
            for band in fig.fills:
                if at is None:
                    due = band.at_line is None
                elif at < len(fig.lines):
                    due = band.at_line == at
                else:
                    due = band.at_line is not None and band.at_line >= at
                if due:
                    for fx, fy in fill_path(band, 2 * width):
                        lo, hi = min(lo, float(fy.min())), max(hi, float(fy.max()))
                        plt.plot(fx.tolist(), fy.tolist(), color=band.color, marker="hd")

        draw_fills(None)
        for bars in fig.bars:  # first, so lines drawn over them stay visible
            bx, by = bar_outline(bars, 2 * width)
            plt.plot(bx.tolist(), by.tolist(), color=bars.color, marker="sd", fillx=True)
        for k, line in enumerate(fig.lines):
            draw_fills(k)
            x, y = downsample(line.x, line.y, max_points)
            finite = y[np.isfinite(y)]
            if finite.size:
                lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
            sparse = line.points and len(x) <= max(2, (width - 10) // 3)
            for sx, sy in segments(x, y):
                if sparse:
                    plt.scatter(sx.tolist(), sy.tolist(), color=line.color, marker="●")
                elif len(sx) == 1:
                    plt.scatter(sx.tolist(), sy.tolist(), color=line.color, marker=line.marker)
                else:
                    plt.plot(sx.tolist(), sy.tolist(), color=line.color, marker=line.marker)
        draw_fills(len(fig.lines))
        for position, color in fig.vlines:
            if math.isfinite(position):
                plt.vline(position, color=color)
        if fig.bars:
            top = max(float(b.counts.max()) for b in fig.bars if b.counts.size)
            if top > 0:
                count_ticks = [0.0, top / 2, top]
                plt.yticks(count_ticks, [count_label(t) for t in count_ticks])
        if fig.log_y:
            ticks, labels, (ymin, ymax) = decade_ticks(lo, hi, height - 3)
            plt.yticks(ticks, labels)
            plt.ylim(ymin, ymax)
        elif fig.y_range is not None:
            plt.ylim(*fig.y_range)
        if fig.x_is_layer:
            depth = max(1, fig.depth)
            xt = layer_ticks(depth, width - 8)
            plt.xticks([float(t) for t in xt], [str(t) for t in xt])
            plt.xlim(0.5 if depth > 1 else 0.0, depth + 0.5 if depth > 1 else 2.0)
        elif fig.x_range is not None:
            left, right = fig.x_range
            if right > left:
                plt.xlim(left, right)
                if fig.x_ticks:
                    plt.xticks([t for t, _ in fig.x_ticks], [label for _, label in fig.x_ticks])
                else:
                    xs = np.linspace(left, right, max(2, min(6, width // 12)))
                    plt.xticks(xs.tolist(), [fmt_tick(float(t)) for t in xs])
        if fig.x_label:
            plt.xlabel(fig.x_label)


# ------------------------------------------------------------------------------ plotext matrix to strips
def plotext_color(value: object) -> Color | None:
    """A plotext colour (a name, a 0-255 code or an RGB triple) as the Rich colour its ANSI code means."""
    if isinstance(value, str):
        name = value.strip()
        return Color.from_ansi(color_codes[name]) if name in color_codes else None
    if isinstance(value, int) and 0 <= value <= 255:
        return Color.from_ansi(value)
    if isinstance(value, (tuple, list)) and len(value) == 3:
        return Color.from_rgb(*value)
    return None


RICH_ATTRIBUTE = {"double-underline": "underline2", "inverted": "reverse", "flash": "blink"}
"""plotext style names whose Rich attribute has another name."""


def plotext_style(fg: object, style: object, bg: object, base: Style) -> Style:
    """The Rich style of one plotext cell, over the widget's own style (as Rich's ANSI decoding makes it)."""
    words = style.split() if isinstance(style, str) and style != no_color else []
    attributes = Style.parse(" ".join(RICH_ATTRIBUTE.get(w, w) for w in words if w in style_codes))
    return base + Style(color=plotext_color(fg), bgcolor=plotext_color(bg)) + attributes


def matrix_strips(matrix: object, width: int, base: Style,
                  cache: dict[tuple[object, object, object, Style], Style]) -> list[Strip]:
    """Strips of a built plotext matrix (its rows are stored bottom-up), one Segment per run of cells
    with the same colours; `cache` keeps the Style of each colour triple between builds."""
    markers: list[list[str]] = matrix.marker  # type: ignore[attr-defined]
    fgs: list[list[object]] = matrix.fullground  # type: ignore[attr-defined]
    styles: list[list[object]] = matrix.style  # type: ignore[attr-defined]
    bgs: list[list[object]] = matrix.background  # type: ignore[attr-defined]
    strips: list[Strip] = []
    for row in range(len(markers) - 1, -1, -1):
        chars, fg, st, bg = markers[row], fgs[row], styles[row], bgs[row]
        segments: list[Segment] = []
        start = 0
        n = len(chars)
        while start < n:
            key = (_hashable(fg[start]), st[start], _hashable(bg[start]), base)
            end = start + 1
            while end < n and fg[end] == fg[start] and st[end] == st[start] and bg[end] == bg[start]:
                end += 1
            style = cache.get(key)
            if style is None:
                style = cache[key] = plotext_style(fg[start], st[start], bg[start], base)
            segments.append(Segment("".join(chars[start:end]), style))
            start = end
        strips.append(Strip(segments, n).adjust_cell_length(width, base))
    return strips


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


# ------------------------------------------------------------------------------ histogram figures
def histogram_bars(h: Histogram, color: RGB | str) -> tuple[Bars | None, str]:
    """Bars for a pre-binned histogram, or (None, words) when it cannot be drawn honestly."""
    if h.collapsed:
        return None, h.collapsed
    if h.total == 0 or len(h.edges) < 2 or len(h.counts) == 0:
        if h.nonfinite:
            return None, f"no finite values ({h.nonfinite} non-finite)"
        return None, "not computed"
    edges = np.asarray(h.edges, dtype=np.float64)
    if not np.isfinite(edges).all():
        return None, "histogram range is not finite"
    centers = 0.5 * (edges[:-1] + edges[1:])
    return Bars(centers, np.asarray(h.counts, dtype=np.float64), color), ""


def histogram_notes(h: Histogram) -> list[str]:
    """What a reader must know about a histogram besides its bars."""
    notes = []
    below, above = h.outside
    if below or above:
        notes.append(f"{below + above} outside the range (counted in the end bins)")
    if h.nonfinite:
        notes.append(f"{h.nonfinite} non-finite hidden")
    if h.note:
        notes.append(h.note)
    return notes
