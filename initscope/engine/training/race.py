"""Running the race: every contender trained on the same batches in the same order, recording the loss,
gradient norms, update:data ratios and distinct hidden units (`distinct_units`). Live progress is the race so
far as a `RaceResult` (with `running` set), the same type the race returns at its end.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from initscope.engine.arrays import Array, FloatArray, IntArray
from initscope.engine.kinds import RaceStatus
from initscope.engine.streams import Stream, layer_rng
from initscope.engine.training.config import Contender, TrainConfig
from initscope.engine.training.constants import CURVE_POINTS, MAX_STEP_RECORDS, SYMMETRY_RTOL, TARGET_FRACTION
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

    def __init__(
        self, tc: TrainConfig, contender: Contender, out_dim: int, first_batch: Array, epochs: int, records: int
    ) -> None:
        self.contender = contender
        self.mlp = build_mlp(tc, contender, out_dim, first_batch)
        self.params: list[Array] = [p for pair in zip(self.mlp.weights, self.mlp.biases, strict=True) for p in pair]
        lr = tc.effective_lr
        self.opt: _Optimizer = _Adam(self.params, lr) if tc.optimizer == "adam" else _SGD(self.params, lr, tc.momentum)
        sizes = self.mlp.group_sizes()
        self.group_of = [g for g, size in enumerate(sizes) for _ in range(size)]
        """The recorded layer (group) of every dense layer."""
        self.last_of_group = list(itertools.accumulate(sizes))
        """One past each group's last dense layer: that layer's units are the group's."""
        n_layers, n_hidden = len(sizes), self.mlp.n_hidden
        self.result = ContenderResult(
            contender.label,
            contender.initializer,
            dict(contender.params),
            loss=np.full(epochs + 1, np.nan),
            accuracy=np.full(epochs + 1, np.nan),
            step_loss=np.full(records, np.nan),
            grad_norm=np.full((records, n_layers), np.nan),
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
        return np.array([distinct_units(w[end - 1], b[end - 1]) for end in self.last_of_group[:-1]], dtype=np.int64)

    @property
    def running(self) -> bool:
        return self.result.status == STATUS_RUNNING

    def stop(self, status: RaceStatus, step: int, reason: str) -> None:
        r = self.result
        r.status, r.stopped_step, r.reason = status, step, reason

    def step(self, x: Array, y: npt.NDArray[Any], step: int, task: str, tc: TrainConfig, record: int | None) -> None:
        """One optimizer step; `record` is the record index when this step closes a window."""
        loss, _, dws, dbs = self.mlp.loss_and_gradients(x, y, task)
        if not math.isfinite(loss):
            self.stop(STATUS_NONFINITE, step, f"non-finite loss at step {step}")
            return
        starts = [0, *self.last_of_group[:-1]]
        groups = [
            [g for k in range(lo, hi) for g in (dws[k], dbs[k])]
            for lo, hi in zip(starts, self.last_of_group, strict=True)
        ]
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

    def live(self, idx: npt.NDArray[np.intp]) -> ContenderResult:
        """A copy of this contender so far for a live view: the curves at `idx`, the latest record only."""
        r, last = self.result, _last_record(self)
        units = r.distinct_units[last] if last >= 0 else r.initial_distinct_units
        return dataclasses.replace(
            r,
            params=dict(r.params),
            loss=r.loss[idx],
            accuracy=r.accuracy[idx],
            step_loss=r.step_loss[:0].copy(),
            grad_norm=r.grad_norm[:0].copy(),
            update_ratio=self.latest_ratio[None, :].copy(),
            distinct_units=units[None, :].copy(),
            initial_distinct_units=r.initial_distinct_units.copy(),
        )

    def finish_stats(self) -> None:
        r, done = self.result, max(self.result.steps_done, 0)
        if done:
            r.clipped_fraction = self.clipped_steps / done
            r.norm_before = self.sum_before / done
            r.norm_after = self.sum_after / done


class _Race:
    """One race under way: the data, the shared axes, the runners, and the live reports."""

    def __init__(
        self,
        tc: TrainConfig,
        cancel: threading.Event | None,
        progress: Callable[[RaceResult], None] | None,
        progress_interval: float,
    ) -> None:
        self.started = time.perf_counter()
        self.tc, self.cancel, self.progress, self.interval = tc, cancel, progress, progress_interval
        ds = self.ds = tc.dataset()
        self.x = ds.x.astype(tc.network.np_dtype)
        self.y = ds.y if ds.task == "classification" else ds.y.astype(tc.network.np_dtype)
        self.spe = -(-ds.n // tc.batch_size)
        self.total = tc.epochs * self.spe
        self.every = -(-self.total // MAX_STEP_RECORDS)
        records = -(-self.total // self.every)
        self.target = tc.target_loss if tc.target_loss is not None else TARGET_FRACTION * ds.baseline_loss
        self.first_order = layer_rng(tc.effective_seed, Stream.ORDER, 1).permutation(ds.n)
        first_batch = self.x[self.first_order[: tc.batch_size]]
        self.runners = [_Runner(tc, c, ds.out_dim, first_batch, tc.epochs, records) for c in tc.contender_list]
        self.epoch_steps = np.arange(tc.epochs + 1, dtype=np.int64) * self.spe
        self.record_steps = np.minimum((np.arange(records, dtype=np.int64) + 1) * self.every, self.total)
        self.layer_names = (*(str(i) for i in range(1, len(tc.network.widths) + 1)), "out")
        self.last_emit = -math.inf

    def race_result(
        self,
        contenders: tuple[ContenderResult, ...],
        epochs_done: int,
        record_steps: IntArray,
        epoch_steps: IntArray,
        cancelled: bool = False,
        running: bool = False,
    ) -> RaceResult:
        return RaceResult(
            config=self.tc,
            dataset=self.ds.info(),
            target_loss=self.target,
            steps_per_epoch=self.spe,
            epoch_steps=epoch_steps,
            record_steps=record_steps,
            contenders=contenders,
            epochs_done=epochs_done,
            cancelled=cancelled,
            elapsed_s=time.perf_counter() - self.started,
            layer_names=self.layer_names,
            running=running,
        )

    def emit(self, epoch: int, force: bool = False) -> None:
        """Report the race so far (curves downsampled to CURVE_POINTS, the latest record only), at most every
        `interval` seconds unless forced."""
        now = time.perf_counter()
        if self.progress is None or (not force and now - self.last_emit < self.interval):
            return
        self.last_emit = now
        idx = downsample_indices(epoch + 1, CURVE_POINTS)
        live = tuple(r.live(idx) for r in self.runners)
        last = max((_last_record(r) for r in self.runners), default=-1)
        steps = self.record_steps[last : last + 1].copy() if last >= 0 else self.record_steps[:0].copy()
        self.progress(self.race_result(live, epoch, steps, self.epoch_steps[idx].copy(), running=True))

    def evaluate(self, r: _Runner, epoch: int) -> None:
        loss, acc = r.mlp.evaluate(self.x, self.y, self.ds.task)
        r.result.loss[epoch], r.result.accuracy[epoch] = loss, acc
        if not math.isfinite(loss):
            r.stop(
                STATUS_NONFINITE,
                r.result.steps_done,
                f"non-finite loss on the training set after step {r.result.steps_done}",
            )
        elif r.result.steps_to_target is None and loss <= self.target:
            r.result.steps_to_target = int(self.epoch_steps[epoch])

    def train_epoch(self, epoch: int) -> bool:
        """Every running contender through one epoch, in the epoch's batch order; False when cancelled."""
        order = (
            self.first_order
            if epoch == 1
            else layer_rng(self.tc.effective_seed, Stream.ORDER, epoch).permutation(self.ds.n)
        )
        xs, ys = self.x[order], self.y[order]
        for r in self.runners:
            if not r.running:
                continue
            if not self.train_runner(r, xs, ys, (epoch - 1) * self.spe, epoch):
                return False
            if r.running:
                self.evaluate(r, epoch)
        return True

    def train_runner(self, r: _Runner, xs: Array, ys: npt.NDArray[Any], base: int, epoch: int) -> bool:
        """One contender through one epoch's batches; False when cancelled."""
        bs = self.tc.batch_size
        for s in range(self.spe):
            if self.cancel is not None and self.cancel.is_set():
                return False
            step = base + s + 1
            record = (step - 1) // self.every if step % self.every == 0 or step == self.total else None
            r.step(xs[s * bs : (s + 1) * bs], ys[s * bs : (s + 1) * bs], step, self.ds.task, self.tc, record)
            if not r.running:
                break
            self.emit(epoch - 1)
        return True

    def finish(self, epochs_done: int, cancelled: bool) -> RaceResult:
        """Every runner's status and summary, its records cut to what was done: the race's result."""
        for r in self.runners:
            if r.running and cancelled:
                r.stop(STATUS_CANCELLED, r.result.steps_done, f"cancelled at step {r.result.steps_done}")
            elif r.running:
                r.result.status = STATUS_FINISHED
                r.result.reason = f"finished {r.result.steps_done} steps"
            r.finish_stats()
        kept = int(np.searchsorted(self.record_steps, max(r.result.steps_done for r in self.runners), side="right"))
        for r in self.runners:
            c = r.result
            c.loss, c.accuracy = c.loss[: epochs_done + 1], c.accuracy[: epochs_done + 1]
            c.step_loss, c.grad_norm = c.step_loss[:kept], c.grad_norm[:kept]
            c.update_ratio, c.distinct_units = c.update_ratio[:kept], c.distinct_units[:kept]
        return self.race_result(
            tuple(r.result for r in self.runners),
            epochs_done,
            self.record_steps[:kept],
            self.epoch_steps[: epochs_done + 1],
            cancelled=cancelled,
        )


def run_race(
    tc: TrainConfig,
    cancel: threading.Event | None = None,
    progress: Callable[[RaceResult], None] | None = None,
    progress_interval: float = 0.1,
) -> RaceResult:
    """Train every contender on the same data in the same mini-batch order; interleaved epoch by epoch so
    a live view sees every curve grow. Checks `cancel` at every step; a cancelled race returns what it has.
    `progress` gets the race so far (`running` set) at most every `progress_interval` seconds, and at the
    start and the end."""
    race = _Race(tc, cancel, progress, progress_interval)
    epochs_done = 0
    cancelled = False
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for r in race.runners:
            race.evaluate(r, 0)
        race.emit(0, force=True)
        for epoch in range(1, tc.epochs + 1):
            if not race.train_epoch(epoch):
                cancelled = True
                break
            epochs_done = epoch
            race.emit(epoch)
    result = race.finish(epochs_done, cancelled)
    race.emit(epochs_done, force=True)
    return result


def _last_record(r: _Runner) -> int:
    units = r.result.distinct_units
    if units.shape[1] == 0:
        return -1
    written = np.flatnonzero(units[:, 0] >= 0)
    return int(written[-1]) if written.size else -1
