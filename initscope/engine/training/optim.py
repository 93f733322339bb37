"""Optimizers (torch's SGD and Adam) and gradient clipping (torch's clip_grad_norm_)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from initscope.engine.arrays import Array
from initscope.engine.training.constants import ADAM_BETAS, ADAM_EPS, CLIP_EPS


def clip_gradients(
    grads: Sequence[Sequence[Array]], max_norm: float, mode: str = "global"
) -> tuple[float, float, npt.NDArray[np.bool_]]:
    """Clip in place exactly as torch.nn.utils.clip_grad_norm_: coef = max_norm / (norm + 1e-6), clamped
    to 1, and every gradient multiplied by it. `grads` is one group of arrays per layer; `global` takes one
    norm over every group, `per_layer` one per group. Returns (total norm before, total norm after, which
    groups were scaled down)."""
    sq = np.array([sum(_sq(g) for g in group) for group in grads])
    before = math.sqrt(float(sq.sum()))
    if mode == "global":
        coefs = np.full(len(sq), min(1.0, max_norm / (before + CLIP_EPS)))
    else:
        coefs = np.minimum(1.0, max_norm / (np.sqrt(sq) + CLIP_EPS))
    for group, coef in zip(grads, coefs, strict=True):
        if coef < 1.0:
            for g in group:
                g *= g.dtype.type(coef)
    after = math.sqrt(float(np.sum(sq * coefs * coefs)))
    return before, after, coefs < 1.0


def _sq(g: Array) -> float:
    """Squared L2 norm, accumulated in float64 (a float32 sum of squares overflows at norm 1.8e19)."""
    flat = g.reshape(-1).astype(np.float64, copy=False)
    return float(flat @ flat)


class _Optimizer:
    """Keeps its state per parameter; `update` returns the step to subtract (the real update)."""

    def __init__(self, params: Sequence[Array], lr: float) -> None:
        self.lr = lr
        self.t = 0

    def update(self, i: int, g: Array) -> Array:
        raise NotImplementedError


class _SGD(_Optimizer):
    """torch.optim.SGD(momentum=mu, dampening=0): v = mu v + g (v = g at the first step); step = lr v."""

    def __init__(self, params: Sequence[Array], lr: float, momentum: float) -> None:
        super().__init__(params, lr)
        self.momentum = momentum
        self.velocity = [np.zeros_like(p) for p in params]
        self.out = [np.empty_like(p) for p in params]

    def update(self, i: int, g: Array) -> Array:
        v = self.velocity[i]
        if self.momentum:
            v *= v.dtype.type(self.momentum)
            v += g
        else:
            v[...] = g
        return np.multiply(v, v.dtype.type(self.lr), out=self.out[i])


class _Adam(_Optimizer):
    """torch.optim.Adam defaults: betas (0.9, 0.999), eps 1e-8 added to sqrt of the corrected v."""

    def __init__(self, params: Sequence[Array], lr: float) -> None:
        super().__init__(params, lr)
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.out = [np.empty_like(p) for p in params]

    def update(self, i: int, g: Array) -> Array:
        b1, b2 = ADAM_BETAS
        m, v, out = self.m[i], self.v[i], self.out[i]
        dt = m.dtype.type
        m *= dt(b1)
        m += dt(1 - b1) * g
        v *= dt(b2)
        np.multiply(g, g, out=out)
        out *= dt(1 - b2)
        v += out
        correction1 = 1 - b1**self.t
        correction2 = 1 - b2**self.t
        np.sqrt(v, out=out)
        out *= dt(1 / math.sqrt(correction2))
        out += dt(ADAM_EPS)
        np.divide(m, out, out=out)
        out *= dt(self.lr / correction1)
        return out
