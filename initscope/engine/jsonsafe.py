"""JSON-safe values: the one rule for every document initscope writes (snapshots, training blocks)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def json_safe(v: Any) -> Any:
    """Arrays -> lists, non-finite floats -> None (JSON null), NumPy scalars -> Python numbers."""
    if isinstance(v, np.ndarray):
        return [json_safe(x) for x in v.tolist()] if v.ndim else json_safe(v.item())
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): json_safe(x) for k, x in v.items()}
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (np.floating, float)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    return v
