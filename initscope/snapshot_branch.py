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
        "std": json_safe(branch.std[i]),
        "ratio": json_safe(branch.ratio[i]),
        "saturated_fraction": json_safe(branch.saturated_fraction[i]),
        "dead_fraction": json_safe(branch.dead_fraction[i]),
        "grad_std": json_safe(branch.grad_std[i]),
        "theory_std": None if theory is None else json_safe(theory[i]),
        "weight_std": [json_safe(x) for x in branch.weight_std[i]],
        "weight_grad_norm": [json_safe(x) for x in branch.weight_grad_norm[i]],
    }
    return out


def _number(value: Any) -> float:
    """A checked JSON number (schema.BRANCH); null (non-finite or undefined) is NaN."""
    return math.nan if value is None else float(value)


def from_layers(layers: list[dict[str, Any]], branch_depth: int) -> BranchStats:
    """BranchStats from every layer's `branch` object of a residual snapshot that passed
    schema.check_snapshot (so every block has one, with numbers where numbers belong)."""
    depth = len(layers)
    cols: dict[str, npt.NDArray[np.float64]] = {
        name: np.array([_number(layer["branch"].get(name)) for layer in layers], dtype=np.float64) for name in FIELDS
    }
    lists = {
        key: np.array(
            [[_number(v) for v in layer["branch"].get(key, [None] * branch_depth)] for layer in layers],
            dtype=np.float64,
        ).reshape(depth, branch_depth)
        for key in ("weight_std", "weight_grad_norm")
    }
    return BranchStats(
        cols["std"],
        cols["ratio"],
        cols["saturated_fraction"],
        cols["dead_fraction"],
        cols["grad_std"],
        lists["weight_grad_norm"],
        lists["weight_std"],
        cols["theory_std"],
    )
