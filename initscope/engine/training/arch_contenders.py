"""Training-race contenders that are one-line configs: residual blocks and norms, trained with exact gradients.

A config contender such as `arch=residual branch_scale=1/sqrt(2L)` changes the race's network: the
hidden layers become `depth` residual blocks (engine/network.py) of the race's width, after an input
projection x W_in + b_in (linear: each pre-activation branch starts with phi) and before the linear
readout; with a pre norm the stream is normalized once more before the readout (GPT-2's final LayerNorm,
ln_f). An MLP contender with a norm keeps the race's layers and normalizes each (engine/network.py).
Gradients are those of engine/network.py's exact backward, checked by finite differences in the tests.

Parameters are grouped per layer as the plain MLP's are (depth hidden groups, then the readout), so
every contender's records have the same shape: the input projection belongs to the first block's group,
and a block's "units" are those of its branch's last layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from initscope.engine import activations, initializers, network, norms
from initscope.engine.architecture import expand_preset
from initscope.engine.arrays import Array
from initscope.engine.config import Config, parse_assignments
from initscope.engine.errors import ConfigError
from initscope.engine.training.losses import Trainable

ARCH_KEYS = ("act", "arch", "branch_depth", "norm", "norm_placement", "branch_scale")
"""What a config contender may set besides its initializer (data, width, depth and batch are the race's)."""
ALLOWED = "init, act, arch, branch_depth, norm, norm_placement, branch_scale or preset"


def parse_arch(text: str) -> tuple[str, dict[str, str]]:
    """`init=... arch=residual ...` -> (initializer text, or '' for the default, canonical architecture fields).
    Raises ConfigError on the `contenders` field naming the bad key or value."""
    try:
        given = expand_preset(parse_assignments(text))
    except ConfigError as err:
        raise ConfigError("contenders", text, err.allowed, message=f"contenders: {err}") from None
    init = str(given.pop("init", given.pop("initializer", "")))
    unknown = [k for k in given if k not in ARCH_KEYS]
    if unknown:
        raise ConfigError(
            "contenders",
            unknown[0],
            ALLOWED,
            message=f"contenders: {unknown[0]!r} in {text!r} is not a contender setting; allowed: {ALLOWED}",
        )
    try:
        probe = Config.from_string(" ".join(f"{k}={v}" for k, v in given.items()))
    except ConfigError as err:
        raise ConfigError("contenders", text, err.allowed, message=f"contenders: {err}") from None
    canonical = {k: str(getattr(probe, "activation" if k == "act" else k)) for k in ARCH_KEYS if k in given}
    return init, canonical


def contender_network(
    race_network: Config, initializer: str, params: Mapping[str, Any], arch: Mapping[str, str]
) -> Config:
    """The contender's network: the race's, with its initializer and architecture fields. For a residual
    contender the stream is the race's width (fan_in = width; the input projection is separate)."""
    changes: dict[str, Any] = {("activation" if k == "act" else k): v for k, v in arch.items()}
    if "activation" in changes:
        changes["activation_params"] = {}
    net = race_network.replace(
        initializer=initializer,
        initializer_params=dict(params),
        **{k: v for k, v in changes.items() if k in ("activation", "activation_params", "norm", "norm_placement")},
    )
    if changes.get("arch", "mlp") != "residual":
        return net
    widths = set(net.widths)
    if len(widths) != 1:
        raise ConfigError(
            "contenders",
            "arch=residual",
            "a race network of one width (the residual stream's)",
            message="contenders: arch=residual needs a race network of one width (the residual "
            f"stream's), not {','.join(map(str, net.widths))}",
        )
    return net.replace(
        fan_in=widths.pop(),
        width=None,
        **{k: v for k, v in changes.items() if k in ("arch", "branch_depth", "branch_scale")},
    )


class TrainNet(Trainable):
    """A config contender's network with the plain MLP's interface (weights, biases, forward, backward,
    loss_and_gradients, evaluate) and its parameter groups."""

    def __init__(self, cfg: Config, data_dim: int, out_dim: int, seed: int, draw: Any) -> None:
        """`draw(initializer_entry, fan_in, fan_out, params, stream_layer, gain)` draws like the race's MLP."""
        self.cfg = cfg
        self.act = activations.make(cfg.activation, dict(cfg.activation_params))
        self.residual = cfg.residual
        entry = initializers.lookup(cfg.initializer)
        self.net = network.build(cfg.replace(bias="zeros"), self.act) if self.residual else None
        weights: list[Array] = []
        if self.residual:
            width = cfg.fan_in
            weights.append(draw(entry, data_dim, width, cfg.initializer_params, 1, self.act.gain))
            assert self.net is not None
            weights += self.net.weights
            weights.append(draw(entry, width, out_dim, cfg.initializer_params, cfg.n_layers + 1, 1.0))
        else:
            dims = [data_dim, *cfg.widths, out_dim]
            for layer in range(1, len(dims)):
                gain = self.act.gain if layer < len(dims) - 1 else 1.0
                weights.append(draw(entry, dims[layer - 1], dims[layer], cfg.initializer_params, layer, gain))
        self.weights = [np.ascontiguousarray(w) for w in weights]
        self.biases: list[Array] = [np.zeros(w.shape[1], dtype=w.dtype) for w in self.weights]
        if self.net is None:
            self.net = network.Network(
                cfg, self.act, self.weights[:-1], list(self.biases[:-1]), network.Scales((1.0,), 1.0, 1.0)
            )
        else:  # the blocks read the same arrays the optimizer updates in place
            self.net.weights = self.weights[1:-1]
            self.net.biases = list(self.biases[1:-1])
        self.final_norm = cfg.norm if self.residual and cfg.norm != "none" and cfg.norm_placement == "pre" else None

    # ---------------------------------------------------------------- groups
    @property
    def n_hidden(self) -> int:
        return self.cfg.n_layers

    def group_sizes(self) -> list[int]:
        """Dense layers per group: depth hidden groups (the projection joins the first), then the readout."""
        per = self.cfg.branch_depth if self.residual else 1
        sizes = [per] * self.cfg.n_layers
        if self.residual:
            sizes[0] += 1
        return [*sizes, 1]

    # ---------------------------------------------------------------- passes
    def forward(self, x: Array, keep: bool = True) -> tuple[Array, list[Any], list[Any]]:
        assert self.net is not None
        h = x
        if self.residual:
            h = x @ self.weights[0]
            h += self.biases[0]
        tapes = network.forward(self.net, h)
        out = tapes[-1].out
        assert out is not None
        cache = None
        if self.final_norm is not None:
            out, cache = norms.forward(self.final_norm, out)
        logits = out @ self.weights[-1]
        logits += self.biases[-1]
        return logits, [x, tapes, out, cache], []

    def backward(self, inputs: list[Any], zs: list[Any], dlogits: Array) -> tuple[list[Array], list[Array]]:
        assert self.net is not None
        x, tapes, out, cache = inputs
        dw_out = out.T @ dlogits
        db_out = dlogits.sum(axis=0)
        g: Array = dlogits @ self.weights[-1].T
        if cache is not None:
            g = norms.backward(str(self.final_norm), g, cache)
        dh, grads = network.backward(self.net, tapes, g)
        dws = [dw for bg in grads for dw in bg.dw]
        dbs = [np.asarray(db, dtype=dlogits.dtype) for bg in grads for db in bg.db]
        if self.residual:
            dws.insert(0, x.T @ dh)
            dbs.insert(0, dh.sum(axis=0))
        return [*dws, dw_out], [*dbs, db_out]
