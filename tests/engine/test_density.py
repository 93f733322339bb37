"""The expected counts drawn against a run's weight histogram follow the layer's own law."""

from __future__ import annotations

import itertools
import math

import numpy as np

from initscope.engine.config import Config
from initscope.engine.density import layer_expected_counts


def test_a_layers_expected_counts_are_its_normal_law_over_the_bins() -> None:
    cfg = Config(initializer="he_normal", activation="relu", fan_in=64, width=[64, 32, 16], depth=3)
    fan_in, _ = cfg.layer_fans[1]  # layer 2's own fan-in, which He's default fan_in mode scales by
    std = math.sqrt(2.0 / fan_in)
    edges = np.linspace(-4 * std, 4 * std, 17)
    got = layer_expected_counts(cfg, 2, edges, 1000)
    assert got is not None
    counts, name = got
    cdf = [0.5 * (1 + math.erf(e / (std * math.sqrt(2)))) for e in edges]
    want = [1000 * (b - a) for a, b in itertools.pairwise(cdf)]
    assert np.allclose(counts, want, rtol=1e-9, atol=1e-9)
    assert "N(" in name


def test_data_dependent_and_constant_laws_draw_no_density() -> None:
    edges = np.linspace(-1, 1, 9)
    assert layer_expected_counts(Config(initializer="lsuv"), 1, edges, 100) is None
    assert layer_expected_counts(Config(initializer="zeros"), 1, edges, 100) is None
