"""The training race: the same MLP, data and mini-batch order for every contender; only the initializer differs.

What a race is:
- Network: `network.depth` hidden layers of `network.widths` units with `network.activation`, then a linear
  readout to the output dimension (classes, or 1 target). Every weight matrix, the readout included, is
  drawn by the contender's initializer ('auto' gain: the activation's for hidden layers, 1 for the linear
  readout); biases come from `network.bias` (zeros by default). Layout as everywhere: W is
  (fan_in, fan_out) and Z = A @ W + b. The input dimension (`fan_in`) is the data's.
- Randomness: every contender's layer l draws from the same stream (seed, Stream.RACE_WEIGHTS, l), so he_normal and
  xavier_normal scale the same Gaussian draws; data, mini-batch order and the teacher have streams of
  their own, so every contender sees identical batches in identical order.
- Recording (memory stays bounded however long the race): the loss and accuracy on the whole training set
  at initialization and after every epoch (exact; the steps to reach the target loss are read from this);
  and at most `MAX_STEP_RECORDS` step records per contender, each closing a window of steps: the mean
  mini-batch loss over the window and the mean per-layer gradient norm (before clipping), with the
  update:data ratio and the distinct hidden units sampled at the window's last step.
- A contender whose loss or gradient stops being finite stops there; the step and the reason are kept.

Pure NumPy: imports nothing from textual, rich or plotext. `run_race` runs in a worker thread; it checks
`cancel` at every step and calls `progress` with a small, copied `RaceProgress` at most every
`progress_interval` seconds (and always at the start and the end).

The package, one job per module (each imports only those above it):
- `losses.py`: softmax cross-entropy and MSE, and `Trainable` (loss, gradients and evaluation).
- `arch_contenders.py`: contenders that are one-line configs (residual blocks, norms) and their networks.
- `constants.py`: defaults, limits and tolerances (the random streams are in engine/streams.py).
- `datasets.py`: the generated tasks and a user's .csv/.npy.
- `config.py`: `Contender` and `TrainConfig` (validated at construction).
- `mlp.py`: the plain MLP, LSUV, and `build_mlp` (any contender's network).
- `optim.py`: SGD and Adam (torch semantics) and gradient clipping.
- `results.py`: `ContenderResult`, `RaceResult` (to/from the snapshot's `training` block), the conclusion, the diff.
- `race.py`: `run_race`, its live `RaceProgress`, and the distinct-units measure it records.

This module re-exports what the CLI, the TUI, the snapshot and the tests use, so
`from initscope.engine.training import TrainConfig, run_race` keeps working.
"""

from __future__ import annotations

from initscope.engine.training.config import DEFAULT_NETWORK, Contender, TrainConfig, parse_contenders, split_top_level
from initscope.engine.training.constants import (
    ADAM_BETAS,
    ADAM_EPS,
    AUTO_CLASS_LIMIT,
    CLIP_EPS,
    CLIP_MODES,
    CURVE_POINTS,
    DATA_ALLOWED,
    DEFAULT_CONTENDERS,
    DEFAULT_LR,
    DEFAULT_SAMPLES,
    DEFAULT_WORK_BUDGET,
    GENERATED,
    GENERATED_DIMS,
    MAX_CLASSES,
    MAX_CONTENDERS,
    MAX_EPOCHS,
    MAX_SAMPLES,
    MAX_STEP_RECORDS,
    OPTIMIZERS,
    SYMMETRY_RTOL,
    TARGET_FRACTION,
    TASKS,
    Array,
    FloatArray,
    IntArray,
)
from initscope.engine.training.datasets import Dataset, circles, load_file, spirals, teacher
from initscope.engine.training.mlp import MLP, build_mlp
from initscope.engine.training.optim import _SGD, _Adam, clip_gradients
from initscope.engine.training.race import RaceProgress, distinct_units, run_race
from initscope.engine.training.results import (
    STATUS_CANCELLED,
    STATUS_FINISHED,
    STATUS_NONFINITE,
    STATUS_RUNNING,
    ContenderResult,
    RaceResult,
    conclusion,
    diff_training,
    downsample_indices,
)

# _SGD and _Adam: the tests and the training benchmark drive an optimizer directly.
__all__ = [
    "ADAM_BETAS",
    "ADAM_EPS",
    "AUTO_CLASS_LIMIT",
    "CLIP_EPS",
    "CLIP_MODES",
    "CURVE_POINTS",
    "DATA_ALLOWED",
    "DEFAULT_CONTENDERS",
    "DEFAULT_LR",
    "DEFAULT_NETWORK",
    "DEFAULT_SAMPLES",
    "DEFAULT_WORK_BUDGET",
    "GENERATED",
    "GENERATED_DIMS",
    "MAX_CLASSES",
    "MAX_CONTENDERS",
    "MAX_EPOCHS",
    "MAX_SAMPLES",
    "MAX_STEP_RECORDS",
    "MLP",
    "OPTIMIZERS",
    "STATUS_CANCELLED",
    "STATUS_FINISHED",
    "STATUS_NONFINITE",
    "STATUS_RUNNING",
    "SYMMETRY_RTOL",
    "TARGET_FRACTION",
    "TASKS",
    "_SGD",
    "Array",
    "Contender",
    "ContenderResult",
    "Dataset",
    "FloatArray",
    "IntArray",
    "RaceProgress",
    "RaceResult",
    "TrainConfig",
    "_Adam",
    "build_mlp",
    "circles",
    "clip_gradients",
    "conclusion",
    "diff_training",
    "distinct_units",
    "downsample_indices",
    "load_file",
    "parse_contenders",
    "run_race",
    "spirals",
    "split_top_level",
    "teacher",
]
