"""Seed ensembles: the finite-width spread of per-layer statistics, measured and (relu-like) predicted.

Why: mean field predicts the infinite-width curve; a real net of width n is one draw around it, and the
draws spread more with depth (Hanin & Rolnick 2018, "How to start training: the effect of initialization
and architecture", NeurIPS: the variance of the log of the activations' squared length grows as
sum_l 1/n_l, their failure mode FM2). K seeds (cfg.seed, cfg.seed + 1, ...; each seed draws new weights
AND a new input batch, exactly as `run` does) give per-layer quantile bands of the forward and backward std.

The prediction, derived here for positively homogeneous activations (linear, relu, leaky_relu) with zero
bias. Let S_l = mean of A_l^2 over the batch and the units (= std^2 + mean^2 of the layer's activations).
For one input (batch 1) and i.i.d. zero-mean weights with Var(W) = sigma_w^2 / n_{l-1}: given layer l-1,
the n_l pre-activations of layer l are i.i.d. N(0, sigma_w^2 S_{l-1}) whatever the direction of a_{l-1}
(rotation invariance), so S_l / S_{l-1} = sigma_w^2 * mean_j phi(z_j)^2 with z_j ~ N(0, 1) i.i.d., and the
log-ratios of successive layers are INDEPENDENT. Each has variance C / n_l + O(1/n_l^2) with

    C = E[phi(z)^4] / E[phi(z)^2]^2 - 1 = 6 (1 + s^4) / (1 + s^2)^2 - 1     (leaky slope s),

so relu (s = 0) gives 5 (Hanin & Rolnick's constant), linear (s = 1) gives 2 (a chi-square), and

    Var[ln S_l] = Var[ln S_0] + C * sum_{j <= l} 1 / n_j                      (batch 1).

sigma_w^2 drops out: a wrong gain moves the median, not the spread. For non-Gaussian i.i.d. weights the
difference is O(1/n^2) per layer. For square orthogonal weights ||z|| = g ||a|| exactly and only the
sign pattern fluctuates: C_orth = C - 2 (relu: 3; linear: 0), derived for batch 1 only (and exactly at
finite n through a Beta law, see `_layer_vars`).

A batch is NOT one sample's norm: the B rows share the weights, so their fluctuations are correlated by
the correlation rho_l of two rows' pre-activations (0 at the input for random rows, then 1/pi after one
relu layer, tending to 1 with depth). Per layer the factor on C/n_l becomes 1/B + (1 - 1/B) g(rho_l) with
g(rho) = Cov(phi(z)^2, phi(z')^2) / Var(phi(z)^2) for unit normals of correlation rho (arc-cosine kernels,
Cho & Saul 2009), and rho_{l+1} = E[phi(z) phi(z')] / E[phi^2] (the correlation map, Poole et al. 2016).
Check by simulation (relu, He, width 64, depth 20, 3000 seeds, Var of ln S_20): batch 1 measured 1.63,
predicted 1.69 (5 sum 1/n alone: 1.56); batch 256 measured 1.15, predicted 1.15 -- there 5 sum 1/n would
say 1.56, and at layer 2 it says 0.156 where a batch of 256 measures 0.019. For relu and linear layers
(Gaussian or orthogonal) the per-layer term is exact at finite n (`_layer_vars`); leaky relu uses C / n.

Var[ln S_0]: normal input psi_1(B n_0 / 2) (a chi-square with B n_0 degrees), uniform 0.8 / (B n_0), a file
input 0 (its rows do not change with the seed).
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from initscope.engine import initializers, theory
from initscope.engine.arrays import FloatArray, IntArray
from initscope.engine.config import Config
from initscope.engine.errors import ConfigError
from initscope.engine.inputs import make_input
from initscope.engine.limits import ENSEMBLE_SEEDS, MAX_SEED
from initscope.engine.propagate import run
from initscope.engine.result import TheoryLayers
from initscope.engine.special import chi2_quantile, digamma, trigamma
from initscope.engine.streams import Stream, layer_rng

Progress = Callable[[int, int], None]

DEFAULT_K = 8
MAX_K = ENSEMBLE_SEEDS[1]
QUANTILES = (0.1, 0.5, 0.9)
Z90 = 1.2815515655446004
"""Standard normal 90 % quantile: the predicted 10 / 90 % band is median -+ Z90 sd."""
HOMOGENEOUS = ("linear", "relu", "leaky_relu")
_LN10 = math.log(10.0)
_MAX_PAIR_ROWS = 32
"""A file input's pair correlations are taken from its first 32 batch rows (496 pairs)."""
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(9)
"""Gauss-Hermite (probabilists') rule for the input correlation of two random rows, N(0, 1/n_0)."""


@dataclass
class Band:
    """One statistic per layer across seeds: quantiles over the seeds that reached the layer."""

    min: FloatArray
    q10: FloatArray
    median: FloatArray
    q90: FloatArray
    max: FloatArray
    count: IntArray
    """Seeds with a finite value at each layer (fewer where a seed overflowed or was cancelled)."""
    values: FloatArray
    """(k, depth): every seed's curve, NaN where not computed."""


@dataclass
class SpreadPrediction:
    """Finite-width prediction of the seed-to-seed spread of the activations (see the module docstring)."""

    applicable: bool
    reason: str
    coefficient: float = math.nan
    """C: Var of one layer's log-ratio is C / n_l (relu 5, linear 2; orthogonal C - 2)."""
    hanin_rolnick: FloatArray | None = None
    """C * sum_{j <= l} 1 / n_j: the one-sample leading-order formula (no input, no batch correction)."""
    log_sq_norm_var: FloatArray | None = None
    """Predicted Var over seeds of ln S_l (S_l = mean of A_l^2), with the input term and the batch factor."""
    batch_factor: FloatArray | None = None
    """Per layer 1/B + (1 - 1/B) g(rho_l): 1 for batch 1, smaller where the rows are decorrelated."""
    log10_std_q10: FloatArray | None = None
    """Predicted 10 % quantile of log10(activation std): centre log10(theory std) - V/(4 ln 10), sd
    sqrt(V)/(2 ln 10), V = log_sq_norm_var (lognormal; std^2 and S differ by a factor that does not
    fluctuate with depth)."""
    log10_std_median: FloatArray | None = None
    log10_std_q90: FloatArray | None = None


@dataclass
class EnsembleResult:
    """K runs of the same config with consecutive seeds, reduced to bands per layer."""

    config: Config
    k: int
    """Seeds completed (the requested K unless cancelled)."""
    seeds: tuple[int, ...]
    activation_std: Band
    preactivation_std: Band
    activation_grad_std: Band
    log_sq_norm: FloatArray
    """(k, depth): ln S_l per seed, S_l = std^2 + mean^2 of A_l (mean square over batch and units)."""
    log_sq_norm_var: FloatArray
    """Measured Var over seeds (ddof 1) of ln S_l per layer: what `prediction.log_sq_norm_var` predicts."""
    log_sq_norm_var_low: FloatArray
    """5 % quantile of the sample variance of k draws if the prediction is right (chi-square, k - 1 df)."""
    log_sq_norm_var_high: FloatArray
    """95 % quantile of the same: a measured value outside [low, high] is a 10 % event."""
    prediction: SpreadPrediction
    theory: TheoryLayers
    """Mean-field (infinite-width) curves for the centre line, at the seeds' expected input E[x^2]."""
    cancelled: bool = False
    elapsed_s: float = 0.0


# ------------------------------------------------------------------------------------------ relu layers
@lru_cache(maxsize=64)
def relu_layer_var(n: int) -> float:
    """Exact Var of one layer's log-ratio ln(S_l / S_{l-1}) for relu, Gaussian weights, batch 1, width n.

    sum_j relu(z_j)^2 is chi-square with K ~ Binomial(n, 1/2) degrees (the live units), and ln of a
    chi-square with K degrees has mean psi(K/2) + ln 2 and variance psi_1(K/2); by total variance the answer
    is E[psi_1(K/2)] + Var[psi(K/2)] over K >= 1 (K = 0, a dead layer, has probability 2^-n and no log).
    5/n + O(1/n^2): 1.062 x 5/n at n = 64, 1.015 x at 256.
    """
    k = np.arange(1, n + 1, dtype=np.float64)
    log_p = np.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in range(1, n + 1)])
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    psi = digamma(0.5 * k)
    mean = float(np.dot(p, psi))
    return float(np.dot(p, trigamma(0.5 * k)) + np.dot(p, (psi - mean) ** 2))


# ------------------------------------------------------------------------------------------ homogeneous kernels
def _k1(rho: FloatArray) -> FloatArray:
    """E[relu(z) relu(z')] for unit normals of correlation rho (arc-cosine kernel of degree 1)."""
    theta = np.arccos(np.clip(rho, -1.0, 1.0))
    return np.asarray((np.sin(theta) + (math.pi - theta) * np.cos(theta)) / (2.0 * math.pi), dtype=np.float64)


def _k2(rho: FloatArray) -> FloatArray:
    """E[relu(z)^2 relu(z')^2] (arc-cosine kernel of degree 2): 3/2 at rho = 1, 1/4 at rho = 0."""
    theta = np.arccos(np.clip(rho, -1.0, 1.0))
    c = np.cos(theta)
    return np.asarray(
        (3.0 * np.sin(theta) * c + (math.pi - theta) * (1.0 + 2.0 * c * c)) / (2.0 * math.pi), dtype=np.float64
    )


def _slope(name: str, params: dict[str, float]) -> float:
    return {"linear": 1.0, "relu": 0.0}.get(name, params.get("slope", 0.0))


def coefficient(name: str, params: dict[str, float] | None = None) -> float:
    """C = E[phi^4]/E[phi^2]^2 - 1 for z ~ N(0, 1): 5 for relu, 2 for linear, 6(1+s^4)/(1+s^2)^2 - 1 leaky."""
    s = _slope(name, params or {})
    return 6.0 * (1.0 + s**4) / (1.0 + s * s) ** 2 - 1.0


def _correlation_map(s: float, rho: FloatArray) -> FloatArray:
    """rho -> E[phi(z) phi(z')] / E[phi^2] for phi = leaky relu with slope s (s = 1: identity)."""
    return ((1.0 + s * s) * _k1(rho) - 2.0 * s * _k1(-rho)) / (0.5 * (1.0 + s * s))


def _g(s: float, rho: FloatArray) -> FloatArray:
    """Cov(phi(z)^2, phi(z')^2) / Var(phi(z)^2): the share of one row's fluctuation another row shares."""
    second = 0.5 * (1.0 + s * s)
    var = 1.5 * (1.0 + s**4) - second * second
    joint = (1.0 + s**4) * _k2(rho) + 2.0 * s * s * _k2(-rho)
    return (joint - second * second) / var


# ------------------------------------------------------------------------------------------ prediction
def _input_log_var(cfg: Config) -> float:
    """Var over seeds of ln(mean of X^2) of the input batch."""
    m = cfg.batch * cfg.fan_in
    if cfg.input == "normal":
        return float(trigamma(0.5 * m))
    if cfg.input == "uniform":
        return 0.8 / m  # Var(x^2) = 9/5 - 1 for U(-sqrt3, sqrt3)
    return 0.0


def input_second_moment(cfg: Config) -> float:
    """E[x^2] of the input over seeds: 1 for the generated inputs, the file's batch mean for a file."""
    if cfg.input in ("normal", "uniform"):
        return 1.0
    rows = make_input(cfg.input, cfg.batch, cfg.fan_in, layer_rng(cfg.seed, Stream.INPUT, 0), np.float64)
    return float(np.mean(np.square(rows)))


def _initial_pairs(cfg: Config) -> tuple[FloatArray, FloatArray]:
    """Correlations of pairs of distinct input rows and their weights (summing to 1)."""
    if cfg.input in ("normal", "uniform"):
        rho = np.clip(_GH_NODES / math.sqrt(cfg.fan_in), -1.0, 1.0)
        return rho, _GH_WEIGHTS / _GH_WEIGHTS.sum()
    rows = make_input(
        cfg.input, min(cfg.batch, _MAX_PAIR_ROWS), cfg.fan_in, layer_rng(cfg.seed, Stream.INPUT, 0), np.float64
    ).astype(np.float64)
    norms = np.linalg.norm(rows, axis=1)
    norms[norms == 0.0] = 1.0
    unit = rows / norms[:, None]
    i, j = np.triu_indices(rows.shape[0], k=1)
    rho = np.einsum("ij,ij->i", unit[i], unit[j])
    return rho, np.full(rho.size, 1.0 / max(rho.size, 1))


def _layer_vars(name: str, orthogonal: bool, c: float, widths: tuple[int, ...]) -> FloatArray:
    """One layer's log-ratio variance for one input: exact for relu and linear, else C / n.

    Gaussian: relu `relu_layer_var(n)`, linear psi_1(n/2) (a chi-square with n degrees). Orthogonal
    (Haar, square): z = a W is uniform on a sphere, so sum_live z_j^2 / ||z||^2 ~ Beta(K/2, (n - K)/2) with
    K ~ Binomial(n, 1/2), and Var ln Beta(a, b) = psi_1(a) - psi_1(a + b): relu_layer_var(n) - psi_1(n/2)
    (3/n + O(1/n^2); 3.28/n at n = 64), and 0 for linear (the norm is kept exactly).
    """

    def one(n: int) -> float:
        if name not in ("relu", "linear"):
            return c / n
        chi2 = float(trigamma(0.5 * n))
        if name == "linear":
            return 0.0 if orthogonal else chi2
        return relu_layer_var(n) - (chi2 if orthogonal else 0.0)

    table = {n: one(n) for n in set(widths)}
    return np.array([table[n] for n in widths], dtype=np.float64)


def predict_spread(cfg: Config) -> SpreadPrediction:
    """Predicted seed-to-seed variance of ln S_l and the band of log10(activation std) (module docstring)."""
    depth = cfg.n_layers
    if not cfg.plain:
        return SpreadPrediction(
            False,
            "the spread is predicted for plain MLPs (no residual blocks, no norm): its "
            "layers contribute independent log-ratios",
        )
    if cfg.activation not in HOMOGENEOUS:
        return SpreadPrediction(
            False,
            f"the spread is predicted for positively homogeneous activations "
            f"({', '.join(HOMOGENEOUS)}), where layers contribute independent log-ratios; "
            f"{cfg.activation} mixes the scale into the fluctuations",
        )
    if cfg.bias != "zeros":
        return SpreadPrediction(
            False,
            "the spread is predicted for zero bias (a bias breaks the scale "
            "invariance that makes the layers' log-ratios independent)",
        )
    layers, summary = theory.predict(cfg, input_second_moment=input_second_moment(cfg))
    if not summary.applicable:
        return SpreadPrediction(False, summary.reason)
    orthogonal = initializers.lookup(cfg.initializer).name == "orthogonal"
    if orthogonal and (cfg.batch != 1 or any(fi != fo for fi, fo in cfg.layer_fans)):
        return SpreadPrediction(
            False,
            "for orthogonal weights the spread is derived for square layers and "
            "batch 1 only (C = 3 for relu); set batch=1 to see it",
        )
    s = _slope(cfg.activation, dict(cfg.activation_params))
    c = coefficient(cfg.activation, dict(cfg.activation_params)) - (2.0 if orthogonal else 0.0)
    inv_widths = 1.0 / np.asarray(cfg.widths, dtype=np.float64)
    factor = np.ones(depth)
    if cfg.batch > 1:
        rho, weight = _initial_pairs(cfg)
        share = 1.0 / cfg.batch
        for i in range(depth):
            g = float(np.dot(weight, _g(s, rho)))
            factor[i] = share + (1.0 - share) * g
            rho = _correlation_map(s, rho)
    hanin = c * np.cumsum(inv_widths)
    var = _input_log_var(cfg) + np.cumsum(_layer_vars(cfg.activation, orthogonal, c, cfg.widths) * factor)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.log10(layers.activation_std) - var / (4.0 * _LN10)
    sd = np.sqrt(var) / (2.0 * _LN10)
    return SpreadPrediction(True, "", c, hanin, var, factor, centre - Z90 * sd, centre, centre + Z90 * sd)


# ------------------------------------------------------------------------------------------ the ensemble
def _band(values: FloatArray) -> Band:
    finite = np.isfinite(values)
    if values.shape[0] == 0:
        nan = np.full(values.shape[1], np.nan)
        return Band(nan, nan.copy(), nan.copy(), nan.copy(), nan.copy(), np.zeros(values.shape[1], np.int64), values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN layers give NaN, said by count == 0
        masked = np.where(finite, values, np.nan)
        q = np.nanquantile(masked, QUANTILES, axis=0)
        lo = np.nanmin(masked, axis=0)
        hi = np.nanmax(masked, axis=0)
    return Band(lo, q[0], q[1], q[2], hi, finite.sum(axis=0).astype(np.int64), values)


def _validate_k(k: object) -> int:
    allowed = f"an integer from 2 to {MAX_K}"
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        try:
            number = float(str(k))
        except ValueError:
            raise ConfigError("k", k, allowed) from None
        if not number.is_integer():
            raise ConfigError("k", k, allowed)
        k = int(number)
    if not ENSEMBLE_SEEDS[0] <= int(k) <= MAX_K:
        raise ConfigError("k", k, allowed, "two seeds at least, to have a spread")
    return int(k)


def seed_ensemble(
    cfg: Config, k: int = DEFAULT_K, cancel: threading.Event | None = None, progress: Progress | None = None
) -> EnsembleResult:
    """Run `cfg` for seeds cfg.seed .. cfg.seed + k - 1 and reduce to per-layer bands and the spread.

    `progress(done, k * 2 * depth)` counts layers over all runs; the cancel event is passed into each run
    and checked between runs (a cancelled ensemble keeps the seeds that finished). ConfigError for k
    outside 2..1000 or a last seed beyond the allowed range.
    """
    k = _validate_k(k)
    if cfg.seed + k - 1 > MAX_SEED:
        raise ConfigError("seed", cfg.seed, f"at most {MAX_SEED - k + 1} for an ensemble of {k} seeds")
    started = time.perf_counter()
    runs = _Runs(cfg, k)
    cancelled = runs.run(cancel, progress)
    done = len(runs.seeds)
    act_std, pre_std, grad_std, log_sq = (m[:done] for m in (runs.act_std, runs.pre_std, runs.grad_std, runs.log_sq))
    measured = _sample_variance(log_sq)
    prediction = predict_spread(cfg)
    low, high = _variance_interval(prediction, done, cfg.n_layers)
    if cfg.plain:
        theory_layers, _ = theory.predict(cfg, input_second_moment=input_second_moment(cfg))
    else:
        from initscope.engine import residual_theory

        theory_layers = residual_theory.predict(cfg, input_second_moment=input_second_moment(cfg))[0]
    return EnsembleResult(
        cfg,
        done,
        tuple(runs.seeds),
        _band(act_std),
        _band(pre_std),
        _band(grad_std),
        log_sq,
        measured,
        low,
        high,
        prediction,
        theory_layers,
        cancelled,
        time.perf_counter() - started,
    )


class _Runs:
    """The per-layer measurements of one run per seed (rows past the last finished seed stay NaN)."""

    def __init__(self, cfg: Config, k: int) -> None:
        self.cfg, self.k = cfg, k
        self.act_std, self.pre_std, self.grad_std, self.log_sq = (np.full((k, cfg.n_layers), np.nan) for _ in range(4))
        self.seeds: list[int] = []

    def run(self, cancel: threading.Event | None, progress: Progress | None) -> bool:
        """Run every seed in order; True when cancelled (the seeds that finished are kept)."""
        steps = 2 * self.cfg.n_layers
        for i in range(self.k):
            if cancel is not None and cancel.is_set():
                return True
            seed = self.cfg.seed + i

            def relay(done: int, _total: int, offset: int = i * steps) -> None:
                if progress is not None:
                    progress(offset + done, self.k * steps)

            result = run(self.cfg.replace(seed=seed), cancel=cancel, progress=relay)
            if result.cancelled:
                return True
            self.seeds.append(seed)
            a = result.forward.activation
            self.act_std[i] = a.std
            self.pre_std[i] = result.forward.preactivation.std
            self.grad_std[i] = result.backward.activation_grad_std
            with np.errstate(divide="ignore", invalid="ignore"):
                self.log_sq[i] = np.log(a.std * a.std + a.mean * a.mean)
        return False


def _sample_variance(log_sq: FloatArray) -> FloatArray:
    """Per layer, the sample variance over seeds of the finite values (NaN with fewer than two)."""
    finite = np.isfinite(log_sq)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = finite.sum(axis=0)
        mean = np.where(finite, log_sq, 0.0).sum(axis=0) / np.maximum(n, 1)
        dev = np.where(finite, log_sq - mean, 0.0)
        measured: FloatArray = np.where(n >= 2, (dev * dev).sum(axis=0) / np.maximum(n - 1, 1), np.nan)
    return measured


def _variance_interval(prediction: SpreadPrediction, done: int, depth: int) -> tuple[FloatArray, FloatArray]:
    """The 90 % range of a sample variance of `done` seeds around the predicted variance (chi-square)."""
    if not (prediction.applicable and prediction.log_sq_norm_var is not None and done >= 2):
        return np.full(depth, np.nan), np.full(depth, np.nan)
    df = done - 1
    return (
        prediction.log_sq_norm_var * chi2_quantile(0.05, df) / df,
        prediction.log_sq_norm_var * chi2_quantile(0.95, df) / df,
    )
