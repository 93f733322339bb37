"""One layer's weights: drawn from its own random stream, with the statistics that depend on them alone, and
the feed that draws them ahead on the helper thread when the layers are large enough (engine/execution.py).
LSUV's rescaling on the batch lives here too; the top gradient sent down by `run` as well."""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from initscope.engine import activations, execution, initializers, stats
from initscope.engine.arrays import Array
from initscope.engine.config import Config
from initscope.engine.result import Histogram
from initscope.engine.streams import Stream, layer_rng


def sample_layer(cfg: Config, layer: int, act: activations.Activation) -> tuple[Array, Array | None]:
    """Weights (fan_in x fan_out) and bias (fan_out,) of one layer (1-based), in the compute dtype."""
    fi, fo = cfg.layer_fans[layer - 1]
    entry = initializers.lookup(cfg.initializer)
    w = entry.sample(
        fi, fo, cfg.initializer_params, layer_rng(cfg.seed, Stream.WEIGHTS, layer), cfg.np_dtype, auto_gain=act.gain
    )
    if cfg.bias == "zeros":
        return w, None
    b_entry = initializers.lookup(cfg.bias)
    b = b_entry.sample(
        fi, fo, cfg.bias_params, layer_rng(cfg.seed, Stream.BIAS, layer), cfg.np_dtype, shape=(fo,), auto_gain=act.gain
    )
    return w, b


@functools.cache
def _tolerance(dtype: np.dtype[Any]) -> tuple[float, float]:
    """(64 eps, the smallest normal number) of a float dtype."""
    info = np.finfo(dtype)
    return 64 * float(info.eps), float(info.tiny)


def all_columns_equal(a: Array) -> bool:
    """True when every unit (column) carries the same values up to rounding (a GEMM may sum the columns of
    identical weights in different orders): cheap test on row 0 first, then the whole array."""
    if a.shape[1] < 2:
        return False
    tol, tiny = _tolerance(a.dtype)
    first = a[0]
    if float(np.ptp(first)) > tol * max(float(np.abs(first).max()), tiny):
        return False
    scale = max(float(np.abs(a).max()), tiny)
    return bool(np.all(np.abs(a - a[:, :1]) <= tol * scale))


@dataclass
class LayerWeights:
    """One layer's weights and bias, and whether every unit has the same weights (the forward pass's symmetry
    check needs that at once; the other statistics of the weights wait, see `WeightSummary`)."""

    w: Array
    b: Array | None
    identical_columns: bool


@dataclass
class WeightSummary:
    """The statistics of a layer's weights alone. Only the Result needs them, so a run computes them after its
    forward pass: on the helper thread while the backward pass runs, when the helper is used."""

    moments: stats.Moments
    zero_fraction: float
    histogram: Histogram


def summarize_weights(w: Array) -> WeightSummary:
    wm = stats.moments(w)
    return WeightSummary(wm, 1.0 - stats.nonzero_count(w) / w.size, stats.histogram(w, wm))


def top_gradient(cfg: Config) -> Array:
    """The unit-Gaussian gradient sent down from the top (its own stream), drawn in float64 and cast, so every
    dtype starts from the same values."""
    rng = layer_rng(cfg.seed, Stream.READOUT, 0)
    return rng.standard_normal((cfg.batch, cfg.widths[-1])).astype(cfg.np_dtype, copy=False)


T = TypeVar("T")
Drawn = LayerWeights | tuple[Array, Array | None] | None


class WeightFeed:
    """Each layer's weights, drawn ahead on the process's helper thread when the layers are large enough to pay
    for the hand-off (`execution.use_helper`), else drawn here when asked, and their summaries once the forward
    pass is done (`later`). Each layer has its own random stream, so the values do not depend on where or in
    which order they are drawn. Ahead, at most one layer is drawn in advance (layer 1 while the input is, the top
    gradient while the last layer propagates), and the statistics that only the Result needs (the weights'
    summaries, the weight gradients') are computed while the backward pass runs; NumPy's sampling and counting
    release the GIL, so on 2 cores this work hides behind the products."""

    def __init__(
        self,
        cfg: Config,
        act: activations.Activation,
        final: bool,
        cancel: threading.Event | None,
        given: Sequence[tuple[Array, Array | None]] | None = None,
        ahead: bool | None = None,
    ) -> None:
        self.cfg, self.act, self.final, self.cancel = cfg, act, final, cancel
        """`final`: the weights are used as drawn (LayerWeights); else (LSUV) they come as (w, b) to be rescaled
        on the batch first."""
        self.given = given
        """Weights and biases to use instead of drawing them (a weights file's own, for `initscope audit`)."""
        self.helper = execution.helper() if (execution.use_helper(cfg.layer_fans) if ahead is None else ahead) else None
        self.pending: dict[int, execution.Pending[Drawn]] = {}
        if self.helper is not None:
            self.pending[1] = self.helper.submit(self._draw, 1)
        self.top: execution.Pending[Array] | None = None

    def _draw(self, layer: int) -> LayerWeights | tuple[Array, Array | None] | None:
        if self.cancel is not None and self.cancel.is_set():
            return None
        if self.given is not None:
            w, b = self.given[layer - 1]
        else:
            w, b = sample_layer(self.cfg, layer, self.act)
        return LayerWeights(w, b, all_columns_equal(w)) if self.final else (w, b)

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
        if self.top is not None:
            return self.top.result()
        return top_gradient(self.cfg)

    def later(self, fn: Callable[..., T], *args: Any) -> Callable[[], T | None]:
        """fn(*args) off the passes: on the helper thread when it is used (the returned call waits for it),
        else here and now, so that its arguments are not kept. None when the run was cancelled before the
        helper started it."""
        if self.helper is None:
            value = fn(*args)
            return lambda: value
        return self.helper.submit(self._unless_cancelled, fn, *args).result

    def _unless_cancelled(self, fn: Callable[..., T], *args: Any) -> T | None:
        if self.cancel is not None and self.cancel.is_set():
            return None
        return fn(*args)

    def close(self) -> None:
        """Drop the draws not started yet; one already running finishes on the helper, unwaited for."""
        for pending in self.pending.values():
            pending.cancel()
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
