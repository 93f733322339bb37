"""The `branch` object of a residual snapshot's `layers[i]` (format version 2): write and read it.

In a residual snapshot `layers[i]` is block i: its `activation` and `gradient` describe the stream after the
block (every reader of version 1 keeps its meaning), and `branch` holds what the block's branch adds. Files
of version 1 have no `branch` and no architecture fields in their config: they are plain MLPs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from initscope.engine.jsonsafe import json_safe
from initscope.engine.result import BranchStats

FIELDS = ("std", "ratio", "saturated_fraction", "dead_fraction", "grad_std", "theory_std")
"""The per-block numbers, as BranchStats names them; then the per-layer lists weight_std and weight_grad_norm."""


def to_document(branch: BranchStats, i: int) -> dict[str, Any]:
    """Block i's branch object (non-finite values become null, as everywhere in a snapshot)."""
    theory = branch.theory_std
    out: dict[str, Any] = {
        "std": json_safe(branch.std[i]), "ratio": json_safe(branch.ratio[i]),
        "saturated_fraction": json_safe(branch.saturated_fraction[i]),
        "dead_fraction": json_safe(branch.dead_fraction[i]), "grad_std": json_safe(branch.grad_std[i]),
        "theory_std": None if theory is None else json_safe(theory[i]),
        "weight_std": [json_safe(x) for x in branch.weight_std[i]],
        "weight_grad_norm": [json_safe(x) for x in branch.weight_grad_norm[i]],
    }
    return out


class BranchError(ValueError):
    """A branch object that cannot be read: `where` names the field."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where


def _number(value: Any, where: str) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BranchError(where, f"expected a number or null, got {type(value).__name__}")
    return float(value)


def from_layers(layers: list[dict[str, Any]], branch_depth: int) -> BranchStats:
    """BranchStats from every layer's `branch` object (a residual snapshot of version 2)."""
    depth = len(layers)
    cols: dict[str, npt.NDArray[np.float64]] = {name: np.full(depth, np.nan) for name in FIELDS}
    weight_std = np.full((depth, branch_depth), np.nan)
    weight_grad = np.full((depth, branch_depth), np.nan)
    for i, layer in enumerate(layers):
        where = f"layers[{i}].branch"
        block = layer.get("branch")
        if not isinstance(block, dict):
            raise BranchError(where, "missing: a residual snapshot holds one branch object per block")
        for name in FIELDS:
            cols[name][i] = _number(block.get(name), f"{where}.{name}")
        for key, target in (("weight_std", weight_std), ("weight_grad_norm", weight_grad)):
            values = block.get(key, [None] * branch_depth)
            if not isinstance(values, list) or len(values) != branch_depth:
                raise BranchError(f"{where}.{key}", f"expected a list of {branch_depth} numbers (one per branch layer)")
            target[i] = [_number(v, f"{where}.{key}") for v in values]
    return BranchStats(cols["std"], cols["ratio"], cols["saturated_fraction"], cols["dead_fraction"],
                       cols["grad_std"], weight_grad, weight_std, cols["theory_std"])
