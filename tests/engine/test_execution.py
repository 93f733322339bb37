"""How a run executes: blocked products, float16 in float32, cancellation inside a product, Ctrl-C.

The float16 and Ctrl-C tests compare times only as a ratio within one process (float16 against float32)
or against the 0.5 s the issue allows for an interrupt; no absolute speed is asserted.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from initscope.engine import Config, execution, run


class CancelAfter(threading.Event):
    """A cancel event that reads as set after its first `checks` checks: cancels at a known point."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.left = checks

    def is_set(self) -> bool:
        self.left -= 1
        return self.left < 0


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(execution, "CHUNK_MACS", 4096)
    monkeypatch.setattr(execution, "MIN_BLOCK", 16)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(100, 70, 90), (33, 200, 17), (1, 64, 300)])
def test_blocked_product_equals_the_whole_within_rounding(
    small_blocks: None, dtype: type[np.floating], shape: tuple[int, int, int]
) -> None:
    m, k, n = shape
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    assert m * k * n > execution.CHUNK_MACS  # the blocked path
    blocked = execution.product(x, y)
    assert np.array_equal(blocked, execution.product(x, y))  # the same on every run
    # Any summation order of k products errs by at most k eps sum|x||y| (Higham, Accuracy and Stability,
    # eq. 3.5): both orders lie within that of the exact sum.
    bound = 2 * k * np.finfo(dtype).eps * (np.abs(x) @ np.abs(y))
    assert np.all(np.abs(blocked - x @ y) <= bound)


def test_float16_products_accumulate_in_float32_and_round_once() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 512)).astype(np.float16)
    y = rng.standard_normal((512, 48)).astype(np.float16)
    z = execution.product(execution.as_operand(x), execution.as_operand(y), out_dtype=np.float16)
    assert z.dtype == np.float16
    assert np.array_equal(z, (x.astype(np.float32) @ y.astype(np.float32)).astype(np.float16))


def test_cancel_is_checked_between_the_blocks_of_a_product(small_blocks: None) -> None:
    x = np.ones((64, 64), dtype=np.float32)
    with pytest.raises(execution.Cancelled):
        execution.product(x, x, CancelAfter(3))


def test_a_run_cancelled_inside_a_product_returns_flagged(small_blocks: None) -> None:
    # Before the first product: the loop's own check and the weight draw's; the third is its first block.
    r = run(Config(depth=3, fan_in=64, batch=64), cancel=CancelAfter(3))
    assert r.cancelled and r.layers_done == 0
    assert np.isnan(r.forward.activation.std).all()


@pytest.mark.slow
def test_float16_costs_about_what_float32_costs() -> None:
    """Medians of per-repeat ratios, the runs interleaved, so a busy machine slows both sides alike.
    NumPy's own float16 product (no BLAS) made this ratio about 100."""
    f32, f16 = Config(), Config(dtype="float16")
    run(f32), run(f16)  # warm-up

    def seconds(cfg: Config) -> float:
        start = time.perf_counter()
        run(cfg)
        return time.perf_counter() - start

    ratios = [seconds(f16) / seconds(f32) for _ in range(5)]
    assert statistics.median(ratios) < 5.0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from /proc")
def test_ctrl_c_ends_a_long_run_within_half_a_second() -> None:
    # float16, 40 layers 2048 wide on a batch of 2048: minutes of products, each split into blocks (NumPy's own
    # float16 product ran 2 s per layer product without a chance to interrupt it).
    cmd = [
        sys.executable,
        "-m",
        "initscope",
        "run",
        "--fan-in",
        "2048",
        "--batch",
        "2048",
        "--depth",
        "40",
        "--dtype",
        "float16",
        "--threads",
        "1",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # Past the imports (about 0.4 s of CPU) and into the products before interrupting.
        deadline = time.monotonic() + 60
        while _cpu_seconds(proc.pid) < 1.5 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert "interrupted" in (proc.stderr.read() if proc.stderr else "")
    assert took < 0.5


def test_the_allocator_keeps_freed_blocks_on_glibc_only() -> None:
    import platform

    assert execution.keep_freed_memory() is (platform.libc_ver()[0] == "glibc")


def test_the_helper_hands_back_values_and_errors_in_order() -> None:
    helper = execution.helper()
    first = helper.submit(lambda: 1)
    failing = helper.submit(lambda: [][0])
    last = helper.submit(lambda x: x * 2, 21)
    assert (first.result(), last.result()) == (1, 42)
    with pytest.raises(IndexError):
        failing.result()
    with pytest.raises(IndexError):  # asked again, the same outcome
        failing.result()


def test_a_call_cancelled_before_it_starts_never_runs() -> None:
    helper = execution.helper()
    gate, ran = threading.Event(), []
    blocking = helper.submit(gate.wait, 5)
    dropped = helper.submit(ran.append, "dropped")
    kept = helper.submit(ran.append, "kept")
    dropped.cancel()
    gate.set()
    assert blocking.result() is True
    kept.result()
    assert ran == ["kept"]
