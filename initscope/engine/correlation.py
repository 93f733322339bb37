"""The correlation map of mean field: how two inputs' signals become alike or different with depth.

Two inputs whose pre-activations at the fixed point q* have correlation c give, one layer up (Poole et al.
2016, "Exponential expressivity in deep neural networks through transient chaos"; Schoenholz et al. 2017,
"Deep information propagation"),

    c' = (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / q*,
    u1 = sqrt(q*) z1,  u2 = sqrt(q*) (c z1 + sqrt(1 - c^2) z2),  z1, z2 ~ N(0, 1) independent.

c = 1 is always fixed; its slope there is chi_1. In the chaotic phase (chi_1 > 1) c = 1 repels and the
correlations settle at a stable c* < 1, approached at the rate

    chi_c = sigma_w^2 E[phi'(u1) phi'(u2)] at c*,

so the chaotic phase's depth scale is xi_c = -1/ln chi_c (Schoenholz et al. 2017, eq. 9 and §3). The
ordered phase's is -1/ln chi_1 (correlations go to c* = 1 at the rate chi_1, gradients shrink by chi_1).

The double Gaussian integral is a composite Gauss-Legendre rule in both variables with the activation's
kink at u = 0 on a panel edge in each (as theory's one-dimensional rule); the tests check it against
theory's E[phi^2] and chi_1 at c = 1 and against the issue's tanh and SELU figures.
"""

from __future__ import annotations

import math

import numpy as np

from initscope.engine import gauss_legendre
from initscope.engine.activations import Activation
from initscope.engine.arrays import FloatArray

_GL_X, _GL_W = gauss_legendre.rule(8)
"""8 nodes a panel: against 12 the values agree to 2e-10 relative (sigmoid at q* = 68, c = 0.96) and to
1e-14 for tanh, selu and elu, at a third of the cost (the depth scale is computed in every chaotic run)."""
_Z_MAX = 10.0
_GAUSS_EDGES = np.array(
    [-10.0, -8.5, -7.0, -6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.5, 10.0]
)
"""Panel edges in z that resolve the Gaussian factor (as theory's one-dimensional rule)."""
_ACT_EDGES = 10.0 ** np.arange(-0.5, 2.01, 0.5)
"""Distances from the kink at u = 0, in units of u, that resolve the activation (as theory's rule)."""


def _rule(centre: FloatArray, scale: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Nodes z and weights (standard normal density included) on [-10, 10], one row per (centre, scale):
    panels follow the Gaussian and, around z = centre (where u = 0, the activation's kink), the activation's
    scale (|u| = scale |z - centre| from 0.3 to 100)."""
    rows = centre.size
    offsets = np.outer(1.0 / scale, _ACT_EDGES)
    edges = np.concatenate(
        [
            np.broadcast_to(_GAUSS_EDGES, (rows, _GAUSS_EDGES.size)),
            centre[:, None],
            centre[:, None] - offsets,
            centre[:, None] + offsets,
        ],
        axis=1,
    )
    edges = np.sort(np.clip(edges, -_Z_MAX, _Z_MAX), axis=1)
    left, width = edges[:, :-1], np.diff(edges, axis=1)
    z = left[:, :, None] + 0.5 * width[:, :, None] * (1.0 + _GL_X[None, None, :])
    w = 0.5 * width[:, :, None] * _GL_W[None, None, :] * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return z.reshape(rows, -1), w.reshape(rows, -1)


def _pair(act: Activation, q: float, c: float, derivative: bool) -> float:
    """E[f(u1) f(u2)] with f = phi (or phi'), u as in the module docstring.

    Composite Gauss-Legendre in both variables: z1 on panels split at 0, and for every z1 node, z2 on
    panels split where u2 crosses 0 (so phi's or phi''s kink at 0 is always on a panel edge).
    """
    root = math.sqrt(q)
    s = math.sqrt(max(0.0, 1.0 - c * c))
    z1, w1 = _rule(np.zeros(1), np.array([root]))
    z1, w1 = z1[0], w1[0]
    keep = w1 > 0.0
    z1, w1 = z1[keep], w1[keep]

    def f(u: FloatArray) -> FloatArray:
        a = np.asarray(act.phi(u.copy()), dtype=np.float64)
        return np.asarray(act.dphi(u, a), dtype=np.float64) if derivative else a

    with np.errstate(all="ignore"):
        f1 = f(root * z1)
        if s * root < 1e-12:  # u2 = c u1: a one-dimensional integral
            return float(np.sum(w1 * f1 * f(root * c * z1)))
        centre = -c * z1 / s  # z2 where u2 = 0
        z2, w2 = _rule(centre, np.full(z1.size, root * s))
        rows, cols = np.nonzero(w2 > 0.0)  # clipped edges leave empty panels: skip their nodes
        u2 = root * (c * z1[rows] + s * z2[rows, cols])
        inner = np.bincount(rows, weights=w2[rows, cols] * f(u2), minlength=z1.size)
        return float(np.sum(w1 * f1 * inner))


def correlation_map(act: Activation, q_star: float, c: float, sigma_w2: float, sigma_b2: float) -> float:
    """c' for correlation c at the fixed point q* (q* > 0 and finite)."""
    return (sigma_w2 * _pair(act, q_star, c, False) + sigma_b2) / q_star


def chi_c(act: Activation, q_star: float, c: float, sigma_w2: float) -> float:
    """sigma_w^2 E[phi'(u1) phi'(u2)]: the slope of the correlation map at c (chi_1 at c = 1)."""
    return sigma_w2 * _pair(act, q_star, c, True)
