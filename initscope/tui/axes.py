"""Axis ranges and round tick labels for the plots (presentation only: no statistic is computed here).

Rules every plot follows:
- a range fits the data with a margin, never a fixed window (a flat series stays on one row);
- ticks are round: 1, 2 or 5 times a power of ten apart, all labels of one axis in one number format;
- at least three labelled ticks wherever the data spans a range (a single value gets ticks around it);
- a log axis carries log10 values on a linear scale (plotext's own log scale is never used) and labels
  the values: decades when the data spans several, 1-2-5 steps inside a decade, plain round numbers when
  the data sits within a few per cent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from initscope.engine.arrays import FloatArray
from initscope.engine.text import trim_exponent
from initscope.tui.plots import Figure

MARGIN = 0.06
"""Share of the data's span left free at each end of an axis."""
STEPS = (1.0, 2.0, 5.0)
"""Tick mantissas: ticks are STEPS[i] x 10^k apart."""


@dataclass(frozen=True)
class Axis:
    """The data range an axis shows and its labelled ticks (positions in plotted units)."""

    low: float
    high: float
    ticks: tuple[float, ...]
    labels: tuple[str, ...]


def padded(
    lo: float, hi: float, log: bool = False, floor: float | None = None, ceiling: float | None = None
) -> tuple[float, float]:
    """[lo, hi] widened by MARGIN of its span (a single value gets room of its own), kept within floor and
    ceiling when given (a count never goes below 0, a percentage never above 100)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = (-1.0, 1.0) if log else (0.0, 1.0)
    span = hi - lo
    if span <= 0:
        span = 0.02 if log else (abs(lo) * 0.1 or 1.0)
        lo, hi = lo - span / 2, hi + span / 2
    low, high = lo - MARGIN * span, hi + MARGIN * span
    if floor is not None and lo >= floor:
        low = max(low, floor)
    if ceiling is not None and hi <= ceiling:
        high = min(high, ceiling)
    return low, high


def round_steps(lo: float, hi: float) -> list[float]:
    """Every round step (1-2-5 x 10^k) from the span itself down to a hundredth of it, coarse first."""
    span = hi - lo
    if not (math.isfinite(span) and span > 0):
        return []
    top = math.ceil(math.log10(span))
    return [m * 10.0**k for k in range(top, top - 4, -1) for m in reversed(STEPS) if m * 10.0**k <= span]


def multiples(lo: float, hi: float, step: float) -> list[float]:
    """The multiples of step within [lo, hi] (round-off at the ends forgiven)."""
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [k * step for k in range(first, last + 1)]


def pick_ticks(lo: float, hi: float, most: int, least: int = 3) -> tuple[list[float], float]:
    """Round ticks in [lo, hi]: the coarsest 1-2-5 step giving at least `least` of them without exceeding
    `most`; (ticks, step). With no room for `least`, the coarsest step that gives 2."""
    steps = round_steps(lo, hi)
    fallback: tuple[list[float], float] | None = None
    for step in steps:
        ticks = multiples(lo, hi, step)
        if len(ticks) > most:
            break
        if len(ticks) >= least:
            return ticks, step
        if len(ticks) >= 2 and fallback is None:
            fallback = (ticks, step)
    if fallback is not None:
        return fallback
    mid = 0.5 * (lo + hi)
    return [mid], (hi - lo) or 1.0


def number_format(values: list[float], step: float) -> str:
    """One format for all labels of an axis: as many decimals as the step needs, or a shared exponent
    notation when the values are very large or the step very small."""
    biggest = max((abs(v) for v in values), default=0.0)
    if biggest >= 1e5 or (0 < step < 1e-3):
        return "e"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0
    return f".{decimals}f"


def format_ticks(values: list[float], step: float) -> list[str]:
    fmt = number_format(values, step)
    if fmt != "e":
        return [_clean(format(v, fmt)) for v in values]
    digits = 0
    for v in values:  # enough mantissa digits that neighbours differ
        if v:
            exp = math.floor(math.log10(abs(v)))
            digits = max(digits, min(3, exp - math.floor(math.log10(step) + 1e-9)))
    return [sci(v, digits) for v in values]


def sci(v: float, digits: int = 0) -> str:
    """2e-3, 1.5e5, 0: compact scientific notation."""
    if v == 0:
        return "0"
    return trim_exponent(f"{v:.{digits}e}")


def _clean(text: str) -> str:
    return "0" if text.lstrip("-").strip("0.") == "" else text


def linear_axis(
    lo: float,
    hi: float,
    most: int,
    floor: float | None = None,
    ceiling: float | None = None,
    exact: bool = False,
    room: int = 0,
) -> Axis:
    """An axis over data from lo to hi: padded (unless `exact`), round ticks inside, one format. Fewer than
    three ticks within `most` and the axis has `room` rows or columns for more: up to `room` of them."""
    low, high = (lo, hi) if exact and hi > lo else padded(lo, hi, floor=floor, ceiling=ceiling)
    ticks, step = pick_ticks(low, high, max(2, most))
    if len(ticks) < 3 and room > most:
        ticks, step = pick_ticks(low, high, room)
    return Axis(low, high, tuple(ticks), tuple(format_ticks(ticks, step)))


def log_axis(lo: float, hi: float, most: int, room: int = 0) -> Axis:
    """An axis of log10 values from lo to hi, labelled with the values themselves (1e-3, 2e-3, 0.83)."""
    axis = _log_axis(lo, hi, max(2, most))
    if len(axis.ticks) < 3 and room > most:
        axis = _log_axis(lo, hi, room)
    return axis


def _log_axis(lo: float, hi: float, most: int) -> Axis:
    low, high = padded(lo, hi, log=True)
    decades = [float(k) for k in range(math.ceil(low - 1e-9), math.floor(high + 1e-9) + 1)]
    if len(decades) >= 3:  # whole decades, thinned to round multiples
        for every in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
            ticks = [d for d in decades if d % every == 0]
            if len(ticks) <= most:
                if len(ticks) >= 2:
                    return Axis(low, high, tuple(ticks), tuple(f"1e{int(t)}" for t in ticks))
                break
    # within a few decades: 1-2-5 in each decade
    sub = [math.log10(m) + k for k in range(math.floor(low) - 1, math.ceil(high) + 1) for m in STEPS]
    sub = [t for t in sub if low - 1e-9 <= t <= high + 1e-9]
    if 3 <= len(sub) <= most:
        return Axis(low, high, tuple(sub), tuple(sci(10.0**t) for t in sub))
    # a narrow range: round values, placed at their log10
    values, step = pick_ticks(10.0**low, 10.0**high, most)
    values = [v for v in values if v > 0]
    if not values:
        return Axis(low, high, (), ())
    return Axis(low, high, tuple(math.log10(v) for v in values), tuple(format_ticks(values, step)))


def layer_axis(last: int, most: int, first: int = 1) -> Axis:
    """Layers first..last, each centred on its own slot; ticks at the multiples of a round step (every layer when
    the step is 1)."""
    low, high = first - 0.5, last + 0.5
    ticks: list[float] = []
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        multiples_ = [float(t) for t in range(first, last + 1) if step == 1 or t % step == 0]
        if len(multiples_) >= 2 or not ticks:
            ticks = multiples_
        if len(ticks) <= max(2, most):
            break
    return Axis(low, high, tuple(ticks or [float(first)]), tuple(str(int(t)) for t in ticks or [float(first)]))


# ------------------------------------------------------------------------------------------ a figure's axes
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
        first, last = fig.shown_layers()
        return layer_axis(last, max(3, cols // (len(str(last)) + 4)), first)
    if fig.x_range is not None and fig.x_range[1] > fig.x_range[0]:
        lo, hi = fig.x_range
    else:
        lo, hi = finite_span(
            [line.x for line in fig.lines] + [np.asarray(b.centers, dtype=np.float64) for b in fig.bars]
        )
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
