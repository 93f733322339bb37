"""JSON-safe values: the one rule for every document initscope writes (snapshots, training blocks, the
outputs of diff, sample and theory): strict JSON, a non-finite number becomes null and is noted."""

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


def nonfinite_paths(v: Any, path: str = "") -> list[str]:
    """JSON paths of the non-finite floats in `v` (which json_safe writes as null)."""
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return [p for i, x in enumerate(v) for p in nonfinite_paths(x, f"{path}[{i}]")]
    if isinstance(v, Mapping):
        return [p for k, x in v.items() for p in nonfinite_paths(x, f"{path}.{k}" if path else str(k))]
    if isinstance(v, (np.floating, float)) and not math.isfinite(v):
        return [path]
    return []


def strict_json(doc: Mapping[str, Any], indent: int = 1) -> str:
    """`doc` as strict JSON (never NaN or Infinity tokens): a non-finite number is written as null, and a
    top-level `note` names where that happened, so a null that means overflow is not mistaken for absent."""
    safe = json_safe(doc)
    bad = nonfinite_paths(doc)
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        safe["note"] = f"not finite (overflow or undefined), written as null: {shown}"
    import json  # loaded when a document is written, not by every command (about 1 ms)

    return json.dumps(safe, indent=indent, allow_nan=False)
