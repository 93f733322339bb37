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
`cancel` at every step and calls `progress` with a small, copied `RaceResult` of the race so far (`running`
set) at most every `progress_interval` seconds (and always at the start and the end).

The package, one job per module (each imports only those above it):
- `losses.py`: softmax cross-entropy and MSE, and `Trainable` (loss, gradients and evaluation).
- `arch_contenders.py`: contenders that are one-line configs (residual blocks, norms) and their networks.
- `constants.py`: defaults, limits and tolerances (the random streams are in engine/streams.py).
- `datasets.py`: the generated tasks and a user's .csv/.npy.
- `config.py`: `Contender` and `TrainConfig` (validated at construction).
- `mlp.py`: the plain MLP, LSUV, and `build_mlp` (any contender's network).
- `optim.py`: SGD and Adam (torch semantics) and gradient clipping.
- `results.py`: `ContenderResult`, `RaceResult` (to/from the snapshot's `training` block), the conclusion, the diff.
- `race.py`: `run_race` and the distinct-units measure it records.

This module re-exports what the CLI, the TUI and the snapshot use, so
`from initscope.engine.training import TrainConfig, run_race` keeps working; the rest is imported from its
module.
"""

from __future__ import annotations

from initscope.engine.arrays import IntArray
from initscope.engine.training.config import DEFAULT_NETWORK, Contender, TrainConfig, parse_contenders, split_top_level
from initscope.engine.training.constants import (
    DEFAULT_CONTENDERS,
    DEFAULT_LR,
    GENERATED,
    MAX_CONTENDERS,
    TARGET_FRACTION,
)
from initscope.engine.training.mlp import build_mlp
from initscope.engine.training.race import run_race
from initscope.engine.training.results import (
    STATUS_CANCELLED,
    STATUS_FINISHED,
    STATUS_NONFINITE,
    STATUS_RUNNING,
    RaceResult,
    diff_training,
)

__all__ = [
    "DEFAULT_CONTENDERS",
    "DEFAULT_LR",
    "DEFAULT_NETWORK",
    "GENERATED",
    "MAX_CONTENDERS",
    "STATUS_CANCELLED",
    "STATUS_FINISHED",
    "STATUS_NONFINITE",
    "STATUS_RUNNING",
    "TARGET_FRACTION",
    "Contender",
    "IntArray",
    "RaceResult",
    "TrainConfig",
    "build_mlp",
    "diff_training",
    "parse_contenders",
    "run_race",
    "split_top_level",
]
