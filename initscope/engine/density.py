"""A law's probability mass over histogram bins: the expected counts drawn against a measured histogram
(the explorer's Weights tab and the audit), and the one a run's layer was drawn from."""

from __future__ import annotations

import math

import numpy as np

from initscope.engine import activations, initializers
from initscope.engine.arrays import FloatArray
from initscope.engine.config import Config


def normal_cdf(x: FloatArray, mean: float, std: float) -> FloatArray:
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return np.asarray(0.5 * (1.0 + erf((x - mean) / (std * math.sqrt(2.0)))), dtype=np.float64)


def law_cdf(law: initializers.Law, edges: FloatArray) -> tuple[FloatArray, str] | None:
    """The law's CDF at `edges` and a short name of the law; None for laws without a density worth drawing
    (constants, identity and sparse spikes). Orthogonal entries are drawn as the normal of their exact std."""
    e = np.asarray(edges, dtype=np.float64)
    if isinstance(law, initializers.Normal) and law.std > 0:
        return normal_cdf(e, law.mean, law.std), f"N({law.mean:.3g}, {law.std:.3g}²)"
    if isinstance(law, initializers.Truncated) and law.std > 0:
        lo, hi = law.mean - law.k * law.std, law.mean + law.k * law.std
        raw = normal_cdf(np.clip(e, lo, hi), law.mean, law.std)
        span = normal_cdf(np.array([lo, hi]), law.mean, law.std)
        return (raw - span[0]) / float(span[1] - span[0]), f"N({law.mean:.3g}, {law.std:.3g}²) cut at ±{law.k:g}σ"
    if isinstance(law, initializers.Uniform) and law.high > law.low:
        return np.clip((e - law.low) / (law.high - law.low), 0.0, 1.0), f"U({law.low:.3g}, {law.high:.3g})"
    if isinstance(law, initializers.Orthogonal):
        std = law.expected().std
        return normal_cdf(e, 0.0, std), f"≈N(0, {std:.3g}²) (orthogonal)"
    return None


def expected_counts(law: initializers.Law, edges: FloatArray, total: int) -> tuple[FloatArray, str] | None:
    """Expected count per bin for `total` values drawn from `law`, and the law's name."""
    if len(edges) < 2 or total <= 0:
        return None
    cdf = law_cdf(law, edges)
    if cdf is None:
        return None
    values, name = cdf
    return total * np.diff(values), name


def layer_expected_counts(cfg: Config, layer: int, edges: FloatArray, total: int) -> tuple[FloatArray, str] | None:
    """Expected count per bin for `total` weights of layer `layer` (1-based) of a run of `cfg`, and the law's
    name. None when the law has no density worth drawing (constant, identity, sparse spikes, data-dependent)."""
    entry = initializers.lookup(cfg.initializer)
    if entry.data_dependent:
        return None
    fi, fo = cfg.layer_fans[layer - 1]
    gain = activations.make(cfg.activation, dict(cfg.activation_params)).gain
    return expected_counts(entry.distribution(fi, fo, cfg.initializer_params, auto_gain=gain), edges, total)
