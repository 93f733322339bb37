"""How the engine executes a run: on a helper thread or not, and layer products that can be cancelled.

Three choices by work size, each measured (docs/performance.md):
- Drawing the next layer's weights on a helper thread while this layer propagates hides the sampling
  behind the products (and the statistics only the Result needs, of the weights and the weight gradients,
  behind the backward pass), but every hand-off costs tens of microseconds: below HELPER_MIN_VALUES weights per
  layer the hand-offs cost more than they hide, and the main thread draws the weights itself (also when
  the machine is oversubscribed: no core is left for the helper). The helper is one long-lived daemon
  thread per process, not a thread created and joined on every run.
- Products larger than CHUNK_MACS multiply-adds are computed in blocks, and the cancel event (and,
  on the main thread, Ctrl-C) is checked between blocks: no single call runs for much more than 50 ms.
  Blocks span MIN_BLOCK rows and columns or more, split evenly (thinner ones slow the product down:
  measured 1.5x at 64 rows of a 2048-wide product).
  The blocks give the same result on every run; whether they match the whole product to the last bit
  depends on the BLAS's kernels for each block shape (they did for the shapes measured, not for all).
- The C allocator keeps freed blocks of up to KEEP_FREED_BELOW bytes for reuse (`keep_freed_memory`, set
  once per command): by default glibc returns large freed blocks to the system and every new array of
  a few hundred KiB page-faults again (a default run touched 2,200-4,400 fresh pages, depending on the
  order of its allocations); the default run took 14-17 % less CPU time with the blocks kept.
- float16 operands are multiplied in float32 and the result is rounded to float16 once, as accelerators
  do (float16 storage, float32 accumulation): NumPy's own float16 product has no BLAS and costs 50-70x
  the float32 one.
"""

from __future__ import annotations

import ctypes
import os
import platform
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from initscope.engine.arrays import Array

T = TypeVar("T")

HELPER_MIN_VALUES = 256 * 256
"""Weights per layer from which drawing them on the helper thread pays for the hand-off (measured)."""
CHUNK_MACS = 1 << 30
"""Multiply-adds per product block: about 15 ms on one core at 2048 wide (float32), 50 ms on a busy one."""
MIN_BLOCK = 256
KEEP_FREED_BELOW = 16 << 20
"""Arrays below this size are allocated from (and freed back to) the process's heap, not mapped fresh."""
KEEP_FREED_TOP = 64 << 20
"""Free heap the process keeps instead of handing it back to the system."""
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)


class Cancelled(Exception):
    """The run's cancel event was set while a product was computed."""


def available_cores() -> int:
    """The cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def busy_cores() -> float:
    """Cores kept busy by all work on the machine: the 1-minute load average (0 where none is reported)."""
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover
        return 0.0


def keep_freed_memory() -> bool:
    """Let glibc keep freed blocks below KEEP_FREED_BELOW and up to KEEP_FREED_TOP of free heap for the next
    arrays instead of unmapping them (what PyTorch's caching allocator does for its tensors). Process-wide;
    True when set (glibc only: elsewhere nothing happens). Memory still in use is unchanged; a process may
    keep up to KEEP_FREED_TOP more resident after a large run."""
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - a libc without mallopt
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, KEEP_FREED_BELOW)) and bool(mallopt(_M_TRIM_THRESHOLD, KEEP_FREED_TOP))


def use_helper(layer_fans: Sequence[tuple[int, int]]) -> bool:
    """Draw weights on the helper thread: the average layer is large enough, a second core exists and the
    machine is not oversubscribed (on a machine running 3x its cores the helper waits for a core, and
    the main thread for the helper: measured no gain at 512 and 1024 wide, a loss at 256)."""
    values = sum(fi * fo for fi, fo in layer_fans) / max(len(layer_fans), 1)
    cores = available_cores()
    return values >= HELPER_MIN_VALUES and cores > 1 and busy_cores() < cores + 0.5


class Pending(Generic[T]):
    """The outcome of a call handed to the helper. Not concurrent.futures.Future: that module loads
    `logging` (about 3 ms of every `initscope run`), and the feed needs only a wait and a raise."""

    def __init__(self) -> None:
        self._slot: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
        self._outcome: tuple[bool, Any] | None = None
        self.dropped = False

    def cancel(self) -> None:
        """Skip the call if the helper has not started it (nobody will wait for it)."""
        self.dropped = True

    def settle(self, ok: bool, value: Any) -> None:
        """The call returned `value` (ok) or raised it."""
        self._slot.put((ok, value))

    def result(self) -> T:
        """Wait for the call; its value, or raise what it raised."""
        if self._outcome is None:
            self._outcome = self._slot.get()
        ok, value = self._outcome
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]


class Helper:
    """One daemon thread running submitted calls in order. A daemon never delays the process's exit (Ctrl-C
    ends `initscope run` at once even while a large layer is being drawn)."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[tuple[Pending[Any], Callable[..., Any], tuple[Any, ...]]] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="initscope-weights", daemon=True).start()

    def _serve(self) -> None:
        while True:
            pending, fn, args = self.jobs.get()
            if pending.dropped:
                continue
            try:
                value = fn(*args)
            except BaseException as err:  # handed to the waiting caller, raised there
                pending.settle(False, err)
            else:
                pending.settle(True, value)

    def submit(self, fn: Callable[..., T], *args: Any) -> Pending[T]:
        pending: Pending[T] = Pending()
        self.jobs.put((pending, fn, args))
        return pending


_helper: Helper | None = None
_helper_lock = threading.Lock()


def helper() -> Helper:
    """The process's helper thread, started on first use."""
    global _helper
    with _helper_lock:
        if _helper is None:
            _helper = Helper()
        return _helper


def as_operand(x: Array) -> Array:
    """The array a product reads: float16 widened to float32 (exact), other dtypes as they are."""
    return x.astype(np.float32) if x.dtype == np.float16 else x


def _blocks(rows: int, inner: int, cols: int) -> tuple[int, int]:
    """Row and column block sizes of about CHUNK_MACS multiply-adds each, no side under MIN_BLOCK where the
    product is larger (thinner blocks stream the other operand once per block and run slower)."""
    block_rows = _even(rows, max(MIN_BLOCK, CHUNK_MACS // max(inner * cols, 1)))
    block_cols = _even(cols, max(MIN_BLOCK, CHUNK_MACS // max(block_rows * inner, 1)))
    return block_rows, block_cols


def _even(size: int, most: int) -> int:
    """The block length that splits `size` into equal blocks of at most `most` (no thin last block, which
    the BLAS would treat as a matrix-vector product)."""
    count = -(-size // most)
    return -(-size // count)


def product(x: Array, y: Array, cancel: threading.Event | None = None, out_dtype: Any = None) -> Array:
    """x @ y, in blocks of about CHUNK_MACS multiply-adds with the cancel event checked between them
    (raises Cancelled). Operands must be float32 or float64 (see as_operand); the result is cast to
    `out_dtype` (default: the operands' dtype)."""
    rows, inner = x.shape
    cols = y.shape[1]
    dtype = np.dtype(out_dtype) if out_dtype is not None else np.result_type(x, y)
    if rows * inner * cols <= CHUNK_MACS:
        z = x @ y
        return z if z.dtype == dtype else z.astype(dtype)
    block_rows, block_cols = _blocks(rows, inner, cols)
    out = np.empty((rows, cols), dtype=dtype)
    for r in range(0, rows, block_rows):
        for c in range(0, cols, block_cols):
            if cancel is not None and cancel.is_set():
                raise Cancelled
            if block_cols == cols and dtype == np.result_type(x, y):  # whole rows: written in place
                np.matmul(x[r : r + block_rows], y, out=out[r : r + block_rows])
            else:
                out[r : r + block_rows, c : c + block_cols] = x[r : r + block_rows] @ y[:, c : c + block_cols]
    return out
