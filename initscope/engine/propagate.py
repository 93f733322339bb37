"""Forward and backward passes through depth, with per-layer statistics and cancellation.

One run samples every layer's weights from its own random stream (so a deeper net keeps the first
layers' weights), pushes a batch forward, sends a unit-Gaussian gradient back down, and records the
per-layer statistics of engine/result.py (docs/architecture.md, "Data flow"). Overflow is a finding: the
first non-finite layer is recorded and propagation stops there. The cancel event is checked between
layers and between the blocks of a large product (see `execution`); a cancelled run returns what it had,
flagged.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from initscope.engine import activations, execution, initializers, stats
from initscope.engine.config import Config
from initscope.engine.inputs import make_input
from initscope.engine.kinds import FindingKind
from initscope.engine.result import (
    BackwardStats,
    ForwardStats,
    Histogram,
    Result,
    Summary,
    WeightStats,
)
from initscope.engine.streams import Stream, layer_rng

Array = npt.NDArray[np.floating]
FloatArray = npt.NDArray[np.float64]
Progress = Callable[[int, int], None]

SYMMETRY_TOL = 0.0


def sample_layer(cfg: Config, layer: int, act: activations.Activation) -> tuple[Array, Array | None]:
    """Weights (fan_in x fan_out) and bias (fan_out,) of one layer (1-based), in the compute dtype."""
    fi, fo = cfg.layer_fans[layer - 1]
    entry = initializers.lookup(cfg.initializer)
    w = entry.sample(fi, fo, cfg.initializer_params, layer_rng(cfg.seed, Stream.WEIGHTS, layer),
                     cfg.np_dtype, auto_gain=act.gain)
    if cfg.bias == "zeros":
        return w, None
    b_entry = initializers.lookup(cfg.bias)
    b = b_entry.sample(fi, fo, cfg.bias_params, layer_rng(cfg.seed, Stream.BIAS, layer), cfg.np_dtype,
                       shape=(fo,), auto_gain=act.gain)
    return w, b


class _Table:
    """Column arrays for one Summary, filled layer by layer."""

    def __init__(self, depth: int) -> None:
        self.summary = Summary.empty(depth)

    def put(self, i: int, m: stats.Moments) -> None:
        s = self.summary
        s.mean[i], s.std[i], s.min[i], s.max[i] = m.mean, m.std, m.min, m.max
        s.nonfinite_fraction[i] = m.nonfinite_fraction


def _all_columns_equal(a: Array) -> bool:
    """True when every unit (column) carries the same values up to rounding (a GEMM may sum the columns of
    identical weights in different orders): cheap test on row 0 first, then the whole array."""
    if a.shape[1] < 2:
        return False
    tol = 64 * float(np.finfo(a.dtype).eps)
    tiny = float(np.finfo(a.dtype).tiny)
    first = a[0]
    if float(np.ptp(first)) > tol * max(float(np.abs(first).max()), tiny):
        return False
    scale = max(float(np.abs(a).max()), tiny)
    return bool(np.all(np.abs(a - a[:, :1]) <= tol * scale))


@dataclass
class LayerWeights:
    """One layer's weights and bias with the statistics that depend on the weights alone."""

    w: Array
    b: Array | None
    moments: stats.Moments
    zero_fraction: float
    histogram: Histogram
    identical_columns: bool


def weight_statistics(w: Array, b: Array | None) -> LayerWeights:
    wm = stats.moments(w)
    return LayerWeights(w, b, wm, 1.0 - np.count_nonzero(w) / w.size, stats.histogram(w, wm),
                        _all_columns_equal(w))


def top_gradient(cfg: Config) -> Array:
    """The unit-Gaussian gradient sent down from the top (its own stream), drawn in float64 and cast, so every
    dtype starts from the same values."""
    rng = layer_rng(cfg.seed, Stream.READOUT, 0)
    return rng.standard_normal((cfg.batch, cfg.widths[-1])).astype(cfg.np_dtype, copy=False)


Drawn = LayerWeights | tuple[Array, Array | None] | None


class WeightFeed:
    """Each layer's weights and (unless the initializer needs the data) their statistics, drawn ahead on the
    process's helper thread when the layers are large enough to pay for the hand-off (`execution.use_helper`),
    else drawn here when asked. Each layer has its own random stream, so the values do not depend on where
    or in which order they are drawn. Ahead, at most one layer is drawn in advance (layer 1 while the input
    is, the top gradient while the last layer propagates); NumPy's sampling and counting release the GIL,
    so on 2 cores the sampling hides behind the products."""

    def __init__(self, cfg: Config, act: activations.Activation, with_statistics: bool,
                 cancel: threading.Event | None, given: Sequence[tuple[Array, Array | None]] | None = None,
                 ahead: bool | None = None) -> None:
        self.cfg, self.act, self.with_statistics, self.cancel = cfg, act, with_statistics, cancel
        self.given = given
        """Weights and biases to use instead of drawing them (a weights file's own, for `initscope audit`)."""
        self.helper = execution.helper() if (execution.use_helper(cfg.layer_fans) if ahead is None else ahead) \
            else None
        self.pending: dict[int, Future[Drawn]] = {}
        if self.helper is not None:
            self.pending[1] = self.helper.submit(self._draw, 1)
        self.top: Future[Array] | None = None

    def _draw(self, layer: int) -> LayerWeights | tuple[Array, Array | None] | None:
        if self.cancel is not None and self.cancel.is_set():
            return None
        if self.given is not None:
            w, b = self.given[layer - 1]
        else:
            w, b = sample_layer(self.cfg, layer, self.act)  # the module attribute: a benchmark may replace it
        return weight_statistics(w, b) if self.with_statistics else (w, b)

    def get(self, layer: int) -> Drawn:
        """Layer `layer`'s draw (None when cancelled meanwhile); starts drawing the next layer ahead."""
        if self.helper is None:
            return self._draw(layer)
        future = self.pending.pop(layer, None) or self.helper.submit(self._draw, layer)
        if layer < self.cfg.n_layers:
            self.pending[layer + 1] = self.helper.submit(self._draw, layer + 1)
        elif self.top is None:
            self.top = self.helper.submit(top_gradient, self.cfg)
        return future.result()

    def top_gradient(self) -> Array:
        """The top gradient (drawn here if the helper did not get to it)."""
        if self.top is not None and not self.top.cancelled():
            return self.top.result()
        return top_gradient(self.cfg)

    def close(self) -> None:
        """Drop the draws not started yet; one already running finishes on the helper, unwaited for."""
        for future in self.pending.values():
            future.cancel()
        self.pending.clear()


def lsuv_rescale(a: Array, w: Array, b: Array | None, tol: float, max_iters: int) -> Array:
    """Mishkin & Matas 2016: scale W until the layer's output variance on this batch is 1 +- tol."""
    for _ in range(max_iters):
        z = execution.product(execution.as_operand(a), execution.as_operand(w))
        if b is not None:
            z += b
        var = float(z.astype(np.float64).var())
        if not math.isfinite(var) or var <= 0 or abs(var - 1.0) < tol:
            break
        w = w / w.dtype.type(math.sqrt(var))
    return w


def run(cfg: Config, cancel: threading.Event | None = None, progress: Progress | None = None,
        advise: bool = True, given_weights: Sequence[tuple[Array, Array | None]] | None = None) -> Result:
    """Run the forward and backward experiments for `cfg` and return every statistic with the theory.

    `advise`: an unhealthy verdict gets a fix checked by one more run (False for that checking run).
    `given_weights`: one (W, b) per layer, W of shape (fan_in, fan_out) in the compute dtype and b (fan_out,) or
    None, used as given instead of drawn from `cfg.initializer` (which then only names the expected values).
    """
    from initscope.engine import verdict

    started = time.perf_counter()
    # The fix is checked by one more run: it starts only after _measure's arrays (every layer's stored
    # activations) are freed, so the budget bounds the checking run's peak as it bounds this one's.
    if cfg.plain:
        result = _measure(cfg, cancel, progress, given_weights)
    else:  # residual blocks or normalization: engine/network_run.py
        from initscope.engine.network_run import measure_network

        if given_weights is not None:
            raise ValueError("given_weights: only a plain MLP (arch=mlp, norm=none) runs on given weights")
        result = measure_network(cfg, cancel, progress)
    result.verdict = verdict.diagnose(result, cancel, advise)
    result.elapsed_s = time.perf_counter() - started
    result.created_utc = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return result


def _measure(cfg: Config, cancel: threading.Event | None, progress: Progress | None,
             given_weights: Sequence[tuple[Array, Array | None]] | None) -> Result:
    """The forward and backward passes with every statistic and the theory; the verdict is left to `run`
    (a placeholder keeps the first non-finite layer for it)."""
    from initscope.engine import theory, verdict

    act = activations.make(cfg.activation, dict(cfg.activation_params))
    depth = cfg.n_layers
    dtype = cfg.np_dtype
    total_steps = 2 * depth
    entry = initializers.lookup(cfg.initializer)

    def cancelled() -> bool:
        return cancel is not None and cancel.is_set()

    # ---------------------------------------------------------------- containers
    w_table, z_table, a_table = _Table(depth), _Table(depth), _Table(depth)
    exp_mean, exp_std = np.full(depth, np.nan), np.full(depth, np.nan)
    bound_lo, bound_hi = np.full(depth, np.nan), np.full(depth, np.nan)
    zero_frac = np.full(depth, np.nan)
    w_hists: list[Histogram] = []
    a_hists: list[Histogram] = []
    saturated = np.full(depth, np.nan)
    dead = np.full(depth, np.nan)
    dead_units = np.full(depth, np.nan)
    symmetric = np.zeros(depth, dtype=bool)
    w_sumsq = np.full(depth, np.nan)

    if given_weights is not None and [w.shape for w, _ in given_weights] != cfg.layer_fans:
        raise ValueError(f"given_weights: shapes {[w.shape for w, _ in given_weights]} differ from the layers' "
                         f"{cfg.layer_fans}")
    feed = WeightFeed(cfg, act, given_weights is not None or not entry.data_dependent, cancel, given_weights)
    try:
        x = make_input(cfg.input, cfg.batch, cfg.fan_in, layer_rng(cfg.seed, Stream.INPUT, 0), dtype)
    except BaseException:
        feed.close()
        raise
    input_m = stats.moments(x)
    weights: list[Array] = []  # in the compute dtype: float16 is widened when a product reads it
    stored: list[Array] = [x]  # activations A_0..A_l for the backward pass
    derivs: list[Array] = []  # phi'(Z_l) for activations whose derivative needs z
    first_nonfinite: int | None = None
    layers_done = 0
    was_cancelled = False

    # ---------------------------------------------------------------- forward
    a = x
    try:
        for layer in range(1, depth + 1):
            if cancelled():
                was_cancelled = True
                break
            i = layer - 1
            fi, fo = cfg.layer_fans[i]
            drawn = feed.get(layer)
            if drawn is None:
                was_cancelled = True
                break
            if isinstance(drawn, tuple):  # lsuv: the weights are rescaled on this batch first
                w, b = drawn
                p = cfg.initializer_params
                w = lsuv_rescale(a, w, b, float(p.get("tol", 0.1)), int(float(p.get("max_iters", 10))))
                drawn = weight_statistics(w, b)
            w, b = drawn.w, drawn.b
            w_op = execution.as_operand(w)
            weights.append(w)

            wm = drawn.moments
            w_table.put(i, wm)
            w_sumsq[i] = wm.sumsq
            e = entry.expected(fi, fo, cfg.initializer_params, auto_gain=act.gain)
            exp_mean[i], exp_std[i] = e.mean, e.std
            if e.bounds is not None:
                bound_lo[i], bound_hi[i] = e.bounds
            zero_frac[i] = drawn.zero_fraction
            w_hists.append(drawn.histogram)

            with np.errstate(over="ignore", invalid="ignore"):
                z = execution.product(execution.as_operand(a), w_op, cancel)
                if b is not None:
                    z += b
                z = z.astype(dtype, copy=False)  # float16: rounded once, after float32 accumulation
            zm = stats.moments(z)
            z_table.put(i, zm)
            if zm.nonfinite:
                first_nonfinite = layer
                layers_done = layer
                break
            with np.errstate(over="ignore", invalid="ignore"):
                if act.needs_z:
                    derivs.append(act.dphi(z, z))
                a = act.phi(z)  # may overwrite z
            am = stats.moments(a)
            a_table.put(i, am)
            a_hists.append(stats.histogram(a, am))
            if act.saturation is not None:
                saturated[i] = np.count_nonzero(act.saturation(a)) / a.size
            if act.can_die:
                dead[i] = 1.0 - np.count_nonzero(a) / a.size
                # A unit is dead for the batch when its column is all zeros: max == 0 (and min == 0 for
                # leaky_relu, whose outputs can be negative). Column max/min vectorize; a column count does not.
                silent = a.max(axis=0) == 0
                if act.name != "relu":
                    silent &= a.min(axis=0) == 0
                dead_units[i] = np.count_nonzero(silent) / a.shape[1]
            # Symmetric: the units carry identical values *because* their weights are identical (zero or
            # constant init); units silenced by a bias are dead, not symmetric.
            symmetric[i] = drawn.identical_columns and _all_columns_equal(a)
            stored.append(a)
            layers_done = layer
            if progress is not None:
                progress(layer, total_steps)
            if am.nonfinite:
                first_nonfinite = layer
                break
    except execution.Cancelled:
        was_cancelled = True
    finally:
        feed.close()

    # ---------------------------------------------------------------- backward
    grad_std = np.full(depth, np.nan)
    wgrad = np.full(depth, np.nan)
    bgrad = np.full(depth, np.nan)
    ratio = np.full(depth, np.nan)
    g_hists: list[Histogram] = [Histogram(np.zeros(0), np.zeros(0, dtype=np.int64), 0)] * depth
    input_grad_std = math.nan
    complete_forward = first_nonfinite is None and not was_cancelled and layers_done == depth
    if complete_forward:
        da: Array = feed.top_gradient()
        reduce_dtype = np.float32 if dtype == np.float16 else dtype  # float16 sums would overflow
        try:
            for layer in range(depth, 0, -1):
                if cancelled():
                    was_cancelled = True
                    break
                i = layer - 1
                gm = stats.moments(da, extremes=False)
                grad_std[i] = gm.std
                if gm.nonfinite:
                    first_nonfinite = layer if first_nonfinite is None else first_nonfinite
                    break
                a_out = stored[layer]
                with np.errstate(over="ignore", invalid="ignore"):
                    if act.name == "relu":  # phi' is the mask a > 0: one masked pass instead of three
                        dz = np.multiply(da, a_out > 0, out=da)
                    else:
                        deriv = derivs[i] if act.needs_z else act.dphi(None, a_out)
                        dz = np.multiply(da, deriv, out=da)
                    # dW = A^T dZ / batch: the statistics of the unscaled product are rescaled exactly,
                    # saving a pass over the (fan_in x fan_out) matrix.
                    dz_op, w_op = execution.as_operand(dz), execution.as_operand(weights[i])
                    dw_sum = execution.product(execution.as_operand(stored[layer - 1]).T, dz_op, cancel)
                    db = np.add.reduce(dz, axis=0, dtype=reduce_dtype).astype(np.float64) / cfg.batch
                inv_batch = 1.0 / cfg.batch
                dwm = stats.moments(dw_sum, extremes=False)
                wgrad[i] = dwm.norm * inv_batch if not dwm.nonfinite else math.inf
                bgrad[i] = float(np.sqrt(np.dot(db, db)))
                ratio[i] = wgrad[i] / math.sqrt(w_sumsq[i]) if w_sumsq[i] > 0 else math.inf
                g_hists[i] = stats.scaled_histogram(stats.histogram(dw_sum, dwm), inv_batch)
                if layer > 1:
                    with np.errstate(over="ignore", invalid="ignore"):
                        da = execution.product(dz_op, w_op.T, cancel, dtype)
                    del dw_sum
                else:
                    with np.errstate(over="ignore", invalid="ignore"):
                        input_grad_std = stats.moments(execution.product(dz_op, w_op.T, cancel),
                                                       extremes=False).std
                if progress is not None:
                    progress(depth + (depth - layer + 1), total_steps)
        except execution.Cancelled:
            was_cancelled = True

    clipped, clip_scale = _clip(cfg, wgrad, bgrad)

    weight_stats = WeightStats(w_table.summary, exp_mean, exp_std, bound_lo, bound_hi, zero_frac,
                               w_hists + [_EMPTY] * (depth - len(w_hists)))
    forward = ForwardStats(z_table.summary, a_table.summary, saturated, dead, dead_units, symmetric,
                           a_hists + [_EMPTY] * (depth - len(a_hists)), input_std=input_m.std)
    backward = BackwardStats(grad_std, wgrad, ratio, bgrad, clipped, clip_scale, g_hists,
                             input_grad_std=input_grad_std)
    theory_layers, theory_summary = theory.predict(cfg, input_second_moment=input_m.sumsq / input_m.count)
    return Result(cfg, weight_stats, forward, backward, theory_layers, theory_summary,
                  verdict.Verdict(FindingKind.STABLE, "", [], first_nonfinite), layers_done, was_cancelled)


_EMPTY = Histogram(np.zeros(0), np.zeros(0, dtype=np.int64), 0, collapsed="not computed")


def _clip(cfg: Config, wgrad: FloatArray, bgrad: FloatArray) -> tuple[FloatArray | None, FloatArray | None]:
    """Gradient norms after clipping, as torch.nn.utils.clip_grad_norm_ computes the factor:
    coef = min(1, threshold / (norm + 1e-6)), the norm over one layer's (W, b) or over all layers."""
    if cfg.clip is None:
        return None, None
    layer_norm = np.sqrt(wgrad**2 + bgrad**2)
    if cfg.clip_mode == "global":
        total = float(np.sqrt(np.nansum(layer_norm**2)))
        scale = np.full_like(wgrad, min(1.0, cfg.clip / (total + 1e-6)))
    else:
        scale = np.minimum(1.0, cfg.clip / (layer_norm + 1e-6))
    scale[np.isnan(wgrad)] = np.nan
    return wgrad * scale, scale
