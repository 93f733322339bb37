"""The activation catalogue: each entry's phi' against central differences of its phi, and what make() fills in."""

from __future__ import annotations

import numpy as np
import pytest

from initscope.engine import activations

# Away from the kink at 0 (relu-like phi' jumps there); float64, h = 1e-6: truncation O(h^2 phi''') and
# rounding O(eps/h) are both below 1e-8, so 1e-6 leaves room and still fails on any wrong formula.
Z = np.array([-4.0, -1.3, -0.2, 0.3, 1.1, 3.7])
H = 1e-6


@pytest.mark.parametrize("name", activations.NAMES)
def test_dphi_is_the_derivative_of_phi(name: str) -> None:
    params = {"slope": 0.2} if name == "leaky_relu" else {"alpha": 0.7} if name == "elu" else {}
    act = activations.make(name, params)
    numeric = (act.phi(Z + H) - act.phi(Z - H)) / (2 * H)
    a = act.phi(Z.copy())
    analytic = act.dphi(Z.copy(), a.copy())
    assert np.allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    if not act.needs_z:  # the backward pass calls it with the stored activations only
        assert np.array_equal(act.dphi(None, a.copy()), analytic)


@pytest.mark.parametrize("name", activations.NAMES)
def test_make_fills_name_defaults_and_needs_z_from_the_spec(name: str) -> None:
    spec = activations.SPECS[name]
    act = activations.make(name)
    assert act.name == name and act.needs_z == spec.needs_z
    assert act.params == {key: default for key, (default, _low, _high) in spec.params.items()}
    assert act.gain > 0 and act.gain_source


def test_given_parameters_override_the_defaults() -> None:
    assert activations.make("leaky_relu", {"slope": 0.3}).params == {"slope": 0.3}
    assert activations.make("leaky_relu", {"slope": 0.3}).gain == pytest.approx((2 / (1 + 0.09)) ** 0.5, rel=1e-15)
