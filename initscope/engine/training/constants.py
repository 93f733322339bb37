"""The training race's numbers and array types: defaults, limits and tolerances (its random streams are in
engine/streams.py)."""

from __future__ import annotations

from typing import Literal

from initscope.engine.config import ClipMode

GENERATED = ("spirals", "circles", "teacher")
GENERATED_DIMS = {"spirals": 2, "circles": 2, "teacher": 8}
Optimizer = Literal["sgd", "adam"]
Task = Literal["auto", "classification", "regression"]
OPTIMIZERS: tuple[Optimizer, ...] = ("sgd", "adam")
TASKS: tuple[Task, ...] = ("auto", "classification", "regression")
CLIP_MODES: tuple[ClipMode, ...] = ("global", "per_layer")
DEFAULT_LR = {"sgd": 0.02, "adam": 0.003}
"""Measured on the default network: He and Xavier reach the target on spirals and teacher within 200 epochs
(SGD at 0.05 kills the ReLU net on teacher regression in its first steps)."""
DEFAULT_SAMPLES = 512
DEFAULT_CONTENDERS = "he_normal,xavier_normal,zeros"
TARGET_FRACTION = 0.1
"""Default target loss: 10 % of the loss of the best constant prediction (ln K for balanced classes,
1.0 for a standardized regression target, i.e. R² = 0.9)."""
MAX_CONTENDERS = 8
MAX_EPOCHS = 1_000_000
MAX_SAMPLES = 1_000_000
MAX_CLASSES = 1000
AUTO_CLASS_LIMIT = 50
"""`task=auto`: an integer label column with at most this many distinct values is a classification."""
DEFAULT_WORK_BUDGET = 2e11
"""epochs x samples x parameters x contenders: 2e11 is about 3 minutes on one core (the default race is
~1e9). Each unit is a handful of flops, and the cost is linear in all four factors."""
MAX_STEP_RECORDS = 256
CURVE_POINTS = 300
"""Points per curve in `to_dict` (snapshots) and in the live RaceResult: enough for any terminal width."""
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
CLIP_EPS = 1e-6
"""torch.nn.utils.clip_grad_norm_: coef = max_norm / (total_norm + 1e-6), clamped to 1."""
SYMMETRY_RTOL = 1e-4
"""Two hidden units are one when their incoming weights and bias differ by at most this times the layer's
largest |value|. Units started identical (constant init) drift apart only by float32 round-off: measured
<= 1.4e-6 of that after 800 Adam steps, 70x below; units started at random differ by O(1) of it."""
DATA_ALLOWED = "spirals, circles, teacher, or a .csv/.npy file of rows (features, then label or target last)"
