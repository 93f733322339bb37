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

from initscope.engine.text import trim_exponent

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


def padded(lo: float, hi: float, log: bool = False, floor: float | None = None,
           ceiling: float | None = None) -> tuple[float, float]:
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


def linear_axis(lo: float, hi: float, most: int, floor: float | None = None,
                ceiling: float | None = None, exact: bool = False, room: int = 0) -> Axis:
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


def layer_axis(depth: int, most: int) -> Axis:
    """Layers 1..depth, each centred on its own slot; ticks at multiples of a round step (1 when step is 1)."""
    low, high = 0.5, depth + 0.5
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        ticks = [float(t) for t in range(step, depth + 1, step)]
        if step == 1 or len(ticks) < 2:
            ticks = [float(t) for t in range(1, depth + 1, step)] if step == 1 else ticks
        if len(ticks) <= max(2, most):
            break
    if not ticks:
        ticks = [1.0]
    return Axis(low, high, tuple(ticks), tuple(str(int(t)) for t in ticks))
