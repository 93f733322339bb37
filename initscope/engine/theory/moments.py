"""Gaussian moments of an activation: E[phi], E[phi^2], Var[phi] and E[phi'^2] for x ~ N(0, q).

Gaussian expectations are computed by a composite Gauss-Legendre rule that is split at z = 0 (so a kink
of phi or phi' at 0 sits on a panel edge, never inside a panel) and whose panels follow two scales at
once: the Gaussian's (|z| ~ 1) and the activation's (|x| = sqrt(q)|z| ~ 1). Relative error is below
~1e-12 for every activation and every q (checked in tests/engine/test_theory.py against closed forms and
brute-force integrals). linear, relu and leaky_relu use closed forms.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from initscope.engine import gauss_legendre
from initscope.engine.activations import Activation
from initscope.engine.arrays import FloatArray

ArrayLike = float | npt.ArrayLike
Values = FloatArray | Sequence[float]
"""Several variances at once (a 0-d array counts as one number and gives a float)."""
Elementwise = Callable[[FloatArray], npt.NDArray[np.floating[Any]]]

CLOSED_FORM = ("linear", "relu", "leaky_relu")
"""Activations whose Gaussian moments have closed forms (piecewise linear through 0)."""
# ------------------------------------------------------------------------------------------ quadrature
_GL_ORDER = 12
_GL_X, _GL_W = gauss_legendre.rule(_GL_ORDER)
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
        [
            np.broadcast_to(_GAUSS_BREAKS, (q.size, _GAUSS_BREAKS.size)),
            np.clip(scale[:, None] * _ACT_BREAKS[None, :], 0.0, _Z_MAX),
        ],
        axis=1,
    )
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


def closed_form_moments(name: str, params: dict[str, float], q: FloatArray) -> GaussianMoments:
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


def slope_coefficients(act: Activation) -> tuple[float, float]:
    """(E[phi^2]/q, E[phi'^2]) for the closed-form activations (both independent of q)."""
    if act.name == "linear":
        return 1.0, 1.0
    s = 0.0 if act.name == "relu" else float(act.params["slope"])
    c = 0.5 * (1.0 + s * s)
    return c, c


def numeric_moments(act: Activation, q: FloatArray) -> GaussianMoments:
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
                anchor = numeric_moments(act, np.array([_VAR_ANCHOR])).var[0]
                var[tiny] = anchor * (q[tiny] / _VAR_ANCHOR)
    return GaussianMoments(mean, second, var, dphi2)


def gaussian_moments(act: Activation, q: ArrayLike) -> GaussianMoments:
    """E[phi], E[phi^2], Var[phi] and E[phi'^2] for x ~ N(0, q), accurate (closed form or quadrature).

    Vectorized over q; the fields are arrays shaped like q (0-d for a number). q < 0 or NaN gives NaN.
    """
    qs, _ = _as_q(q)
    qs = np.where(qs >= 0.0, qs, np.nan)
    m = closed_form_moments(act.name, act.params, qs) if act.name in CLOSED_FORM else numeric_moments(act, qs)
    shape = np.shape(q)
    return GaussianMoments(m.mean.reshape(shape), m.second.reshape(shape), m.var.reshape(shape), m.dphi2.reshape(shape))


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
