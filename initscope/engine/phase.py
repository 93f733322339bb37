"""The phase diagram's data: chi_1 at the fixed point over a (sigma_w^2, sigma_b^2) grid for one activation.

`compute_phase_grid` evaluates `theory.phase_grid` on a grid whose axes reach past the net's own sigma_w^2
and sigma_b^2 (takes ~0.1-0.2 s, so the app runs it in a worker); `chi1_at` reads chi_1 anywhere on it
(bilinear, exact on the grid's own rows and columns, which include sigma_w^2 = 0 and sigma_b^2 = 0);
`edge` gives the chi_1 = 1 line row by row. A view draws these and computes nothing of its own.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from initscope.engine import activations, theory
from initscope.engine.arrays import FloatArray
from initscope.engine.result import Result

PHASE_W_POINTS = 61
PHASE_B_POINTS = 41
W_SPANS = tuple(4.0 * 2.0**k for k in range(11))
"""sigma_w^2 axis ends: 4, 8, ..., 4096 (the smallest that holds the cursor and shows the chi_1 = 1 line)."""
B_SPANS = tuple(0.5 * 2.0**k for k in range(13))
"""sigma_b^2 axis ends: 0.5, 1, ..., 2048."""
CHAOS_SHOWN = 1.3
"""The sigma_w^2 axis reaches far enough that chi_1 >= this at sigma_b^2 = 0 (sigmoid needs ~256)."""
CURSOR_ROOM = 1.15
"""The axis ends at least this factor past the cursor, so it is never on the edge."""


@dataclass(frozen=True)
class PhaseKey:
    """What a phase grid depends on: the activation (with its parameters) and the axis ranges asked for."""

    activation: str
    params: tuple[tuple[str, float], ...]
    min_w: float
    """The sigma_w^2 axis reaches at least this (the cursor's bucket); the grid may reach further."""
    b_max: float


@dataclass(frozen=True)
class PhaseGrid:
    """chi_1 at the fixed point over a (sigma_b^2, sigma_w^2) grid: shape (len(sigma_b2), len(sigma_w2))."""

    key: PhaseKey
    sigma_w2: FloatArray
    sigma_b2: FloatArray
    chi1: FloatArray
    elapsed_s: float = 0.0

    @property
    def w_max(self) -> float:
        return float(self.sigma_w2[-1])

    @property
    def b_max(self) -> float:
        return float(self.sigma_b2[-1])


def _bucket(value: float, spans: tuple[float, ...]) -> float:
    for span in spans:
        if value * CURSOR_ROOM <= span:
            return span
    return spans[-1]


def phase_key(result: Result) -> PhaseKey:
    """The grid the Theory tab needs for this result (axes reach past its sigma_w^2 and sigma_b^2)."""
    cfg = result.config
    t = result.theory
    sw = t.sigma_w2 if t.applicable and math.isfinite(t.sigma_w2) else 0.0
    sb = t.sigma_b2 if t.applicable and math.isfinite(t.sigma_b2) else 0.0
    params = tuple(sorted((k, float(v)) for k, v in cfg.activation_params.items()))
    return PhaseKey(cfg.activation, params, _bucket(sw, W_SPANS), _bucket(sb, B_SPANS))


def compute_phase_grid(key: PhaseKey) -> PhaseGrid:
    """chi_1 over [0, w_max] x [0, b_max] (`theory.phase_grid`), both axes starting at 0 exactly."""
    started = time.perf_counter()
    act = activations.make(key.activation, dict(key.params))
    with np.errstate(all="ignore"):
        scan = theory.phase_grid(act, np.array(W_SPANS), np.array([0.0]))[0]
    natural = next((w for w, chi in zip(W_SPANS, scan.tolist(), strict=True) if chi >= CHAOS_SHOWN), W_SPANS[0])
    w_max = max(key.min_w, natural)
    ws = np.linspace(0.0, w_max, PHASE_W_POINTS)
    bs = np.linspace(0.0, key.b_max, PHASE_B_POINTS)
    chi = theory.phase_grid(act, ws, bs)
    return PhaseGrid(key, ws, bs, chi, time.perf_counter() - started)


def chi1_at(grid: PhaseGrid, sw2: npt.ArrayLike, sb2: npt.ArrayLike) -> FloatArray:
    """chi_1 at every (sb2[i], sw2[j]), bilinear between the grid's points: shape (len(sb2), len(sw2)).

    Exact at the grid's own sigma_w^2 and sigma_b^2 (sigma_b^2 = 0 is the grid's first row, where the tanh
    edge sits at sigma_w^2 = 1 and bends sharply above it); outside the grid, clamped to its edge values.
    """
    ws, bs, chi = grid.sigma_w2, grid.sigma_b2, grid.chi1
    w = np.asarray(sw2, dtype=np.float64).reshape(-1)
    b = np.asarray(sb2, dtype=np.float64).reshape(-1)

    def where(axis: FloatArray, v: FloatArray) -> tuple[npt.NDArray[np.intp], FloatArray]:
        i = np.clip(np.searchsorted(axis, v) - 1, 0, axis.size - 2)
        t = np.clip((v - axis[i]) / (axis[i + 1] - axis[i]), 0.0, 1.0)
        return i, t

    j, tw = where(ws, w)
    i, tb = where(bs, b)
    c00, c01 = chi[np.ix_(i, j)], chi[np.ix_(i, j + 1)]
    c10, c11 = chi[np.ix_(i + 1, j)], chi[np.ix_(i + 1, j + 1)]
    with np.errstate(invalid="ignore"):
        low = c00 * (1 - tw)[None, :] + c01 * tw[None, :]
        high = c10 * (1 - tw)[None, :] + c11 * tw[None, :]
        return np.asarray(low * (1 - tb)[:, None] + high * tb[:, None], dtype=np.float64)


def edge(grid: PhaseGrid) -> tuple[FloatArray, FloatArray]:
    """The chi_1 = 1 line: (sigma_w^2, sigma_b^2) at each of the grid's sigma_b^2 where chi_1 first reaches 1
    along sigma_w^2 (linear between the two grid points around it); NaN where a row never reaches 1."""
    ws, chi = grid.sigma_w2, grid.chi1
    out = np.full(grid.sigma_b2.shape, np.nan)
    with np.errstate(invalid="ignore"):
        above = np.isfinite(chi) & (chi >= 1.0)
    for row in range(chi.shape[0]):
        hits = np.flatnonzero(above[row])
        if hits.size == 0:
            continue
        k = int(hits[0])
        if k == 0:
            out[row] = ws[0]
            continue
        lo, hi = float(chi[row, k - 1]), float(chi[row, k])
        if not math.isfinite(lo):
            continue
        out[row] = ws[k - 1] + (1.0 - lo) / (hi - lo) * (ws[k] - ws[k - 1])
    return out, grid.sigma_b2.copy()
