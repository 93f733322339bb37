"""Central differences of a scalar loss with respect to every entry of a parameter array (the tests' reference
for analytic gradients)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt


def central_differences(loss: Callable[[], float], param: npt.NDArray[Any], h: float = 1e-6) -> npt.NDArray[Any]:
    """d loss / d param[idx] = (loss(p + h) - loss(p - h)) / 2h for every idx; `param` is changed in place and
    restored entry by entry (float64: truncation O(h^2) and rounding O(eps / h) both far below 1e-6)."""
    numeric = np.zeros_like(param)
    for idx in np.ndindex(param.shape):
        keep = param[idx]
        param[idx] = keep + h
        up = loss()
        param[idx] = keep - h
        down = loss()
        param[idx] = keep
        numeric[idx] = (up - down) / (2 * h)
    return numeric
