"""The benchmark's "PyTorch, same work" side computes what run() computes (tests/benchmarks/bench_engine.py).

Its ratio is only worth reading if torch's statistics are the engine's: the same histogram slots (bins and
outside tallies) for the same range, and the same moments up to float32 summation order. Skipped without
torch, which is never a dependency.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from initscope.engine import Config, stats

torch = pytest.importorskip("torch")


def _bench() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_engine.py"
    spec = importlib.util.spec_from_file_location("bench_engine", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _arrays() -> list[np.ndarray]:  # type: ignore[type-arg]
    rng = np.random.default_rng(3)
    normal = rng.standard_normal((256, 256)).astype(np.float32)
    outliers = normal.copy()
    outliers[0, :3] = (40.0, -55.0, 90.0)  # beyond mean +- 5 std: counted at the ends
    return [
        normal,
        np.maximum(normal, 0),
        outliers,
        rng.standard_normal((1024, 300)).astype(np.float32),
    ]  # > 65,536 values: strided rows


@pytest.mark.parametrize("index", range(4))
@pytest.mark.parametrize("extremes", [True, False])
def test_torch_histogram_counts_what_stats_histogram_counts(index: int, extremes: bool) -> None:
    bench = _bench()
    x = _arrays()[index]
    m = stats.moments(x, extremes=extremes)
    h = stats.histogram(x, m)
    slots = bench.torch_histogram(torch.from_numpy(x), (m.mean, m.std, m.min, m.max, m.sumsq)).numpy()
    counts = slots[1:-1].copy()
    counts[0] += slots[0]
    counts[-1] += slots[-1]
    np.testing.assert_array_equal(counts, h.counts)
    if index == 2:
        assert slots[0] + slots[-1] >= 3


@pytest.mark.parametrize("index", range(4))
def test_torch_moments_match_stats_moments(index: int) -> None:
    bench = _bench()
    x = _arrays()[index]
    m = stats.moments(x)
    mean, std, lo, hi, sumsq = bench.torch_moments(torch.from_numpy(x))
    assert (lo, hi) == (m.min, m.max)
    # float32 sums in another order: relative error of order sqrt(n) eps at worst, n <= 307,200 here
    tol = 1e-4
    assert sumsq == pytest.approx(m.sumsq, rel=tol)
    assert std == pytest.approx(m.std, rel=tol)
    assert abs(mean - m.mean) <= tol * m.std


def test_same_work_runs_and_refuses_what_it_does_not_mirror() -> None:
    bench = _bench()
    go = bench.torch_same_work(Config(fan_in=16, batch=8, depth=3))
    assert go is not None
    go()
    with pytest.raises(ValueError, match="only the default"):
        bench.torch_same_work(Config(activation="tanh", depth=3))
