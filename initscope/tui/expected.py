"""The formula's expected density over a histogram's bins (presentation of the initializer's law).

Adapter until the engine's laws expose a CDF: it reads the catalogue entry's law (Normal, Truncated,
Uniform; orthogonal drawn as the normal of its exact std) and integrates it over the bin edges.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from initscope.engine import activations, initializers
from initscope.engine.config import Config

FloatArray = npt.NDArray[np.float64]


def _normal_cdf(x: FloatArray, mean: float, std: float) -> FloatArray:
    erf = np.vectorize(math.erf)
    return np.asarray(0.5 * (1.0 + erf((x - mean) / (std * math.sqrt(2.0)))), dtype=np.float64)


def expected_counts(cfg: Config, layer: int, edges: FloatArray, total: int) -> tuple[FloatArray, str] | None:
    """Expected count per bin for `total` values of layer `layer` (1-based), and a name of the law.

    None when the law has no density worth drawing (constant, identity, sparse spikes, data-dependent).
    """
    entry = initializers.lookup(cfg.initializer)
    if entry.data_dependent or len(edges) < 2 or total <= 0:
        return None
    fi, fo = cfg.layer_fans[layer - 1]
    gain = activations.make(cfg.activation, dict(cfg.activation_params)).gain
    law = entry.distribution(fi, fo, cfg.initializer_params, auto_gain=gain)
    e = np.asarray(edges, dtype=np.float64)
    if isinstance(law, initializers.Normal) and law.std > 0:
        cdf = _normal_cdf(e, law.mean, law.std)
        name = f"N({law.mean:.3g}, {law.std:.3g}²)"
    elif isinstance(law, initializers.Truncated) and law.std > 0:
        lo, hi = law.mean - law.k * law.std, law.mean + law.k * law.std
        raw = _normal_cdf(np.clip(e, lo, hi), law.mean, law.std)
        span = _normal_cdf(np.array([lo, hi]), law.mean, law.std)
        cdf = (raw - span[0]) / float(span[1] - span[0])
        name = f"N({law.mean:.3g}, {law.std:.3g}²) cut at ±{law.k:g}σ"
    elif isinstance(law, initializers.Uniform) and law.high > law.low:
        cdf = np.clip((e - law.low) / (law.high - law.low), 0.0, 1.0)
        name = f"U({law.low:.3g}, {law.high:.3g})"
    elif isinstance(law, initializers.Orthogonal):
        std = law.expected().std
        cdf = _normal_cdf(e, 0.0, std)
        name = f"≈N(0, {std:.3g}²) (orthogonal)"
    else:
        return None
    return total * np.diff(cdf), name
