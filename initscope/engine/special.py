"""Special functions the seed ensemble needs, in NumPy and math (no SciPy): the digamma and trigamma
functions, the regularized incomplete gamma function and chi-square quantiles."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from initscope.engine.arrays import FloatArray


def trigamma(x: npt.ArrayLike) -> FloatArray:
    """psi_1(x) for x > 0, elementwise: recurrence up to x >= 10, then the asymptotic series (error < 1e-12)."""
    x = np.array(x, dtype=np.float64)
    acc = np.zeros_like(x)
    while (small := x < 10.0).any():
        acc[small] += 1.0 / (x[small] * x[small])
        x[small] += 1.0
    inv = 1.0 / x
    inv2 = inv * inv
    series = 1.0 / 6.0 - inv2 * (1.0 / 30.0 - inv2 * (1.0 / 42.0 - inv2 * (1.0 / 30.0 - inv2 * 5.0 / 66.0)))
    return np.asarray(acc + inv + 0.5 * inv2 + inv * inv2 * series, dtype=np.float64)


def digamma(x: npt.ArrayLike) -> FloatArray:
    """psi(x) for x > 0, elementwise: recurrence up to x >= 10, then the asymptotic series (error < 1e-12)."""
    x = np.array(x, dtype=np.float64)
    acc = np.zeros_like(x)
    while (small := x < 10.0).any():
        acc[small] -= 1.0 / x[small]
        x[small] += 1.0
    inv = 1.0 / x
    inv2 = inv * inv
    series = 1.0 / 12.0 - inv2 * (1.0 / 120.0 - inv2 * (1.0 / 252.0 - inv2 * (1.0 / 240.0 - inv2 / 132.0)))
    return np.asarray(acc + np.log(x) - 0.5 * inv - inv2 * series, dtype=np.float64)


def _gamma_p(a: float, x: float) -> float:
    """Regularized lower incomplete gamma P(a, x) (series below a + 1, continued fraction above)."""
    if x <= 0.0:
        return 0.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        term = total = 1.0 / a
        ap = a
        for _ in range(10000):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return total * math.exp(log_front)
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return 1.0 - math.exp(log_front) * h


def chi2_quantile(p: float, df: float) -> float:
    """The p-quantile of a chi-square with df degrees of freedom (bisection on P(df/2, x/2), 1e-12 relative)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"chi2_quantile needs 0 < p < 1 and df > 0, got p={p}, df={df}")
    lo, hi = 0.0, max(1.0, df)
    while _gamma_p(0.5 * df, 0.5 * hi) < p:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _gamma_p(0.5 * df, 0.5 * mid) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return 0.5 * (lo + hi)
