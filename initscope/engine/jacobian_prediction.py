"""The free-probability prediction of the input-output Jacobian's spectrum at init (no weights drawn).

Prediction (Pennington, Schoenholz & Ganguli 2017, "Resurrecting the sigmoid in deep learning through
dynamical isometry", NeurIPS, §2.3-2.5): S-transforms of free matrices multiply, S_{JJ^T} = prod_l
S_{W_l W_l^T} S_{D_l^2}. Expanding S(z) = (1/m_1)(1 - v z + ...) with v = m_2/m_1^2 - 1 (the normalized
variance) shows that under products the first moments multiply and the normalized variances add:

    mean(JJ^T)       = prod_l sigma_w^2 mu_1(q_l)                     (= chi_1^L at the fixed point)
    var(JJ^T)/mean^2 = sum_l (mu_2(q_l)/mu_1(q_l)^2 - 1 - s_1)

with mu_k(q) = E[phi'(sqrt(q) z)^(2k)], s_1 = -1 for i.i.d. weights (Marchenko-Pastur: v = 1) and 0 for
orthogonal ones (W W^T = g^2 I). At the fixed point with chi_1 = 1 this is the paper's
sigma^2_{JJ^T} = L (mu_2/mu_1^2 - 1 - s_1). We generalise in two ways and say so: off criticality the mean
is chi_1^L and the variance mean^2 times the same sum; and the sum runs over the layers' own q_l (the
mean-field recursion from this input), not q*, so the transient before the fixed point counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from initscope.engine import activations, initializers, theory
from initscope.engine.activations import Activation
from initscope.engine.arrays import FloatArray
from initscope.engine.config import Config


@dataclass
class SpectrumPrediction:
    """Free-probability prediction of the eigenvalues of J J^T (Pennington et al. 2017).

    NaN fields (and `applicable` False with a `reason`) where the assumptions fail: mean field does not
    apply (zero/constant/identity/lsuv, non-zero-mean weights), or the net is not square.
    """

    applicable: bool
    reason: str
    s1: float = math.nan
    """0 for orthogonal weights (W W^T = g^2 I); -1 for every i.i.d. draw (normal, uniform, truncated,
    sparse: their W W^T follows Marchenko-Pastur at large width)."""
    q_star: float = math.nan
    chi1: float = math.nan
    mu1: float = math.nan
    """E[phi'(h)^2] at q*."""
    mu2: float = math.nan
    """E[phi'(h)^4] at q*."""
    critical_var: float = math.nan
    """The paper's L (mu_2/mu_1^2 - 1 - s_1) at q*: the eigenvalue variance when chi_1 = 1 (mean 1)."""
    mean: float = math.nan
    """prod_l sigma_w^2 mu_1(q_l) over this input's mean-field q_l: chi_1^L at the fixed point."""
    log10_mean: float = math.nan
    """log10 of `mean`, finite where `mean` over/underflows."""
    normalized_var: float = math.nan
    """sum_l (mu_2/mu_1^2 - 1 - s_1)(q_l): var / mean^2, scale-free."""
    var: float = math.nan
    """mean^2 * normalized_var."""


def dphi_moments(act: Activation, q: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """(mu_1, mu_2) = (E[phi'(sqrt(q) z)^2], E[phi'(sqrt(q) z)^4]) for z ~ N(0, 1), arrays shaped like q.

    Uses the theory module's kink-exact quadrature (relu's step derivative is integrated exactly)."""
    qs = np.asarray(q, dtype=np.float64)
    flat = qs.reshape(-1)
    unique, inverse = np.unique(flat, return_inverse=True)

    def power(k: int) -> Callable[[FloatArray], FloatArray]:
        def f(x: FloatArray) -> FloatArray:
            d = np.asarray(act.dphi(x, act.phi(x.copy())), dtype=np.float64)
            return np.asarray(d**k, dtype=np.float64)

        return f

    with np.errstate(all="ignore"):
        m1 = theory.gaussian_expectation(power(2), unique)
        m2 = theory.gaussian_expectation(power(4), unique)
    return m1[inverse].reshape(qs.shape), m2[inverse].reshape(qs.shape)


def _s1(cfg: Config) -> float:
    return 0.0 if initializers.lookup(cfg.initializer).name == "orthogonal" else -1.0


def predict_spectrum(cfg: Config, input_second_moment: float = 1.0) -> SpectrumPrediction:
    """The free-probability mean and variance of the eigenvalues of J J^T for `cfg` (no weights drawn).

    `input_second_moment` is mean(x^2) of the input the Jacobian is taken at (1 for the built-in inputs
    on average). Square nets only (fan_in = every width): the S-transform of a rectangular W W^T has other
    moments, not derived here.
    """
    layers, summary = theory.predict(cfg, input_second_moment=input_second_moment)
    if not summary.applicable:
        return SpectrumPrediction(False, summary.reason)
    if any(w != cfg.fan_in for w in cfg.widths):
        return SpectrumPrediction(
            False,
            "the free-probability prediction is derived for square nets "
            f"(fan_in = every width); this net has fan_in {cfg.fan_in} and widths "
            f"{min(cfg.widths)}..{max(cfg.widths)}",
        )
    act = activations.make(cfg.activation, dict(cfg.activation_params))
    s1 = _s1(cfg)
    sw2 = summary.sigma_w2
    depth = cfg.n_layers
    with np.errstate(all="ignore"):
        mu1_star, mu2_star = (float(v) for v in dphi_moments(act, summary.q_star))
        critical = depth * (mu2_star / (mu1_star * mu1_star) - 1.0 - s1)
        mu1, mu2 = dphi_moments(act, layers.preactivation_var)
        per_layer = mu2 / (mu1 * mu1) - 1.0 - s1
        normalized = float(np.sum(per_layer))
        log10_mean = float(np.sum(np.log10(sw2 * mu1)))
        mean = math.inf if log10_mean >= 308.0 else 10.0**log10_mean  # NaN stays NaN
        var = mean * mean * normalized
    return SpectrumPrediction(
        True, "", s1, summary.q_star, summary.chi1, mu1_star, mu2_star, critical, mean, log10_mean, normalized, var
    )
