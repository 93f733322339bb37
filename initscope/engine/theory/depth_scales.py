"""The phase at the fixed point (ordered, critical, chaotic), chi_1 there, and the depth scales of
Schoenholz et al. 2017.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from initscope.engine import activations
from initscope.engine.activations import Activation
from initscope.engine.kinds import Phase
from initscope.engine.theory.fixed_points import VarianceMap, root_between, solve_fixed_point

PHASE_EPS = 1e-3
"""chi_1 within 1 +- PHASE_EPS is 'critical': at depth 1000 that is a factor e^(+-1) on the gradient
variance, the resolution a plot of log(std) per layer can show."""

TRAINABLE_FACTOR = 6.0
"""Schoenholz et al. 2017: a net trains when its depth is below about 6 depth scales."""


@dataclass(frozen=True)
class Criticality:
    """Where the variance map settles and how gradients behave there."""

    q_star: float
    chi1: float
    phase: Phase
    """ordered (chi1 < 1 - PHASE_EPS) | critical | chaotic (chi1 > 1 + PHASE_EPS); undefined ('') when chi1 is NaN."""
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


def phase_of(chi: float) -> Phase:
    """ordered / critical / chaotic from chi_1, with the band 1 +- PHASE_EPS counted as critical."""
    if math.isnan(chi):
        return Phase.UNDEFINED
    if chi < 1.0 - PHASE_EPS:
        return Phase.ORDERED
    if chi > 1.0 + PHASE_EPS:
        return Phase.CHAOTIC
    return Phase.CRITICAL


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


def criticality(act: Activation, sigma_w2: float, sigma_b2: float, q0: float = 1.0) -> Criticality:
    """q*, chi_1 = sigma_w2 E[phi'(sqrt(q*) z)^2] there, phase, depth scale and trainable depth (6 xi).

    With no finite fixed point (q* = inf or 0), chi_1 is the limit of that factor as q -> inf or 0: the
    slope of the map there (relu: sigma_w2 / 2 whatever q; tanh at q* = 0: sigma_w2).
    """
    mapping = VarianceMap(act)
    sw2, sb2 = float(sigma_w2), float(sigma_b2)
    q_star = solve_fixed_point(mapping, sw2, sb2, float(q0), exact=True)
    with np.errstate(all="ignore"):
        chi = math.nan if math.isnan(q_star) else sw2 * mapping.dphi2(q_star)
    phase = phase_of(chi)
    c_star = chi_c = xi = math.nan
    note = ""
    if phase == Phase.ORDERED:
        xi = depth_scale(chi)
        note = "xi = -1/ln chi_1: correlations go to 1 and the gradient variance shrinks by e every xi layers"
    elif phase == Phase.CRITICAL:
        xi = depth_scale(chi)  # 1/|ln chi_1| > 1000 layers inside the band, inf at chi_1 = 1 (both scales diverge)
        note = (
            "q* = 0: chi_1 = 1 only in the limit, the variance itself shrinks toward 0 and gradients decay "
            "as a power law of depth, not exponentially"
            if q_star == 0.0
            else "chi_1 = 1: no exponential depth scale"
        )
    elif phase == Phase.CHAOTIC and 0.0 < q_star < math.inf and not mapping.closed:
        c_star = _stable_correlation(act, q_star, sw2, sb2)
        if math.isfinite(c_star):
            from initscope.engine import correlation  # the two-input map: chaotic smooth nets only (1 ms import)

            chi_c = correlation.chi_c(act, q_star, c_star, sw2)
            xi = depth_scale(chi_c) if chi_c < 1.0 else math.nan
            shown = f"{c_star:.3g}" if abs(c_star) > 1e-12 else "0"
            note = (
                f"xi_c = -1/ln chi_c: correlations settle at c* = {shown} at the rate chi_c = {chi_c:.4g} "
                "(Schoenholz et al. 2017)"
            )
    elif phase == Phase.CHAOTIC:
        note = (
            "q* = inf: the variance grows without bound and correlations approach 1 (never decorrelate), as "
            "for relu: no decorrelation depth scale; gradients grow by chi_1 per layer"
        )
    return Criticality(q_star, chi, phase, xi, TRAINABLE_FACTOR * xi, c_star, chi_c, note)


_C_PROBES = (1.0 - 1e-7, 1.0 - 1e-4, 0.99, 0.9, 0.5, 0.0, -1.0)
"""Where c' - c is probed, from just below 1 downwards, for the first sign change (the stable c* below 1)."""


def _stable_correlation(act: Activation, q_star: float, sw2: float, sb2: float) -> float:
    """c*, cached: the explorer reruns one map for every change of depth, seed or batch."""
    return _stable_correlation_of(act.name, tuple(sorted(act.params.items())), float(f"{q_star:.12e}"), sw2, sb2)


@lru_cache(maxsize=256)
def _stable_correlation_of(
    name: str, params: tuple[tuple[str, float], ...], q_star: float, sw2: float, sb2: float
) -> float:
    """c*: the stable fixed point of the correlation map below 1 (chaotic phase), NaN when there is none.

    c = 1 repels in the chaotic phase, so c' - c < 0 just below 1; scan downwards for the first sign change
    and solve there (an exact 0, odd phi without bias, is c* = 0 itself).
    """
    from initscope.engine import correlation

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
            return root_between(gap, lo, hi, g_lo, g_hi)
        hi, g_hi = lo, g_lo
    return math.nan
