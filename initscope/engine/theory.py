"""Mean-field theory: the infinite-width prediction drawn over every empirical curve (Poole et al. 2016,
Schoenholz et al. 2017).

A unit's pre-activation in layer l is treated as z_l ~ N(0, q_l) with

    q_1 = sigma_w^2 * E[x^2] + sigma_b^2,
    q_l = sigma_w^2 * E_z[phi(sqrt(q_{l-1}) z)^2] + sigma_b^2,     z ~ N(0, 1),

where sigma_w^2 = fan_in * Var(W) of the layer and sigma_b^2 = E[b^2] (Poole et al. 2016). Going down,
the activation-gradient variance is multiplied by fan_out * Var(W) * E_z[phi'(sqrt(q_l) z)^2]; at the
fixed point q* of a square net that factor is chi_1 (Schoenholz et al. 2017): < 1 ordered (gradients
vanish), > 1 chaotic (they explode), = 1 the edge of chaos.

Gaussian expectations are computed by a composite Gauss-Legendre rule that is split at z = 0 (so a kink
of phi or phi' at 0 sits on a panel edge, never inside a panel) and whose panels follow two scales at
once: the Gaussian's (|z| ~ 1) and the activation's (|x| = sqrt(q)|z| ~ 1). Relative error is below
~1e-12 for every activation and every q (checked in tests/engine/test_theory.py against closed forms and
brute-force integrals). linear, relu and leaky_relu use closed forms. Long recursions (depth up to 10000)
read a per-activation table of log-moments on a log-q grid, built once (10-20 ms) with that quadrature
and interpolated to ~1e-7 relative; fixed points are polished with the quadrature itself.

Pure NumPy + math; everything is float64. Overflow is an answer (inf), never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from initscope.engine import activations, correlation, initializers
from initscope.engine.activations import Activation
from initscope.engine.config import Config
from initscope.engine.result import TheoryLayers, TheorySummary

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | npt.ArrayLike
Values = FloatArray | Sequence[float]
"""Several variances at once (a 0-d array counts as one number and gives a float)."""
Elementwise = Callable[[FloatArray], npt.NDArray[np.floating[Any]]]

PHASE_EPS = 1e-3
"""chi_1 within 1 +- PHASE_EPS is 'critical': at depth 1000 that is a factor e^(+-1) on the gradient
variance, the resolution a plot of log(std) per layer can show."""

TRAINABLE_FACTOR = 6.0
"""Schoenholz et al. 2017: a net trains when its depth is below about 6 depth scales."""

CLOSED_FORM = ("linear", "relu", "leaky_relu")
"""Activations whose Gaussian moments have closed forms (piecewise linear through 0)."""

# ------------------------------------------------------------------------------------------ quadrature
_GL_ORDER = 12
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_GL_ORDER)
_Z_MAX = 10.0
"""Integrate z over [-10, 10]: the Gaussian mass outside is 1.5e-23 (x 10^2 for phi growing like x)."""
_GAUSS_BREAKS = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.5, _Z_MAX])
"""Panel edges in z on [0, 10] that resolve the Gaussian factor exp(-z^2/2)."""
_ACT_BREAKS = 10.0 ** np.arange(-0.5, 2.01, 0.5)
"""Panel edges in x = sqrt(q) z, 0.3 ... 100, that resolve the activation: its features sit at |x| ~ 1
(poles at distance pi/2 or more from the real axis, a kink only at 0, which is always a panel edge) and
tanh/sigmoid are flat to machine precision past |x| = 100."""
_VAR_ANCHOR = 1e-8
"""Below this q, Var[phi] of an activation with phi(0) != 0 is extrapolated linearly (see below)."""
_BIG = 1e300
"""Stand-in for +-infinity when taking the q -> inf limit of phi."""


def _panels(q: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Nodes z >= 0 and weights (Gaussian density included) for each q (q > 0, finite): shape (n, m).

    The edges are the union of the Gaussian's and the activation's (scaled by 1/sqrt(q)), clipped into
    [0, 10]; clipped edges make zero-width panels, which cost a few evaluations and add exactly 0.
    """
    scale = 1.0 / np.sqrt(q)
    edges = np.concatenate(
        [np.broadcast_to(_GAUSS_BREAKS, (q.size, _GAUSS_BREAKS.size)),
         np.clip(scale[:, None] * _ACT_BREAKS[None, :], 0.0, _Z_MAX)], axis=1)
    edges.sort(axis=1)
    left, width = edges[:, :-1], np.diff(edges, axis=1)
    z = left[:, :, None] + 0.5 * width[:, :, None] * (1.0 + _GL_X[None, None, :])
    w = 0.5 * width[:, :, None] * _GL_W[None, None, :] * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return z.reshape(q.size, -1), w.reshape(q.size, -1)


def _nodes(q: FloatArray) -> tuple[npt.NDArray[np.intp], FloatArray, FloatArray]:
    """The non-empty panels' nodes for every q, flattened: (row of q, x = sqrt(q) z >= 0, weight)."""
    z, w = _panels(q)
    keep = w > 0.0
    rows = np.nonzero(keep)[0]
    return rows, (np.sqrt(q)[:, None] * z)[keep], w[keep]


def _as_q(q: ArrayLike) -> tuple[FloatArray, bool]:
    arr = np.asarray(q, dtype=np.float64)
    return arr.reshape(-1), arr.ndim == 0


@overload
def gaussian_expectation(f: Elementwise, q: float) -> float: ...
@overload
def gaussian_expectation(f: Elementwise, q: Values) -> FloatArray: ...
def gaussian_expectation(f: Elementwise, q: ArrayLike) -> float | FloatArray:
    """E[f(sqrt(q) z)] for z ~ N(0, 1), q a number or an array of variances (vectorized over q).

    `f` maps a float64 array elementwise (it may overwrite its argument). Accurate for f analytic on
    each side of 0 (a kink at 0 is fine); see the module docstring for the rule. Limits: q = 0 gives
    (f(0-) + f(0+)) / 2, the limit q -> 0+ (so relu' at q = 0 gives 1/2); q = inf gives
    (f(-inf) + f(+inf)) / 2 (inf for an unbounded f). q < 0 or NaN gives NaN. Never raises on overflow.
    """
    qs, scalar = _as_q(q)
    out = np.full(qs.shape, np.nan)
    with np.errstate(all="ignore"):
        tiny = np.array([-1e-300, 1e-300])
        at0 = f(tiny.copy())
        out[qs == 0.0] = 0.5 * (at0[0] + at0[1])
        big = np.array([-_BIG, _BIG])
        atinf = f(big.copy())
        out[qs == np.inf] = 0.5 * (atinf[0] + atinf[1])
        mid = (qs > 0.0) & (qs < np.inf)
        if mid.any():
            qm = qs[mid]
            rows, x, w = _nodes(qm)
            vals = f(x.copy()) + f(-x)
            out[mid] = np.bincount(rows, weights=w * vals, minlength=qm.size)
    return float(out[0]) if scalar else out.reshape(np.shape(q))


# ------------------------------------------------------------------------------------------ moments
@dataclass(frozen=True)
class GaussianMoments:
    """Moments of phi(x) and phi'(x) for x ~ N(0, q) (arrays shaped like q)."""

    mean: FloatArray
    """E[phi]"""
    second: FloatArray
    """E[phi^2]: what the variance map needs."""
    var: FloatArray
    """E[phi^2] - E[phi]^2: the predicted activation variance."""
    dphi2: FloatArray
    """E[phi'^2]: what chi_1 and the backward pass need."""


def _closed_form(name: str, params: dict[str, float], q: FloatArray) -> GaussianMoments:
    """linear: phi = x. relu / leaky_relu(s): E[phi] = (1 - s) sqrt(q / 2 pi), E[phi^2] = (1 + s^2) q / 2,
    E[phi'^2] = (1 + s^2) / 2 (relu: s = 0; phi'(0) is a null set and does not matter)."""
    nan = np.isnan(q)
    with np.errstate(all="ignore"):
        if name == "linear":
            return GaussianMoments(np.where(nan, np.nan, 0.0), q.copy(), q.copy(), np.where(nan, np.nan, 1.0))
        s = 0.0 if name == "relu" else float(params["slope"])
        mean = (1.0 - s) * np.sqrt(q / (2.0 * math.pi))
        second = 0.5 * (1.0 + s * s) * q
        var = q * (0.5 * (1.0 + s * s) - (1.0 - s) ** 2 / (2.0 * math.pi))
        dphi2 = np.where(nan, np.nan, 0.5 * (1.0 + s * s))
        return GaussianMoments(mean, second, var, dphi2)


def _slope_coefficients(act: Activation) -> tuple[float, float]:
    """(E[phi^2]/q, E[phi'^2]) for the closed-form activations (both independent of q)."""
    if act.name == "linear":
        return 1.0, 1.0
    s = 0.0 if act.name == "relu" else float(act.params["slope"])
    c = 0.5 * (1.0 + s * s)
    return c, c


def _numeric_moments(act: Activation, q: FloatArray) -> GaussianMoments:
    """Quadrature moments of a smooth (or kinked-at-0) activation; q is a flat array."""
    n = q.size
    mean, second, var, dphi2 = (np.full(n, np.nan) for _ in range(4))
    with np.errstate(all="ignore"):
        phi0 = float(act.phi(np.zeros(1))[0])

        def both(x: FloatArray) -> tuple[FloatArray, FloatArray]:
            a = np.asarray(act.phi(x.copy()), dtype=np.float64)
            return a, np.asarray(act.dphi(x, a), dtype=np.float64)

        for probe, hit in ((1e-300, q == 0.0), (_BIG, q == np.inf)):
            if not hit.any():
                continue
            a, d = both(np.array([-probe, probe]))
            m1 = 0.5 * (a[0] + a[1])
            m2 = 0.5 * (a[0] ** 2 + a[1] ** 2)
            mean[hit], second[hit] = m1, m2
            var[hit] = np.inf if not np.isfinite(m2) else max(m2 - m1 * m1, 0.0)
            dphi2[hit] = 0.5 * (d[0] ** 2 + d[1] ** 2)
        mid = (q > 0.0) & (q < np.inf)
        if mid.any():
            qm = q[mid]
            rows, x, w = _nodes(qm)
            sums = np.zeros((4, qm.size))
            for sign in (1.0, -1.0):
                a, d = both(sign * x)
                c = a - phi0
                for k, vals in enumerate((c, c * c, a * a, d * d)):
                    sums[k] += np.bincount(rows, weights=w * vals, minlength=qm.size)
            mean[mid] = phi0 + sums[0]
            var[mid] = np.maximum(sums[1] - sums[0] ** 2, 0.0)
            second[mid] = sums[2]
            dphi2[mid] = sums[3]
        if phi0 != 0.0:
            # phi(x) - phi(0) cancels for tiny x (sigmoid: 0.5 + x/4): below _VAR_ANCHOR the variance is
            # taken as linear in q from its value at the anchor (error O(q_anchor) = 1e-8, smooth phi).
            tiny = (q > 0.0) & (q < _VAR_ANCHOR)
            if tiny.any():
                anchor = _numeric_moments(act, np.array([_VAR_ANCHOR])).var[0]
                var[tiny] = anchor * (q[tiny] / _VAR_ANCHOR)
    return GaussianMoments(mean, second, var, dphi2)


def gaussian_moments(act: Activation, q: ArrayLike) -> GaussianMoments:
    """E[phi], E[phi^2], Var[phi] and E[phi'^2] for x ~ N(0, q), accurate (closed form or quadrature).

    Vectorized over q; the fields are arrays shaped like q (0-d for a number). q < 0 or NaN gives NaN.
    """
    qs, _ = _as_q(q)
    qs = np.where(qs >= 0.0, qs, np.nan)
    m = _closed_form(act.name, act.params, qs) if act.name in CLOSED_FORM else _numeric_moments(act, qs)
    shape = np.shape(q)
    return GaussianMoments(m.mean.reshape(shape), m.second.reshape(shape), m.var.reshape(shape),
                           m.dphi2.reshape(shape))


def _out(values: FloatArray, like: ArrayLike) -> float | FloatArray:
    return float(values) if np.ndim(like) == 0 else values


@overload
def variance_map(act: Activation, q: float, sigma_w2: float, sigma_b2: float) -> float: ...
@overload
def variance_map(act: Activation, q: Values, sigma_w2: float, sigma_b2: float) -> FloatArray: ...
def variance_map(act: Activation, q: ArrayLike, sigma_w2: float, sigma_b2: float) -> float | FloatArray:
    """The next layer's pre-activation variance: sigma_w2 * E[phi(sqrt(q) z)^2] + sigma_b2."""
    with np.errstate(all="ignore"):
        return _out(sigma_w2 * gaussian_moments(act, q).second + sigma_b2, q)


@overload
def chi1(act: Activation, q: float, sigma_w2: float) -> float: ...
@overload
def chi1(act: Activation, q: Values, sigma_w2: float) -> FloatArray: ...
def chi1(act: Activation, q: ArrayLike, sigma_w2: float) -> float | FloatArray:
    """sigma_w2 * E[phi'(sqrt(q) z)^2]: the factor on the gradient variance per layer at variance q."""
    with np.errstate(all="ignore"):
        return _out(sigma_w2 * gaussian_moments(act, q).dphi2, q)


# ------------------------------------------------------------------------------------------ the table
_TABLE_LOG10_LO = -16.0
_TABLE_LOG10_HI = 12.0
_TABLE_PER_DECADE = 12
_LN10 = math.log(10.0)
_STENCIL = 6
"""Interpolation uses the degree-5 polynomial through 6 grid nodes around the interval."""


def _safe_exp(x: float) -> float:
    return math.inf if x > 709.0 else math.exp(x)


class _Table:
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
        m = _numeric_moments(act, q)
        ends = _numeric_moments(act, np.array([0.0, np.inf]))
        # Interval j (u_j <= u < u_j+1) uses nodes start_j .. start_j + 5, in local tau = (u - u_j)/h.
        starts = np.clip(np.arange(n - 1) - 2, 0, n - _STENCIL)
        offsets = (starts - np.arange(n - 1))[:, None] + np.arange(_STENCIL)[None, :]
        inverse = {int(o[0]): np.linalg.inv(np.vander(o.astype(np.float64), _STENCIL, increasing=True))
                   for o in offsets}
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
            self._tail_w.append((y0 / ((t0 - t1) * (t0 - t2)), y1 / ((t1 - t0) * (t1 - t2)),
                                 y2 / ((t2 - t0) * (t2 - t1))))
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
def _table_for(name: str, params: tuple[tuple[str, float], ...]) -> _Table:
    return _Table(activations.make(name, dict(params)))


def _table(act: Activation) -> _Table:
    return _table_for(act.name, tuple(sorted(act.params.items())))


# ------------------------------------------------------------------------------------------ fixed point
@dataclass(frozen=True)
class Criticality:
    """Where the variance map settles and how gradients behave there."""

    q_star: float
    chi1: float
    phase: str
    """ordered (chi1 < 1 - PHASE_EPS) | critical | chaotic (chi1 > 1 + PHASE_EPS); '' when chi1 is NaN."""
    depth_scale: float
    """Ordered: xi = -1/ln chi_1. Chaotic with a finite q*: xi_c = -1/ln chi_c at the stable correlation c* < 1.
    inf at criticality; NaN where there is no such scale (chaotic with q* = inf: see depth_note)."""
    trainable_depth: float
    """TRAINABLE_FACTOR (6) depth scales."""
    c_star: float = math.nan
    """The stable fixed point of the correlation map below 1 (chaotic phase only)."""
    chi_c: float = math.nan
    """The correlation map's slope at c* (chaotic phase only)."""
    depth_note: str = ""
    """What the depth scale is, or why there is none, in words."""


def phase_of(chi: float) -> str:
    """ordered / critical / chaotic from chi_1, with the band 1 +- PHASE_EPS counted as critical."""
    if math.isnan(chi):
        return ""
    if chi < 1.0 - PHASE_EPS:
        return "ordered"
    if chi > 1.0 + PHASE_EPS:
        return "chaotic"
    return "critical"


def depth_scale(chi: float) -> float:
    """Layers over which a quantity multiplied by `chi` per layer changes by a factor e: 1 / |ln chi|.

    With chi = chi_1 < 1 this is Schoenholz et al. 2017's ordered-phase xi = -1/ln chi_1 (correlations
    converge to 1 and gradients vanish at that rate); with chi = chi_c (the correlation map's slope at its
    stable c* < 1) it is their chaotic-phase xi_c = -1/ln chi_c. With chi_1 > 1 it would be only the growth
    scale of exploding gradients, not a depth scale of the theory: `criticality` does not use it so.
    inf at chi = 1 (|ln chi_1| <= 1e-12, so rounding in sigma_w^2 = fan_in * (sqrt2/sqrt(fan_in))^2
    does not turn He + relu into a finite 4.5e15); 0 for chi_1 = 0 or inf; NaN for NaN.
    """
    if math.isnan(chi) or chi < 0.0:
        return math.nan
    if chi == 0.0 or chi == math.inf:
        return 0.0
    log = abs(math.log(chi))
    return math.inf if log <= 1e-12 else 1.0 / log


class _Map:
    """E[phi^2](q) for one activation: closed form, table (fast) or quadrature (exact)."""

    def __init__(self, act: Activation) -> None:
        self.act = act
        self.closed = act.name in CLOSED_FORM
        self.table = None if self.closed else _table(act)

    def second(self, q: float, exact: bool) -> float:
        if self.closed:
            return _slope_coefficients(self.act)[0] * q
        if exact and 0.0 < q < math.inf:
            return float(_numeric_moments(self.act, np.array([q])).second[0])
        assert self.table is not None
        return self.table.second(q)

    def dphi2(self, q: float) -> float:
        if self.closed:
            return _slope_coefficients(self.act)[1]
        return float(_numeric_moments(self.act, np.array([q])).dphi2[0])


def _root(g: Callable[[float], float], lo: float, hi: float, g_lo: float, g_hi: float) -> float:
    """A root of g in [lo, hi] where g changes sign (Illinois regula falsi; ~1e-15 relative)."""
    side = 0
    for _ in range(100):
        if g_lo == g_hi:
            break
        mid = (lo * g_hi - hi * g_lo) / (g_hi - g_lo)
        if not lo < mid < hi:
            mid = 0.5 * (lo + hi)
        g_mid = g(mid)
        if g_mid == 0.0 or math.isnan(g_mid):
            return mid
        if (g_mid > 0.0) == (g_hi > 0.0):
            hi, g_hi = mid, g_mid
            if side == 1:
                g_lo *= 0.5
            side = 1
        else:
            lo, g_lo = mid, g_mid
            if side == -1:
                g_hi *= 0.5
            side = -1
        if hi - lo <= 1e-15 * hi:
            break
    return lo if abs(g_lo) < abs(g_hi) else hi


def _solve(mapping: _Map, sw2: float, sb2: float, q0: float, exact: bool) -> float:
    with np.errstate(all="ignore"):
        return _solve_quietly(mapping, sw2, sb2, q0, exact)


def _solve_quietly(mapping: _Map, sw2: float, sb2: float, q0: float, exact: bool) -> float:
    """The fixed point reached by iterating q -> sw2 E[phi^2](q) + sb2 from q0.

    The map is increasing in q for every activation here, so the iterates move monotonically to the
    nearest fixed point in the direction of the first step (or to 0 / inf). Instead of iterating (slow
    near criticality) we scan G(q) = map(q) - q in that direction on the table's grid (extended by
    decades to 1e300) for the first sign change, solve G = 0 there on the table, and with `exact`
    polish the root with the quadrature.
    """
    if not (sw2 >= 0.0 and sb2 >= 0.0 and q0 >= 0.0) or math.isinf(sw2) or math.isinf(q0):
        return math.nan
    if mapping.closed:
        a = sw2 * _slope_coefficients(mapping.act)[0]
        if abs(a - 1.0) <= 1e-12:
            return q0 if sb2 == 0.0 else math.inf
        if a > 1.0:
            return 0.0 if (q0 == 0.0 and sb2 == 0.0) else math.inf
        return sb2 / (1.0 - a)
    if sb2 == math.inf:
        return math.inf
    table = mapping.table
    assert table is not None

    def g_table(q: float) -> float:
        return sw2 * table.second(q) + sb2 - q

    def g_exact(q: float) -> float:
        return sw2 * mapping.second(q, True) + sb2 - q

    g0 = g_table(q0)
    if g0 == 0.0:
        return q0
    upward = g0 > 0.0
    grid, second = table.scan_q, table.scan_second
    pick = grid > q0 if upward else grid < q0
    candidates, second = (grid[pick], second[pick]) if upward else (grid[pick][::-1], second[pick][::-1])
    bracket: tuple[float, float] | None = None
    if candidates.size:
        values = sw2 * second + sb2 - candidates
        crossed = np.nonzero(values <= 0.0 if upward else values >= 0.0)[0]
        if crossed.size:
            j = int(crossed[0])
            bracket = (float(candidates[j - 1]) if j > 0 else q0, float(candidates[j]))
    if bracket is None:
        if upward:
            return math.inf
        return _near_zero(table, sw2, sb2, float(candidates[-1]) if candidates.size else q0)
    lo, hi = sorted(bracket)
    root = _root(g_table, lo, hi, g_table(lo), g_table(hi))
    if not exact or root <= 0.0:
        return root
    # The table is good to ~1e-7: a bracket of +-1e-6 around its root nearly always holds the exact one.
    # A sign of G counts only where the quadrature resolves it (|G| above 1e-12 q, its error ~3e-13 q).
    def resolved(q: float, gq: float) -> bool:
        return abs(gq) > 1e-12 * q

    for a, b in ((root * (1.0 - 1e-6), root * (1.0 + 1e-6)), (root * (1.0 - 1e-3), root * (1.0 + 1e-3)),
                 (lo * (1.0 - 1e-3), hi * (1.0 + 1e-3))):
        ga, gb = g_exact(a), g_exact(b)
        if resolved(a, ga) and resolved(b, gb) and (ga > 0.0) != (gb > 0.0):
            return _root(g_exact, a, b, ga, gb)
    # G is within rounding of 0 here: the crossing was not real. Upward (softplus or elu at sigma_w2 = 2:
    # G -> a constant while q grows) the iterates creep up by less than 1e-12 q per layer: no fixed point
    # any depth reaches, inf. Downward (tanh at sigma_w2 = 1: G = -2 q^2) go on scanning with the exact
    # map, a decade a step, to the bottom of the grid before concluding the iterates reach 0.
    if upward:
        return math.inf
    edge = lo
    g_edge = g_exact(edge)
    while edge * 0.1 >= table.q_lo:
        nxt = edge * 0.1
        g_nxt = g_exact(nxt)
        if resolved(nxt, g_nxt) and resolved(edge, g_edge) and (g_nxt > 0.0) != (g_edge > 0.0):
            return _root(g_exact, nxt, edge, g_nxt, g_edge)
        edge, g_edge = nxt, g_nxt
    return _near_zero(table, sw2, sb2, edge)


def _near_zero(table: _Table, sw2: float, sb2: float, low: float) -> float:
    """The fixed point below `low` (<= the grid's bottom), where E[phi^2] ~ phi(0)^2 + k q is affine."""
    m0 = table.at0[0]
    k = (table.second(low) - m0) / low if low > 0.0 else 0.0
    intercept = sw2 * m0 + sb2
    slope = 1.0 - sw2 * k
    return intercept / slope if intercept > 0.0 and slope > 0.0 else 0.0


def fixed_point(act: Activation, sigma_w2: float, sigma_b2: float, q0: float = 1.0) -> float:
    """q*: where iterating the variance map from q0 (default 1) settles.

    inf when the iterates grow without bound (relu with sigma_w2 > 2, or sigma_w2 = 2 with a bias);
    0 when they decay to 0 (tanh with sigma_b = 0 and sigma_w <= 1). For linear/relu-likes with
    sigma_w2 * E[phi^2]/q = 1 and no bias every q is fixed, and q0 itself is returned. A q* below
    1e-16 comes from the map's linear form near 0 (q* = 0 when that has no positive root).
    """
    return _solve(_Map(act), float(sigma_w2), float(sigma_b2), float(q0), exact=True)


def criticality(act: Activation, sigma_w2: float, sigma_b2: float, q0: float = 1.0) -> Criticality:
    """q*, chi_1 = sigma_w2 E[phi'(sqrt(q*) z)^2] there, phase, depth scale and trainable depth (6 xi).

    With no finite fixed point (q* = inf or 0), chi_1 is the limit of that factor as q -> inf or 0: the
    slope of the map there (relu: sigma_w2 / 2 whatever q; tanh at q* = 0: sigma_w2).
    """
    mapping = _Map(act)
    sw2, sb2 = float(sigma_w2), float(sigma_b2)
    q_star = _solve(mapping, sw2, sb2, float(q0), exact=True)
    with np.errstate(all="ignore"):
        chi = math.nan if math.isnan(q_star) else sw2 * mapping.dphi2(q_star)
    phase = phase_of(chi)
    c_star = chi_c = xi = math.nan
    note = ""
    if phase == "ordered":
        xi = depth_scale(chi)
        note = "xi = -1/ln chi_1: correlations go to 1 and the gradient variance shrinks by e every xi layers"
    elif phase == "critical":
        xi = depth_scale(chi)  # 1/|ln chi_1| > 1000 layers inside the band, inf at chi_1 = 1 (both scales diverge)
        note = ("q* = 0: chi_1 = 1 only in the limit, the variance itself shrinks toward 0 and gradients decay "
                "as a power law of depth, not exponentially" if q_star == 0.0 else
                "chi_1 = 1: no exponential depth scale")
    elif phase == "chaotic" and 0.0 < q_star < math.inf and not mapping.closed:
        c_star = _stable_correlation(act, q_star, sw2, sb2)
        if math.isfinite(c_star):
            chi_c = correlation.chi_c(act, q_star, c_star, sw2)
            xi = depth_scale(chi_c) if chi_c < 1.0 else math.nan
            shown = f"{c_star:.3g}" if abs(c_star) > 1e-12 else "0"
            note = (f"xi_c = -1/ln chi_c: correlations settle at c* = {shown} at the rate chi_c = {chi_c:.4g} "
                    "(Schoenholz et al. 2017)")
    elif phase == "chaotic":
        note = ("q* = inf: the variance grows without bound and correlations approach 1 (never decorrelate), as "
                "for relu: no decorrelation depth scale; gradients grow by chi_1 per layer")
    return Criticality(q_star, chi, phase, xi, TRAINABLE_FACTOR * xi, c_star, chi_c, note)


_C_PROBES = (1.0 - 1e-7, 1.0 - 1e-4, 0.99, 0.9, 0.5, 0.0, -1.0)
"""Where c' - c is probed, from just below 1 downwards, for the first sign change (the stable c* below 1)."""


def _stable_correlation(act: Activation, q_star: float, sw2: float, sb2: float) -> float:
    """c*, cached: the explorer reruns one map for every change of depth, seed or batch."""
    return _stable_correlation_of(act.name, tuple(sorted(act.params.items())), float(f"{q_star:.12e}"), sw2, sb2)


@lru_cache(maxsize=256)
def _stable_correlation_of(name: str, params: tuple[tuple[str, float], ...], q_star: float, sw2: float,
                           sb2: float) -> float:
    """c*: the stable fixed point of the correlation map below 1 (chaotic phase), NaN when there is none.

    c = 1 repels in the chaotic phase, so c' - c < 0 just below 1; scan downwards for the first sign change
    and solve there (an exact 0, odd phi without bias, is c* = 0 itself).
    """
    act = activations.make(name, dict(params))

    def gap(c: float) -> float:
        return correlation.correlation_map(act, q_star, c, sw2, sb2) - c

    hi, g_hi = _C_PROBES[0], gap(_C_PROBES[0])
    if not g_hi < 0.0:
        return math.nan
    for lo in _C_PROBES[1:]:
        g_lo = gap(lo)
        if g_lo == 0.0:
            return lo
        if g_lo > 0.0:
            return _root(gap, lo, hi, g_lo, g_hi)
        hi, g_hi = lo, g_lo
    return math.nan


def phase_grid(act: Activation, sigma_w2_values: npt.ArrayLike, sigma_b2_values: npt.ArrayLike) -> FloatArray:
    """chi_1 at the fixed point (reached from q = 1) for every (sigma_b2, sigma_w2): shape (n_b, n_w).

    For the phase diagram, where chi_1 = 1 is the edge of chaos. Uses the interpolated table rather
    than the exact quadrature (chi_1 good to ~1e-6), so a 40 x 40 grid takes a fraction of a second.
    """
    ws = np.asarray(sigma_w2_values, dtype=np.float64).reshape(-1)
    bs = np.asarray(sigma_b2_values, dtype=np.float64).reshape(-1)
    out = np.full((bs.size, ws.size), np.nan)
    mapping = _Map(act)
    with np.errstate(all="ignore"):
        if mapping.closed:
            out[:] = ws[None, :] * _slope_coefficients(act)[1] + 0.0 * bs[:, None]
            return out
        assert mapping.table is not None
        for i, sb2 in enumerate(bs):
            q_stars = np.array([_solve(mapping, float(sw2), float(sb2), 1.0, exact=False) for sw2 in ws])
            out[i] = ws * mapping.table.values(2, q_stars)
    return out


# ------------------------------------------------------------------------------------------ predict
_CONVERGED = 1e-13
"""|q_l - q_{l-1}| <= this * q_l: q_l is a fixed point of the layer's map to within rounding, and the
following layers with the same map are filled with it (over 10000 layers the drift this ignores is
below 1e-9 relative)."""


def _saturated_fraction(name: str, q: FloatArray) -> FloatArray:
    """P(|z| > t) for z ~ N(0, q): tanh t = atanh(0.97); sigmoid t = 2 atanh(0.97); NaN otherwise."""
    if name not in ("tanh", "sigmoid"):
        return np.full(q.shape, np.nan)
    t = math.atanh(activations.SATURATION_LEVEL) * (2.0 if name == "sigmoid" else 1.0)
    unique, inverse = np.unique(q, return_inverse=True)
    values = np.full(unique.shape, np.nan)
    for i, v in enumerate(unique.tolist()):
        if v == 0.0:
            values[i] = 0.0
        elif v == math.inf:
            values[i] = 1.0
        elif v > 0.0:
            values[i] = math.erfc(t / math.sqrt(2.0 * v))
    return values[inverse.reshape(q.shape)]


def _iterate(second: Callable[[float], float], q1: float, sw2: FloatArray, sb2: FloatArray) -> FloatArray:
    """q_l for every layer: q_1 given, then q_l = sw2_l E[phi^2](q_{l-1}) + sb2_l, with runs of layers
    that share a map filled once the map's fixed point is reached."""
    depth = sw2.size
    # run_end[l]: one past the last layer of the run of equal maps that holds layer l.
    change = np.nonzero((sw2[1:] != sw2[:-1]) | (sb2[1:] != sb2[:-1]))[0] + 1
    ends = np.append(change, depth)
    run_end: list[int] = ends[np.searchsorted(ends, np.arange(depth), side="right")].tolist()
    a_list: list[float] = sw2.tolist()
    b_list: list[float] = sb2.tolist()
    q = [q1] * depth
    layer = 1
    while layer < depth:
        prev = q[layer - 1]
        cur = a_list[layer] * second(prev) + b_list[layer]
        q[layer] = cur
        end = run_end[layer]
        if end > layer + 1 and (cur == prev or abs(cur - prev) <= _CONVERGED * abs(cur)):
            q[layer + 1:end] = [cur] * (end - layer - 1)
            layer = end
        else:
            layer += 1
    return np.array(q, dtype=np.float64)


def _weights_reason(entry: initializers.Initializer, e: initializers.Expected, fi: int, fo: int) -> str:
    """Why mean field cannot describe these weights ('' when it can): i.i.d., zero mean, spread > 0."""
    name = entry.name
    if not (math.isfinite(e.mean) and math.isfinite(e.std)):
        return f"{name} gives weights with mean {e.mean:.3g} and std {e.std:.3g} at fans ({fi}, {fo})"
    if e.std <= 0.0:
        return (f"{name} sets every weight to {e.mean:g}: all units of a layer compute the same thing, while "
                "mean field assumes i.i.d. zero-mean random weights")
    if not entry.zero_mean and not entry.elementwise:
        return (f"{name} is a deterministic matrix, not i.i.d. zero-mean random weights: mean field does not "
                "describe it")
    if not entry.zero_mean or abs(e.mean) > 1e-9 * e.std:
        one_sided = " (every weight is >= 0: a one-sided draw)" if e.bounds and e.bounds[0] >= 0.0 else ""
        return (f"{name} weights have a non-zero mean ({e.mean:.3g}, std {e.std:.3g}){one_sided}: mean field "
                "assumes zero-mean weights; with a shared mean every unit of a layer moves together")
    return ""


Frozen = tuple[tuple[str, initializers.ParamValue], ...]


def _frozen(params: initializers.Params) -> Frozen:
    return tuple(sorted(params.items()))


@lru_cache(maxsize=4096)
def _layer_variances(init: str, init_params: Frozen, bias: str, bias_params: Frozen, gain: float, fi: int,
                     fo: int) -> tuple[float, float, str]:
    """(Var W, E[b^2], why mean field does not apply or '') of one layer: depends only on the initializers,
    their parameters, the gain and the fans, so predict() resolves each combination once per process."""
    entry = initializers.lookup(init)
    e = entry.expected(fi, fo, dict(init_params), auto_gain=gain)
    reason = _weights_reason(entry, e, fi, fo)
    if reason:
        return math.nan, math.nan, reason
    b = initializers.lookup(bias).expected(fi, fo, dict(bias_params), gain)
    return e.std * e.std, b.std * b.std + b.mean * b.mean, ""


def _not_applicable(depth: int, reason: str) -> tuple[TheoryLayers, TheorySummary]:
    nan = np.full(depth, np.nan)
    layers = TheoryLayers(nan.copy(), nan.copy(), nan.copy(), nan.copy())
    return layers, TheorySummary(False, reason)


def predict(config: Config, input_second_moment: float = 1.0) -> tuple[TheoryLayers, TheorySummary]:
    """Mean-field prediction for every layer of `config`, and the fixed-point summary.

    - `input_second_moment` is E[x^2] of the input: 1 for the built-in inputs (normal, and uniform on
      +-sqrt 3); for a file input pass the mean of X**2 over the batch.
    - Layer l uses its own fans: sigma_w2_l = fan_in_l Var(W_l) forward; going down, the activation-
      gradient variance is multiplied by fan_out_l Var(W_l) E[phi'(z_l)^2] (dA_{l-1} = dZ_l W_l^T sums
      fan_out terms). dA_L at the top has variance 1. Var(W_l) is the catalogue's expected std squared
      (with auto gain = the activation's gain).
    - sigma_b^2 is the bias's second moment E[b^2] = Var(b) + mean(b)^2: mean field treats a bias with a
      non-zero mean (constant, one-sided draws) as a random offset of that size, an approximation.
      The predicted preactivation_var is therefore the second moment E[z^2].
    - The summary's q*, chi_1, depth scale, sigma_w2 and sigma_b2 are those of the map most layers share
      (ties: the deeper one), iterated from the q entering its first layer; for a net of equal widths that
      is every layer's map. `maps` counts the distinct maps (fan-in 256 then width 50 under xavier: the
      first layer's sigma_w^2 is 1.67, the other nine layers' 1, and those nine decide).
    For orthogonal weights the prediction is of variances only (not of the Jacobian's spectrum).
    Not applicable (NaN arrays, `reason` set) for zero/constant/identity weights, data-dependent
    initializers (lsuv) and weights with a non-zero expected mean. Never raises on overflow: values
    past float range are inf (and a gradient that meets 0 * inf is NaN).
    """
    depth = config.n_layers
    entry = initializers.lookup(config.initializer)
    act = activations.make(config.activation, dict(config.activation_params))
    if entry.data_dependent:
        return _not_applicable(depth, f"{entry.name} rescales each layer on the data batch until its output "
                               "has unit variance: a data-dependent procedure, not a mean-field initializer")
    fans = np.array(config.layer_fans, dtype=np.int64).reshape(depth, 2)
    keys, which = np.unique(fans[:, 0] * (1 << 20) + fans[:, 1], return_inverse=True)  # fans <= 65536
    var_w_of, sb2_of = np.empty(keys.size), np.empty(keys.size)
    laws = (entry.name, _frozen(config.initializer_params), config.bias, _frozen(config.bias_params), act.gain)
    for i, key in enumerate(keys.tolist()):
        var_w_of[i], sb2_of[i], reason = _layer_variances(*laws, *divmod(key, 1 << 20))
        if reason:
            return _not_applicable(depth, reason)
    which = which.reshape(-1)
    var_w, sb2 = var_w_of[which], sb2_of[which]
    sw2 = fans[:, 0].astype(np.float64) * var_w
    mapping = _Map(act)
    with np.errstate(all="ignore"):
        q1 = float(sw2[0]) * float(input_second_moment) + float(sb2[0])
        if mapping.closed:
            c = _slope_coefficients(act)[0]
            qa = _iterate(lambda v: c * v, q1, sw2, sb2)
        else:
            assert mapping.table is not None
            qa = _iterate(mapping.table.second, q1, sw2, sb2)
        if mapping.closed:
            m = _closed_form(act.name, act.params, qa)
            var, d2 = m.var, m.dphi2
        else:
            assert mapping.table is not None
            var, d2 = mapping.table.values(1, qa), mapping.table.values(2, qa)
        # Going down: Var(dA_{l-1}) = fo_l Var(W_l) E[phi'(z_l)^2] Var(dA_l), Var(dA_L) = 1.
        factors = fans[:, 1] * var_w * d2
        grad_var = np.ones(depth)
        if depth > 1:
            grad_var[:-1] = np.cumprod(factors[1:][::-1])[::-1]
        layers = TheoryLayers(qa, np.sqrt(var), _saturated_fraction(act.name, qa), np.sqrt(grad_var))
        pairs = list(zip(sw2.tolist(), sb2.tolist(), strict=True))
        counts = {pair: pairs.count(pair) for pair in dict.fromkeys(pairs)}
        sw2_main, sb2_main = max(reversed(pairs), key=lambda pair: counts[pair])
        first = pairs.index((sw2_main, sb2_main))
        q_enter = q1 if first == 0 else float(qa[first])
        crit = criticality(act, sw2_main, sb2_main, q0=q_enter)
    summary = TheorySummary(True, "", crit.q_star, crit.chi1, crit.phase, crit.depth_scale,
                            crit.trainable_depth, sw2_main, sb2_main, crit.c_star, crit.chi_c, crit.depth_note,
                            len(counts))
    return layers, summary
