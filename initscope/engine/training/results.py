"""What a race leaves: per-contender curves and summaries, their JSON form, the conclusion and the diff."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from initscope.engine import initializers
from initscope.engine.arrays import FloatArray, IntArray
from initscope.engine.errors import ConfigError
from initscope.engine.jsonsafe import json_safe
from initscope.engine.kinds import RaceStatus
from initscope.engine.training.config import TrainConfig, _choice
from initscope.engine.training.constants import CURVE_POINTS

STATUS_RUNNING = RaceStatus.RUNNING
STATUS_FINISHED = RaceStatus.FINISHED
STATUS_NONFINITE = RaceStatus.NONFINITE
STATUS_CANCELLED = RaceStatus.CANCELLED


@dataclass
class ContenderResult:
    """One contender's curves and summary. Arrays are NaN where nothing was recorded (after a stop)."""

    label: str
    initializer: str
    params: dict[str, initializers.ParamValue]
    loss: FloatArray
    """Loss on the whole training set at initialization and after every epoch, (epochs_done + 1,)."""
    accuracy: FloatArray
    """Accuracy on the training set at the same points (NaN for regression)."""
    step_loss: FloatArray
    """Mean mini-batch loss over each record window, (records,)."""
    grad_norm: FloatArray
    """Mean L2 norm of each layer's (dW, db) before clipping over each window, (records, layers)."""
    update_ratio: FloatArray
    """log10(std(update) / std(W)) per layer at each window's last step (NaN where W is constant)."""
    distinct_units: IntArray
    """Distinct hidden units per hidden layer at each window's last step, (records, hidden layers);
    -1 where nothing was recorded (after a stop)."""
    initial_distinct_units: IntArray
    status: RaceStatus = STATUS_RUNNING
    """finished | nonfinite | cancelled."""
    stopped_step: int | None = None
    reason: str = ""
    steps_done: int = 0
    steps_to_target: int | None = None
    clipped_fraction: float = 0.0
    """Share of steps in which clipping scaled a gradient down (0 with clipping off)."""
    norm_before: float = math.nan
    """Mean total gradient norm (all parameters) before clipping, over the steps done."""
    norm_after: float = math.nan

    @property
    def final_loss(self) -> float:
        """The last loss on the whole training set; NaN for a contender stopped as non-finite."""
        return math.nan if self.status == STATUS_NONFINITE else _last_evaluated(self.loss)

    @property
    def final_accuracy(self) -> float:
        return math.nan if self.status == STATUS_NONFINITE else _last_evaluated(self.accuracy)

    @property
    def final_distinct_units(self) -> IntArray:
        rows = self.distinct_units[self.distinct_units[:, 0] >= 0] if self.distinct_units.size else self.distinct_units
        return rows[-1] if len(rows) else self.initial_distinct_units

    @property
    def min_distinct_units(self) -> int:
        final = self.final_distinct_units
        return int(final.min()) if final.size else 0


def _last_evaluated(curve: FloatArray) -> float:
    """The last entry that was written (NaN entries after a stop are skipped; a non-finite stop value is kept)."""
    written = np.flatnonzero(~np.isnan(curve))
    if written.size == 0:
        return math.nan
    return float(curve[written[-1]])


@dataclass
class RaceResult:
    """A race: shared x axes, one ContenderResult per contender, the summary. `run_race` returns it at the end
    (finished or cancelled) and hands a copy of the race so far to its live `progress` (`running` set: the
    curves are downsampled to CURVE_POINTS and only the latest record is kept)."""

    config: TrainConfig
    dataset: dict[str, Any]
    """name, task, samples, features, classes, class_names, baseline_loss."""
    target_loss: float
    steps_per_epoch: int
    epoch_steps: IntArray
    """Steps done at each entry of ContenderResult.loss: 0, spe, 2 spe, ..."""
    record_steps: IntArray
    """Step that closes each record window (x axis of step_loss, grad_norm, update_ratio, distinct_units)."""
    contenders: tuple[ContenderResult, ...]
    epochs_done: int
    cancelled: bool = False
    elapsed_s: float = 0.0
    layer_names: tuple[str, ...] = ()
    """'1', '2', ..., 'out': names of the weight layers (grad_norm and update_ratio columns)."""
    running: bool = False
    """The race so far, handed to a live view while it runs (never written to a snapshot)."""

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.contenders)

    @property
    def statuses(self) -> tuple[RaceStatus, ...]:
        return tuple(c.status for c in self.contenders)

    @property
    def step(self) -> int:
        """Steps done by the contender that is furthest."""
        return max((c.steps_done for c in self.contenders), default=0)

    @property
    def fraction(self) -> float:
        """Share of the race's steps done (by the contender that is furthest)."""
        return self.step / self.total_steps if self.total_steps else 1.0

    def loss_curves(self) -> FloatArray:
        """(contenders, points) loss on the whole training set at `epoch_steps`."""
        return np.array([c.loss for c in self.contenders]) if self.contenders else np.zeros((0, 0))

    def accuracy_curves(self) -> FloatArray:
        return np.array([c.accuracy for c in self.contenders]) if self.contenders else np.zeros((0, 0))

    def latest_update_ratios(self) -> FloatArray:
        """(contenders, layers): each contender's last recorded log10 update:data ratio per layer that has a
        finite value (NaN: none recorded, or W or its update is 0)."""
        width = len(self.layer_names) or 1
        rows = []
        for c in self.contenders:
            written = np.flatnonzero(np.isfinite(c.update_ratio).any(axis=1)) if c.update_ratio.size else None
            rows.append(c.update_ratio[written[-1]] if written is not None and written.size else np.full(width, np.nan))
        return np.array(rows)

    def latest_distinct_units(self) -> IntArray:
        """(contenders, hidden layers): each contender's last count of distinct hidden units."""
        return np.array([c.final_distinct_units for c in self.contenders])

    @property
    def total_steps(self) -> int:
        return self.config.epochs * self.steps_per_epoch

    @property
    def steps_per_second(self) -> float:
        """Optimizer steps per second summed over contenders (the race's throughput)."""
        done = sum(c.steps_done for c in self.contenders)
        return done / self.elapsed_s if self.elapsed_s > 0 else math.nan

    def conclusion(self) -> str:
        """One line a person can read: who reached the target first, who stayed symmetric or blew up."""
        return conclusion(
            self.contenders, self.target_loss, self.config.network.widths, self.dataset.get("task") == "classification"
        )

    def to_dict(self) -> dict[str, Any]:
        """The snapshot's `training` block: JSON-safe (non-finite -> null), curves downsampled to
        at most CURVE_POINTS points."""
        e_idx = downsample_indices(len(self.epoch_steps), CURVE_POINTS)
        r_idx = downsample_indices(len(self.record_steps), CURVE_POINTS)
        return {
            "format": "initscope.training",
            "version": 1,
            "config": self.config.to_dict(),
            "dataset": json_safe(self.dataset),
            "target_loss": json_safe(self.target_loss),
            "steps_per_epoch": self.steps_per_epoch,
            "total_steps": self.total_steps,
            "epochs_done": self.epochs_done,
            "cancelled": self.cancelled,
            "elapsed_s": json_safe(self.elapsed_s),
            "steps_per_second": json_safe(self.steps_per_second),
            "layer_names": list(self.layer_names),
            "conclusion": self.conclusion(),
            "curves": {
                "epoch_step": json_safe(self.epoch_steps[e_idx]),
                "record_step": json_safe(self.record_steps[r_idx]),
            },
            "contenders": [
                {
                    "label": c.label,
                    "initializer": c.initializer,
                    "params": json_safe(c.params),
                    "status": c.status,
                    "stopped_step": c.stopped_step,
                    "reason": c.reason,
                    "steps_done": c.steps_done,
                    "steps_to_target": c.steps_to_target,
                    "final_loss": json_safe(c.final_loss),
                    "final_accuracy": json_safe(c.final_accuracy),
                    "distinct_units_initial": json_safe(c.initial_distinct_units),
                    "distinct_units_final": json_safe(c.final_distinct_units),
                    "distinct_units_min": c.min_distinct_units,
                    "clip": {
                        "clipped_fraction": json_safe(c.clipped_fraction),
                        "norm_before": json_safe(c.norm_before),
                        "norm_after": json_safe(c.norm_after),
                    },
                    "curves": {
                        "loss": json_safe(c.loss[e_idx]),
                        "accuracy": json_safe(c.accuracy[e_idx]),
                        "step_loss": json_safe(c.step_loss[r_idx]),
                        "grad_norm": json_safe(c.grad_norm[r_idx]),
                        "update_ratio": json_safe(c.update_ratio[r_idx]),
                        "distinct_units": json_safe(c.distinct_units[r_idx]),
                    },
                }
                for c in self.contenders
            ],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RaceResult:
        """Rebuild from a `training` block (curves as stored, i.e. downsampled); validates as it goes."""
        try:
            if d.get("format") != "initscope.training":
                raise ConfigError("training.format", d.get("format"), "'initscope.training'")
            if d.get("version") != 1:
                raise ConfigError("training.version", d.get("version"), "1")
            config = TrainConfig.from_dict(d["config"])
            curves = d["curves"]
            epoch_steps = np.asarray(curves["epoch_step"], dtype=np.int64)
            record_steps = np.asarray(curves["record_step"], dtype=np.int64)
            n_layers = len(config.network.widths) + 1
            contenders = []
            for c in d["contenders"]:
                cc = c["curves"]
                loss = _floats(cc["loss"], (len(epoch_steps),))
                contenders.append(
                    ContenderResult(
                        label=str(c["label"]),
                        initializer=str(c["initializer"]),
                        params=dict(c["params"]),
                        loss=loss,
                        accuracy=_floats(cc["accuracy"], loss.shape),
                        step_loss=_floats(cc["step_loss"], (len(record_steps),)),
                        grad_norm=_floats(cc["grad_norm"], (len(record_steps), n_layers)),
                        update_ratio=_floats(cc["update_ratio"], (len(record_steps), n_layers)),
                        distinct_units=_ints(cc["distinct_units"], (len(record_steps), n_layers - 1)),
                        initial_distinct_units=_ints(c["distinct_units_initial"], (n_layers - 1,)),
                        status=RaceStatus(_choice("training.status", c["status"], tuple(RaceStatus))),
                        stopped_step=None if c["stopped_step"] is None else int(c["stopped_step"]),
                        reason=str(c["reason"]),
                        steps_done=int(c["steps_done"]),
                        steps_to_target=None if c["steps_to_target"] is None else int(c["steps_to_target"]),
                        clipped_fraction=_float(c["clip"]["clipped_fraction"]),
                        norm_before=_float(c["clip"]["norm_before"]),
                        norm_after=_float(c["clip"]["norm_after"]),
                    )
                )
            return cls(
                config,
                dict(d["dataset"]),
                _float(d["target_loss"]),
                int(d["steps_per_epoch"]),
                epoch_steps,
                record_steps,
                tuple(contenders),
                int(d["epochs_done"]),
                bool(d["cancelled"]),
                _float(d["elapsed_s"]),
                tuple(str(n) for n in d.get("layer_names", ())),
            )
        except ConfigError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ConfigError(
                "training",
                "the snapshot's training block",
                "the block `initscope train --format json` writes",
                message=f"training: malformed training block ({type(err).__name__}: {err})",
            ) from None


def _float(v: object) -> float:
    return math.nan if v is None else float(v)  # type: ignore[arg-type]


def _floats(v: object, shape: tuple[int, ...]) -> FloatArray:
    arr = np.array(v, dtype=object)
    out = np.where(arr == None, np.nan, arr).astype(np.float64) if arr.size else np.zeros(shape)  # noqa: E711
    if out.shape != shape:
        raise ValueError(f"a curve of shape {out.shape}, expected {shape}")
    return out


def _ints(v: object, shape: tuple[int, ...]) -> IntArray:
    out = np.asarray(v, dtype=np.int64).reshape(shape) if shape[0] else np.zeros(shape, dtype=np.int64)
    return out


def downsample_indices(n: int, points: int) -> npt.NDArray[np.intp]:
    """At most `points` indices spread evenly over range(n), first and last included."""
    if n <= points:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, points)).astype(np.intp))


def conclusion(
    contenders: Sequence[ContenderResult], target: float, widths: Sequence[int], classification: bool
) -> str:
    """Who reached the target loss first; who stayed symmetric; who stopped non-finite."""
    reached = sorted(
        (c for c in contenders if c.steps_to_target is not None), key=lambda c: (c.steps_to_target or 0, c.final_loss)
    )
    parts = []
    if reached:
        best = reached[0]
        parts.append(f"{best.label} reached the target loss {target:.3g} first (step {best.steps_to_target})")
        missed = [c.label for c in contenders if c.steps_to_target is None and c.status != STATUS_NONFINITE]
        if missed:
            parts.append(", ".join(missed) + " never did")
    else:
        finite = [c for c in contenders if math.isfinite(c.final_loss)]
        if finite:
            best = min(finite, key=lambda c: c.final_loss)
            parts.append(
                f"no contender reached the target loss {target:.3g}; lowest final loss: {best.label} "
                f"({best.final_loss:.3g})"
            )
        else:
            parts.append(f"no contender reached the target loss {target:.3g}")
    if max(widths, default=1) > 1:
        symmetric = [c.label for c in contenders if c.min_distinct_units == 1 and c.status != STATUS_NONFINITE]
        if symmetric:
            parts.append(
                ", ".join(symmetric) + " stayed symmetric (1 distinct unit in a layer: no better than one unit wide)"
            )
    blown = [f"{c.label} at step {c.stopped_step}" for c in contenders if c.status == STATUS_NONFINITE]
    if blown:
        parts.append("non-finite: " + ", ".join(blown))
    return "; ".join(parts) + "."


def diff_training(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> dict[str, Any]:
    """Compare two `training` blocks: config fields that differ, then per contender label the summary of each
    side (final loss ratio b/a, steps to target, status). Either side may be None (no race in that snapshot)."""
    if a is None or b is None:
        return {"present": [a is not None, b is not None]}
    ca, cb = dict(a.get("config", {})), dict(b.get("config", {}))
    config = {k: [ca.get(k), cb.get(k)] for k in sorted(set(ca) | set(cb)) if ca.get(k) != cb.get(k)}
    by_a = {c["label"]: c for c in a.get("contenders", [])}
    by_b = {c["label"]: c for c in b.get("contenders", [])}
    rows = {}
    for label in [*by_a, *(k for k in by_b if k not in by_a)]:
        ra, rb = by_a.get(label), by_b.get(label)
        fa = ra.get("final_loss") if ra else None
        fb = rb.get("final_loss") if rb else None
        rows[label] = {
            "final_loss": [fa, fb],
            "final_loss_ratio": fb / fa
            if isinstance(fa, (int, float)) and isinstance(fb, (int, float)) and fa > 0
            else None,
            "steps_to_target": [ra.get("steps_to_target") if ra else None, rb.get("steps_to_target") if rb else None],
            "final_accuracy": [ra.get("final_accuracy") if ra else None, rb.get("final_accuracy") if rb else None],
            "status": [ra.get("status") if ra else None, rb.get("status") if rb else None],
        }
    return {
        "present": [True, True],
        "config": config,
        "contenders": rows,
        "conclusion": [a.get("conclusion"), b.get("conclusion")],
    }
