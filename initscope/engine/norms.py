"""LayerNorm, RMSNorm and BatchNorm at init (gain 1, shift 0): forward and exact backward.

LayerNorm and RMSNorm normalize each example over its features (Ba et al. 2016; Zhang & Sennrich 2019);
BatchNorm normalizes each feature over the batch with the batch's own statistics, as in a training step
(Ioffe & Szegedy 2015), with the biased variance PyTorch uses there. eps is PyTorch's LayerNorm and
BatchNorm default, 1e-5, for all three so they compare on equal terms. float16 is normalized in float32
(a float16 sum of squares over a wide layer overflows) and returned in float16.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from initscope.engine.arrays import Array

EPS = 1e-5
KINDS = ("layernorm", "rmsnorm", "batchnorm")


@dataclass
class NormCache:
    """What the backward pass needs: the normalized output (in the working precision) and 1/sigma."""

    y: Array
    inv_sigma: Array


def _axis(kind: str) -> int:
    return 0 if kind == "batchnorm" else 1


def forward(kind: str, x: Array) -> tuple[Array, NormCache]:
    """Normalize `x` (batch x features); returns the output in x's dtype and the cache for `backward`."""
    work = x.astype(np.float32) if x.dtype == np.float16 else x
    axis = _axis(kind)
    with np.errstate(over="ignore", invalid="ignore"):
        if kind == "rmsnorm":
            centred = work
            second = np.mean(np.square(work), axis=axis, keepdims=True)
        else:
            centred = work - np.mean(work, axis=axis, keepdims=True)
            second = np.mean(np.square(centred), axis=axis, keepdims=True)
        inv_sigma = 1.0 / np.sqrt(second + work.dtype.type(EPS))
        y = centred * inv_sigma
    return y.astype(x.dtype, copy=False), NormCache(y, inv_sigma)


def backward(kind: str, dy: Array, cache: NormCache) -> Array:
    """dL/dx from dL/dy: for y = (x - mean) / sigma, dx = (dy - mean(dy) - y mean(dy y)) / sigma along the
    normalized axis (RMSNorm has no mean term)."""
    work = dy.astype(np.float32) if dy.dtype == np.float16 else dy
    axis = _axis(kind)
    y = cache.y
    dx: Array
    with np.errstate(over="ignore", invalid="ignore"):
        inner = np.mean(work * y, axis=axis, keepdims=True)
        dx = work - y * inner
        if kind != "rmsnorm":
            dx -= np.mean(work, axis=axis, keepdims=True)
        dx *= cache.inv_sigma
    return dx.astype(dy.dtype, copy=False)
