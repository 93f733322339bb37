"""Statistics of one tensor in a single pass over its row blocks, in float64, memory of one block.

Moments are accumulated around a shift (the first block's mean) so that one pass gives mean, std and the
excess kurtosis without cancellation. Units (output neurons or channels) are compared through two random
projections computed in the same summation order for every unit, so identical units give bit-identical
projections (distinct ones collide with probability ~0). Orthonormality is tested on a Gram matrix of at
most ORTHO_VECTORS vectors of the shorter side: any subset of orthonormal vectors is orthonormal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from initscope.engine import stats
from initscope.engine.result import Histogram

FloatArray = npt.NDArray[np.float64]
ORTHO_VECTORS = 128
HIST_VALUES = stats.HIST_MAX_VALUES
EPS = {"float64": 2.0**-52, "float32": 2.0**-23, "float16": 2.0**-10, "bfloat16": 2.0**-7}


@dataclass
class TensorStats:
    count: int
    finite: int
    nan: int
    inf: int
    zeros: int
    min: float
    max: float
    mean: float
    std: float
    kurtosis: float
    """Excess kurtosis of the finite values: uniform -1.2, normal 0 (NaN with fewer than 4 values or std 0)."""
    histogram: Histogram
    units: int = 0
    duplicate_units: int = 0
    """Units whose weights equal another unit's (0 when the tensor has no unit axis)."""
    orthonormal: str | None = None
    """'rows' or 'columns' (of the [units, inputs] matrix) when they are orthonormal up to a gain, else None."""
    gram_deviation: float = math.nan
    """Largest |G - g²I| / g² over the tested vectors."""

    @property
    def nonfinite(self) -> int:
        return self.nan + self.inf

    @property
    def zero_fraction(self) -> float:
        return self.zeros / self.count if self.count else math.nan


class _Sums:
    """Shifted power sums of the finite values, and the extremes."""

    def __init__(self) -> None:
        self.shift: float | None = None
        self.n = 0
        self.s1 = self.s2 = self.s3 = self.s4 = 0.0
        self.lo, self.hi = math.inf, -math.inf
        self.nan = self.inf = self.zeros = 0

    def add(self, flat: npt.NDArray[np.floating]) -> FloatArray:
        """Accumulate one block; returns its finite values, shifted, in float64 (reused by the projections)."""
        lo, hi = float(flat.min()), float(flat.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            nan = int(np.count_nonzero(np.isnan(flat)))
            self.nan += nan
            self.inf += int(flat.size) - nan - int(np.count_nonzero(np.isfinite(flat)))
            finite = flat[np.isfinite(flat)]
            lo = float(finite.min()) if finite.size else math.inf
            hi = float(finite.max()) if finite.size else -math.inf
        else:
            finite = flat
        self.lo, self.hi = min(self.lo, lo), max(self.hi, hi)
        self.zeros += int(finite.size - np.count_nonzero(finite))
        if self.shift is None and finite.size:
            self.shift = float(finite.mean(dtype=np.float64))
        d: FloatArray = np.subtract(finite, self.shift or 0.0, dtype=np.float64)
        d2 = d * d
        self.n += int(d.size)
        self.s1 += float(d.sum())
        self.s2 += float(d2.sum())
        self.s3 += float(np.dot(d2, d))
        self.s4 += float(np.dot(d2, d2))
        return d

    def moments(self) -> tuple[float, float, float]:
        """(mean, std, excess kurtosis) of the finite values."""
        if self.n == 0:
            return math.nan, math.nan, math.nan
        n = self.n
        m1, m2, m3, m4 = self.s1 / n, self.s2 / n, self.s3 / n, self.s4 / n
        var = max(m2 - m1 * m1, 0.0)
        c4 = m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1**4
        kurt = c4 / (var * var) - 3.0 if var > 0 and n >= 4 else math.nan
        return (self.shift or 0.0) + m1, math.sqrt(var), kurt


def measure(blocks: Iterable[npt.NDArray[np.floating]], shape: tuple[int, ...], units_axis: int | None,
            dtype_name: str, seed: int = 0) -> TensorStats:
    """Statistics of a tensor given as row blocks. `units_axis` (0 or -1) marks a weight whose units lie along
    that axis of its [rows, rest] view (None: no unit analysis, e.g. biases)."""
    sums = _Sums()
    count = math.prod(shape)
    matrix = _matrix_view(shape, units_axis)
    units = _Units(matrix, units_axis, np.random.default_rng(seed)) \
        if matrix is not None and units_axis is not None else None
    sample = _Subsample(count)
    row = 0
    for block in blocks:
        flat = block.reshape(-1)
        sample.add(flat)
        d = sums.add(flat)
        if units is not None and matrix is not None:
            rows_here = flat.size // matrix[1]
            if d.size == flat.size:  # the projections need every value (non-finite tensors skip them)
                units.add(d.reshape(rows_here, matrix[1]), row, sums.shift or 0.0)
            else:
                units.broken = True
            row += rows_here
    mean, std, kurt = sums.moments()
    m = stats.Moments(count, mean, std, sums.lo if sums.n else math.nan, sums.hi if sums.n else math.nan,
                      math.nan, sums.nan + sums.inf)
    values = sample.values()
    hist = stats.histogram(values, m) if values.size else stats.histogram(np.zeros(0), m)
    if sample.note and hist.note is None and hist.total:
        hist.note = sample.note
    out = TensorStats(count, sums.n, sums.nan, sums.inf, sums.zeros, m.min, m.max, mean, std, kurt, hist)
    if units is not None and not units.broken:
        out.units, out.duplicate_units = units.duplicates()
        out.orthonormal, out.gram_deviation = units.orthonormal(EPS.get(dtype_name, 2.0**-23))
    return out


def _matrix_view(shape: tuple[int, ...], units_axis: int | None) -> tuple[int, int] | None:
    """[rows, cols] of the row-block view: rows along axis 0, cols = the rest (units along one of them)."""
    if units_axis is None or len(shape) < 2:
        return None
    rows = shape[0] if units_axis == 0 else math.prod(shape[:-1])
    return rows, math.prod(shape) // max(rows, 1)


class _Subsample:
    """An evenly strided subset of at most HIST_VALUES values for the histogram."""

    def __init__(self, count: int) -> None:
        self.stride = max(1, -(-count // HIST_VALUES))
        self.offset = 0
        self.parts: list[npt.NDArray[np.floating]] = []
        self.note = f"every {self.stride}th value ({-(-count // self.stride):,} of {count:,})" \
            if self.stride > 1 else None

    def add(self, flat: npt.NDArray[np.floating]) -> None:
        start = (-self.offset) % self.stride
        self.parts.append(np.array(flat[start :: self.stride], dtype=np.float64))
        self.offset += flat.size

    def values(self) -> FloatArray:
        return np.concatenate(self.parts) if self.parts else np.zeros(0, dtype=np.float64)


class _Units:
    """Random projections of every unit, and a Gram matrix of a few vectors of the shorter side."""

    def __init__(self, matrix: tuple[int, int], units_axis: int, rng: np.random.Generator) -> None:
        self.rows, self.cols = matrix
        self.units_are_rows = units_axis == 0
        n_units = self.rows if self.units_are_rows else self.cols
        length = self.cols if self.units_are_rows else self.rows
        self.r = rng.standard_normal((2, length))
        self.proj = np.zeros((2, n_units))
        # Gram of the shorter side of the matrix: rows when rows <= cols, else columns
        self.gram_rows = self.rows <= self.cols
        short = min(self.rows, self.cols)
        self.picked = np.unique(np.linspace(0, short - 1, min(short, ORTHO_VECTORS)).astype(np.intp))
        self.gram = np.zeros((self.picked.size, self.picked.size))
        self.row_pick: list[FloatArray] = []
        self.broken = False

    def add(self, d: FloatArray, row: int, shift: float) -> None:
        """One block of shifted values d (value - shift): projections ignore a common shift, the Gram does not."""
        rows = slice(row, row + d.shape[0])
        if self.units_are_rows:
            self.proj[:, rows] = self.r @ d.T
        else:
            self.proj += self.r[:, rows] @ d
        if self.gram_rows:
            inside = self.picked[(self.picked >= row) & (self.picked < row + d.shape[0])]
            self.row_pick.extend(d[inside - row] + shift)
        else:
            cols = d[:, self.picked] + shift
            self.gram += cols.T @ cols

    def duplicates(self) -> tuple[int, int]:
        """(units, units that equal another unit)."""
        n = self.proj.shape[1]
        if n < 2:
            return n, 0
        _, inverse, counts = np.unique(self.proj.T, axis=0, return_inverse=True, return_counts=True)
        return n, int(np.count_nonzero(counts[inverse.ravel()] > 1))

    def orthonormal(self, eps: float) -> tuple[str | None, float]:
        """Which side is orthonormal up to a gain (the shorter one, as orthogonal initializers make it)."""
        if self.gram_rows:
            if not self.row_pick:
                return None, math.nan
            picked = np.stack(self.row_pick)
            gram = picked @ picked.T
        else:
            gram = self.gram
        if gram.shape[0] < 2:
            return None, math.nan
        g2 = float(np.mean(np.diagonal(gram)))
        if not g2 > 0:
            return None, math.nan
        deviation = float(np.max(np.abs(gram - g2 * np.eye(gram.shape[0])))) / g2
        length = self.cols if self.gram_rows else self.rows
        tol = 1e-3 + 8.0 * eps / math.sqrt(length)
        return ("rows" if self.gram_rows else "columns") if deviation < tol else None, deviation
