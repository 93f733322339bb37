"""The phase diagram's grid, its reading between points and its chi_1 = 1 line (engine/phase.py)."""

from __future__ import annotations

import numpy as np

from initscope.engine import activations, theory
from initscope.engine.phase import PhaseKey, chi1_at, compute_phase_grid, edge


def test_grid_axes_start_at_zero_and_reach_the_cursor() -> None:
    grid = compute_phase_grid(PhaseKey("tanh", (), 8.0, 0.5))
    assert grid.sigma_w2[0] == 0.0 and grid.sigma_b2[0] == 0.0
    assert grid.w_max >= 8.0 and grid.b_max == 0.5
    assert grid.chi1.shape == (grid.sigma_b2.size, grid.sigma_w2.size)


def test_chi1_at_is_exact_on_the_grid_and_between_its_neighbours_off_it() -> None:
    grid = compute_phase_grid(PhaseKey("tanh", (), 4.0, 0.5))
    on = chi1_at(grid, grid.sigma_w2, grid.sigma_b2)
    assert np.array_equal(on, grid.chi1, equal_nan=True)
    w = 0.5 * (grid.sigma_w2[10] + grid.sigma_w2[11])
    between = chi1_at(grid, [w], [0.0])[0, 0]
    assert between == 0.5 * (grid.chi1[0, 10] + grid.chi1[0, 11])


def test_tanh_edge_at_sigma_b_zero_is_sigma_w_one() -> None:
    """tanh at sigma_b^2 = 0: chi1 = 1 exactly at sigma_w^2 = 1 (the line then bends sharply: ~1.36 at
    sigma_b^2 = 0.006). The grid's first row is sigma_b^2 = 0 itself, so its edge is 1 to within the linear
    reading between two columns (chi1 is sigma_w^2 itself below 1, and bends right after)."""
    grid = compute_phase_grid(PhaseKey("tanh", (), 4.0, 0.5))
    sw, sb = edge(grid)
    assert sb[0] == 0.0
    step = float(grid.sigma_w2[1] - grid.sigma_w2[0])
    assert abs(sw[0] - 1.0) <= step, (sw[0], step)
    assert sw[1] > 1.2  # one row up (sigma_b^2 = 0.0125) the edge has moved well past 1


def test_relu_edge_is_sigma_w_two_on_every_row() -> None:
    """ReLU: chi1 = sigma_w^2 / 2 whatever sigma_b^2, so the line is sigma_w^2 = 2 (linear between columns is
    exact for a linear chi1)."""
    grid = compute_phase_grid(PhaseKey("relu", (), 4.0, 1.0))
    sw, _ = edge(grid)
    assert np.allclose(sw, 2.0, rtol=1e-12)
    direct = theory.phase_grid(activations.make("relu"), [2.0], [0.0, 1.0])
    assert np.allclose(direct, 1.0)
