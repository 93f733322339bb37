"""The input-output Jacobian at init: its singular values next to the free-probability prediction.

Why: the spread of J's singular values tells whether a net is near dynamical isometry (every singular
value near 1, so every direction of the gradient survives the depth). Orthogonal weights with tanh near
q* -> 0 can get there; ReLU nets cannot, whatever their variance (Pennington, Schoenholz & Ganguli 2017,
"Resurrecting the sigmoid in deep learning through dynamical isometry").

Layout: weights are (fan_in, fan_out) and a layer computes z_l = a_{l-1} W_l + b_l, a_l = phi(z_l), with a
batch as rows. For one input row x, da_l = da_{l-1} W_l D_l with D_l = diag(phi'(z_l)), so

    J = d a_L / d x = W_1 D_1 W_2 D_2 ... W_L D_L        (fan_in x fan_out_L; J[i, j] = d a_L[j] / d x[i]).

(PyTorch stores W^T, [out, in]; its Jacobian is our J^T, with the same singular values.)

The Jacobian is taken at ONE input: row 0 of the batch `run(cfg)` uses, with the same weights (drawn by
`layer_weights.sample_layer`, bit-identical; lsuv is rescaled on the batch exactly as `run` does). A single
wide input is enough: at width n the D_l of one input already sample phi' n times per layer, and the
spectrum of one J is self-averaging. The product is accumulated left to right (L GEMMs of fan_in x n x n,
then one SVD) and rescaled by a power of two after every layer, so it never overflows or underflows; the
exponent is carried separately (the scaling is exact in binary floating point).

The prediction it is compared with is in jacobian_prediction.py.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from initscope.engine import activations, initializers, stats
from initscope.engine.arrays import Array, FloatArray
from initscope.engine.config import Config
from initscope.engine.errors import ConfigError
from initscope.engine.inputs import make_input
from initscope.engine.jacobian_prediction import SpectrumPrediction, predict_spectrum
from initscope.engine.layer_weights import lsuv_rescale, sample_layer
from initscope.engine.limits import MAX_JACOBIAN_WIDTH
from initscope.engine.result import Histogram
from initscope.engine.streams import Stream, layer_rng

Progress = Callable[[int, int], None]

SAMPLE_INDEX = 0
"""The batch row whose Jacobian is taken."""
_LOG10_2 = math.log10(2.0)


@dataclass
class JacobianResult:
    """Singular values of J at init and the summary the Theory tab draws, with the prediction."""

    config: Config
    singular_values: FloatArray
    """Descending (as LAPACK returns them), min(fan_in, fan_out_L) values; empty when not computed."""
    log10_singular_values: FloatArray
    """log10 of the above, finite even where the values themselves leave float range (-inf for exact 0)."""
    histogram: Histogram
    """Pre-binned singular values on a linear axis (a collapsed range is said in words)."""
    log10_histogram: Histogram
    """Pre-binned log10 singular values: the view for spectra spread over decades (ReLU)."""
    eig_mean: float
    """Mean eigenvalue of J J^T (= mean squared singular value)."""
    eig_var: float
    """Variance of the eigenvalues of J J^T (population, over the min(fan_in, fan_out_L) values)."""
    eig_normalized_var: float
    """eig_var / eig_mean^2: what the prediction's normalized_var predicts, scale-free."""
    log10_eig_mean: float
    """log10 of eig_mean, finite where eig_mean itself over/underflows (compare prediction.log10_mean)."""
    prediction: SpectrumPrediction
    layers_done: int
    cancelled: bool = False
    first_nonfinite_layer: int | None = None
    """The forward signal of the input left float range here: the Jacobian is undefined."""
    note: str = ""
    """Why the spectrum is missing or degenerate, in words ('' when all is well)."""
    sample_index: int = SAMPLE_INDEX
    input_second_moment: float = math.nan
    """mean(x^2) of the input row: q_1 = sigma_w^2 * this + sigma_b^2 in the prediction."""
    chain_s: float = 0.0
    """Seconds drawing the weights, pushing the input forward and multiplying the L factors."""
    svd_s: float = 0.0
    elapsed_s: float = 0.0
    zero_tolerance: float = math.nan
    """Singular values at or below this are numerically zero: max * n * eps of the chain's dtype (numpy's
    matrix_rank rule). A float32 chain of a ReLU net leaves its exact zeros (about half: the masks D_l
    cut the rank) as round-off of order 1e-7 * max; counting them as values would put the median there."""
    numerically_zero: int = 0
    """How many singular values are at or below zero_tolerance."""

    @property
    def resolved(self) -> FloatArray:
        """The singular values above zero_tolerance (descending): what min/median/max summarize."""
        sv = self.singular_values
        return sv[sv > self.zero_tolerance] if math.isfinite(self.zero_tolerance) else sv


def check_size(cfg: Config) -> None:
    """Refuse nets the Jacobian is not computed for (ConfigError naming the field the user set)."""
    if not cfg.plain:
        field, value = ("arch", cfg.arch) if cfg.residual else ("norm", cfg.norm)
        raise ConfigError(
            field,
            value,
            "mlp without a norm for the Jacobian spectrum",
            message=f"{field}: the Jacobian spectrum is computed for plain MLPs (arch=mlp, norm=none), "
            f"not {field}={value}",
        )
    widest = max(cfg.widths)
    if cfg.fan_in > MAX_JACOBIAN_WIDTH or (cfg.width is None and widest > MAX_JACOBIAN_WIDTH):
        raise ConfigError(
            "fan_in",
            cfg.fan_in,
            f"at most {MAX_JACOBIAN_WIDTH}",
            message=f"fan_in: {cfg.fan_in} is too wide; the Jacobian is computed for fan_in and "
            f"widths up to {MAX_JACOBIAN_WIDTH}",
        )
    if widest > MAX_JACOBIAN_WIDTH:
        raise ConfigError(
            "width",
            widest,
            f"at most {MAX_JACOBIAN_WIDTH}",
            message=f"width: {widest} is too wide; the Jacobian is computed for widths up to {MAX_JACOBIAN_WIDTH}",
        )


# ------------------------------------------------------------------------------------------ the chain
def _work_dtype(cfg: Config) -> type[np.floating]:
    """float64 runs multiply in float64; float32 and float16 runs in float32 (float16 GEMMs are slow in
    NumPy and would overflow; the float16 weights convert exactly)."""
    return np.float64 if cfg.dtype == "float64" else np.float32


def _rescale(j: Array) -> tuple[int, float]:
    """Scale J in place by a power of two so its mean squared singular value is O(1): (exponent, rms)."""
    k = min(j.shape)
    rms = math.sqrt(float(np.einsum("ij,ij->", j, j, dtype=np.float64)) / k)
    if rms == 0.0 or not math.isfinite(rms):
        return 0, rms
    exponent = math.frexp(rms)[1]
    # Multiplying by a power of two is exact; steps of at most 2^100 stay inside float32's exponent range
    # (np.ldexp is exact too, but 5x slower than a multiply).
    left = -exponent
    while left:
        step = max(-100, min(100, left))
        j *= j.dtype.type(2.0**step)
        left -= step
    return exponent, rms


def _empty(note: str) -> Histogram:
    return Histogram(np.zeros(0), np.zeros(0, dtype=np.int64), 0, collapsed=note)


def jacobian_spectrum(
    cfg: Config, cancel: threading.Event | None = None, progress: Progress | None = None
) -> JacobianResult:
    """Singular values of J = d a_L / d x at init for input row 0, with the free-probability prediction.

    Raises ConfigError for widths or fan_in above 1024. The cancel event is checked between layers (a
    cancelled result has `cancelled` set and no spectrum); `progress(done, depth + 1)` is called after every
    layer and after the SVD. A forward signal that leaves float range stops the chain
    (`first_nonfinite_layer`); a product that is exactly zero gives all-zero singular values and a note.
    """
    check_size(cfg)
    started = time.perf_counter()
    data_dependent = initializers.lookup(cfg.initializer).data_dependent
    x, batch = _input_row(cfg, data_dependent)
    second = float(np.mean(np.square(x, dtype=np.float64)))
    prediction = predict_spectrum(cfg, input_second_moment=second)
    chain = _Chain(cfg, data_dependent, x, batch)
    chain.run(cancel, progress)
    timing = _Timing(started, time.perf_counter() - started)
    if chain.cancelled or (cancel is not None and cancel.is_set()):
        chain.cancelled = True
        return _missing(chain, prediction, second, timing, "cancelled")
    if chain.first_bad is not None:
        note = (
            f"values left float range at layer {chain.first_bad} (the net overflows there; see the "
            "Forward tab): the Jacobian is undefined"
        )
        return _missing(chain, prediction, second, timing, note)
    svd_started = time.perf_counter()
    spectrum = _Spectrum.of(chain)
    timing.svd_s = time.perf_counter() - svd_started
    hist = stats.histogram(spectrum.values, stats.moments(spectrum.values))
    log_hist = stats.histogram(spectrum.logs, stats.moments(spectrum.logs))
    if progress is not None:
        progress(cfg.n_layers + 1, cfg.n_layers + 1)
    return JacobianResult(
        cfg,
        spectrum.values,
        spectrum.logs,
        hist,
        log_hist,
        spectrum.eig_mean,
        spectrum.eig_var,
        spectrum.normalized,
        spectrum.log10_mean,
        prediction,
        chain.layers_done,
        False,
        None,
        spectrum.note,
        input_second_moment=second,
        chain_s=timing.chain_s,
        svd_s=timing.svd_s,
        elapsed_s=time.perf_counter() - started,
        zero_tolerance=spectrum.tolerance,
        numerically_zero=spectrum.zeros,
    )


def _input_row(cfg: Config, data_dependent: bool) -> tuple[Array, Array]:
    """(row SAMPLE_INDEX in the chain's dtype, the batch it comes from).

    Only lsuv needs the whole batch; row 0 of the generated inputs does not depend on the batch size
    (rows are drawn in order), so other nets draw just that row."""
    rows = cfg.batch if data_dependent else SAMPLE_INDEX + 1
    batch = make_input(cfg.input, rows, cfg.fan_in, layer_rng(cfg.seed, Stream.INPUT, 0), cfg.np_dtype)
    return batch[SAMPLE_INDEX].astype(_work_dtype(cfg)), batch


@dataclass
class _Timing:
    started: float
    """perf_counter() when the computation started."""
    chain_s: float
    svd_s: float = 0.0


def _missing(
    chain: _Chain, prediction: SpectrumPrediction, second: float, timing: _Timing, note: str
) -> JacobianResult:
    """A result without a spectrum (cancelled, or the chain left float range), saying why in `note`."""
    nan = math.nan
    return JacobianResult(
        chain.cfg,
        np.zeros(0),
        np.zeros(0),
        _empty(note),
        _empty(note),
        nan,
        nan,
        nan,
        nan,
        prediction,
        chain.layers_done,
        chain.cancelled,
        chain.first_bad,
        note,
        input_second_moment=second,
        chain_s=timing.chain_s,
        elapsed_s=time.perf_counter() - timing.started,
    )


class _Chain:
    """J = W_1 D_1 ... W_l D_l accumulated layer by layer, rescaled by 2^-exponent after every layer."""

    def __init__(self, cfg: Config, data_dependent: bool, x: Array, batch: Array) -> None:
        self.cfg = cfg
        self.act = activations.make(cfg.activation, dict(cfg.activation_params))
        self.data_dependent = data_dependent
        self.work = x.dtype
        self.a: Array = x
        self.a_batch: Array = batch  # only advanced for lsuv, which rescales W on the batch as run() does
        self.j: Array | None = None
        self.exponent = 0
        self.layers_done = 0
        self.first_bad: int | None = None
        self.zero_from: int | None = None
        self.cancelled = False

    def run(self, cancel: threading.Event | None, progress: Progress | None) -> None:
        depth = self.cfg.n_layers
        for layer in range(1, depth + 1):
            if cancel is not None and cancel.is_set():
                self.cancelled = True
                return
            rms = self._step(layer)
            if not math.isfinite(rms):
                self.first_bad = layer
                return
            self.layers_done = layer
            if progress is not None:
                progress(layer, depth + 1)
            if rms == 0.0:  # every later product is zero too: the answer is final
                self.zero_from, self.layers_done = layer, depth
                return

    def _step(self, layer: int) -> float:
        """Multiply layer `layer` into J; the rms of the rescaled J, or NaN when the layer leaves float range."""
        w, b = sample_layer(self.cfg, layer, self.act)
        work = self.work
        with np.errstate(all="ignore"):
            if self.data_dependent:
                w = self._lsuv(w, b)
            w_work = w.astype(work, copy=False)
            z = self.a @ w_work
            if b is not None:
                z += b.astype(work, copy=False)
            self.a = self.act.phi(z.copy())
            d = np.asarray(self.act.dphi(z, self.a), dtype=work)
        if not (np.isfinite(z).all() and np.isfinite(d).all()):
            return math.nan
        with np.errstate(all="ignore"):
            if self.j is None:
                self.j = w_work * d
            else:
                self.j = self.j @ w_work
                self.j *= d
        e, rms = _rescale(self.j)
        self.exponent += e
        return rms

    def _lsuv(self, w: Array, b: Array | None) -> Array:
        """lsuv's weights, rescaled on the batch exactly as run() does; advances the batch."""
        p = self.cfg.initializer_params
        w = lsuv_rescale(self.a_batch, w, b, float(p.get("tol", 0.1)), int(float(p.get("max_iters", 10))))
        zb = self.a_batch @ w
        if b is not None:
            zb += b
        self.a_batch = self.act.phi(zb)
        return w


@dataclass
class _Spectrum:
    """The singular values of an accumulated J (undoing its scale 2^exponent) and their moments."""

    values: FloatArray
    logs: FloatArray
    eig_mean: float
    eig_var: float
    normalized: float
    log10_mean: float
    tolerance: float
    zeros: int
    note: str

    @classmethod
    def of(cls, chain: _Chain) -> _Spectrum:
        j, exponent, work = chain.j, chain.exponent, chain.work
        assert j is not None
        if chain.zero_from is not None:
            hat = np.zeros(min(j.shape))
            note = (
                f"the Jacobian is exactly zero from layer {chain.zero_from} on (zero weights, or every unit's "
                "phi' is 0 there): all singular values are 0"
            )
        else:
            hat = np.linalg.svd(j.astype(np.float64, copy=False), compute_uv=False)
            note = ""
        with np.errstate(all="ignore"):
            logs = np.log10(hat) + exponent * _LOG10_2
            values = np.ldexp(hat, exponent)
            lam = hat * hat
            lam_mean = float(lam.mean())
            lam_var = float(lam.var())
            log10_mean = math.log10(lam_mean) + 2 * exponent * _LOG10_2 if lam_mean > 0 else -math.inf
            eig_mean = float(np.ldexp(lam_mean, 2 * exponent))
            eig_var = float(np.ldexp(lam_var, 4 * exponent))
            normalized = lam_var / (lam_mean * lam_mean) if lam_mean > 0 else math.nan
        eps = float(np.finfo(work).eps)
        tolerance = float(values.max()) * max(j.shape) * eps if values.size else math.nan
        zeros = int(np.count_nonzero(values <= tolerance)) if math.isfinite(tolerance) else 0
        return cls(values, logs, eig_mean, eig_var, normalized, log10_mean, tolerance, zeros, note)


def input_output_jacobian(cfg: Config) -> FloatArray:
    """The full matrix J (fan_in x fan_out_L) in float64, unscaled, for checks against finite differences.

    Same weights and input row as `jacobian_spectrum` (not for lsuv, whose weights depend on the batch);
    small nets only (values may overflow)."""
    check_size(cfg)
    act = activations.make(cfg.activation, dict(cfg.activation_params))
    batch = make_input(cfg.input, SAMPLE_INDEX + 1, cfg.fan_in, layer_rng(cfg.seed, Stream.INPUT, 0), cfg.np_dtype)
    a = batch[SAMPLE_INDEX].astype(np.float64)
    j = np.eye(cfg.fan_in)
    for layer in range(1, cfg.n_layers + 1):
        w, b = sample_layer(cfg, layer, act)
        w64 = w.astype(np.float64)
        z = a @ w64 + (0.0 if b is None else b.astype(np.float64))
        a = act.phi(z.copy())
        j = (j @ w64) * np.asarray(act.dphi(z, a), dtype=np.float64)
    return j
