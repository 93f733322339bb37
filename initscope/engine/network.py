"""The network beyond the plain MLP: residual blocks and normalization, forward and exact backward.

A residual block is pre-activation (He et al. 2016, "Identity mappings in deep residual networks"):
x_{l+1} = s * x_l + alpha * F(x_l), with F(x) = W_2 phi(W_1 phi(x)) (branch_depth 2) or W_1 phi(x) (1),
so the stream stays zero-mean. A pre norm is the first thing in the branch (F(N(x)), GPT-2's pre-LN);
a post norm follows the addition (N(x + F(x)), the original Transformer and BERT). In an MLP with a norm,
each layer is N(x W) -> phi (pre) or phi(x W) -> N (post).

Branch scales: 1; 1/sqrt(L) and 1/sqrt(2L) multiply the branch's last layer (GPT-2 scales its residual
projections by 1/sqrt(2 n_layer), n_layer transformer layers of two branches each; here L counts blocks);
0 is SkipInit/ReZero's alpha = 0 (De & Smith 2020; Bachlechner et al. 2020); fixup zeroes the branch's last
layer and scales the others by L^(-1/(2m-2)) (Zhang et al. 2019, m layers per branch); deepnorm is
DeepNet's x * (2L)^(1/4) + F(x) with branch weights times (8L)^(-1/4) (Wang et al. 2022, encoder form).

`backward` returns the exact gradients of sum(output * d_out) (checked against finite differences and,
when installed, PyTorch in the tests).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np

from initscope.engine import activations, execution, initializers, norms
from initscope.engine.arrays import Array
from initscope.engine.config import Config
from initscope.engine.streams import Stream, layer_rng


@dataclass(frozen=True)
class Scales:
    """Multipliers of one residual block, the same for every block."""

    layer: tuple[float, ...]
    """Factor on each branch layer's weights (first to last)."""
    alpha: float
    """Factor on the branch output."""
    stream: float
    """Factor on the stream before the addition (DeepNet's alpha; 1 otherwise)."""


def scales(cfg: Config) -> Scales:
    """The branch multipliers that `cfg.branch_scale` names, for cfg.depth blocks of cfg.branch_depth layers."""
    depth, m = cfg.n_layers, cfg.branch_depth
    ones = (1.0,) * m
    last_times = {"1/sqrt(L)": 1 / math.sqrt(depth), "1/sqrt(2L)": 1 / math.sqrt(2 * depth)}
    if cfg.branch_scale in last_times:
        return Scales((*ones[:-1], last_times[cfg.branch_scale]), 1.0, 1.0)
    if cfg.branch_scale == "0":
        return Scales(ones, 0.0, 1.0)
    if cfg.branch_scale == "fixup":
        inner = depth ** (-1.0 / (2 * m - 2)) if m > 1 else 1.0
        return Scales((*(inner,) * (m - 1), 0.0), 1.0, 1.0)
    if cfg.branch_scale == "deepnorm":
        return Scales(((8.0 * depth) ** -0.25,) * m, 1.0, (2.0 * depth) ** 0.25)
    return Scales(ones, 1.0, 1.0)


@dataclass
class Network:
    """Weights and biases of every dense layer (W: fan_in x fan_out), with the architecture around them."""

    cfg: Config
    act: activations.Activation
    weights: list[Array]
    biases: list[Array | None]
    scale: Scales
    cancel: threading.Event | None = None
    """Checked between the blocks of large products (execution.Cancelled is raised when set)."""

    def matmul(self, a: Array, b: Array) -> Array:
        """a @ b in the dtype of `a`: float16 multiplied in float32 and rounded once (engine/execution.py)."""
        return execution.product(execution.as_operand(a), execution.as_operand(b), self.cancel, a.dtype)

    @property
    def per_block(self) -> int:
        return self.cfg.branch_depth if self.cfg.residual else 1

    def block_weights(self, i: int) -> list[Array]:
        """The dense weights of block (or layer) i, 0-based."""
        return self.weights[i * self.per_block : (i + 1) * self.per_block]


def build(cfg: Config, act: activations.Activation | None = None) -> Network:
    """Draw every dense layer from its own random stream (dense layer k from (Stream.WEIGHTS, k), as the plain
    MLP's layer k) and apply the branch scales."""
    act = act or activations.make(cfg.activation, dict(cfg.activation_params))
    sc = scales(cfg) if cfg.residual else Scales((1.0,), 1.0, 1.0)
    entry = initializers.lookup(cfg.initializer)
    bias_entry = None if cfg.bias == "zeros" else initializers.lookup(cfg.bias)
    weights: list[Array] = []
    biases: list[Array | None] = []
    per_block = len(sc.layer)
    for k, (fi, fo) in enumerate(cfg.dense_fans, start=1):
        w = entry.sample(
            fi, fo, cfg.initializer_params, layer_rng(cfg.seed, Stream.WEIGHTS, k), cfg.np_dtype, auto_gain=act.gain
        )
        factor = sc.layer[(k - 1) % per_block]
        if factor != 1.0:
            w = (w * w.dtype.type(factor)).astype(cfg.np_dtype, copy=False)
        weights.append(w)
        b = (
            None
            if bias_entry is None
            else bias_entry.sample(
                fi,
                fo,
                cfg.bias_params,
                layer_rng(cfg.seed, Stream.BIAS, k),
                cfg.np_dtype,
                shape=(fo,),
                auto_gain=act.gain,
            )
        )
        biases.append(b)
    return Network(cfg, act, weights, biases, sc)


@dataclass
class BlockTape:
    """One block's (or MLP layer's) forward values, kept for the backward pass and the statistics."""

    x_in: Array
    pre: norms.NormCache | None = None
    phi_in: list[Array | None] = field(default_factory=list)
    """Inputs of each phi (kept only when the activation's derivative needs them)."""
    phi_out: list[Array] = field(default_factory=list)
    """Outputs of each phi: the inputs of the branch's dense layers (residual) or the layer's output (mlp)."""
    dense_in: list[Array] = field(default_factory=list)
    dense_out: list[Array] = field(default_factory=list)
    """Each dense layer's output x W + b (the pre-activation)."""
    branch: Array | None = None
    """alpha * F(x) (residual)."""
    post: norms.NormCache | None = None
    out: Array | None = None


def _phi(act: activations.Activation, x: Array, tape: BlockTape) -> Array:
    """phi(x) without touching x (phi may work in place); keeps x when phi' needs it."""
    tape.phi_in.append(x if act.needs_z else None)
    a = act.phi(x.copy())
    tape.phi_out.append(a)
    return a


def _dense(net: Network, x: Array, w: Array, b: Array | None, tape: BlockTape) -> Array:
    tape.dense_in.append(x)
    with np.errstate(over="ignore", invalid="ignore"):
        z = net.matmul(x, w)
        if b is not None:
            z += b
    tape.dense_out.append(z)
    return z


def forward_block(net: Network, i: int, x: Array) -> BlockTape:
    """Block (residual) or layer (mlp) i on x; the tape holds every intermediate value."""
    cfg, act, tape = net.cfg, net.act, BlockTape(x)
    ws = net.block_weights(i)
    bs = net.biases[i * net.per_block : (i + 1) * net.per_block]
    norm = cfg.norm if cfg.norm != "none" else None
    if not cfg.residual:
        z = _dense(net, x, ws[0], bs[0], tape)
        if norm is not None and cfg.norm_placement == "pre":
            z, tape.pre = norms.forward(norm, z)
        a = _phi(act, z, tape)
        if norm is not None and cfg.norm_placement == "post":
            a, tape.post = norms.forward(norm, a)
        tape.out = a
        return tape
    h = x
    if norm is not None and cfg.norm_placement == "pre":
        h, tape.pre = norms.forward(norm, x)
    for w, b in zip(ws, bs, strict=True):
        h = _dense(net, _phi(act, h, tape), w, b, tape)
    with np.errstate(over="ignore", invalid="ignore"):
        branch = h if net.scale.alpha == 1.0 else h * h.dtype.type(net.scale.alpha)
        y: Array = branch + (x if net.scale.stream == 1.0 else x * x.dtype.type(net.scale.stream))
    tape.branch = branch
    if norm is not None and cfg.norm_placement == "post":
        y, tape.post = norms.forward(norm, y)
    tape.out = y
    return tape


@dataclass
class BlockGrads:
    """Gradients of one block: w.r.t. its input, its dense weights and biases, and its branch's input."""

    dx: Array
    dw: list[Array]
    db: list[Array]
    branch_dx: Array | None = None
    """The branch's share of dx (residual): what the branch adds to the gradient on the stream."""


def _dphi(act: activations.Activation, g: Array, tape: BlockTape, k: int) -> Array:
    with np.errstate(over="ignore", invalid="ignore"):
        return g * act.dphi(tape.phi_in[k], tape.phi_out[k])


def backward_block(net: Network, i: int, tape: BlockTape, d_out: Array) -> BlockGrads:
    """Exact gradients of sum(block output * d_out) through block i."""
    cfg, act = net.cfg, net.act
    ws = net.block_weights(i)
    norm = cfg.norm
    g = d_out
    if tape.post is not None:
        g = norms.backward(norm, g, tape.post)
    dws: list[Array] = [np.empty(0)] * len(ws)
    dbs: list[Array] = [np.empty(0)] * len(ws)
    reduce_dtype = np.float32 if g.dtype == np.float16 else g.dtype
    if not cfg.residual:
        g = _dphi(act, g, tape, 0)
        if tape.pre is not None:
            g = norms.backward(norm, g, tape.pre)
        with np.errstate(over="ignore", invalid="ignore"):
            dws[0] = net.matmul(tape.dense_in[0].T, g)
            dbs[0] = np.add.reduce(g, axis=0, dtype=reduce_dtype)
            dx = net.matmul(g, ws[0].T)
        return BlockGrads(dx, dws, dbs)
    with np.errstate(over="ignore", invalid="ignore"):
        dx_stream = g if net.scale.stream == 1.0 else g * g.dtype.type(net.scale.stream)
        gb = g if net.scale.alpha == 1.0 else g * g.dtype.type(net.scale.alpha)
        for k in range(len(ws) - 1, -1, -1):
            dws[k] = net.matmul(tape.dense_in[k].T, gb)
            dbs[k] = np.add.reduce(gb, axis=0, dtype=reduce_dtype)
            gb = _dphi(act, net.matmul(gb, ws[k].T), tape, k)
        if tape.pre is not None:
            gb = norms.backward(norm, gb, tape.pre)
        dx = dx_stream + gb
    return BlockGrads(dx, dws, dbs, gb)


def forward(net: Network, x: Array) -> list[BlockTape]:
    """Every block's tape, first to last (the output is tapes[-1].out)."""
    tapes: list[BlockTape] = []
    for i in range(net.cfg.n_layers):
        tapes.append(forward_block(net, i, x))
        out = tapes[-1].out
        assert out is not None
        x = out
    return tapes


def backward(net: Network, tapes: list[BlockTape], d_out: Array) -> tuple[Array, list[BlockGrads]]:
    """(gradient w.r.t. the input, every block's gradients first to last) of sum(output * d_out)."""
    grads: list[BlockGrads] = []
    g = d_out
    for i in range(len(tapes) - 1, -1, -1):
        grads.append(backward_block(net, i, tapes[i], g))
        g = grads[-1].dx
    return g, grads[::-1]
