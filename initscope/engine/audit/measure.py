"""Statistics of one tensor in a single pass over its row blocks, memory of one block.

Moments are accumulated around a shift (the first block's mean) so that one pass gives mean, std and the
excess kurtosis without cancellation. Units (output neurons or channels) are compared through a random
projection computed in the same summation order for every unit, so identical units give bit-identical
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
from initscope.engine.arrays import FloatArray
from initscope.engine.result import Histogram
from initscope.engine.streams import sampling_rng

ORTHO_VECTORS = 32
GRAM_VALUES = 1 << 20
"""At most this many values of picked rows are kept for the orthonormality test."""
SUB_VALUES = 1 << 16
"""Values per piece: small enough that a piece's several passes stay in the cache."""
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
    """Shifted power sums of the finite values, the extremes and the zeros, and the units' projections.

    Work is done on cache-sized pieces of SUB_VALUES values in the block's own precision (float32 for
    float32/16/bfloat16 files), each piece's sums formed by NumPy's pairwise reduction and accumulated in
    float64: the relative error stays near 1e-7, far below the sampling tolerance of any tensor."""

    def __init__(self, units: _Units | None) -> None:
        self.units = units
        self.shift: float | None = None
        self.n = 0
        self.s1 = self.s2 = self.s3 = self.s4 = 0.0
        self.lo, self.hi = math.inf, -math.inf
        self.nan = self.inf = self.zeros = 0

    def add(self, block: npt.NDArray[np.floating]) -> None:
        flat = block.reshape(-1)
        lo, hi = float(flat.min()), float(flat.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            nan = int(np.count_nonzero(np.isnan(flat)))
            finite_mask = np.isfinite(flat)
            self.nan += nan
            self.inf += int(flat.size) - nan - int(np.count_nonzero(finite_mask))
            flat = flat[finite_mask]
            if self.units is not None:
                self.units.broken = True  # the projections need every value
            if flat.size == 0:
                return
            lo, hi = float(flat.min()), float(flat.max())
        self.lo, self.hi = min(self.lo, lo), max(self.hi, hi)
        if self.shift is None:
            self.shift = float(flat.mean(dtype=np.float64))
        units = self.units if self.units is not None and not self.units.broken else None
        rows = flat.reshape(-1, units.cols) if units is not None else flat.reshape(1, -1)
        step = max(1, SUB_VALUES // rows.shape[1])
        if units is None and rows.shape[1] > SUB_VALUES:
            rows = flat[: flat.size - flat.size % SUB_VALUES].reshape(-1, SUB_VALUES)
            self._pieces(rows, 1, None)
            tail = flat[rows.size :]
            if tail.size:
                self._pieces(tail.reshape(1, -1), 1, None)
            return
        self._pieces(rows, step, units)

    def _pieces(self, rows: npt.NDArray[np.floating], step: int, units: _Units | None) -> None:
        shift = rows.dtype.type(self.shift or 0.0)
        for start in range(0, rows.shape[0], step):
            piece = rows[start : start + step]
            d = piece - shift
            self.n += d.size
            self.s1 += float(np.add.reduce(d, axis=None))
            d2 = d * d
            self.s2 += float(np.add.reduce(d2, axis=None))
            self.s3 += float(np.add.reduce(d2 * d, axis=None))
            np.multiply(d2, d2, out=d2)
            self.s4 += float(np.add.reduce(d2, axis=None))
            self.zeros += int(np.count_nonzero(piece == 0))
            if units is not None:
                units.add(piece, d)

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


def measure(
    blocks: Iterable[npt.NDArray[np.floating]],
    shape: tuple[int, ...],
    units_axis: int | None,
    dtype_name: str,
    seed: int = 0,
) -> TensorStats:
    """Statistics of a tensor given as row blocks. `units_axis` (0 or -1) marks a weight whose units lie along
    that axis of its [rows, rest] view (None: no unit analysis, e.g. biases)."""
    count = math.prod(shape)
    matrix = _matrix_view(shape, units_axis)
    units = _Units(matrix, units_axis, sampling_rng(seed)) if matrix is not None and units_axis is not None else None
    sums = _Sums(units)
    sample = _Subsample(count)
    for block in blocks:
        sample.add(block.reshape(-1))
        sums.add(block)
    mean, std, kurt = sums.moments()
    m = stats.Moments(
        count,
        mean,
        std,
        sums.lo if sums.n else math.nan,
        sums.hi if sums.n else math.nan,
        math.nan,
        sums.nan + sums.inf,
    )
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
        self.note = (
            f"every {self.stride}th value ({-(-count // self.stride):,} of {count:,})" if self.stride > 1 else None
        )

    def add(self, flat: npt.NDArray[np.floating]) -> None:
        start = (-self.offset) % self.stride
        self.parts.append(np.array(flat[start :: self.stride], dtype=np.float64))
        self.offset += flat.size

    def values(self) -> FloatArray:
        return np.concatenate(self.parts) if self.parts else np.zeros(0, dtype=np.float64)


class _Units:
    """One random projection of every unit (summed in the same order for each, so identical units give
    identical values), and a Gram matrix of a few vectors of the shorter side of the [rows, cols] view."""

    def __init__(self, matrix: tuple[int, int], units_axis: int, rng: np.random.Generator) -> None:
        self.rows, self.cols = matrix
        self.units_are_rows = units_axis == 0
        n_units = self.rows if self.units_are_rows else self.cols
        length = self.cols if self.units_are_rows else self.rows
        self.r = rng.standard_normal(length).astype(np.float32)
        self.proj = np.zeros(n_units)
        self.row = 0
        self.gram_rows = self.rows <= self.cols
        short = min(self.rows, self.cols)
        wanted = min(short, ORTHO_VECTORS)
        if self.gram_rows:  # picked rows are kept until the end: at most GRAM_VALUES values of them
            wanted = min(wanted, max(2, GRAM_VALUES // self.cols))
        self.picked = np.unique(np.linspace(0, short - 1, wanted).astype(np.intp))
        self.gram = np.zeros((self.picked.size, self.picked.size))
        self.kept = np.zeros((self.picked.size, self.cols) if self.gram_rows else (0, 0), dtype=np.float32)
        self.broken = False

    def add(self, piece: npt.NDArray[np.floating], d: npt.NDArray[np.floating]) -> None:
        """A piece of whole rows: its values and the same values shifted (d, a scratch array reused here)."""
        here = slice(self.row, self.row + piece.shape[0])
        r = self.r.astype(d.dtype, copy=False)
        if self.units_are_rows:
            np.multiply(d, r, out=d)
            self.proj[here] = np.add.reduce(d, axis=1, dtype=np.float64)  # 53 bits: no chance collisions
        else:
            np.multiply(d, r[here, None], out=d)
            self.proj += np.add.reduce(d, axis=0, dtype=np.float64)
        if self.gram_rows:
            inside = np.flatnonzero((self.picked >= self.row) & (self.picked < here.stop))
            self.kept[inside] = piece[self.picked[inside] - self.row]
        else:
            cols = piece[:, self.picked].astype(np.float64)
            self.gram += cols.T @ cols
        self.row = here.stop

    def duplicates(self) -> tuple[int, int]:
        """(units, units that equal another unit)."""
        n = self.proj.size
        if n < 2:
            return n, 0
        _, inverse, counts = np.unique(self.proj, return_inverse=True, return_counts=True)
        return n, int(np.count_nonzero(counts[inverse.ravel()] > 1))

    def orthonormal(self, eps: float) -> tuple[str | None, float]:
        """Which side is orthonormal up to a gain (the shorter one, as orthogonal initializers make it)."""
        if self.gram_rows:
            picked = self.kept.astype(np.float64)
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
