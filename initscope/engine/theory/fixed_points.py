"""Where the variance map q -> sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2 settles: the fixed point q*,
from any q0, and chi_1 there over a grid of (sigma_w^2, sigma_b^2) for the phase diagram.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from initscope.engine.activations import Activation
from initscope.engine.arrays import FloatArray
from initscope.engine.theory.moments import CLOSED_FORM, numeric_moments, slope_coefficients
from initscope.engine.theory.table import MomentTable, moment_table


class VarianceMap:
    """E[phi^2](q) for one activation: closed form, table (fast) or quadrature (exact)."""

    def __init__(self, act: Activation) -> None:
        self.act = act
        self.closed = act.name in CLOSED_FORM
        self.table = None if self.closed else moment_table(act)

    def second(self, q: float, exact: bool) -> float:
        if self.closed:
            return slope_coefficients(self.act)[0] * q
        if exact and 0.0 < q < math.inf:
            return float(numeric_moments(self.act, np.array([q])).second[0])
        assert self.table is not None
        return self.table.second(q)

    def dphi2(self, q: float) -> float:
        if self.closed:
            return slope_coefficients(self.act)[1]
        return float(numeric_moments(self.act, np.array([q])).dphi2[0])


def root_between(g: Callable[[float], float], lo: float, hi: float, g_lo: float, g_hi: float) -> float:
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


def solve_fixed_point(mapping: VarianceMap, sw2: float, sb2: float, q0: float, exact: bool) -> float:
    with np.errstate(all="ignore"):
        return _solve_quietly(mapping, sw2, sb2, q0, exact)


def _solve_quietly(mapping: VarianceMap, sw2: float, sb2: float, q0: float, exact: bool) -> float:
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
        return _linear_fixed_point(sw2 * slope_coefficients(mapping.act)[0], sb2, q0)
    if sb2 == math.inf:
        return math.inf
    table = mapping.table
    assert table is not None

    def g_table(q: float) -> float:
        return sw2 * table.second(q) + sb2 - q

    g0 = g_table(q0)
    if g0 == 0.0:
        return q0
    upward = g0 > 0.0
    bracket, last = _first_crossing(table, sw2, sb2, q0, upward)
    if bracket is None:
        return math.inf if upward else _near_zero(table, sw2, sb2, last)
    lo, hi = sorted(bracket)
    root = root_between(g_table, lo, hi, g_table(lo), g_table(hi))
    if not exact or root <= 0.0:
        return root
    return _polish(mapping, sw2, sb2, root, (lo, hi), upward)


def _linear_fixed_point(slope: float, sb2: float, q0: float) -> float:
    """Where q -> slope q + sb2 (linear, relu, leaky_relu) settles from q0."""
    if abs(slope - 1.0) <= 1e-12:
        return q0 if sb2 == 0.0 else math.inf
    if slope > 1.0:
        return 0.0 if (q0 == 0.0 and sb2 == 0.0) else math.inf
    return sb2 / (1.0 - slope)


def _first_crossing(
    table: MomentTable, sw2: float, sb2: float, q0: float, upward: bool
) -> tuple[tuple[float, float] | None, float]:
    """The first grid interval from q0 in the direction of the first step where G changes sign (None when
    there is none), and the last grid point scanned (q0 when there is none in that direction)."""
    grid, second = table.scan_q, table.scan_second
    pick = grid > q0 if upward else grid < q0
    candidates, second = (grid[pick], second[pick]) if upward else (grid[pick][::-1], second[pick][::-1])
    if not candidates.size:
        return None, q0
    values = sw2 * second + sb2 - candidates
    crossed = np.nonzero(values <= 0.0 if upward else values >= 0.0)[0]
    if not crossed.size:
        return None, float(candidates[-1])
    j = int(crossed[0])
    return (float(candidates[j - 1]) if j > 0 else q0, float(candidates[j])), float(candidates[-1])


def _resolved(q: float, gq: float) -> bool:
    """A sign of G counts only where the quadrature resolves it (|G| above 1e-12 q, its error ~3e-13 q)."""
    return abs(gq) > 1e-12 * q


def _polish(
    mapping: VarianceMap, sw2: float, sb2: float, root: float, bracket: tuple[float, float], upward: bool
) -> float:
    """The table's root solved again with the quadrature (exact map)."""

    def g_exact(q: float) -> float:
        return sw2 * mapping.second(q, True) + sb2 - q

    lo, hi = bracket
    # The table is good to ~1e-7: a bracket of +-1e-6 around its root nearly always holds the exact one.
    for a, b in (
        (root * (1.0 - 1e-6), root * (1.0 + 1e-6)),
        (root * (1.0 - 1e-3), root * (1.0 + 1e-3)),
        (lo * (1.0 - 1e-3), hi * (1.0 + 1e-3)),
    ):
        ga, gb = g_exact(a), g_exact(b)
        if _resolved(a, ga) and _resolved(b, gb) and (ga > 0.0) != (gb > 0.0):
            return root_between(g_exact, a, b, ga, gb)
    # G is within rounding of 0 here: the crossing was not real. Upward (softplus or elu at sigma_w2 = 2:
    # G -> a constant while q grows) the iterates creep up by less than 1e-12 q per layer: no fixed point
    # any depth reaches, inf. Downward (tanh at sigma_w2 = 1: G = -2 q^2) go on scanning with the exact
    # map, a decade a step, to the bottom of the grid before concluding the iterates reach 0.
    if upward:
        return math.inf
    table = mapping.table
    assert table is not None
    edge = lo
    g_edge = g_exact(edge)
    while edge * 0.1 >= table.q_lo:
        nxt = edge * 0.1
        g_nxt = g_exact(nxt)
        if _resolved(nxt, g_nxt) and _resolved(edge, g_edge) and (g_nxt > 0.0) != (g_edge > 0.0):
            return root_between(g_exact, nxt, edge, g_nxt, g_edge)
        edge, g_edge = nxt, g_nxt
    return _near_zero(table, sw2, sb2, edge)


def _near_zero(table: MomentTable, sw2: float, sb2: float, low: float) -> float:
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
    return solve_fixed_point(VarianceMap(act), float(sigma_w2), float(sigma_b2), float(q0), exact=True)


def phase_grid(act: Activation, sigma_w2_values: npt.ArrayLike, sigma_b2_values: npt.ArrayLike) -> FloatArray:
    """chi_1 at the fixed point (reached from q = 1) for every (sigma_b2, sigma_w2): shape (n_b, n_w).

    For the phase diagram, where chi_1 = 1 is the edge of chaos. Uses the interpolated table rather
    than the exact quadrature (chi_1 good to ~1e-6), so a 40 x 40 grid takes a fraction of a second.
    """
    ws = np.asarray(sigma_w2_values, dtype=np.float64).reshape(-1)
    bs = np.asarray(sigma_b2_values, dtype=np.float64).reshape(-1)
    out = np.full((bs.size, ws.size), np.nan)
    mapping = VarianceMap(act)
    with np.errstate(all="ignore"):
        if mapping.closed:
            out[:] = ws[None, :] * slope_coefficients(act)[1] + 0.0 * bs[:, None]
            return out
        assert mapping.table is not None
        for i, sb2 in enumerate(bs):
            q_stars = np.array([solve_fixed_point(mapping, float(sw2), float(sb2), 1.0, exact=False) for sw2 in ws])
            out[i] = ws * mapping.table.values(2, q_stars)
    return out
