"""Running the race: every contender trained on the same batches in the same order, with live progress,
recording the loss, gradient norms, update:data ratios and distinct hidden units (`distinct_units`).
"""

from __future__ import annotations

import functools
import itertools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from initscope.engine.streams import Stream, layer_rng
from initscope.engine.training.config import Contender, TrainConfig
from initscope.engine.training.constants import (
    CURVE_POINTS,
    MAX_STEP_RECORDS,
    SYMMETRY_RTOL,
    TARGET_FRACTION,
    Array,
    FloatArray,
    IntArray,
)
from initscope.engine.training.mlp import build_mlp
from initscope.engine.training.optim import _SGD, _Adam, _Optimizer, _sq, clip_gradients
from initscope.engine.training.results import (
    STATUS_CANCELLED,
    STATUS_FINISHED,
    STATUS_NONFINITE,
    STATUS_RUNNING,
    ContenderResult,
    RaceResult,
    downsample_indices,
)


@dataclass(frozen=True)
class RaceProgress:
    """A small copied snapshot for a live UI: curves downsampled to at most CURVE_POINTS points."""

    epoch: int
    epochs: int
    step: int
    """Steps done by the contender that is furthest."""
    total_steps: int
    labels: tuple[str, ...]
    status: tuple[str, ...]
    epoch_steps: IntArray
    """x axis of `loss` and `accuracy` (steps done at each evaluation)."""
    loss: FloatArray
    """(contenders, points) loss on the whole training set."""
    accuracy: FloatArray
    update_ratio: FloatArray
    """(contenders, layers): the latest log10 update:data ratio per layer (healthy near -3)."""
    distinct_units: IntArray
    """(contenders, hidden layers): the latest count of distinct hidden units."""
    elapsed_s: float

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 1.0


def distinct_units(w: Array, b: Array, rtol: float = SYMMETRY_RTOL) -> int:
    """How many hidden units of a layer differ: units whose incoming weights and bias (a column of
    [W; b]) agree within rtol x max|.| count as one. Zero or constant init gives 1.

    O(fan_in x fan_out): sort the columns by a fixed random projection, so identical columns are
    neighbours, then compare each with its neighbour.
    """
    if w.shape[1] == 1:
        return 1
    probe = _probe(w.shape[0] + 1)
    order = np.argsort(probe[:-1] @ w.astype(np.float64) + probe[-1] * b, kind="stable")
    gaps = np.abs(np.diff(w[:, order], axis=1)).max(axis=0)
    gaps = np.maximum(gaps, np.abs(np.diff(b[order])))
    tol = rtol * max(float(np.abs(w).max()), float(np.abs(b).max())) + 1e-300
    return 1 + int(np.count_nonzero(gaps > tol))


@functools.lru_cache(maxsize=64)
def _probe(size: int) -> FloatArray:
    return layer_rng(0, Stream.PROBE, size).standard_normal(size)


class _Runner:
    """One contender's network, optimizer and preallocated records."""

    def __init__(self, tc: TrainConfig, contender: Contender, out_dim: int, first_batch: Array,
                 epochs: int, records: int) -> None:
        self.contender = contender
        self.mlp = build_mlp(tc, contender, out_dim, first_batch)
        self.params: list[Array] = [p for pair in zip(self.mlp.weights, self.mlp.biases, strict=True) for p in pair]
        lr = tc.effective_lr
        self.opt: _Optimizer = _Adam(self.params, lr) if tc.optimizer == "adam" else _SGD(self.params, lr,
                                                                                           tc.momentum)
        sizes = self.mlp.group_sizes()
        self.group_of = [g for g, size in enumerate(sizes) for _ in range(size)]
        """The recorded layer (group) of every dense layer."""
        self.last_of_group = list(itertools.accumulate(sizes))
        """One past each group's last dense layer: that layer's units are the group's."""
        n_layers, n_hidden = len(sizes), self.mlp.n_hidden
        self.result = ContenderResult(
            contender.label, contender.initializer, dict(contender.params),
            loss=np.full(epochs + 1, np.nan), accuracy=np.full(epochs + 1, np.nan),
            step_loss=np.full(records, np.nan), grad_norm=np.full((records, n_layers), np.nan),
            update_ratio=np.full((records, n_layers), np.nan),
            distinct_units=np.full((records, n_hidden), -1, dtype=np.int64),
            initial_distinct_units=self.distinct(),
        )
        self.window_loss = 0.0
        self.window_norm = np.zeros(n_layers)
        self.window_steps = 0
        self.clipped_steps = 0
        self.sum_before = 0.0
        self.sum_after = 0.0
        self.latest_ratio = np.full(n_layers, np.nan)

    def distinct(self) -> IntArray:
        w, b = self.mlp.weights, self.mlp.biases
        return np.array([distinct_units(w[end - 1], b[end - 1]) for end in self.last_of_group[:-1]],
                        dtype=np.int64)

    @property
    def running(self) -> bool:
        return self.result.status == STATUS_RUNNING

    def stop(self, status: str, step: int, reason: str) -> None:
        r = self.result
        r.status, r.stopped_step, r.reason = status, step, reason

    def step(self, x: Array, y: npt.NDArray[Any], step: int, task: str, tc: TrainConfig, record: int | None) -> None:
        """One optimizer step; `record` is the record index when this step closes a window."""
        loss, _, dws, dbs = self.mlp.loss_and_gradients(x, y, task)
        if not math.isfinite(loss):
            self.stop(STATUS_NONFINITE, step, f"non-finite loss at step {step}")
            return
        starts = [0, *self.last_of_group[:-1]]
        groups = [[g for k in range(lo, hi) for g in (dws[k], dbs[k])]
                  for lo, hi in zip(starts, self.last_of_group, strict=True)]
        sq = np.array([sum(_sq(g) for g in group) for group in groups])
        if not np.all(np.isfinite(sq)):
            layer = int(np.flatnonzero(~np.isfinite(sq))[0])
            self.stop(STATUS_NONFINITE, step, f"non-finite gradient in layer {layer + 1} at step {step}")
            return
        before = math.sqrt(float(sq.sum()))
        after = before
        if tc.clip is not None:
            before, after, scaled = clip_gradients(groups, tc.clip, tc.clip_mode)
            self.clipped_steps += bool(scaled.any())
        self.sum_before += before
        self.sum_after += after
        self.window_loss += loss
        self.window_norm += np.sqrt(sq)
        self.window_steps += 1
        self.opt.t += 1
        ratios = self.latest_ratio if record is not None else None
        for i, (p, g) in enumerate(zip(self.params, (g for pair in groups for g in pair), strict=True)):
            upd = self.opt.update(i, g)
            if ratios is not None and i % 2 == 0 and i // 2 + 1 in self.last_of_group:  # a group's last weights
                w_std = float(p.std(dtype=np.float64))
                u_std = float(upd.std(dtype=np.float64))
                ratios[self.group_of[i // 2]] = math.log10(u_std / w_std) if w_std > 0 and u_std > 0 else math.nan
            p -= upd
        self.result.steps_done = step
        if record is not None:
            r = self.result
            r.step_loss[record] = self.window_loss / self.window_steps
            r.grad_norm[record] = self.window_norm / self.window_steps
            r.update_ratio[record] = self.latest_ratio
            r.distinct_units[record] = self.distinct()
            self.window_loss, self.window_steps = 0.0, 0
            self.window_norm[:] = 0.0

    def finish_stats(self) -> None:
        r, done = self.result, max(self.result.steps_done, 0)
        if done:
            r.clipped_fraction = self.clipped_steps / done
            r.norm_before = self.sum_before / done
            r.norm_after = self.sum_after / done


def run_race(tc: TrainConfig, cancel: threading.Event | None = None,
             progress: Callable[[RaceProgress], None] | None = None, progress_interval: float = 0.1) -> RaceResult:
    """Train every contender on the same data in the same mini-batch order; interleaved epoch by epoch so
    a live view sees every curve grow. Checks `cancel` at every step; a cancelled race returns what it has."""
    started = time.perf_counter()
    ds = tc.dataset()
    dtype = tc.network.np_dtype
    x = ds.x.astype(dtype)
    y = ds.y if ds.task == "classification" else ds.y.astype(dtype)
    n, bs = ds.n, tc.batch_size
    spe = -(-n // bs)
    total = tc.epochs * spe
    every = -(-total // MAX_STEP_RECORDS)
    records = -(-total // every)
    seed = tc.effective_seed
    target = tc.target_loss if tc.target_loss is not None else TARGET_FRACTION * ds.baseline_loss
    orders = [layer_rng(seed, Stream.ORDER, epoch).permutation(n) for epoch in (1,)]
    first_batch = x[orders[0][:bs]]
    runners = [_Runner(tc, c, ds.out_dim, first_batch, tc.epochs, records) for c in tc.contender_list]
    epoch_steps = np.arange(tc.epochs + 1, dtype=np.int64) * spe
    record_steps = np.minimum((np.arange(records, dtype=np.int64) + 1) * every, total)
    last_emit = -math.inf
    cancelled = False
    epochs_done = 0

    def emit(epoch: int, force: bool = False) -> None:
        nonlocal last_emit
        now = time.perf_counter()
        if progress is None or (not force and now - last_emit < progress_interval):
            return
        last_emit = now
        idx = downsample_indices(epoch + 1, CURVE_POINTS)
        progress(RaceProgress(
            epoch=epoch, epochs=tc.epochs, step=max(r.result.steps_done for r in runners), total_steps=total,
            labels=tuple(r.contender.label for r in runners), status=tuple(r.result.status for r in runners),
            epoch_steps=epoch_steps[idx].copy(),
            loss=np.array([r.result.loss[idx] for r in runners]),
            accuracy=np.array([r.result.accuracy[idx] for r in runners]),
            update_ratio=np.array([r.latest_ratio for r in runners]),
            distinct_units=np.array([r.result.distinct_units[_last_record(r)] if _last_record(r) >= 0
                                     else r.result.initial_distinct_units for r in runners]),
            elapsed_s=now - started,
        ))

    def evaluate(r: _Runner, epoch: int) -> None:
        loss, acc = r.mlp.evaluate(x, y, ds.task)
        r.result.loss[epoch], r.result.accuracy[epoch] = loss, acc
        if not math.isfinite(loss):
            r.stop(STATUS_NONFINITE, r.result.steps_done, f"non-finite loss on the training set after step "
                   f"{r.result.steps_done}")
        elif r.result.steps_to_target is None and loss <= target:
            r.result.steps_to_target = int(epoch_steps[epoch])

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for r in runners:
            evaluate(r, 0)
        emit(0, force=True)
        for epoch in range(1, tc.epochs + 1):
            order = orders[0] if epoch == 1 else layer_rng(seed, Stream.ORDER, epoch).permutation(n)
            xs, ys = x[order], y[order]
            base = (epoch - 1) * spe
            for r in runners:
                if not r.running:
                    continue
                for s in range(spe):
                    if cancel is not None and cancel.is_set():
                        cancelled = True
                        break
                    step = base + s + 1
                    record = (step - 1) // every if step % every == 0 or step == total else None
                    r.step(xs[s * bs:(s + 1) * bs], ys[s * bs:(s + 1) * bs], step, ds.task, tc, record)
                    if not r.running:
                        break
                    emit(epoch - 1)
                if cancelled:
                    break
                if r.running:
                    evaluate(r, epoch)
            if cancelled:
                break
            epochs_done = epoch
            emit(epoch)

    for r in runners:
        if r.running:
            if cancelled:
                r.stop(STATUS_CANCELLED, r.result.steps_done, f"cancelled at step {r.result.steps_done}")
            else:
                r.result.status = STATUS_FINISHED
                r.result.reason = f"finished {r.result.steps_done} steps"
        r.finish_stats()
    kept_records = int(np.searchsorted(record_steps, max(r.result.steps_done for r in runners), side="right"))
    contenders = []
    for r in runners:
        c = r.result
        c.loss, c.accuracy = c.loss[:epochs_done + 1], c.accuracy[:epochs_done + 1]
        c.step_loss, c.grad_norm = c.step_loss[:kept_records], c.grad_norm[:kept_records]
        c.update_ratio, c.distinct_units = c.update_ratio[:kept_records], c.distinct_units[:kept_records]
        contenders.append(c)
    result = RaceResult(
        config=tc, dataset=ds.info(), target_loss=target, steps_per_epoch=spe,
        epoch_steps=epoch_steps[:epochs_done + 1], record_steps=record_steps[:kept_records],
        contenders=tuple(contenders), epochs_done=epochs_done, cancelled=cancelled,
        elapsed_s=time.perf_counter() - started,
        layer_names=(*(str(i) for i in range(1, len(tc.network.widths) + 1)), "out"),
    )
    emit(epochs_done, force=True)
    return result


def _last_record(r: _Runner) -> int:
    units = r.result.distinct_units
    if units.shape[1] == 0:
        return -1
    written = np.flatnonzero(units[:, 0] >= 0)
    return int(written[-1]) if written.size else -1
