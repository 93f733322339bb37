"""One run of a residual or normalized network: per-block statistics of the stream and of each branch.

The Result has the plain MLP's shape, one entry per block, so every reader keeps its meaning: a block's
`activation` and `gradient` describe the stream after the block; its `preactivation` describes what the
block adds (alpha * F(x), residual) or the dense output x W + b (mlp); its weights are the branch's last
layer (the one GPT-2 and Fixup scale). `Result.branch` holds the branch's own statistics.
"""

from __future__ import annotations

import contextlib
import math
import threading

import numpy as np

from initscope.engine import activations, execution, initializers, network, stats
from initscope.engine.arrays import Array
from initscope.engine.config import Config
from initscope.engine.inputs import make_input
from initscope.engine.layer_weights import all_columns_equal, summarize_weights, top_gradient
from initscope.engine.propagate import _EMPTY, Progress, _clip, _Table
from initscope.engine.result import (
    BackwardStats,
    BranchStats,
    ForwardStats,
    Histogram,
    Result,
    Verdict,
    WeightStats,
)
from initscope.engine.streams import Stream, layer_rng


class _Forward:
    """Forward statistics, filled block by block."""

    def __init__(self, cfg: Config) -> None:
        depth, m = cfg.n_layers, cfg.branch_depth if cfg.residual else 1
        self.w, self.z, self.a = _Table(depth), _Table(depth), _Table(depth)
        self.exp_mean, self.exp_std = np.full(depth, np.nan), np.full(depth, np.nan)
        self.bound_lo, self.bound_hi = np.full(depth, np.nan), np.full(depth, np.nan)
        self.zero_frac, self.w_sumsq = np.full(depth, np.nan), np.full(depth, np.nan)
        self.saturated, self.dead, self.dead_units = (np.full(depth, np.nan) for _ in range(3))
        self.symmetric = np.zeros(depth, dtype=bool)
        self.w_hists: list[Histogram] = []
        self.a_hists: list[Histogram] = []
        self.branch_std, self.branch_ratio = np.full(depth, np.nan), np.full(depth, np.nan)
        self.branch_weight_std = np.full((depth, m), np.nan)

    def weights(self, net: network.Network, i: int) -> bool:
        """Record block i's weights; True when every unit of its shown layer has identical weights."""
        cfg, act = net.cfg, net.act
        ws = net.block_weights(i)
        shown = summarize_weights(ws[-1])
        self.w.put(i, shown.moments)
        self.w_sumsq[i] = sum(float(np.dot(w.ravel(), w.ravel())) for w in ws)
        for k, w in enumerate(ws):
            self.branch_weight_std[i, k] = float(w.std(dtype=np.float64))
        fi, fo = cfg.dense_fans[(i + 1) * net.per_block - 1]
        e = initializers.lookup(cfg.initializer).expected(fi, fo, cfg.initializer_params, auto_gain=act.gain)
        factor = net.scale.layer[-1]
        self.exp_mean[i], self.exp_std[i] = e.mean * factor, e.std * abs(factor)
        if e.bounds is not None:
            self.bound_lo[i], self.bound_hi[i] = sorted((e.bounds[0] * factor, e.bounds[1] * factor))
        self.zero_frac[i] = shown.zero_fraction
        self.w_hists.append(shown.histogram)
        return all_columns_equal(ws[-1])

    def outputs(self, act: activations.Activation, i: int, tape: network.BlockTape, identical: bool) -> bool:
        """Record block i's outputs; False when they are not finite (propagation stops)."""
        added = tape.branch if tape.branch is not None else tape.dense_out[0]
        zm = stats.moments(added)
        self.z.put(i, zm)
        assert tape.out is not None
        am = stats.moments(tape.out)
        self.a.put(i, am)
        self.a_hists.append(stats.histogram(tape.out, am))
        inner = tape.phi_out[-1]
        self.saturated[i], self.dead[i], self.dead_units[i] = stats.unit_fractions(
            inner, act.saturation, act.can_die, signed=act.name != "relu"
        )
        self.symmetric[i] = identical and all_columns_equal(tape.out)
        if tape.branch is not None:
            self.branch_std[i] = zm.std
            stream_in = stats.moments(tape.x_in, extremes=False).std
            self.branch_ratio[i] = zm.std / stream_in if stream_in > 0 else math.inf
        return not (zm.nonfinite or am.nonfinite)


class _Backward:
    def __init__(self, cfg: Config) -> None:
        depth, m = cfg.n_layers, cfg.branch_depth if cfg.residual else 1
        self.grad_std, self.wgrad, self.bgrad, self.ratio = (np.full(depth, np.nan) for _ in range(4))
        self.branch_grad_std = np.full(depth, np.nan)
        self.branch_wgrad = np.full((depth, m), np.nan)
        self.hists: list[Histogram] = [_EMPTY] * depth
        self.input_grad_std = math.nan

    def block(self, i: int, grads: network.BlockGrads, batch: int, w_sumsq: float) -> None:
        inv = 1.0 / batch
        sq = 0.0
        for k, dw in enumerate(grads.dw):
            m = stats.moments(dw, extremes=False)
            self.branch_wgrad[i, k] = m.norm * inv if not m.nonfinite else math.inf
            sq += self.branch_wgrad[i, k] ** 2
        self.wgrad[i] = math.sqrt(sq)
        self.bgrad[i] = (
            math.sqrt(sum(float(np.dot(db.astype(np.float64), db.astype(np.float64))) for db in grads.db)) * inv
        )
        self.ratio[i] = self.wgrad[i] / math.sqrt(w_sumsq) if w_sumsq > 0 else math.inf
        last = grads.dw[-1]
        self.hists[i] = stats.scaled_histogram(stats.histogram(last, stats.moments(last, extremes=False)), inv)
        if grads.branch_dx is not None:
            self.branch_grad_std[i] = stats.moments(grads.branch_dx, extremes=False).std


def _forward(
    net: network.Network,
    x: Array,
    fw: _Forward,
    tapes: list[network.BlockTape | None],
    cancel: threading.Event | None,
    progress: Progress | None,
) -> tuple[Array, int | None]:
    """Forward through the blocks, recording statistics; (last stream, first non-finite block or None)."""
    depth = net.cfg.n_layers
    for i in range(depth):
        if cancel is not None and cancel.is_set():
            break
        identical = fw.weights(net, i)
        tape = network.forward_block(net, i, x)
        tapes.append(tape)
        if not fw.outputs(net.act, i, tape, identical):
            return x, i + 1
        assert tape.out is not None
        x = tape.out
        if progress is not None:
            progress(i + 1, 2 * depth)
    return x, None


def _backward(
    net: network.Network,
    tapes: list[network.BlockTape | None],
    bw: _Backward,
    fw: _Forward,
    cancel: threading.Event | None,
    progress: Progress | None,
) -> int | None:
    """Back down the blocks from the unit-Gaussian top gradient; the first non-finite block or None."""
    cfg = net.cfg
    depth = cfg.n_layers
    g: Array = top_gradient(cfg)
    for i in range(depth - 1, -1, -1):
        if cancel is not None and cancel.is_set():
            return None
        gm = stats.moments(g, extremes=False)
        bw.grad_std[i] = gm.std
        if gm.nonfinite:
            return i + 1
        kept = tapes[i]
        assert kept is not None
        grads = network.backward_block(net, i, kept, g)
        tapes[i] = None  # what the backward pass has passed is no longer needed
        bw.block(i, grads, cfg.batch, float(fw.w_sumsq[i]))
        g = grads.dx
        if progress is not None:
            progress(2 * depth - i, 2 * depth)
    bw.input_grad_std = stats.moments(g, extremes=False).std
    return None


def measure_network(cfg: Config, cancel: threading.Event | None = None, progress: Progress | None = None) -> Result:
    """engine/propagate.run's measurement for arch=residual or a normalized MLP: every statistic and the theory;
    the verdict is left to `run` (which diagnoses after this run's arrays are freed)."""
    act = activations.make(cfg.activation, dict(cfg.activation_params))
    net = network.build(cfg, act)
    net.cancel = cancel
    x = make_input(cfg.input, cfg.batch, cfg.fan_in, layer_rng(cfg.seed, Stream.INPUT, 0), cfg.np_dtype)
    input_m = stats.moments(x)
    fw, bw = _Forward(cfg), _Backward(cfg)
    tapes: list[network.BlockTape | None] = []
    first_nonfinite: int | None = None
    with contextlib.suppress(execution.Cancelled):
        x, first_nonfinite = _forward(net, x, fw, tapes, cancel, progress)
    was_cancelled = cancel is not None and cancel.is_set()
    layers_done = len(tapes)

    if first_nonfinite is None and not was_cancelled:
        with contextlib.suppress(execution.Cancelled):
            first_nonfinite = _backward(net, tapes, bw, fw, cancel, progress)
        was_cancelled = cancel is not None and cancel.is_set()

    return _result(cfg, fw, bw, input_m, first_nonfinite, layers_done, was_cancelled)


def _result(
    cfg: Config,
    fw: _Forward,
    bw: _Backward,
    input_m: stats.Moments,
    first_nonfinite: int | None,
    layers_done: int,
    was_cancelled: bool,
) -> Result:
    """The Result of what the passes recorded, with the blocks' mean-field prediction."""
    from initscope.engine import residual_theory

    depth = cfg.n_layers
    clipped, clip_scale = _clip(cfg, bw.wgrad, bw.bgrad)
    pad = [_EMPTY] * (depth - len(fw.w_hists))
    weight_stats = WeightStats(
        fw.w.summary, fw.exp_mean, fw.exp_std, fw.bound_lo, fw.bound_hi, fw.zero_frac, fw.w_hists + pad
    )
    forward = ForwardStats(
        fw.z.summary,
        fw.a.summary,
        fw.saturated,
        fw.dead,
        fw.dead_units,
        fw.symmetric,
        fw.a_hists + [_EMPTY] * (depth - len(fw.a_hists)),
        input_std=input_m.std,
    )
    backward = BackwardStats(
        bw.grad_std, bw.wgrad, bw.ratio, bw.bgrad, clipped, clip_scale, bw.hists, input_grad_std=bw.input_grad_std
    )
    theory_layers, theory_summary, branch_theory = residual_theory.predict(
        cfg, input_second_moment=input_m.sumsq / input_m.count
    )
    branch = None
    if cfg.residual:
        branch = BranchStats(
            fw.branch_std,
            fw.branch_ratio,
            fw.saturated.copy(),
            fw.dead.copy(),
            bw.branch_grad_std,
            bw.branch_wgrad,
            fw.branch_weight_std,
            branch_theory,
        )
    return Result(
        cfg,
        weight_stats,
        forward,
        backward,
        theory_layers,
        theory_summary,
        Verdict.undiagnosed(first_nonfinite),
        layers_done,
        was_cancelled,
        branch=branch,
    )
