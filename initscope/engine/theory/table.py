"""A per-activation table of log-moments on a log-q grid, for recursions up to depth 10000.

Built once per activation with the quadrature of `moments` and interpolated to ~1e-7 relative; the fixed
points found on it are polished with the quadrature itself (`fixed_points`).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from initscope.engine import activations
from initscope.engine.activations import Activation
from initscope.engine.arrays import FloatArray
from initscope.engine.theory.moments import numeric_moments

_TABLE_LOG10_LO = -16.0
_TABLE_LOG10_HI = 12.0
_TABLE_PER_DECADE = 12
_LN10 = math.log(10.0)
_STENCIL = 6
"""Interpolation uses the degree-5 polynomial through 6 grid nodes around the interval."""


def _safe_exp(x: float) -> float:
    return math.inf if x > 709.0 else math.exp(x)


class MomentTable:
    """ln E[phi^2], ln Var[phi] and ln E[phi'^2] on a uniform grid in u = ln q, for fast recursions.

    The grid covers q in [1e-16, 1e12], 12 nodes a decade, filled by the quadrature above; between
    nodes a degree-5 polynomial in u through 6 nodes (stored per interval as coefficients, so one value
    is a Horner evaluation): relative error ~1e-7 at worst (gelu), 1e-8 for most. Below the grid a
    moment is linear in q from its q = 0 limit (error O(sqrt(1e-16)) = 1e-8 with a kink at 0, O(1e-16)
    without); above it, it follows its expansion in t = 1/sqrt(q): L + a t toward a finite limit L
    (tanh: E[tanh^2] = 1 - 2 phi(0) t + ...), q (a + b t + c t^2) toward infinity.
    """

    def __init__(self, act: Activation) -> None:
        n = round((_TABLE_LOG10_HI - _TABLE_LOG10_LO) * _TABLE_PER_DECADE) + 1
        self.u0 = _TABLE_LOG10_LO * _LN10
        self.h = _LN10 / _TABLE_PER_DECADE
        self.n = n
        self.q_lo = math.exp(self.u0)
        self.q_hi = math.exp(self.u0 + (n - 1) * self.h)
        q = np.exp(self.u0 + self.h * np.arange(n))
        m = numeric_moments(act, q)
        ends = numeric_moments(act, np.array([0.0, np.inf]))
        # Interval j (u_j <= u < u_j+1) uses nodes start_j .. start_j + 5, in local tau = (u - u_j)/h.
        starts = np.clip(np.arange(n - 1) - 2, 0, n - _STENCIL)
        offsets = (starts - np.arange(n - 1))[:, None] + np.arange(_STENCIL)[None, :]
        inverse = {
            int(o[0]): np.linalg.inv(np.vander(o.astype(np.float64), _STENCIL, increasing=True)) for o in offsets
        }
        self.logs: list[FloatArray] = []
        self.coefs: list[FloatArray] = []
        self.at0: list[float] = []
        self.atinf: list[float] = []
        for values, end in ((m.second, ends.second), (m.var, ends.var), (m.dphi2, ends.dphi2)):
            logs = np.log(np.maximum(values, 1e-300))
            windows = logs[starts[:, None] + np.arange(_STENCIL)[None, :]]
            coefs = np.empty_like(windows)
            for first, inv in inverse.items():
                rows = offsets[:, 0] == first
                coefs[rows] = windows[rows] @ inv.T
            self.logs.append(logs)
            self.coefs.append(coefs)
            self.at0.append(float(end[0]))
            self.atinf.append(float(end[1]))
        self._second_coefs: list[tuple[float, ...]] = [tuple(row) for row in self.coefs[0].tolist()]
        # Above the grid (see _beyond): t = 1/sqrt(q) at the last three nodes, and per moment the
        # slope toward a finite limit or the Lagrange weights of v/q for an infinite one.
        t0, t1, t2 = (math.exp(-0.5 * (self.u0 + (n - 1 - i) * self.h)) for i in range(3))
        self._tail_t = (t0, t1, t2)
        self._tail_slope: list[float] = []
        self._tail_w: list[tuple[float, float, float]] = []
        for k in range(3):
            last = [math.exp(float(self.logs[k][-1 - i])) for i in range(3)]
            self._tail_slope.append((last[0] - self.atinf[k]) / t0)
            y0, y1, y2 = (v * tt * tt for v, tt in zip(last, self._tail_t, strict=True))
            self._tail_w.append(
                (y0 / ((t0 - t1) * (t0 - t2)), y1 / ((t1 - t0) * (t1 - t2)), y2 / ((t2 - t0) * (t2 - t1)))
            )
        self._second_lo = float(np.exp(self.logs[0][0]))
        # Where the fixed-point solver looks for sign changes: the grid, then decades up to 1e300.
        beyond = 10.0 ** np.arange(math.ceil(_TABLE_LOG10_HI) + 1, 301)
        self.scan_q = np.concatenate([q, beyond])
        self.scan_second = np.concatenate([np.exp(self.logs[0]), [self._beyond(0, float(v)) for v in beyond]])

    def second(self, q: float) -> float:
        """E[phi^2] at one q (pure Python: the depth recursion calls this once per layer)."""
        if not q >= self.q_lo:
            if q > 0.0:
                return self.at0[0] + (self._second_lo - self.at0[0]) * (q / self.q_lo)
            return self.at0[0] if q == 0.0 else math.nan
        if q > self.q_hi:
            return self.atinf[0] if q == math.inf else self._beyond(0, q)
        t = (math.log(q) - self.u0) / self.h
        j = int(t)
        if j > self.n - 2:
            j = self.n - 2
        t -= j
        c0, c1, c2, c3, c4, c5 = self._second_coefs[j]
        return _safe_exp(c0 + t * (c1 + t * (c2 + t * (c3 + t * (c4 + t * c5)))))

    def _beyond(self, k: int, q: float) -> float:
        """Moment k above the grid, from its expansion in t = 1/sqrt(q)."""
        t = 1.0 / math.sqrt(q)
        limit = self.atinf[k]
        if math.isfinite(limit):
            # v = L + a t + O(t^2): the straight line through (0, L) and the last node.
            return limit + self._tail_slope[k] * t
        # v = q (a + b t + c t^2 + ...): quadratic in t through the last three nodes.
        (t0, t1, t2), (w0, w1, w2) = self._tail_t, self._tail_w[k]
        return q * (w0 * (t - t1) * (t - t2) + w1 * (t - t0) * (t - t2) + w2 * (t - t0) * (t - t1))

    def values(self, k: int, q: FloatArray) -> FloatArray:
        """Moment k (0: E[phi^2], 1: Var[phi], 2: E[phi'^2]) at many q, vectorized."""
        out = np.full(q.shape, np.nan)
        with np.errstate(all="ignore"):
            out[q == 0.0] = self.at0[k]
            out[q == np.inf] = self.atinf[k]
            low = (q > 0.0) & (q < self.q_lo)
            out[low] = self.at0[k] + (math.exp(float(self.logs[k][0])) - self.at0[k]) * (q[low] / self.q_lo)
            high = (q > self.q_hi) & (q < np.inf)
            if high.any():
                out[high] = [self._beyond(k, float(v)) for v in q[high]]
            mid = (q >= self.q_lo) & (q <= self.q_hi)
            if mid.any():
                t = (np.log(q[mid]) - self.u0) / self.h
                j = np.minimum(t.astype(np.int64), self.n - 2)
                t = t - j
                c = self.coefs[k][j]
                acc = c[:, _STENCIL - 1]
                for i in range(_STENCIL - 2, -1, -1):
                    acc = c[:, i] + t * acc
                out[mid] = np.exp(acc)
        return out


@lru_cache(maxsize=32)
def _table_for(name: str, params: tuple[tuple[str, float], ...]) -> MomentTable:
    return MomentTable(activations.make(name, dict(params)))


def moment_table(act: Activation) -> MomentTable:
    return _table_for(act.name, tuple(sorted(act.params.items())))
