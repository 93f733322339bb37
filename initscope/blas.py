"""How many threads NumPy's BLAS uses.

On a small machine a multi-threaded OpenBLAS spins on every core: next to the explorer's event loop it
starves the UI (measured: the default run took 4x longer with 2 OpenBLAS threads on 2 cores), and for the
training race's small matrices threads only contend. The explorer and `initscope train` therefore ask for
one thread. A user who sets OPENBLAS_NUM_THREADS (or OMP_NUM_THREADS) keeps their choice.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_limited = False


def set_threads(threads: int) -> bool:
    """Set the OpenBLAS thread count NumPy uses; False when NumPy's BLAS is not an OpenBLAS we can reach."""
    import numpy as np

    libs = Path(np.__file__).parent.parent / "numpy.libs"
    for lib in sorted(libs.glob("*openblas*")) if libs.is_dir() else []:
        try:
            handle = ctypes.CDLL(str(lib))
        except OSError:
            continue
        for symbol in _SETTERS:
            setter = getattr(handle, symbol, None)
            if setter is not None:
                setter(ctypes.c_int(threads))
                return True
    return False


def limit_blas_threads(threads: int = 1) -> bool:
    """One BLAS thread (or `threads`) unless the user chose through the environment. Idempotent."""
    global _limited
    if _limited:
        return True
    _limited = True
    if any(os.environ.get(var) for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "INITSCOPE_BLAS_THREADS")):
        return False
    return set_threads(threads)
