"""Summary statistics and histograms against NumPy's straightforward versions."""

from __future__ import annotations

import numpy as np
import pytest

from initscope.engine import stats


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_moments_match_numpy(dtype: type) -> None:
    x = (np.random.default_rng(1).standard_normal((300, 200)) * 3 + 0.5).astype(dtype)
    m = stats.moments(x)
    ref = x.astype(np.float64)
    tol = {np.float16: 1e-6, np.float32: 1e-6, np.float64: 1e-12}[dtype]
    assert m.mean == pytest.approx(ref.mean(), rel=tol, abs=tol)
    assert m.std == pytest.approx(ref.std(), rel=tol)
    assert (m.min, m.max) == (ref.min(), ref.max())
    assert m.sumsq == pytest.approx(float((ref**2).sum()), rel=tol)
    assert m.nonfinite == 0


def test_moments_with_a_large_mean_do_not_cancel() -> None:
    x = (1000.0 + 1e-3 * np.random.default_rng(2).standard_normal((100, 100))).astype(np.float32)
    m = stats.moments(x)
    assert m.std == pytest.approx(x.astype(np.float64).std(), rel=1e-3)


def test_float16_squares_that_overflow_are_redone() -> None:
    x = np.full((4, 4), 300.0, dtype=np.float16)  # 300^2 * 16 overflows float16 but not the statistics
    m = stats.moments(x)
    assert m.sumsq == pytest.approx(16 * 300.0**2) and m.std == 0


def test_non_finite_values_are_counted_and_excluded() -> None:
    x = np.array([[1.0, np.inf, 3.0, np.nan]], dtype=np.float32)
    m = stats.moments(x)
    assert m.nonfinite == 2 and m.nonfinite_fraction == 0.5
    assert m.mean == 2.0 and (m.min, m.max) == (1.0, 3.0)


def test_histogram_counts_every_value_once() -> None:
    x = np.random.default_rng(3).standard_normal((64, 64)).astype(np.float32)
    x[0, 0] = 40.0  # an outlier beyond the robust range lands in the last bin and is tallied
    m = stats.moments(x)
    h = stats.histogram(x, m)
    assert h.counts.sum() == x.size == h.total
    assert h.outside == (0, 1)
    assert h.edges[-1] < 40.0
    ref, _ = np.histogram(np.clip(x, h.edges[0], h.edges[-1]), bins=h.edges)
    assert np.abs(ref - h.counts).sum() <= 2  # float32 binning may move a value that sits on an edge


def test_collapsed_range_is_said_in_words() -> None:
    x = np.zeros((10, 10), dtype=np.float32)
    h = stats.histogram(x, stats.moments(x))
    assert h.collapsed is not None and "equal 0" in h.collapsed


def test_large_arrays_are_counted_on_a_strided_subset_and_say_so() -> None:
    x = np.random.default_rng(4).standard_normal((1024, 1024)).astype(np.float32)
    h = stats.histogram(x, stats.moments(x))
    assert h.note is not None and h.total <= stats.HIST_MAX_VALUES and h.total == h.counts.sum()


def test_histogram_without_extremes_tallies_both_tails() -> None:
    x = np.random.default_rng(5).standard_normal((100, 100)).astype(np.float32)
    x[0, :3] = [-50.0, 60.0, 70.0]
    m = stats.moments(x, extremes=False)  # gradients: min/max not computed
    h = stats.histogram(x, m)
    assert h.outside == (1, 2) and h.counts.sum() == x.size


@pytest.mark.parametrize(
    ("dtype", "tiny"), [(np.float32, 1e-44), (np.float32, 1e-39), (np.float64, 1e-310), (np.float64, 1e-320)]
)
def test_a_range_of_subnormal_width_is_binned_exactly(dtype: type, tiny: float) -> None:
    """Vanished activations can be subnormal: the bins must still hold every value once, in the right bin."""
    x = (np.arange(64).reshape(8, 8) * tiny).astype(dtype)
    m = stats.moments(x)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is what subnormals do
        h = stats.histogram(x, m, value_range=(float(x.min()), float(x.max())))
    if h.collapsed:  # a range too narrow for float64 bin widths is said in words, every value counted
        assert h.total == x.size
        return
    assert h.total == x.size and h.counts.sum() == x.size
    values = x.astype(np.float64).ravel()
    expected = np.histogram(values, bins=h.edges)[0]
    assert np.abs(h.counts - expected).sum() <= 2  # at most an edge value on the other side of a bin edge


def test_ordinals_read_as_english() -> None:
    from initscope.engine.stats import ordinal

    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "23rd",
        "101st",
        "111th",
        "112th",
    ]


@pytest.mark.parametrize("width", [50, 3, 20000])
def test_lane_tally_equals_bincount(width: int) -> None:
    from initscope.engine.stats import _tally

    rng = np.random.default_rng(width)
    slots = rng.uniform(0, width - 0.01, size=(37, 53)).astype(np.float32)
    slots[::2] = 1.0  # half the values in one slot, as relu puts them
    assert np.array_equal(_tally(slots, width), np.bincount(slots.astype(np.intp).ravel(), minlength=width))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_nonzero_count_is_numpy_s_count_nonzero(dtype: type) -> None:
    x = np.maximum(np.random.default_rng(2).standard_normal((40, 30)), 0).astype(dtype)
    x[0, :4] = [np.nan, np.inf, -np.inf, -0.0]  # NaN and inf count, a negative zero does not
    assert stats.nonzero_count(x) == np.count_nonzero(x)
    assert stats.nonzero_count(np.zeros((3, 3), dtype=dtype)) == 0
