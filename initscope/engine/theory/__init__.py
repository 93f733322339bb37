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

The package, one job per module (each imports only those above it):
- `moments.py`: the quadrature, Gaussian moments of phi and phi', the variance map and chi_1 at any q.
- `table.py`: the per-activation table of log-moments for long recursions.
- `fixed_points.py`: the fixed point q* from any q0, and chi_1 over a (sigma_w^2, sigma_b^2) grid.
- `depth_scales.py`: the phase at q*, chi_1 there and the depth scales (`criticality`).
- `layers.py`: `predict`, the prediction for every layer of a config and its summary.

This module re-exports the public names, so `theory.predict` and `theory.criticality` keep working.
"""

from __future__ import annotations

from initscope.engine.arrays import FloatArray
from initscope.engine.theory.depth_scales import (
    PHASE_EPS,
    TRAINABLE_FACTOR,
    Criticality,
    criticality,
    depth_scale,
    phase_of,
)
from initscope.engine.theory.fixed_points import fixed_point, phase_grid
from initscope.engine.theory.layers import predict
from initscope.engine.theory.moments import (
    CLOSED_FORM,
    GaussianMoments,
    chi1,
    gaussian_expectation,
    gaussian_moments,
    variance_map,
)

__all__ = [
    "CLOSED_FORM",
    "PHASE_EPS",
    "TRAINABLE_FACTOR",
    "Criticality",
    "FloatArray",
    "GaussianMoments",
    "chi1",
    "criticality",
    "depth_scale",
    "fixed_point",
    "gaussian_expectation",
    "gaussian_moments",
    "phase_grid",
    "phase_of",
    "predict",
    "variance_map",
]
