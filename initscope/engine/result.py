"""The Result of a run: plain dataclasses of NumPy arrays, one entry per layer.

Arrays are indexed by layer - 1 (layer 1 is index 0) and hold NaN for layers that were not computed
(past the first non-finite layer, or after a cancel). Panes draw from these; they never recompute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from initscope.engine.arrays import FloatArray
from initscope.engine.config import Config
from initscope.engine.kinds import FindingKind, Phase, Severity


@dataclass
class Histogram:
    """A pre-binned histogram of the finite values of one array."""

    edges: FloatArray
    """Bin edges, length bins + 1 (empty when nothing finite was seen)."""
    counts: npt.NDArray[np.int64]
    total: int
    """Finite values counted."""
    nonfinite: int = 0
    collapsed: str | None = None
    """Set when the range collapses (e.g. every value is 0): say it in words, never draw a flat bar."""
    outside: tuple[int, int] = (0, 0)
    """Values below / above the robust range; they are counted in the first / last bin."""
    note: str | None = None
    """Set when an evenly strided subset was counted (large arrays), saying which."""


@dataclass
class Summary:
    """mean, std, min, max and the fraction of non-finite values of one array per layer."""

    mean: FloatArray
    std: FloatArray
    min: FloatArray
    max: FloatArray
    nonfinite_fraction: FloatArray

    @classmethod
    def empty(cls, depth: int) -> Summary:
        return cls(*(np.full(depth, np.nan) for _ in range(5)))


@dataclass
class WeightStats:
    """Per-layer summary of W next to what the initializer's formula expects."""

    summary: Summary
    expected_mean: FloatArray
    expected_std: FloatArray
    bound_low: FloatArray
    """Hard support of the formula (NaN when unbounded)."""
    bound_high: FloatArray
    zero_fraction: FloatArray
    histograms: list[Histogram]


@dataclass
class ForwardStats:
    """Pre-activation Z and activation A of every layer."""

    preactivation: Summary
    activation: Summary
    saturated_fraction: FloatArray
    """NaN where saturation is undefined for the activation."""
    dead_fraction: FloatArray
    """Share of A entries exactly 0 (relu-like only; NaN otherwise)."""
    dead_unit_fraction: FloatArray
    """Share of units that are 0 for the whole batch (relu-like only; NaN otherwise)."""
    symmetric: npt.NDArray[np.bool_]
    """All units of the layer carry the same values (zero/constant init): they can never differ."""
    histograms: list[Histogram]
    input_std: float = float("nan")


@dataclass
class BackwardStats:
    """Gradients from a unit-Gaussian dA at the top, layer by layer."""

    activation_grad_std: FloatArray
    """std of dA_l, the gradient with respect to layer l's output."""
    weight_grad_norm: FloatArray
    """||dW||_F before clipping."""
    grad_to_weight_ratio: FloatArray
    """||dW||_F / ||W||_F."""
    bias_grad_norm: FloatArray
    clipped_weight_grad_norm: FloatArray | None = None
    """||dW||_F after clipping (None when clipping is off)."""
    clip_scale: FloatArray | None = None
    """Factor each layer's gradient was multiplied by (1 where under the threshold)."""
    histograms: list[Histogram] = field(default_factory=list)
    """Histogram of dW per layer."""
    input_grad_std: float = float("nan")


@dataclass
class BranchStats:
    """Per residual block: what the branch alpha * F(x) adds to the stream (NaN where not computed)."""

    std: FloatArray
    """std of alpha * F(x_l), the branch output."""
    ratio: FloatArray
    """std(alpha * F(x_l)) / std(x_l): how much the block changes its input."""
    saturated_fraction: FloatArray
    """Inside the branch: the last phi's saturated share (NaN where undefined for the activation)."""
    dead_fraction: FloatArray
    """Inside the branch: the last phi's share of exact zeros (relu-like only)."""
    grad_std: FloatArray
    """std of the gradient the branch sends to the stream below it."""
    weight_grad_norm: FloatArray
    """||dW||_F of each branch layer (depth x branch_depth), before clipping."""
    weight_std: FloatArray
    """std of each branch layer's weights (depth x branch_depth), after the branch scale."""
    theory_std: FloatArray | None = None
    """Mean-field prediction of the branch output's std (NaN where theory does not apply)."""


@dataclass
class TheoryLayers:
    """Mean-field predictions per layer (NaN everywhere when theory does not apply)."""

    preactivation_var: FloatArray
    activation_std: FloatArray
    saturated_fraction: FloatArray
    activation_grad_std: FloatArray


@dataclass
class TheorySummary:
    applicable: bool
    reason: str
    """Why theory does not apply (empty when it does)."""
    q_star: float = float("nan")
    chi1: float = float("nan")
    phase: Phase = Phase.UNDEFINED
    depth_scale: float = float("nan")
    """Ordered phase: xi = -1/ln chi1. Chaotic phase with a finite q*: xi_c = -1/ln chi_c at the stable
    correlation c* < 1 (Schoenholz et al. 2017). inf at criticality; NaN where the theory has no such scale
    (chaotic with q* = inf, as relu: correlations never decorrelate); depth_note says which."""
    trainable_depth: float = float("nan")
    """About 6 depth scales."""
    sigma_w2: float = float("nan")
    sigma_b2: float = float("nan")
    c_star: float = float("nan")
    """Chaotic phase: the stable fixed point of the correlation map below 1."""
    chi_c: float = float("nan")
    """Chaotic phase: the correlation map's slope at c*."""
    depth_note: str = ""
    """What the depth scale is, or why there is none, in words."""
    maps: int = 1
    """Distinct layer maps (sigma_w^2, sigma_b^2); the summary describes the one most layers share."""


@dataclass
class Finding:
    """One diagnosis: a sentence a person can read, the numbers behind it, and the fix it suggests."""

    kind: str
    """A FindingKind for the findings initscope makes (a snapshot may hold others)."""
    severity: Severity
    text: str
    fix: str = ""
    numbers: dict[str, float | int | None] = field(default_factory=dict)


@dataclass
class Verdict:
    kind: FindingKind
    """One of kinds.VERDICT_KINDS."""
    text: str
    findings: list[Finding]
    first_nonfinite_layer: int | None
    forward_factor: float = float("nan")
    """Geometric mean change of activation std per layer."""
    backward_factor: float = float("nan")
    """Geometric mean change of activation-gradient std per layer, going down."""
    fix: dict[str, Any] | None = None
    """None when the net is healthy; else {'config': one-line config string or None when no initializer
    helps, 'text': the advice in words, 'measured': the numbers that back it} (engine/advice.py)."""

    @classmethod
    def undiagnosed(cls, first_nonfinite_layer: int | None) -> Verdict:
        """What a run's measurement carries until `verdict.diagnose` replaces it (`run` does, once the passes'
        arrays are freed): no finding, only where the first non-finite layer was."""
        return cls(FindingKind.STABLE, "", [], first_nonfinite_layer)

    @property
    def severity(self) -> Severity:
        return Severity.worst([f.severity for f in self.findings])


@dataclass
class Result:
    """Everything one run measured, plus the theory next to it."""

    config: Config
    weights: WeightStats
    forward: ForwardStats
    backward: BackwardStats
    theory_layers: TheoryLayers
    theory: TheorySummary
    verdict: Verdict
    layers_done: int
    """Forward layers computed (== depth unless cancelled or stopped by overflow)."""
    cancelled: bool = False
    elapsed_s: float = 0.0
    created_utc: str = ""
    training: dict[str, Any] | None = None
    branch: BranchStats | None = None
    """arch=residual: the branch of every block (layers are blocks; their activation is the stream)."""

    @property
    def depth(self) -> int:
        return self.config.n_layers
