"""The formula's expected density over a histogram's bins for a layer of a run (the engine integrates the
initializer's law over the bins: initscope.engine.density)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from initscope.engine import activations, initializers
from initscope.engine.config import Config
from initscope.engine.density import expected_counts as law_counts

FloatArray = npt.NDArray[np.float64]


def expected_counts(cfg: Config, layer: int, edges: FloatArray, total: int) -> tuple[FloatArray, str] | None:
    """Expected count per bin for `total` values of layer `layer` (1-based), and a name of the law.

    None when the law has no density worth drawing (constant, identity, sparse spikes, data-dependent).
    """
    entry = initializers.lookup(cfg.initializer)
    if entry.data_dependent:
        return None
    fi, fo = cfg.layer_fans[layer - 1]
    gain = activations.make(cfg.activation, dict(cfg.activation_params)).gain
    return law_counts(entry.distribution(fi, fo, cfg.initializer_params, auto_gain=gain), edges, total)
