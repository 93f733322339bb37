"""The race's plain network (an MLP with exact gradients), and building any contender's network."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from initscope.engine import activations, initializers
from initscope.engine.arrays import Array
from initscope.engine.streams import Stream, layer_rng
from initscope.engine.training import arch_contenders
from initscope.engine.training.config import Contender, TrainConfig
from initscope.engine.training.losses import Trainable


class MLP(Trainable):
    """Hidden layers with one activation, then a linear readout. Z = A @ W + b; W is (fan_in, fan_out)."""

    def __init__(self, weights: Sequence[Array], biases: Sequence[Array], act: activations.Activation) -> None:
        self.weights: list[Array] = list(weights)
        self.biases: list[Array] = list(biases)
        self.act = act

    @property
    def n_hidden(self) -> int:
        return len(self.weights) - 1

    def group_sizes(self) -> list[int]:
        """Dense layers per recorded layer: one each (a residual contender groups a block's layers)."""
        return [1] * len(self.weights)

    def forward(self, x: Array, keep: bool = True) -> tuple[Array, list[Array], list[Array | None]]:
        """Logits, and (when `keep`) the inputs of every layer and the pre-activations phi' needs."""
        inputs: list[Array] = []
        zs: list[Array | None] = []
        a = x
        for w, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            if keep:
                inputs.append(a)
            z = a @ w
            z += b
            if self.act.needs_z and keep:  # phi may overwrite z; gelu/silu need it for phi'
                zs.append(z)
                a = self.act.phi(z.copy())
            else:
                zs.append(None)
                a = self.act.phi(z)
        if keep:
            inputs.append(a)
        logits = a @ self.weights[-1]
        logits += self.biases[-1]
        return logits, inputs, zs

    def backward(self, inputs: list[Array], zs: list[Array | None], dlogits: Array) -> tuple[list[Array], list[Array]]:
        """dW and db of every layer from dLoss/dlogits (the loss already averaged over the batch)."""
        n_layers = len(self.weights)
        dws: list[Array] = [np.empty(0)] * n_layers
        dbs: list[Array] = [np.empty(0)] * n_layers
        dz = dlogits
        for layer in range(n_layers - 1, -1, -1):
            dws[layer] = inputs[layer].T @ dz
            dbs[layer] = dz.sum(axis=0)
            if layer == 0:
                break
            da = dz @ self.weights[layer].T
            da *= self.act.dphi(zs[layer - 1], inputs[layer])
            dz = da
        return dws, dbs


def build_mlp(
    tc: TrainConfig, contender: Contender, out_dim: int, first_batch: Array | None = None
) -> MLP | arch_contenders.TrainNet:
    """The contender's network: layer l's weights from stream (seed, 10, l), the same for every contender.

    lsuv (data-dependent) is rescaled layer by layer on `first_batch` as Mishkin & Matas do. A config
    contender gets its residual or normalized network (engine/training/arch_contenders.py).
    """
    net = tc.network
    if contender.arch:
        cfg = arch_contenders.contender_network(net, contender.initializer, contender.params, contender.arch)

        def draw(entry: initializers.Initializer, fi: int, fo: int, params: Any, layer: int, gain: float) -> Array:
            return entry.sample(
                fi, fo, params, layer_rng(tc.effective_seed, Stream.RACE_WEIGHTS, layer), cfg.np_dtype, auto_gain=gain
            )

        return arch_contenders.TrainNet(cfg, net.fan_in, out_dim, tc.effective_seed, draw)
    dtype = net.np_dtype
    act = activations.make(net.activation, dict(net.activation_params))
    entry = initializers.lookup(contender.initializer)
    bias_entry = initializers.lookup(net.bias)
    seed = tc.effective_seed
    weights: list[Array] = []
    biases: list[Array] = []
    dims = tc.layer_dims(out_dim)
    for layer, (fi, fo) in enumerate(dims, start=1):
        gain = act.gain if layer < len(dims) else 1.0  # the readout is linear
        weights.append(
            np.ascontiguousarray(
                entry.sample(
                    fi, fo, contender.params, layer_rng(seed, Stream.RACE_WEIGHTS, layer), dtype, auto_gain=gain
                )
            )
        )
        if net.bias == "zeros":
            biases.append(np.zeros(fo, dtype=dtype))
        else:
            biases.append(
                bias_entry.sample(
                    fi,
                    fo,
                    net.bias_params,
                    layer_rng(seed, Stream.RACE_BIAS, layer),
                    dtype,
                    shape=(fo,),
                    auto_gain=gain,
                ).copy()
            )
    mlp = MLP(weights, biases, act)
    if entry.data_dependent and first_batch is not None:
        _lsuv(
            mlp, first_batch, float(contender.params.get("tol", 0.1)), int(float(contender.params.get("max_iters", 10)))
        )
    return mlp


def _lsuv(mlp: MLP, x: Array, tol: float, max_iters: int) -> None:
    """Rescale each layer in turn until Var(Z) on the batch is 1 +- tol (Mishkin & Matas 2016)."""
    a = x
    for layer, (w, b) in enumerate(zip(mlp.weights, mlp.biases, strict=True)):
        for _ in range(max_iters):
            var = float(np.var((a @ w + b).astype(np.float64)))
            if not math.isfinite(var) or var <= 0 or abs(var - 1.0) < tol:
                break
            w *= w.dtype.type(1.0 / math.sqrt(var))
        if layer < len(mlp.weights) - 1:
            a = mlp.act.phi(a @ w + b)
