"""How many threads NumPy's BLAS uses: chosen once per command, by the size of its work.

An OpenBLAS thread spins while it waits for work. On a small, busy machine two threads on two cores
slow small matrix products down instead of speeding them up (the default run took 0.73 s with 2 threads
and 0.21 s with one on a busy 2-core machine), and next to the explorer's event loop they starve the UI.
Only a layer product of at least PARALLEL_MIN_MACS multiply-adds pays for more threads (docs/performance.md).
The explorer and `initscope train` use one thread unless told otherwise.

Precedence: the `--threads` flag, then the INITSCOPE_THREADS environment variable, then a thread count
the user set for the BLAS itself (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS: left alone), then the choice by
work size. The count is set through threadpoolctl, whatever BLAS NumPy was built with. The same first
call lets the C allocator keep freed arrays for reuse (`execution.keep_freed_memory`).
"""

from __future__ import annotations

import argparse
import os

from initscope.engine.config import Config
from initscope.engine.execution import available_cores, keep_freed_memory
from initscope.engine.values import as_int

ENV = "INITSCOPE_THREADS"
PARALLEL_MIN_MACS = 1 << 30
"""One layer's product (batch x fan_in x fan_out) from which two BLAS threads can beat one (measured)."""
MAX_THREADS = 256
_BLAS_OWN_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_chosen: int | None = None
_configured = False


def threads_for(largest_macs: int) -> int:
    """The thread count for layer products of `largest_macs` multiply-adds: one below PARALLEL_MIN_MACS,
    else every core this process may use. By work size and core count only, never by the machine's load:
    the thread count changes the last bits of a product, and a command must repeat its numbers."""
    return 1 if largest_macs < PARALLEL_MIN_MACS else available_cores()


def layer_macs(cfg: Config) -> int:
    """Multiply-adds of the largest layer product of a run of `cfg` (batch x fan_in x fan_out)."""
    return max(cfg.batch * fi * fo for fi, fo in cfg.layer_fans)


def set_threads(threads: int) -> None:
    """Set the BLAS thread count of this process (every BLAS NumPy or anything else loaded)."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    threadpool_limits(limits=threads, user_api="blas")


def configure(requested: object = None, largest_macs: int = 0) -> int | None:
    """Set the thread count once per process (later calls keep the first choice) and return it; None when
    the user's BLAS environment variable decides. `requested` is the --threads value (None: not given)."""
    global _chosen, _configured
    if _configured:
        return _chosen
    field = "threads"
    if requested is None and os.environ.get(ENV):
        field, requested = ENV, os.environ[ENV]
    if requested is not None:
        _chosen = as_int(field, requested, 1, MAX_THREADS)
    elif any(os.environ.get(var) for var in _BLAS_OWN_ENV):
        _chosen = None
    else:
        _chosen = threads_for(largest_macs)
    _configured = True
    keep_freed_memory()  # the other once-per-process setting of the engine's execution
    if _chosen is not None:
        set_threads(_chosen)
    return _chosen


def limit_blas_threads() -> int | None:
    """One BLAS thread unless the user chose otherwise (the explorer, the training race). Idempotent."""
    return configure(None, 0)


def add_threads_flag(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument("--threads", metavar="N", help=f"BLAS threads (default: by work size; env {ENV})")
