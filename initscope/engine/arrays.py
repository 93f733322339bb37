"""The array types the engine's signatures use, named once."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.floating[Any]]
"""A layer's values in its compute dtype (float16, float32 or float64)."""
FloatArray = npt.NDArray[np.float64]
"""Statistics and theory: always float64."""
IntArray = npt.NDArray[np.int64]
"""Counts and indices."""
