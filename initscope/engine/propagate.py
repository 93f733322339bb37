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
from datetime import UTC, datetime

import numpy as np

from initscope.engine import activations, execution, initializers, stats
from initscope.engine.arrays import Array, FloatArray
from initscope.engine.config import Config
from initscope.engine.inputs import make_input
from initscope.engine.layer_weights import (
    LayerWeights,
    WeightFeed,
    WeightSummary,
    all_columns_equal,
    lsuv_rescale,
    summarize_weights,
)
from initscope.engine.result import (
    BackwardStats,
    ForwardStats,
    Histogram,
    Result,
    Summary,
    Verdict,
    WeightStats,
)
from initscope.engine.streams import Stream, layer_rng

Progress = Callable[[int, int], None]
GradientSummary = tuple[float, Histogram]
"""|dW| and the histogram of dW."""
Later = Callable[..., Callable[[], GradientSummary | None]]
"""`WeightFeed.later`: a call made off the passes, and the wait for its value."""
GRADIENTS_AHEAD = 2
GRADIENT_BYTES_AHEAD = 16 << 20
"""Weight gradients whose summaries may wait on the helper thread at once: GRADIENTS_AHEAD, or as many as
GRADIENT_BYTES_AHEAD holds (the memory they keep alive). More than two waiting at the default config saved
3-4 % of a run: the weights' summaries are queued on the helper before them."""

SYMMETRY_TOL = 0.0


class _Table:
    """Column arrays for one Summary, filled layer by layer."""

    def __init__(self, depth: int) -> None:
        self.summary = Summary.empty(depth)

    def put(self, i: int, m: stats.Moments) -> None:
        s = self.summary
        s.mean[i], s.std[i], s.min[i], s.max[i] = m.mean, m.std, m.min, m.max
        s.nonfinite_fraction[i] = m.nonfinite_fraction


def run(
    cfg: Config,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    advise: bool = True,
    given_weights: Sequence[tuple[Array, Array | None]] | None = None,
) -> Result:
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


def _measure(
    cfg: Config,
    cancel: threading.Event | None,
    progress: Progress | None,
    given_weights: Sequence[tuple[Array, Array | None]] | None,
) -> Result:
    """The forward and backward passes with every statistic and the theory; the verdict is left to `run`
    (a placeholder keeps the first non-finite layer for it)."""
    from initscope.engine import theory

    if given_weights is not None and [w.shape for w, _ in given_weights] != cfg.layer_fans:
        raise ValueError(
            f"given_weights: shapes {[w.shape for w, _ in given_weights]} differ from the layers' {cfg.layer_fans}"
        )
    act = activations.make(cfg.activation, dict(cfg.activation_params))
    entry = initializers.lookup(cfg.initializer)
    feed = WeightFeed(cfg, act, given_weights is not None or not entry.data_dependent, cancel, given_weights)
    try:
        x = make_input(cfg.input, cfg.batch, cfg.fan_in, layer_rng(cfg.seed, Stream.INPUT, 0), cfg.np_dtype)
    except BaseException:
        feed.close()
        raise
    input_m = stats.moments(x)
    record = _Record(cfg.n_layers)
    passes = _Passes(cfg, act, cancel, progress, record)
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is a finding, recorded per layer
            passes.forward(x, feed, entry)
    except execution.Cancelled:
        passes.cancelled = True
    finally:
        feed.close()
    summaries = [feed.later(summarize_weights, w) for w in ([] if passes.cancelled else passes.weights)]
    if passes.first_nonfinite is None and not passes.cancelled and passes.layers_done == cfg.n_layers:
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                passes.backward(feed.top_gradient(), feed.later)
        except execution.Cancelled:
            passes.cancelled = True
    record.settle_gradients(0)
    record.weight_summaries([summary() for summary in summaries])
    theory_layers, theory_summary = theory.predict(cfg, input_second_moment=input_m.sumsq / input_m.count)
    weight_stats, forward, backward = record.finish(cfg, input_m.std)
    return Result(
        cfg,
        weight_stats,
        forward,
        backward,
        theory_layers,
        theory_summary,
        Verdict.undiagnosed(passes.first_nonfinite),
        passes.layers_done,
        passes.cancelled,
    )


class _Record:
    """Every per-layer statistic of one run, NaN where not computed, filled as the passes go."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.w, self.z, self.a = _Table(depth), _Table(depth), _Table(depth)
        (
            self.exp_mean,
            self.exp_std,
            self.bound_lo,
            self.bound_hi,
            self.zero_frac,
            self.w_sumsq,
            self.saturated,
            self.dead,
            self.dead_units,
            self.grad_std,
            self.wgrad,
            self.bgrad,
            self.ratio,
        ) = (np.full(depth, np.nan) for _ in range(13))
        self.symmetric = np.zeros(depth, dtype=bool)
        self.w_hists: list[Histogram] = []
        self.a_hists: list[Histogram] = []
        self.g_hists: list[Histogram] = [Histogram(np.zeros(0), np.zeros(0, dtype=np.int64), 0)] * depth
        self.input_grad_std = math.nan
        self.with_gradient: list[int] = []
        self.unsettled: list[tuple[int, Callable[[], GradientSummary | None]]] = []

    def expected(self, i: int, e: initializers.Expected) -> None:
        self.exp_mean[i], self.exp_std[i] = e.mean, e.std
        if e.bounds is not None:
            self.bound_lo[i], self.bound_hi[i] = e.bounds

    def weight_summaries(self, summaries: Sequence[WeightSummary | None]) -> None:
        """The weights' statistics, layer by layer from the first (they come after the passes), and each
        layer's grad:data ratio |dW| / |W|."""
        for i, summary in enumerate(summaries):
            if summary is None:  # cancelled meanwhile
                break
            self.w.put(i, summary.moments)
            self.w_sumsq[i] = summary.moments.sumsq
            self.zero_frac[i] = summary.zero_fraction
            self.w_hists.append(summary.histogram)
        for i in self.with_gradient:
            if not math.isnan(self.w_sumsq[i]):
                self.ratio[i] = self.wgrad[i] / math.sqrt(self.w_sumsq[i]) if self.w_sumsq[i] > 0 else math.inf

    def activation(self, i: int, act: activations.Activation, a: Array, am: stats.Moments) -> None:
        self.a.put(i, am)
        self.a_hists.append(stats.histogram(a, am))
        self.saturated[i], self.dead[i], self.dead_units[i] = stats.unit_fractions(
            a, act.saturation, act.can_die, signed=act.name != "relu"
        )

    def weight_gradient(
        self, i: int, summary: Callable[[], GradientSummary | None], db: FloatArray, nbytes: int
    ) -> None:
        """Layer i's bias gradient now and its weight gradient's summary when it is in; the gradient (of
        `nbytes`) is held until then, so only so many may wait (GRADIENT_BYTES_AHEAD)."""
        self.bgrad[i] = float(np.sqrt(np.dot(db, db)))
        self.unsettled.append((i, summary))
        self.settle_gradients(max(GRADIENTS_AHEAD, GRADIENT_BYTES_AHEAD // max(nbytes, 1)))

    def settle_gradients(self, keep: int) -> None:
        """Take in the weight gradients' summaries until at most `keep` wait."""
        while len(self.unsettled) > keep:
            i, summary = self.unsettled.pop(0)
            settled = summary()
            if settled is not None:  # None: cancelled before it was computed
                self.wgrad[i], self.g_hists[i] = settled
                self.with_gradient.append(i)

    def finish(self, cfg: Config, input_std: float) -> tuple[WeightStats, ForwardStats, BackwardStats]:
        pad = self.depth - len(self.w_hists), self.depth - len(self.a_hists)
        clipped, clip_scale = _clip(cfg, self.wgrad, self.bgrad)
        return (
            WeightStats(
                self.w.summary,
                self.exp_mean,
                self.exp_std,
                self.bound_lo,
                self.bound_hi,
                self.zero_frac,
                self.w_hists + [_EMPTY] * pad[0],
            ),
            ForwardStats(
                self.z.summary,
                self.a.summary,
                self.saturated,
                self.dead,
                self.dead_units,
                self.symmetric,
                self.a_hists + [_EMPTY] * pad[1],
                input_std=input_std,
            ),
            BackwardStats(
                self.grad_std,
                self.wgrad,
                self.ratio,
                self.bgrad,
                clipped,
                clip_scale,
                self.g_hists,
                input_grad_std=self.input_grad_std,
            ),
        )


class _Passes:
    """The forward pass (stores what the backward pass needs) and the backward pass of one plain MLP."""

    def __init__(
        self,
        cfg: Config,
        act: activations.Activation,
        cancel: threading.Event | None,
        progress: Progress | None,
        record: _Record,
    ) -> None:
        self.cfg, self.act, self.cancel, self.progress, self.record = cfg, act, cancel, progress, record
        self.weights: list[Array] = []  # in the compute dtype: float16 is widened when a product reads it
        self.stored: list[Array] = []  # activations A_0..A_l for the backward pass
        self.derivs: list[Array] = []  # phi'(Z_l) for activations whose derivative needs z
        self.first_nonfinite: int | None = None
        self.layers_done = 0
        self.cancelled = False

    def _stop(self) -> bool:
        if self.cancel is not None and self.cancel.is_set():
            self.cancelled = True
        return self.cancelled

    def forward(self, x: Array, feed: WeightFeed, entry: initializers.Initializer) -> None:
        cfg, act = self.cfg, self.act
        expected: dict[tuple[int, int], initializers.Expected] = {}  # most layers share their fans
        self.stored.append(x)
        a = x
        for i, fans in enumerate(cfg.layer_fans):
            drawn = None if self._stop() else feed.get(i + 1)
            if drawn is None:
                self.cancelled = True
                return
            if isinstance(drawn, tuple):  # lsuv: the weights are rescaled on this batch first
                drawn = _lsuv_weights(cfg, a, *drawn)
            if fans not in expected:
                expected[fans] = entry.expected(*fans, cfg.initializer_params, auto_gain=act.gain)
            self.record.expected(i, expected[fans])
            self.weights.append(drawn.w)
            a_next = self._layer(i, a, drawn)
            if a_next is None:
                return
            a = a_next

    def _layer(self, i: int, a: Array, drawn: LayerWeights) -> Array | None:
        """Layer i + 1 forward with its statistics; None when it stopped being finite."""
        z = execution.product(execution.as_operand(a), execution.as_operand(drawn.w), self.cancel)
        if drawn.b is not None:
            z += drawn.b
        z = z.astype(self.cfg.np_dtype, copy=False)  # float16: rounded once, after float32 accumulation
        zm = stats.moments(z)
        self.record.z.put(i, zm)
        self.layers_done = i + 1
        if zm.nonfinite:
            self.first_nonfinite = i + 1
            return None
        if self.act.needs_z:
            self.derivs.append(self.act.dphi(z, z))
        a = self.act.phi(z)  # may overwrite z
        am = stats.moments(a)
        self.record.activation(i, self.act, a, am)
        # Symmetric: the units carry identical values *because* their weights are identical (zero or
        # constant init); units silenced by a bias are dead, not symmetric.
        self.record.symmetric[i] = drawn.identical_columns and all_columns_equal(a)
        self.stored.append(a)
        if self.progress is not None:
            self.progress(i + 1, 2 * self.cfg.n_layers)
        if am.nonfinite:
            self.first_nonfinite = i + 1
            return None
        return a

    def backward(self, da: Array, later: Later) -> None:
        """From the top gradient `da` down to the input; the weight gradients' statistics go to `later`."""
        cfg, record = self.cfg, self.record
        reduce_dtype = np.float32 if cfg.np_dtype == np.float16 else cfg.np_dtype  # float16 sums would overflow
        for i in range(cfg.n_layers - 1, -1, -1):
            if self._stop():
                return
            gm = stats.moments(da, extremes=False)
            record.grad_std[i] = gm.std
            if gm.nonfinite:
                self.first_nonfinite = i + 1 if self.first_nonfinite is None else self.first_nonfinite
                return
            dz = self._through_activation(i, da)
            dz_op, w_op = execution.as_operand(dz), execution.as_operand(self.weights[i])
            dw_sum = execution.product(execution.as_operand(self.stored[i]).T, dz_op, self.cancel)
            db = np.add.reduce(dz, axis=0, dtype=reduce_dtype).astype(np.float64) / cfg.batch
            record.weight_gradient(i, later(gradient_summary, dw_sum, cfg.batch), db, dw_sum.nbytes)
            del dw_sum  # the summary holds it until it is computed
            if i > 0:
                da = execution.product(dz_op, w_op.T, self.cancel, cfg.np_dtype)
            else:
                input_grad = execution.product(dz_op, w_op.T, self.cancel)
                record.input_grad_std = stats.moments(input_grad, extremes=False).std
            if self.progress is not None:
                self.progress(2 * cfg.n_layers - i, 2 * cfg.n_layers)

    def _through_activation(self, i: int, da: Array) -> Array:
        """dZ = dA * phi'(Z), in place in da."""
        a_out = self.stored[i + 1]
        if self.act.name == "relu":  # phi' is the mask a > 0: one masked pass instead of three
            return np.multiply(da, a_out > 0, out=da)
        deriv = self.derivs[i] if self.act.needs_z else self.act.dphi(None, a_out)
        return np.multiply(da, deriv, out=da)


def gradient_summary(dw_sum: Array, batch: int) -> GradientSummary:
    """|dW| and the histogram of dW = A^T dZ / batch from the unscaled product: its statistics are rescaled
    exactly, saving a pass over the (fan_in x fan_out) matrix."""
    inv_batch = 1.0 / batch
    dwm = stats.moments(dw_sum, extremes=False)
    norm = dwm.norm * inv_batch if not dwm.nonfinite else math.inf
    return norm, stats.scaled_histogram(stats.histogram(dw_sum, dwm), inv_batch)


def _lsuv_weights(cfg: Config, a: Array, w: Array, b: Array | None) -> LayerWeights:
    """LSUV's weights rescaled on this batch (`lsuv_rescale`)."""
    p = cfg.initializer_params
    rescaled = lsuv_rescale(a, w, b, float(p.get("tol", 0.1)), int(float(p.get("max_iters", 10))))
    return LayerWeights(rescaled, b, all_columns_equal(rescaled))


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
