"""Keep NumPy's BLAS to one thread while the explorer runs.

On a small machine a multi-threaded BLAS in the run worker spins on every core and starves the event
loop (measured here: the default run takes 4x longer with 2 OpenBLAS threads on 2 cores, and the UI
stalls). The engine runs in one worker thread; one BLAS thread leaves a core for the UI. A user who
sets OPENBLAS_NUM_THREADS (or OMP_NUM_THREADS) keeps their choice.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

_done = False


def limit_blas_threads(threads: int = 1) -> bool:
    """Set the OpenBLAS thread count NumPy uses, if it is OpenBLAS and the user did not choose. Idempotent."""
    global _done
    if _done:
        return True
    if any(os.environ.get(var) for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "INITSCOPE_BLAS_THREADS")):
        _done = True
        return False
    import numpy as np

    libs = Path(np.__file__).parent.parent / "numpy.libs"
    candidates = sorted(libs.glob("*openblas*")) if libs.is_dir() else []
    for lib in candidates:
        try:
            handle = ctypes.CDLL(str(lib))
        except OSError:
            continue
        for symbol in ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                       "openblas_set_num_threads64_", "openblas_set_num_threads"):
            setter = getattr(handle, symbol, None)
            if setter is not None:
                setter(ctypes.c_int(threads))
                _done = True
                return True
    _done = True
    return False
