"""Mean-field recursions for residual and normalized networks, block by block.

Without normalization the stream's second moment q follows q_{l+1} = s^2 q_l + alpha^2 V_F(q_l), where
V_F is the branch's variance map (the plain MLP map of theory.py applied to its one or two layers, with the
branch scales folded into sigma_w^2): the branch uses fresh zero-mean weights, so it is uncorrelated with
the stream and the variances add (Yang & Schoenholz 2017, "Mean field residual networks"). For a He ReLU
branch V_F(q) = q, so the stream multiplies by (1 + alpha^2) per block. A pre norm hands the branch unit
variance whatever q is, so each block adds the same alpha^2 V_F(1): the stream grows linearly in depth
(Xiong et al. 2020). A post norm resets the stream to unit variance after every block.

Backward, the gradient's variance going down a block is multiplied by s^2 (the skip path) plus the
branch's chi = prod over its layers of fan_out Var(W) E[phi'(z)^2], divided by the stream variance a pre
norm sees; a post norm first divides by the variance it normalized. Normalization's projection (the
-mean and -y mean(dy y) terms) removes O(1/width) of the variance and is ignored here.
"""

from __future__ import annotations

import math

import numpy as np

from initscope.engine import activations, initializers, network, theory
from initscope.engine.arrays import FloatArray
from initscope.engine.config import Config
from initscope.engine.result import TheoryLayers, TheorySummary
from initscope.engine.theory.layers import saturated_fraction, weights_reason


class _Moments:
    """E[phi], E[phi^2], Var phi and E[phi'^2] for z ~ N(0, q), memoized (most blocks share a few q)."""

    def __init__(self, act: activations.Activation) -> None:
        self.act = act
        self.cache: dict[float, tuple[float, float, float, float]] = {}

    def __call__(self, q: float) -> tuple[float, float, float, float]:
        if q not in self.cache:
            if not math.isfinite(q):
                self.cache[q] = (math.nan,) * 4
            else:
                m = theory.gaussian_moments(self.act, np.array([q]))
                self.cache[q] = (float(m.mean[0]), float(m.second[0]), float(m.var[0]), float(m.dphi2[0]))
        return self.cache[q]


def _layer_maps(cfg: Config, act: activations.Activation) -> tuple[list[float], list[float], list[float]] | str:
    """(sigma_w^2 = fan_in Var(W) forward, fan_out Var(W) backward, sigma_b^2) of each branch layer (or the MLP
    layer), with the branch scales; or the reason mean field does not apply."""
    entry = initializers.lookup(cfg.initializer)
    bias = initializers.lookup(cfg.bias)
    fi, fo = cfg.dense_fans[0]
    e = entry.expected(fi, fo, cfg.initializer_params, auto_gain=act.gain)
    reason = weights_reason(entry, e, fi, fo)
    if reason:
        return reason
    b = bias.expected(fi, fo, cfg.bias_params, act.gain)
    factors = network.scales(cfg).layer if cfg.residual else (1.0,)
    var_w = e.std * e.std
    return (
        [fi * var_w * f * f for f in factors],
        [fo * var_w * f * f for f in factors],
        [b.std * b.std + b.mean * b.mean] * len(factors),
    )


def predict(cfg: Config, input_second_moment: float = 1.0) -> tuple[TheoryLayers, TheorySummary, FloatArray | None]:
    """Per block: predicted stream (or layer output) variance and std, saturation inside the branch, and the
    gradient std; the summary; and the branch output's predicted std (residual; None for an MLP)."""
    depth = cfg.n_layers
    act = activations.make(cfg.activation, dict(cfg.activation_params))
    nan = np.full(depth, np.nan)
    maps = _layer_maps(cfg, act)
    if isinstance(maps, str):
        layers = TheoryLayers(nan.copy(), nan.copy(), nan.copy(), nan.copy())
        return layers, TheorySummary(False, maps), (nan.copy() if cfg.residual else None)
    with np.errstate(all="ignore"):
        if cfg.residual:
            return _residual(cfg, act, maps, float(input_second_moment))
        return (*_normalized_mlp(cfg, act, maps, float(input_second_moment)), None)


def _unless_batchnorm(cfg: Config, grad_std: FloatArray) -> FloatArray:
    """BatchNorm couples the examples of a batch: its backward pass makes gradients explode at init at a rate
    this per-example recursion does not capture (Yang et al. 2019, "A mean field theory of batch
    normalization"), so no gradient prediction is drawn for it."""
    return np.full(grad_std.shape, np.nan) if cfg.norm == "batchnorm" else grad_std


def _residual(
    cfg: Config, act: activations.Activation, maps: tuple[list[float], list[float], list[float]], q0: float
) -> tuple[TheoryLayers, TheorySummary, FloatArray]:
    sw2, back_w2, sb2 = maps
    sc = network.scales(cfg)
    moments = _Moments(act)
    pre = cfg.norm != "none" and cfg.norm_placement == "pre"
    post = cfg.norm != "none" and cfg.norm_placement == "post"
    depth = cfg.n_layers
    added, stream, sat, branch_std = (np.full(depth, np.nan) for _ in range(4))
    q_phi_in: list[list[float]] = []
    q_y_all: list[float] = []
    q_in_all: list[float] = []
    q = q0
    for i in range(depth):
        q_in_all.append(q)
        h = 1.0 if pre else q
        ins = []
        for w2, b2 in zip(sw2, sb2, strict=True):
            ins.append(h)
            h = w2 * moments(h)[1] + b2
        q_phi_in.append(ins)
        added[i] = sc.alpha**2 * h
        branch_std[i] = math.sqrt(added[i])
        q_y = sc.stream**2 * q + added[i]
        q_y_all.append(q_y)
        q = 1.0 if post else q_y
        stream[i] = q
        sat[i] = float(saturated_fraction(act.name, np.array([ins[-1]]))[0])
    grad = np.ones(depth)
    g = 1.0
    for i in range(depth - 1, -1, -1):
        grad[i] = g
        if post:
            g /= q_y_all[i]
        chi = sc.alpha**2
        for k in range(len(sw2) - 1, -1, -1):
            chi *= back_w2[k] * moments(q_phi_in[i][k])[3]
        if pre:
            chi /= q_in_all[i]
        g *= sc.stream**2 + chi
    layers = TheoryLayers(added, np.sqrt(stream), sat, _unless_batchnorm(cfg, np.sqrt(grad)))
    per_block = stream[-1] / stream[-2] if depth > 1 and not post else 1.0
    note = (
        "post-norm: the stream is reset to unit variance after every block"
        if post
        else f"the stream's variance grows by {added[-1]:.3g} per block (linear in depth)"
        if pre
        else f"the stream's variance multiplies by {per_block:.4g} per block"
    )
    return layers, TheorySummary(True, "", depth_note=note), branch_std


def _normalized_mlp(
    cfg: Config, act: activations.Activation, maps: tuple[list[float], list[float], list[float]], q0: float
) -> tuple[TheoryLayers, TheorySummary]:
    sw2, back_w2, sb2 = maps
    moments = _Moments(act)
    depth = cfg.n_layers
    pre = cfg.norm_placement == "pre"
    z_var, out_var, sat = (np.full(depth, np.nan) for _ in range(3))
    phi_in, phi_out_second = np.full(depth, np.nan), np.full(depth, np.nan)
    second = q0  # E[a^2] of the layer input
    for i in range(depth):
        z_var[i] = sw2[0] * second + sb2[0]
        phi_in[i] = 1.0 if pre else z_var[i]
        mean, sec, var, _ = moments(float(phi_in[i]))
        phi_out_second[i] = sec
        if pre:
            out_var[i], second = var, sec
        elif cfg.norm == "rmsnorm":  # RMSNorm fixes the second moment; the mean stays
            out_var[i], second = 1.0 - mean * mean / sec, 1.0
        else:
            out_var[i], second = 1.0, 1.0
        sat[i] = float(saturated_fraction(act.name, np.array([phi_in[i]]))[0])
    grad = np.ones(depth)
    g = 1.0
    for i in range(depth - 1, 0, -1):
        grad[i] = g
        mean, sec, var, d2 = moments(float(phi_in[i]))
        if not pre:
            g /= sec if cfg.norm == "rmsnorm" else var
        g *= d2
        if pre:
            g /= z_var[i]
        g *= back_w2[0]
    grad[0] = g
    layers = TheoryLayers(z_var, np.sqrt(out_var), sat, _unless_batchnorm(cfg, np.sqrt(grad)))
    return layers, TheorySummary(True, "", depth_note=f"{cfg.norm} after every layer resets the variance")
