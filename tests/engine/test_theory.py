"""Mean-field theory (initscope.engine.theory): closed forms, quadrature against brute force, fixed
points and criticality, predict() on configs, and the cases where theory does not apply.

Reference values are computed here independently of theory.py: closed forms written out, and a
brute-force composite Simpson rule on a fine grid (`brute`). Tolerances say in a comment why they are what
they are; none was loosened to make a test pass.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from initscope.engine import activations, theory
from initscope.engine.config import Config

FloatArray = npt.NDArray[np.float64]
AnyFloatArray = npt.NDArray[np.floating[Any]]
SQRT_2PI = math.sqrt(2.0 * math.pi)


def brute(f: Callable[[FloatArray], AnyFloatArray], q: float, n: int = 200_000, zmax: float = 12.0) -> float:
    """E[f(sqrt(q) z)], z ~ N(0, 1), by composite Simpson on [0, 12] for f(+x) and f(-x) separately.

    z = 0 is an end point, so a kink (or jump) of f at 0 costs no accuracy. With h = 6e-5 Simpson's error is
    ~h^4 f''''/180: below 1e-15 for q ~ 1, below ~1e-10 at q = 1e4 (features of width 1e-2 in z). The
    Gaussian mass beyond |z| = 12 is 3.6e-33.
    """
    z = np.linspace(0.0, zmax, n + 1)
    w = np.full(n + 1, 2.0)
    w[1::2] = 4.0
    w[0] = w[-1] = 1.0
    w *= (zmax / n) / 3.0 * np.exp(-0.5 * z * z) / SQRT_2PI
    z[0] = 1e-300  # each side takes its one-sided value at 0 (selu'(0) differs from the left and right)
    s = math.sqrt(q)
    with np.errstate(all="ignore"):
        return float(np.sum(w * (f(s * z) + f(-s * z))))


def tanh2(x: FloatArray) -> FloatArray:
    return np.tanh(x) ** 2


def sech4(x: FloatArray) -> FloatArray:
    return (1.0 - np.tanh(x) ** 2) ** 2


def make_config(**kw: object) -> Config:
    base: dict[str, object] = {"fan_in": 64, "depth": 10, "batch": 8}
    base.update(kw)
    return Config(**base)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ closed forms
def test_linear_variance_grows_as_n_var_w_to_the_depth() -> None:
    # n = 100, Var(W) = 0.02: n Var(W) = 2, so q_l = 2^l and q_10 / E[x^2] = 1024. Linear uses closed
    # forms; the only error is rounding, so rtol 1e-12 (and 2.04 would fail).
    cfg = make_config(
        initializer="normal", initializer_params={"std": math.sqrt(0.02)}, activation="linear", fan_in=100, depth=10
    )
    layers, summary = theory.predict(cfg)
    assert summary.applicable
    np.testing.assert_allclose(layers.preactivation_var, 2.0 ** np.arange(1, 11), rtol=1e-12)
    assert layers.preactivation_var[-1] == pytest.approx(1024.0, rel=1e-12)
    # Backward: Var(dA_{l-1}) = fan_out Var(W) Var(dA_l) = 2 Var(dA_l), Var(dA_10) = 1.
    np.testing.assert_allclose(layers.activation_grad_std, np.sqrt(2.0 ** np.arange(9, -1, -1)), rtol=1e-12)
    assert summary.sigma_w2 == pytest.approx(2.0, rel=1e-12)
    assert summary.chi1 == pytest.approx(2.0, rel=1e-12)
    assert summary.phase == "chaotic"
    assert summary.q_star == math.inf


@pytest.mark.parametrize("sigma_w2", [0.5, 1.0, 2.0, 3.0, 7.25])
def test_relu_chi1_is_half_sigma_w2_whatever_q(sigma_w2: float) -> None:
    # E[relu'(z)^2] = P(z > 0) = 1/2 exactly, for every q: closed form, so rtol 1e-15.
    relu = activations.make("relu")
    for q in (1e-6, 1.0, 1e6):
        assert theory.chi1(relu, q, sigma_w2) == pytest.approx(sigma_w2 / 2.0, rel=1e-15)
    crit = theory.criticality(relu, sigma_w2, 0.0)
    assert crit.chi1 == pytest.approx(sigma_w2 / 2.0, rel=1e-15)


def test_he_relu_is_critical_with_constant_variance() -> None:
    # He: Var(W) = 2/n, sigma_w2 = 2, so q_l = (2/2) q_{l-1}: constant at q_1 = 2 E[x^2] = 2; the gradient
    # variance is multiplied by n (2/n) (1/2) = 1 per layer. Only rounding: rtol 1e-12.
    cfg = make_config(initializer="he_normal", activation="relu", depth=50)
    layers, summary = theory.predict(cfg)
    np.testing.assert_allclose(layers.preactivation_var, 2.0, rtol=1e-12)
    np.testing.assert_allclose(layers.activation_grad_std, 1.0, rtol=1e-12)
    # post-relu std of N(0, 2): sqrt(2) * sqrt(1/2 - 1/(2 pi))
    np.testing.assert_allclose(layers.activation_std, math.sqrt(2.0 * (0.5 - 1.0 / (2.0 * math.pi))), rtol=1e-12)
    assert summary.chi1 == pytest.approx(1.0, rel=1e-12)
    assert summary.phase == "critical"
    assert summary.depth_scale == math.inf
    assert summary.trainable_depth == math.inf
    assert summary.q_star == pytest.approx(2.0, rel=1e-12)


def test_relu_with_one_over_n_variance_halves_q_per_layer() -> None:
    # Var(W) = 1/n: q_l = q_{l-1}/2 and Var(dA_{l-1}) = Var(dA_l)/2. Over 30 layers the activation
    # gradient's std falls by 2^(-29/2) = 4.3e-5 (the "~4e-5 over 30 layers" of a 1/n-variance ReLU net). Closed form:
    # rtol 1e-12.
    n = 64
    cfg = make_config(
        initializer="normal", initializer_params={"std": 1.0 / math.sqrt(n)}, activation="relu", fan_in=n, depth=30
    )
    layers, summary = theory.predict(cfg)
    np.testing.assert_allclose(layers.preactivation_var, 0.5 ** np.arange(30), rtol=1e-12)
    ratio = layers.activation_grad_std[0] / layers.activation_grad_std[-1]
    assert ratio == pytest.approx(2.0**-14.5, rel=1e-12)
    assert 4.0e-5 < ratio < 4.5e-5
    assert summary.chi1 == pytest.approx(0.5, rel=1e-12)
    assert summary.phase == "ordered"
    assert summary.q_star == 0.0
    assert summary.depth_scale == pytest.approx(1.0 / math.log(2.0), rel=1e-12)
    assert summary.trainable_depth == pytest.approx(6.0 / math.log(2.0), rel=1e-12)


def test_post_relu_mean_and_std_of_a_unit_variance_preactivation() -> None:
    # mean = 1/sqrt(2 pi) = 0.398942, std = sqrt(1/2 - 1/(2 pi)) = 0.583819 (the rectified Gaussian's closed
    # forms). The closed form must match to rounding; the generic quadrature (which knows nothing of relu) to 1e-12, its
    # measured accuracy for a kink at 0.
    relu = activations.make("relu")
    m = theory.gaussian_moments(relu, 1.0)
    assert float(m.mean) == pytest.approx(0.398942, abs=5e-7)
    assert float(np.sqrt(m.var)) == pytest.approx(0.583819, abs=5e-7)
    assert float(m.mean) == pytest.approx(1.0 / SQRT_2PI, rel=1e-15)
    assert float(np.sqrt(m.var)) == pytest.approx(math.sqrt(0.5 - 1.0 / (2.0 * math.pi)), rel=1e-15)
    mean = theory.gaussian_expectation(lambda x: np.maximum(x, 0.0), 1.0)
    second = theory.gaussian_expectation(lambda x: np.maximum(x, 0.0) ** 2, 1.0)
    assert mean == pytest.approx(1.0 / SQRT_2PI, rel=1e-12)
    assert math.sqrt(second - mean**2) == pytest.approx(0.583819, abs=5e-7)
    # and predict() reports it for a layer with q = 1 (Var(W) = 1/n)
    cfg = make_config(initializer="normal", initializer_params={"std": 0.125}, activation="relu", depth=3)
    layers, _ = theory.predict(cfg)
    assert layers.activation_std[0] == pytest.approx(math.sqrt(0.5 - 1.0 / (2.0 * math.pi)), rel=1e-12)


@pytest.mark.parametrize("q", [1e-6, 1e-2, 1.0, 37.0, 1e4, 1e8])
def test_generic_quadrature_is_exact_at_the_relu_kink(q: float) -> None:
    # E[relu(x)^2] = q/2, E[step(x)] = 1/2, E[relu(x)] = sqrt(q / 2 pi): closed forms, fed to the
    # generic rule as plain functions. It splits at 0, so the kink costs nothing: rtol 1e-12.
    assert theory.gaussian_expectation(lambda x: np.maximum(x, 0.0) ** 2, q) == pytest.approx(q / 2, rel=1e-12)
    assert theory.gaussian_expectation(lambda x: (x > 0).astype(float), q) == pytest.approx(0.5, rel=1e-12)
    assert theory.gaussian_expectation(lambda x: np.maximum(x, 0.0), q) == pytest.approx(
        math.sqrt(q / (2.0 * math.pi)), rel=1e-12
    )


def test_leaky_relu_closed_form() -> None:
    # leaky(s): E[phi^2] = (1 + s^2) q / 2, E[phi'^2] = (1 + s^2)/2, E[phi] = (1 - s) sqrt(q / 2 pi);
    # checked against the generic quadrature of the same function (1e-12, its accuracy at a kink).
    s, q = 0.2, 3.0
    act = activations.make("leaky_relu", {"slope": s})
    m = theory.gaussian_moments(act, q)

    def leaky(x: FloatArray) -> FloatArray:
        return np.where(x > 0, x, s * x)

    assert float(m.second) == pytest.approx(theory.gaussian_expectation(lambda x: leaky(x) ** 2, q), rel=1e-12)
    assert float(m.mean) == pytest.approx(theory.gaussian_expectation(leaky, q), rel=1e-12)
    assert float(m.dphi2) == pytest.approx((1 + s * s) / 2, rel=1e-15)
    assert theory.fixed_point(act, 2.0 / (1 + s * s), 0.0, q0=5.0) == pytest.approx(5.0, rel=1e-12)


# ------------------------------------------------------------------------------------------ quadrature
def test_tanh_second_moment_at_unit_variance_matches_brute_force() -> None:
    # E[tanh(z)^2] = 0.394294... (brute force here; Simpson error < 1e-15 at q = 1). The rule's
    # measured relative error is ~1e-13: rtol 1e-11 leaves room, and a 1e-9 mistake would fail.
    reference = brute(tanh2, 1.0)
    assert reference == pytest.approx(0.394294, abs=5e-7)
    tanh = activations.make("tanh")
    assert theory.gaussian_expectation(tanh2, 1.0) == pytest.approx(reference, rel=1e-11)
    assert float(theory.gaussian_moments(tanh, 1.0).second) == pytest.approx(reference, rel=1e-11)
    assert float(theory.gaussian_moments(tanh, 1.0).dphi2) == pytest.approx(brute(sech4, 1.0), rel=1e-11)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "gelu", "silu", "softplus", "elu", "selu"])
def test_moments_of_every_smooth_activation_match_brute_force(name: str) -> None:
    # The activation's own phi and phi' (so gelu's erf approximation is integrated as the engine uses
    # it) over q from 1e-4 to 1e4. brute() is good to ~1e-10 at q = 1e4 (see its docstring): rtol 1e-9.
    act = activations.make(name)

    def phi(x: FloatArray) -> AnyFloatArray:
        return act.phi(x.copy())

    def dphi(x: FloatArray) -> AnyFloatArray:
        return act.dphi(x, act.phi(x.copy()))

    qs = np.array([1e-4, 0.3, 1.0, 2.5, 40.0, 1e4])
    m = theory.gaussian_moments(act, qs)
    for i, q in enumerate(qs):
        mean = brute(phi, q)
        second = brute(lambda x: phi(x) ** 2, q)
        assert m.second[i] == pytest.approx(second, rel=1e-9)
        assert m.dphi2[i] == pytest.approx(brute(lambda x: dphi(x) ** 2, q), rel=1e-9)
        assert m.mean[i] == pytest.approx(mean, rel=1e-9, abs=1e-13)
        # the variance is a difference: compare it absolutely at the scale of E[phi^2]
        assert m.var[i] == pytest.approx(second - mean * mean, rel=1e-8, abs=1e-12 * second)


@pytest.mark.parametrize("q", [1e-3, 0.5, 1.0, 4.0, 30.0])
def test_elu_moments_match_the_erfc_closed_form(q: float) -> None:
    # For x ~ N(0, q): E[e^(a x); x < 0] = e^(a^2 q / 2) Phi(-a sqrt q). Hence for elu(alpha):
    # E[phi] = sqrt(q / 2 pi) + alpha (e^(q/2) Phi(-sqrt q) - 1/2),
    # E[phi^2] = q/2 + alpha^2 (e^(2q) Phi(-2 sqrt q) - 2 e^(q/2) Phi(-sqrt q) + 1/2),
    # E[phi'^2] = 1/2 + alpha^2 e^(2q) Phi(-2 sqrt q). math.erfc is accurate to ~1e-15, and phi' has
    # its kink at 0: rtol 1e-11 (measured error ~1e-13).
    alpha = 1.3
    act = activations.make("elu", {"alpha": alpha})

    def lower(a: float) -> float:
        return math.exp(a * a * q / 2.0) * 0.5 * math.erfc(a * math.sqrt(q) / math.sqrt(2.0))

    mean = math.sqrt(q / (2.0 * math.pi)) + alpha * (lower(1.0) - 0.5)
    second = q / 2.0 + alpha**2 * (lower(2.0) - 2.0 * lower(1.0) + 0.5)
    dphi2 = 0.5 + alpha**2 * lower(2.0)
    m = theory.gaussian_moments(act, q)
    assert float(m.mean) == pytest.approx(mean, rel=1e-11)
    assert float(m.second) == pytest.approx(second, rel=1e-11)
    assert float(m.dphi2) == pytest.approx(dphi2, rel=1e-11)


def test_tanh_at_huge_variance_follows_its_asymptote() -> None:
    # For q -> inf: 1 - E[tanh^2] = E[sech^2] ~ 2 phi(0)/sqrt(q), E[sech^4] ~ (4/3) phi(0)/sqrt(q), with
    # corrections O(q^-3/2): at q = 1e12 these hold to ~1e-12 relative; the rule resolves the 1e-6-wide
    # transition in z: rtol 1e-8.
    q = 1e12
    phi0 = 1.0 / SQRT_2PI
    assert 1.0 - theory.gaussian_expectation(tanh2, q) == pytest.approx(2.0 * phi0 / math.sqrt(q), rel=1e-6)
    assert theory.gaussian_expectation(sech4, q) == pytest.approx(4.0 / 3.0 * phi0 / math.sqrt(q), rel=1e-8)


def test_limits_and_bad_values_never_raise() -> None:
    # q = 0 is z concentrated at 0 (relu' gives the average of its one-sided values, 1/2); q = inf is the
    # average of f(-inf) and f(+inf): inf for x^2, 1 for tanh^2. Negative or NaN q: NaN. No warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = theory.gaussian_expectation(lambda x: x * x, [0.0, 1.0, np.inf, -1.0, np.nan, 1e300, 1e308])
        assert values[0] == 0.0 and values[1] == pytest.approx(1.0, rel=1e-12) and values[2] == np.inf
        assert np.isnan(values[3]) and np.isnan(values[4]) and values[5] == pytest.approx(1e300, rel=1e-12)
        # x^2 at |x| = 10 sqrt(1e308) overflows on the way to the (representable) 1e308: inf is the answer
        assert values[6] == np.inf or values[6] == pytest.approx(1e308, rel=1e-12)
        assert theory.gaussian_expectation(tanh2, math.inf) == 1.0
        assert theory.gaussian_expectation(lambda x: (x > 0).astype(float), 0.0) == 0.5
        tanh = activations.make("tanh")
        m = theory.gaussian_moments(tanh, np.array([0.0, np.inf]))
        assert list(m.second) == [0.0, 1.0] and list(m.dphi2) == [1.0, 0.0]
        gelu = activations.make("gelu")
        assert float(theory.gaussian_moments(gelu, math.inf).second) == math.inf
        assert theory.variance_map(activations.make("relu"), math.inf, 2.0, 0.0) == math.inf


def test_table_used_by_predict_agrees_with_the_quadrature() -> None:
    # predict() reads an interpolated table (measured worst error 7e-8, gelu) instead of integrating at
    # every layer. Over 20 layers of an ordered map the errors add, not multiply: rtol 2e-6 (20 x 1e-7).
    for name, std in (("tanh", 0.2), ("gelu", 0.25), ("sigmoid", 0.5), ("selu", 0.125)):
        act = activations.make(name)
        cfg = make_config(initializer="normal", initializer_params={"std": std}, activation=name, depth=20)
        layers, _ = theory.predict(cfg)
        sw2 = 64 * std**2
        q = sw2
        expected_q, expected_std, expected_d2 = [], [], []
        for _ in range(20):
            expected_q.append(q)
            m = theory.gaussian_moments(act, q)
            expected_std.append(math.sqrt(float(m.var)))
            expected_d2.append(float(m.dphi2))
            q = sw2 * float(m.second)
        np.testing.assert_allclose(layers.preactivation_var, expected_q, rtol=2e-6)
        np.testing.assert_allclose(layers.activation_std, expected_std, rtol=2e-6)
        grad_var = np.ones(20)
        for layer in range(19, 0, -1):
            grad_var[layer - 1] = grad_var[layer] * sw2 * expected_d2[layer]
        np.testing.assert_allclose(layers.activation_grad_std, np.sqrt(grad_var), rtol=2e-6)


# ------------------------------------------------------------------------------------------ fixed points
@pytest.mark.parametrize("sigma_w2", [0.25, 0.5, 0.9, 0.999, 1.0])
def test_tanh_without_bias_and_sigma_w_at_most_one_collapses_to_zero(sigma_w2: float) -> None:
    # E[tanh(x)^2] < q for q > 0, so with sigma_b = 0 and sigma_w <= 1 the map pulls q to 0, where
    # chi_1 = sigma_w2 tanh'(0)^2 = sigma_w2 (Poole et al. 2016; critical at sigma_w = 1).
    tanh = activations.make("tanh")
    assert theory.fixed_point(tanh, sigma_w2, 0.0) == 0.0
    crit = theory.criticality(tanh, sigma_w2, 0.0)
    assert crit.q_star == 0.0
    assert crit.chi1 == pytest.approx(sigma_w2, rel=1e-12)
    assert crit.phase == ("critical" if sigma_w2 >= 1.0 - theory.PHASE_EPS else "ordered")


def test_tanh_just_above_sigma_w_one_has_a_small_positive_fixed_point() -> None:
    # Near 0, E[tanh(x)^2] = q - 2 q^2 + O(q^3), so sigma_w2 = 1 + e gives q* ~ e / 2. Brute-force
    # iteration of the map confirms the value to 1e-6 (its grid error); the O(e) correction is 1e-4.
    tanh = activations.make("tanh")
    eps = 1e-3
    q_star = theory.fixed_point(tanh, 1.0 + eps, 0.0)
    assert q_star == pytest.approx(eps / 2.0, rel=5e-3)
    assert (1.0 + eps) * brute(tanh2, q_star) == pytest.approx(q_star, rel=1e-9)


def test_tanh_fixed_point_matches_brute_force_iteration() -> None:
    # Iterating q -> 1.5 E[tanh^2] + 0.1 from q = 1 with the brute-force integral converges (the map's
    # slope at q* is < 0.5) to float precision in 60 steps; theory solves G(q) = 0 instead: rtol 1e-10.
    q = 1.0
    for _ in range(60):
        q = 1.5 * brute(tanh2, q, n=40_000) + 0.1
    assert theory.fixed_point(activations.make("tanh"), 1.5, 0.1) == pytest.approx(q, rel=1e-10)


def test_tanh_edge_of_chaos_at_sigma_b2_005_is_sigma_w2_176() -> None:
    # Poole et al. 2016 (Fig. 2) / Schoenholz et al. 2017 (Fig. 1): for tanh with sigma_b^2 = 0.05 the
    # order-to-chaos transition is at sigma_w^2 ~ 1.76. Brute force here, independent of theory.py:
    # parametrize the critical line by q*: sigma_w2(q) = (q - sigma_b2) / E[tanh^2], and chi_1(q) =
    # sigma_w2(q) E[sech^4] is increasing in q; bisect chi_1(q) = 1.
    sb2 = 0.05

    def chi_minus_one(q: float) -> tuple[float, float]:
        sw2 = (q - sb2) / brute(tanh2, q, n=40_000)
        return sw2 * brute(sech4, q, n=40_000) - 1.0, sw2

    lo, hi = 0.06, 5.0
    for _ in range(45):
        mid = 0.5 * (lo + hi)
        if chi_minus_one(mid)[0] > 0.0:
            hi = mid
        else:
            lo = mid
    q_c = 0.5 * (lo + hi)
    sw2_c = chi_minus_one(q_c)[1]
    assert sw2_c == pytest.approx(1.76, abs=0.005)  # the papers' figure, read to two decimals
    tanh = activations.make("tanh")
    crit = theory.criticality(tanh, sw2_c, sb2)
    # The brute-force q_c is good to ~1e-12 (Simpson with n = 40000 at q ~ 0.6, 45 bisections):
    # theory's q* and chi_1 must agree to 1e-9, and the phase must read critical.
    assert crit.q_star == pytest.approx(q_c, rel=1e-9)
    assert crit.chi1 == pytest.approx(1.0, abs=1e-9)
    assert crit.phase == "critical"
    # off the line by 2 % the phases separate (chi_1 moves by ~1 %, well outside PHASE_EPS = 1e-3)
    assert theory.criticality(tanh, 0.98 * sw2_c, sb2).phase == "ordered"
    assert theory.criticality(tanh, 1.02 * sw2_c, sb2).phase == "chaotic"
    # the phase diagram's (table-based) chi_1 agrees on the line to 1e-6 (table error 1e-7, amplified
    # near the root by at most 1/(1 - slope of the map) ~ 3)
    grid = theory.phase_grid(tanh, [0.98 * sw2_c, sw2_c, 1.02 * sw2_c], [sb2])
    assert grid.shape == (1, 3)
    assert grid[0, 0] < 1.0 - theory.PHASE_EPS < grid[0, 1] + 1e-6
    assert grid[0, 1] == pytest.approx(1.0, abs=1e-6)
    assert grid[0, 2] > 1.0 + theory.PHASE_EPS


def test_selu_fixed_point_is_unit_variance_with_lecun_weights() -> None:
    # Klambauer et al. 2017 chose SELU's alpha and scale so that E[selu(z)^2] = 1 for z ~ N(0, 1): with
    # sigma_w2 = 1 (LeCun) and no bias q* = 1. Brute force confirms E[selu(z)^2] = 1 to 1e-12; theory's
    # root to 1e-10.
    selu = activations.make("selu")
    assert brute(lambda x: selu.phi(x.copy()) ** 2, 1.0) == pytest.approx(1.0, abs=1e-12)
    assert theory.fixed_point(selu, 1.0, 0.0, q0=3.0) == pytest.approx(1.0, rel=1e-10)
    assert theory.fixed_point(selu, 1.0, 0.0, q0=0.2) == pytest.approx(1.0, rel=1e-10)


def test_unbounded_maps_without_a_fixed_point_report_inf_and_the_asymptotic_slope() -> None:
    relu = activations.make("relu")
    # relu, sigma_w2 > 2: q grows by sigma_w2/2 per layer, chi_1 = sigma_w2/2.
    crit = theory.criticality(relu, 3.0, 0.0)
    assert crit.q_star == math.inf and crit.chi1 == 1.5 and crit.phase == "chaotic"
    # no decorrelation scale: relu correlations approach 1 at any depth (1/ln chi_1 would be only the growth
    # scale of exploding gradients, not a depth scale of the theory)
    assert math.isnan(crit.depth_scale) and "never decorrelate" in crit.depth_note
    # sigma_w2 = 2 with a bias: q grows by sigma_b2 per layer, never settles; chi_1 = 1.
    crit = theory.criticality(relu, 2.0, 0.1)
    assert crit.q_star == math.inf and crit.chi1 == pytest.approx(1.0, rel=1e-15)
    # sigma_w2 < 2 with a bias: q* = sigma_b2 / (1 - sigma_w2/2)
    assert theory.fixed_point(relu, 1.0, 0.5) == pytest.approx(1.0, rel=1e-15)
    # gelu behaves like relu for large q: E[gelu'^2] -> 1/2, so chi_1 -> sigma_w2/2 (to 1e-12: the limit
    # is taken exactly, at q = inf)
    crit = theory.criticality(activations.make("gelu"), 50.0, 0.0)
    assert crit.q_star == math.inf and crit.chi1 == pytest.approx(25.0, rel=1e-12)


def test_variance_map_and_chi1_helpers() -> None:
    relu = activations.make("relu")
    np.testing.assert_allclose(theory.variance_map(relu, np.array([1.0, 4.0]), 3.0, 0.5), [2.0, 6.5], rtol=1e-15)
    tanh = activations.make("tanh")
    # at q = 0, tanh'(0) = 1: chi_1 = sigma_w2 exactly; the map at 0 is just sigma_b2
    assert theory.chi1(tanh, 0.0, 1.7) == 1.7
    assert theory.variance_map(tanh, 0.0, 1.7, 0.05) == 0.05
    assert theory.variance_map(tanh, 1.0, 2.0, 0.1) == pytest.approx(2.0 * brute(tanh2, 1.0) + 0.1, rel=1e-11)


def test_depth_scale_and_phase() -> None:
    assert theory.depth_scale(0.5) == pytest.approx(1.0 / math.log(2.0), rel=1e-15)
    assert theory.depth_scale(2.0) == pytest.approx(1.0 / math.log(2.0), rel=1e-15)
    assert theory.depth_scale(1.0) == math.inf
    assert theory.depth_scale(1.0 + 2e-16) == math.inf  # rounding of sqrt(2)^2, not a finite 4.5e15
    assert theory.depth_scale(0.999) == pytest.approx(-1.0 / math.log(0.999), rel=1e-15)
    assert math.isnan(theory.depth_scale(math.nan))
    eps = theory.PHASE_EPS
    assert [theory.phase_of(c) for c in (0.5, 1.0 - 2 * eps, 1.0, 1.0 + 2 * eps, 3.0)] == [
        "ordered",
        "ordered",
        "critical",
        "chaotic",
        "chaotic",
    ]
    assert theory.phase_of(math.nan) == ""


def test_phase_grid_relu_is_sigma_w2_over_two() -> None:
    grid = theory.phase_grid(activations.make("relu"), [1.0, 2.0, 4.0], [0.0, 0.3])
    np.testing.assert_allclose(grid, [[0.5, 1.0, 2.0], [0.5, 1.0, 2.0]], rtol=1e-15)


# ------------------------------------------------------------------------------------------ predict
def test_layers_use_their_own_fans_forward_and_backward() -> None:
    # widths 64, 32, 128, 10 after fan_in 48; Var(W) = s^2 everywhere, linear: q_l = fan_in_l s^2 q_{l-1},
    # Var(dA_{l-1}) = fan_out_l s^2 Var(dA_l). Closed form: rtol 1e-12.
    s = 0.1
    cfg = make_config(
        initializer="normal",
        initializer_params={"std": s},
        activation="linear",
        fan_in=48,
        width=(64, 32, 128, 10),
        depth=None,
    )
    layers, summary = theory.predict(cfg)
    fans = [(48, 64), (64, 32), (32, 128), (128, 10)]
    q, expected = 1.0, []
    for fi, _ in fans:
        q *= fi * s * s
        expected.append(q)
    np.testing.assert_allclose(layers.preactivation_var, expected, rtol=1e-12)
    g, grads = 1.0, [1.0]
    for _, fo in reversed(fans[1:]):
        g *= fo * s * s
        grads.append(g)
    np.testing.assert_allclose(layers.activation_grad_std, np.sqrt(grads[::-1]), rtol=1e-12)
    # every layer has its own map, one layer each: the tie goes to the deepest map
    assert summary.sigma_w2 == pytest.approx(128 * s * s, rel=1e-12) and summary.maps == 4


def test_bias_enters_as_its_second_moment() -> None:
    # bias ~ N(0.2, 0.1^2): sigma_b2 = E[b^2] = 0.01 + 0.04 = 0.05; He relu: q_1 = 2 + 0.05, then
    # q_l = q_{l-1} + 0.05 (sigma_w2 / 2 = 1). Closed form: rtol 1e-12.
    cfg = make_config(
        initializer="he_normal", activation="relu", bias="normal", bias_params={"mean": 0.2, "std": 0.1}, depth=5
    )
    layers, summary = theory.predict(cfg)
    assert summary.sigma_b2 == pytest.approx(0.05, rel=1e-12)
    np.testing.assert_allclose(layers.preactivation_var, 2.0 + 0.05 * np.arange(1, 6), rtol=1e-12)
    assert summary.q_star == math.inf  # sigma_w2 = 2 with a bias: no fixed point


def test_input_second_moment_scales_the_first_layer() -> None:
    cfg = make_config(initializer="he_normal", activation="relu", depth=3)
    layers, _ = theory.predict(cfg, input_second_moment=3.0)
    np.testing.assert_allclose(layers.preactivation_var, 6.0, rtol=1e-12)


def test_predicted_saturation_follows_the_gaussian_tail() -> None:
    # tanh: P(|z| > atanh(0.97)) = 2 (1 - Phi(atanh(0.97)/sqrt q)); sigmoid: |2 sigmoid(z) - 1| =
    # |tanh(z/2)| > 0.97, so the threshold is 2 atanh(0.97). Written here with math.erf (theory uses
    # erfc): rtol 1e-12. Undefined (NaN) for relu.
    t = math.atanh(0.97)
    for name, threshold in (("tanh", t), ("sigmoid", 2.0 * t)):
        cfg = make_config(initializer="normal", initializer_params={"std": 0.5}, activation=name, depth=4)
        layers, _ = theory.predict(cfg)
        for q, sat in zip(layers.preactivation_var, layers.saturated_fraction, strict=True):
            expected = 2.0 * (1.0 - 0.5 * (1.0 + math.erf(threshold / math.sqrt(q) / math.sqrt(2.0))))
            assert sat == pytest.approx(expected, rel=1e-9)
    layers, _ = theory.predict(make_config(activation="relu"))
    assert np.isnan(layers.saturated_fraction).all()


@pytest.mark.parametrize("name", list(activations.NAMES))
@pytest.mark.parametrize("std", [None, 1.0, 0.01])
def test_depth_10000_gives_finite_or_inf_numbers_without_warnings(name: str, std: float | None) -> None:
    # He (None), a far too large std (overflow to inf for unbounded activations) and a far too small one
    # (underflow to 0). Every prediction is a number or +-inf, never NaN, and no warning escapes.
    init = (
        {"initializer": "he_normal"} if std is None else {"initializer": "normal", "initializer_params": {"std": std}}
    )
    cfg = make_config(activation=name, fan_in=16, depth=10000, batch=4, **init)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers, summary = theory.predict(cfg)
    for values in (layers.preactivation_var, layers.activation_std, layers.activation_grad_std):
        assert values.shape == (10000,)
        assert not np.isnan(values).any()
        assert (values >= 0.0).all()
    if name in ("tanh", "sigmoid"):
        assert ((layers.saturated_fraction >= 0.0) & (layers.saturated_fraction <= 1.0)).all()
    assert summary.applicable
    assert not math.isnan(summary.q_star) and not math.isnan(summary.chi1)
    assert summary.phase in ("ordered", "critical", "chaotic")


# ------------------------------------------------------------------------------------------ not applicable
@pytest.mark.parametrize(
    ("initializer", "params", "says"),
    [
        ("zeros", {}, "every weight"),
        ("constant", {"value": 0.5}, "every weight"),
        ("identity", {}, "deterministic"),
        ("lsuv", {}, "data-dependent"),
        ("uniform", {"low": 0.0, "high": 1.0}, "non-zero mean"),
        ("normal", {"mean": 0.1, "std": 0.05}, "non-zero mean"),
        ("kotlindl_he_uniform", {}, "non-zero mean"),
    ],
)
def test_theory_not_applicable(initializer: str, params: dict[str, float], says: str) -> None:
    cfg = make_config(initializer=initializer, initializer_params=params, activation="tanh", depth=7)
    layers, summary = theory.predict(cfg)
    assert summary.applicable is False
    assert says in summary.reason
    for values in (
        layers.preactivation_var,
        layers.activation_std,
        layers.saturated_fraction,
        layers.activation_grad_std,
    ):
        assert values.shape == (7,) and np.isnan(values).all()
    assert math.isnan(summary.q_star) and math.isnan(summary.chi1) and summary.phase == ""


def test_symmetric_uniform_is_applicable() -> None:
    # The default uniform(-0.05, 0.05) has mean 0: theory applies, sigma_w2 = n b^2 / 3.
    cfg = make_config(initializer="uniform", activation="relu")
    _, summary = theory.predict(cfg)
    assert summary.applicable
    assert summary.sigma_w2 == pytest.approx(64 * 0.05**2 / 3.0, rel=1e-12)


# ------------------------------------------------------------------------------------------ depth scales
def test_chaotic_tanh_depth_scale_is_xi_c_at_the_stable_correlation() -> None:
    # Schoenholz et al. 2017: in the chaotic phase the depth scale is xi_c = -1/ln chi_c with chi_c the
    # correlation map's slope at its stable c* < 1. tanh, sigma_w = 5/3 (torch's gain), sigma_b = 0: the map is
    # odd, c* = 0, and chi_c = sigma_w^2 E[tanh'(u)]^2 (u1, u2 independent at c = 0), by the 1-D quadrature.
    # The independent figures: chi_c 0.9208, xi_c 12.12, trainable depth 72.7 (1 %); the old
    # readout (1/ln chi_1 = 5.25, trainable 31.5) fails.
    act = activations.make("tanh")
    sw2 = (5.0 / 3.0) ** 2
    crit = theory.criticality(act, sw2, 0.0)
    assert crit.phase == "chaotic" and abs(crit.c_star) < 1e-9
    mean_slope = theory.gaussian_expectation(lambda x: 1.0 - np.tanh(x) ** 2, crit.q_star)
    assert crit.chi_c == pytest.approx(sw2 * mean_slope**2, rel=1e-9)
    assert crit.depth_scale == pytest.approx(12.12, rel=0.01)
    assert crit.trainable_depth == pytest.approx(72.7, rel=0.01)


def test_selu_depth_scale_uses_chi_c_whose_closed_form_is_known() -> None:
    # SELU with LeCun weights sits at q* = 1 with E[selu] = 0, so c* = 0 and chi_c = E[selu'(z)]^2 with
    # E[selu'] = scale (1/2 + alpha e^(1/2) Phi(-1)) in closed form: chi_c 0.97068, xi_c 33.6, trainable 201.6.
    act = activations.make("selu")
    crit = theory.criticality(act, 1.0, 0.0)
    phi_minus_1 = 0.5 * math.erfc(1.0 / math.sqrt(2.0))
    slope = activations.SELU_SCALE * (0.5 + activations.SELU_ALPHA * math.exp(0.5) * phi_minus_1)
    assert crit.phase == "chaotic"
    assert crit.chi_c == pytest.approx(slope**2, rel=1e-9)
    assert crit.trainable_depth == pytest.approx(-6.0 / math.log(slope**2), rel=1e-9)


def test_correlation_map_at_c_1_is_the_variance_map_and_its_slope_chi_1() -> None:
    from initscope.engine import correlation

    for name, sw2, sb2 in (("tanh", 2.0, 0.05), ("selu", 1.0, 0.0), ("sigmoid", 150.0, 0.0), ("elu", 1.5, 0.1)):
        act = activations.make(name)
        q = theory.fixed_point(act, sw2, sb2)
        assert correlation.correlation_map(act, q, 1.0, sw2, sb2) == pytest.approx(1.0, rel=1e-9)
        assert correlation.chi_c(act, q, 1.0, sw2) == pytest.approx(theory.chi1(act, q, sw2), rel=1e-9)


def test_relu_like_chaos_has_no_decorrelation_scale() -> None:
    # relu with sigma_w^2 = 256 (chi_1 = 128): q* = inf and correlations approach 1, so there is no
    # decorrelation depth scale (the old readout said 'decorrelate within 1.24 layers').
    crit = theory.criticality(activations.make("relu"), 256.0, 0.0)
    assert crit.phase == "chaotic" and math.isnan(crit.depth_scale) and math.isnan(crit.trainable_depth)
    assert "never decorrelate" in crit.depth_note


def test_summary_describes_the_map_most_layers_share() -> None:
    # fan-in 256 then width 50 under xavier/relu: layer 1 has sigma_w^2 = 256 * 2/306 = 1.67 (chi_1 0.84),
    # the other nine 50 * 2/100 = 1 (chi_1 0.5). The nine decide: ordered, trainable depth 6/ln 2 = 8.7 < 10.
    cfg = Config(initializer="xavier_normal", activation="relu", fan_in=256, width=50, depth=10)
    _, s = theory.predict(cfg)
    assert s.sigma_w2 == pytest.approx(1.0, rel=1e-12) and s.chi1 == pytest.approx(0.5, rel=1e-12)
    assert s.trainable_depth == pytest.approx(6.0 / math.log(2.0), rel=1e-12) and s.maps == 2


@pytest.mark.parametrize("order", [8, 12])
def test_the_stored_gauss_legendre_rules_are_numpys_to_the_last_bit(order: int) -> None:
    """The theory reads its rules as literal numbers (no numpy.polynomial import): they must be the ones
    `leggauss` computes, or every theory number would shift."""
    from initscope.engine import gauss_legendre

    nodes, weights = gauss_legendre.rule(order)
    expected_nodes, expected_weights = np.polynomial.legendre.leggauss(order)
    assert np.array_equal(nodes, expected_nodes)
    assert np.array_equal(weights, expected_weights)
