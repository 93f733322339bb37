"""Summary statistics and histograms of large arrays, with few passes and NaN/inf awareness.

The propagation loop calls these on batch x width arrays at every layer, so each function keeps the
number of passes over the data small (performance target: all statistics together add <= 15 % to
the GEMM chain). Sums are formed per row in the compute dtype (float32 rows are at most 65536
elements long) and accumulated over rows in float64; float64 runs are summed in float64 throughout.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from initscope.engine.arrays import Array
from initscope.engine.result import Histogram

HIST_BINS = 48
"""Fixed bin count: enough to see a shape in a terminal plot, few enough to bin fast."""
HIST_MAX_VALUES = 1 << 16
"""Histograms of larger arrays count an evenly strided subset of rows (said in `Histogram.note`)."""


@dataclass
class Moments:
    """What one pass family over an array yields."""

    count: int
    mean: float
    std: float
    min: float
    max: float
    sumsq: float
    """Sum of squares of the finite values (Frobenius norm squared)."""
    nonfinite: int

    @property
    def nonfinite_fraction(self) -> float:
        return self.nonfinite / self.count if self.count else 0.0

    @property
    def norm(self) -> float:
        return math.sqrt(self.sumsq)


def _as_rows(x: Array) -> Array:
    return x.reshape(x.shape[0], -1) if x.ndim > 1 else x.reshape(1, -1)


def moments(x: Array, extremes: bool = True) -> Moments:
    """count, mean, std (population), min, max, sum of squares, non-finite count of x.

    With `extremes=False` min and max are not computed (NaN), saving two passes where only the spread
    is needed (gradients); non-finite values are then detected from the sums.
    """
    n = int(x.size)
    if n == 0:
        return Moments(0, math.nan, math.nan, math.nan, math.nan, 0.0, 0)
    if x.dtype == np.float16:  # exact widening, once: float16 sums overflow at 65504 and reduce slowly
        x = x.astype(np.float32)
    if extremes:
        lo = float(x.min())
        hi = float(x.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return _moments_nonfinite(x)
    else:
        lo = hi = math.nan
    rows = _as_rows(x)
    if rows.dtype == np.float64:
        s1 = float(rows.sum())
        s2 = float(np.einsum("ij,ij->", rows, rows))
    else:
        # Row sums with NumPy's pairwise reduction (a BLAS gemv against ones is far slower when the
        # BLAS threads compete for the cores), then the rows in float64.
        s1 = float(np.add.reduce(rows, axis=1).sum(dtype=np.float64))
        s2 = float(np.einsum("ij,ij->i", rows, rows).sum(dtype=np.float64))
    if not extremes and not (math.isfinite(s1) and math.isfinite(s2)) and not np.isfinite(x).all():
        return _moments_nonfinite(x)
    mean = s1 / n
    var = s2 / n - mean * mean
    if not math.isfinite(s2):  # squares overflowed in the compute dtype: redo in float64
        xf = x.astype(np.float64)
        s2 = float(np.einsum("i,i->", xf.ravel(), xf.ravel()))
        var = float(xf.var())
    elif mean * mean > 1e3 * max(var, 0.0):  # cancellation risk: exact two-pass in float64
        var = float(x.astype(np.float64).var())
    return Moments(n, mean, math.sqrt(max(var, 0.0)), lo, hi, s2, 0)


def _moments_nonfinite(x: Array) -> Moments:
    """Slow path: statistics of the finite values plus the count of the rest."""
    finite = np.isfinite(x)
    k = int(finite.sum())
    values = x[finite].astype(np.float64)
    if k == 0:
        return Moments(int(x.size), math.nan, math.nan, math.nan, math.nan, math.nan, int(x.size))
    return Moments(
        int(x.size),
        float(values.mean()),
        float(values.std()),
        float(values.min()),
        float(values.max()),
        float(np.dot(values, values)),
        int(x.size) - k,
    )


def nonzero_count(x: Array) -> int:
    """np.count_nonzero(x) of a float array, counted on the mask x != 0 (same values: NaN counts, -0.0 does
    not): NumPy tests floats one at a time but counts booleans in SIMD blocks, measured 73 against 6 us at
    256 x 256 float32."""
    return int(np.count_nonzero(x != 0))


def robust_range(m: Moments, k: float = 5.0) -> tuple[float, float]:
    """Histogram range: [mean - k std, mean + k std] clipped to [min, max] (when known), so a few outliers
    do not squeeze the bulk of the distribution into one bar."""
    lo, hi = m.mean - k * m.std, m.mean + k * m.std
    if math.isfinite(m.min):
        lo, hi = max(m.min, lo), min(m.max, hi)
    return lo, hi


def scaled(m: Moments, factor: float) -> Moments:
    """The moments of factor * x, from those of x (factor > 0): saves a pass over x."""
    return Moments(
        m.count, m.mean * factor, m.std * factor, m.min * factor, m.max * factor, m.sumsq * factor * factor, m.nonfinite
    )


def scaled_histogram(h: Histogram, factor: float) -> Histogram:
    """The histogram of factor * x, from that of x (factor > 0)."""
    edges = h.edges * factor
    collapsed = h.collapsed
    if collapsed is not None and edges.size == 2 and edges[0] == edges[1]:
        collapsed = f"all {h.total:,} values equal {edges[0]:.4g}"
    elif collapsed is not None and edges.size == 2:
        collapsed = f"all values within {edges[0]:.4g} .. {edges[1]:.4g}"
    return Histogram(edges, h.counts, h.total, h.nonfinite, collapsed, h.outside, h.note)


_LANES = 4
_UINT16_MAX = int(np.iinfo(np.uint16).max)


@lru_cache(maxsize=8)
def _lane_offsets(size: int, stride: int) -> npt.NDArray[np.uint16]:
    """0, stride, 2 stride, 3 stride, 0, ... for `size` values: which counter set each value goes to."""
    offsets = (np.arange(size) % _LANES * stride).astype(np.uint16)
    offsets.flags.writeable = False
    return offsets


def _tally(slot: Array, width: int) -> npt.NDArray[np.int64]:
    """np.bincount of the slots 0..width-1, each value counted in one of _LANES interleaved counter sets
    that are then summed: relu activations put half their values in one slot, and incrementing a single
    counter back to back serializes on the previous increment (measured about 2x faster at 256 x 256)."""
    flat = slot.ravel()
    if _LANES * width > _UINT16_MAX:
        return np.bincount(flat.astype(np.intp), minlength=width).astype(np.int64)
    index = flat.astype(np.uint16)  # truncates the clipped slots like astype(intp) does
    index += _lane_offsets(index.size, width)
    counts: npt.NDArray[np.int64] = (
        np.bincount(index, minlength=_LANES * width).reshape(_LANES, width).sum(axis=0, dtype=np.int64)
    )
    return counts


def histogram(x: Array, m: Moments, bins: int = HIST_BINS, value_range: tuple[float, float] | None = None) -> Histogram:
    """Pre-binned histogram of the finite values of x over a robust range (or `value_range`).

    Values outside the range land in the end bins and are tallied in `outside`, never dropped.
    Arrays with more than HIST_MAX_VALUES values are counted on an evenly strided subset of rows.
    """
    if m.count == 0 or m.count == m.nonfinite:
        return Histogram(np.zeros(0), np.zeros(0, dtype=np.int64), 0, m.nonfinite, collapsed="no finite values")
    lo, hi = value_range if value_range is not None else robust_range(m)
    collapsed = _collapsed(m, lo, hi, bins)
    if collapsed is not None:
        return collapsed
    rows, note = _counted_rows(x)
    tally = _tally(_slots(rows, lo, hi, bins, m.nonfinite > 0), bins + 2)
    counts = tally[1 : bins + 1].copy()
    counts[0] += tally[0]
    counts[-1] += tally[bins + 1]
    # Values equal to the range's end are inside it: only a range narrower than [min, max] has outsiders.
    # (min/max are NaN when not computed: then every clipped value counts as outside.)
    below = int(tally[0]) if not lo <= m.min else 0
    above = int(tally[bins + 1]) if not hi >= m.max else 0
    edges = lo + (hi - lo) * np.arange(bins + 1, dtype=np.float64) / bins
    return Histogram(edges, counts, int(counts.sum()), m.nonfinite, outside=(below, above), note=note)


def _collapsed(m: Moments, lo: float, hi: float, bins: int) -> Histogram | None:
    """The one-bar histogram of values that are all equal or span no usable range; None otherwise."""
    finite = m.count - m.nonfinite
    if math.isnan(m.min) and m.std == 0:
        return Histogram(
            np.array([m.mean, m.mean]),
            np.array([finite], dtype=np.int64),
            finite,
            m.nonfinite,
            collapsed=f"all {finite:,} values equal {m.mean:.4g}",
        )
    if (
        hi > lo
        and math.isfinite(hi - lo)
        and (hi - lo) > 1e-12 * max(abs(lo), abs(hi), 1e-300)
        and (hi - lo) / bins > 0
    ):
        return None
    value = m.min if m.min == m.max else m.mean
    return Histogram(
        np.array([m.min, m.max]),
        np.array([finite], dtype=np.int64),
        finite,
        m.nonfinite,
        collapsed=f"all {finite:,} values equal {value:.4g}"
        if m.min == m.max
        else f"all values within {m.min:.4g} .. {m.max:.4g}",
    )


def _counted_rows(x: Array) -> tuple[Array, str | None]:
    """The rows a histogram counts: all of them, or an evenly strided subset of at most HIST_MAX_VALUES values
    (a single row is strided by value), with the words that say so."""
    rows = x.reshape(x.shape[0], -1) if x.ndim > 1 else x.reshape(1, -1)
    if rows.size <= HIST_MAX_VALUES:
        return rows, None
    stride = -(-rows.size // HIST_MAX_VALUES)
    if rows.shape[0] > 1:
        stride = min(stride, rows.shape[0])
        rows = rows[::stride]
        return rows, f"every {ordinal(stride)} row ({rows.size:,} of {x.size:,} values)"
    rows = rows[:, ::stride]
    return rows, f"every {ordinal(stride)} value ({rows.size:,} of {x.size:,})"


def _slots(rows: Array, lo: float, hi: float, bins: int, has_nonfinite: bool) -> Array:
    """Each finite value's slot: slot k + 1 holds bin k; slot 0 and slot bins + 1 catch the values below and
    above the range (clipped there), so one bincount over small integers yields the bins and the outside
    tallies."""
    work: type[np.floating] = np.float64 if rows.dtype == np.float64 else np.float32  # enough for binning
    scale = bins / (hi - lo)
    if work is np.float32 and not (scale < 1e30 and abs(lo * scale) < 1e30):
        work = np.float64  # a range of subnormal width (vanished activations): float32 cannot scale it
    if math.isfinite(scale) and math.isfinite(lo * scale):
        slot = np.multiply(rows, work(scale), dtype=work)
        slot += work(1.0 - lo * scale)
    else:  # narrower than float64 can scale: divide by the bin width instead
        slot = np.subtract(rows, lo, dtype=np.float64)
        slot /= (hi - lo) / bins
        slot += 1.0
    if has_nonfinite:
        slot = slot[np.isfinite(slot)]
    np.clip(slot, 0, bins + 1, out=slot)
    return slot


class UnitFractions(NamedTuple):
    """What share of a layer's activations saturate, are exactly zero, and of its units output zero for the
    whole batch (dead); NaN where the activation cannot saturate or die."""

    saturated: float
    dead: float
    dead_units: float


def unit_fractions(
    a: Array, saturation: Callable[[Array], npt.NDArray[np.bool_]] | None, can_die: bool, signed: bool
) -> UnitFractions:
    """The fractions of `a` (batch x units). A unit is dead for the batch when its column is all zeros: max == 0,
    and min == 0 too when the activation's outputs can be negative (`signed`, e.g. leaky_relu). Column max/min
    vectorize; a column count does not."""
    saturated = np.count_nonzero(saturation(a)) / a.size if saturation is not None else math.nan
    if not can_die:
        return UnitFractions(saturated, math.nan, math.nan)
    silent = a.max(axis=0) == 0
    if signed:
        silent &= a.min(axis=0) == 0
    return UnitFractions(saturated, 1.0 - nonzero_count(a) / a.size, np.count_nonzero(silent) / a.shape[1])


def ordinal(n: int) -> str:
    """2nd, 3rd, 4th, 11th, 21st: the English ordinal of a positive integer."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
