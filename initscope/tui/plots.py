"""What a plot shows, and the presentation helpers every plot shares (plot_widget.py draws it with plotext).

The plot rules of docs/architecture.md live here, once: never a logarithmic axis transform at draw time (we
plot log10(y) on a linear axis and label the decades ourselves), every series is sanitized before it is drawn
(non-finite and non-positive values become gaps, and the caller says how many were hidden), lines are
downsampled to the width they are drawn at, and histograms arrive pre-binned from the engine. Nothing here
computes a statistic of the data: log10 and downsampling are presentation only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from initscope.engine.arrays import FloatArray
from initscope.engine.result import Histogram

RGB = tuple[int, int, int]


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


def nice_ticks(lo: float, hi: float, room: int, mantissas: tuple[float, ...] = (1.0, 2.0, 2.5, 5.0)) -> list[float]:
    """Round values (mantissa x 10^k apart) inside [lo, hi], at most `room` + 1 of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(1, room)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for m in mantissas:
        if m * magnitude >= raw:
            step = m * magnitude
            break
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [k * step for k in range(first, last + 1)]


MARKS_PER_COLUMN = 2
"""A series of markers is drawn whole up to this many points per axis column; beyond, it is thinned (evenly
spaced points kept) instead of dodged apart: the one rule plotting, marker placement and the notes share."""


def marks_kept(points: int, cols: int) -> int:
    """How many of a series' `points` markers a plot `cols` axis columns wide draws (all, or thinned)."""
    return points if not thinned(points, cols) else downsample_indices(points, max(8, MARKS_PER_COLUMN * cols)).size


def thinned(points: int, cols: int) -> bool:
    return points > MARKS_PER_COLUMN * cols


def downsample_indices(n: int, max_points: int) -> npt.NDArray[np.int64]:
    """The indices `downsample` keeps of n points."""
    if n <= max_points or max_points < 2:
        return np.arange(n, dtype=np.int64)
    return np.unique(np.round(np.linspace(0, n - 1, max_points)).astype(np.int64))


def downsample(x: FloatArray, y: FloatArray, max_points: int) -> tuple[FloatArray, FloatArray]:
    """Keep at most `max_points` evenly spaced points (first and last always kept)."""
    if len(x) <= max_points or max_points < 2:
        return x, y
    idx = downsample_indices(len(x), max_points)
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


# ------------------------------------------------------------------------------ what a plot draws
@dataclass
class Line:
    """One drawable series: x (layers), y (already log10 if the axis is logarithmic), its look."""

    x: FloatArray
    y: FloatArray
    color: RGB | str
    marker: str = "braille"
    """plotext's marker: "braille" (2x4 dots a cell, the thinnest line), "hd" (2x2 quadrant blocks) or one
    glyph drawn per point ("●", "◆", a pin's digit)."""
    points: bool = False
    """Measured values: one marker per point, not joined (a line when there are more points than columns)."""
    dodge: bool = False
    """On a layer axis, shifted sideways by a column from the other dodged series, so equal values at one
    layer still show every series."""


@dataclass(frozen=True)
class Legend:
    """One legend entry: the mark drawn in the series' colour and its name."""

    label: str
    color: RGB | str | None
    mark: str = "■"


@dataclass
class Fill:
    """A shaded band between two series on the same x (the seed ensemble's 10-90 % band); NaN is a gap."""

    x: FloatArray
    low: FloatArray
    high: FloatArray
    color: RGB | str


@dataclass
class Bars:
    """A pre-binned histogram: bar centres and counts."""

    centers: FloatArray
    counts: FloatArray
    color: RGB | str


@dataclass
class Heat:
    """A colour for every plot cell (a heat map, drawn under everything else), each cell read at the (x, y) its
    position names: the first column at the x axis's low end, the last at its high end, rows likewise."""

    shade: Callable[[FloatArray, FloatArray], npt.NDArray[np.intp]]
    """(x of every column, y of every row) -> an index into `palette` per (row, column); -1 leaves it blank."""
    palette: list[RGB]


@dataclass
class Ticks:
    """Tick positions (data units) and their labels."""

    values: list[float]
    labels: list[str]


@dataclass
class Figure:
    """Everything one plot shows; drawn anew at every size and theme."""

    lines: list[Line] = field(default_factory=list)
    bars: list[Bars] = field(default_factory=list)
    vlines: list[tuple[float, RGB | str]] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    """Shaded bands, drawn first (under everything else)."""
    legend: list[Legend] = field(default_factory=list)
    """Entries shown above the plot, wrapped between entries (never inside one)."""
    notes: list[str] = field(default_factory=list)
    """Dim words after the legend (hidden points, zeros set apart)."""
    selected: float | None = None
    """The selected layer, marked by a vertical line on a per-layer plot."""
    y_floor: float | None = None
    """The y range does not reach below this when the data does not (counts: 0; percentages: 0)."""
    y_ceiling: float | None = None
    y_include: tuple[float, ...] = ()
    """Values the y range always holds (0 on a residual plot)."""
    log_y: bool = False
    """y values are log10: label decades."""
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    x_is_layer: bool = True
    depth: int = 1
    x_label: str = ""
    x_ticks: list[tuple[float, str]] | None = None
    """Own x tick positions and labels (e.g. decades on a log10 axis) instead of evenly spaced numbers."""
    heat: Heat | None = None
    """A colour per cell under everything (the phase diagram)."""
    message: str = ""
    """Shown instead of a plot (e.g. 'all weights are 0: nothing to draw')."""
    window: tuple[int, int] | None = None
    """The first and last layer a per-layer plot shows when it has too few columns to show every series at every
    layer (set at draw time, see placement.layer_window); None: all of them."""

    def shown_layers(self) -> tuple[int, int]:
        """The first and last layer on the x axis of a per-layer plot."""
        return self.window if self.window is not None else (1, max(1, self.depth))

    def x_tick_marks(self, columns: int) -> Ticks | None:
        """Own x ticks for a plot `columns` cells wide (None: the axis's usual ticks)."""
        return None

    def empty(self) -> bool:
        return (
            not self.message
            and self.heat is None
            and not self.bars
            and not any(np.isfinite(ln.y).any() for ln in self.lines)
            and not any(np.isfinite(f.low).any() for f in self.fills)
        )


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
