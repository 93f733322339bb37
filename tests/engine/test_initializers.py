"""The initializer catalogue: every entry's draws against its own formula, and against the reference figures.

Statistical bands are derived from the sample size, never tuned: for N i.i.d. draws the sample mean has
std sigma/sqrt(N) and the sample std has std about sigma·sqrt((kurtosis - 1)/(4N)). Every band is
Z = 5 of those standard errors (a false alarm about once in 3.5 million checks). Draws are seeded, so a
test either always passes or always fails for a given implementation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from initscope.engine import initializers as ini
from initscope.engine.errors import ConfigError
from initscope.engine.initializers import (
    CATALOGUE,
    TRUNC_C,
    Initializer,
    Truncated,
    Uniform,
    lookup,
    names,
    sample,
    sparse_zeros,
    truncated_std_factor,
)

Z = 5.0
"""Width of every statistical band, in standard errors."""
FI, FO = 400, 300
"""120 000 values per draw, fan_in != fan_out so a swapped fan shows."""


def draw(
    entry: Initializer,
    params: dict[str, Any] | None = None,
    fi: int = FI,
    fo: int = FO,
    seed: int = 0,
    auto_gain: float = math.sqrt(2.0),
    dtype: Any = np.float64,
) -> np.ndarray:
    return entry.sample(fi, fo, params, np.random.default_rng(seed), dtype, auto_gain=auto_gain)


def kurtosis(x: np.ndarray) -> float:
    """Plug-in E[(x-mu)^4]/sigma^4; it only sets the width of the std band (through its square root)."""
    c = x - x.mean()
    return float(np.mean(c**4) / np.mean(c**2) ** 2)


# Defaults of every entry, plus the non-default parameters whose code paths differ.
CASES: list[tuple[str, dict[str, Any], float]] = [(e.name, {}, math.sqrt(2.0)) for e in CATALOGUE] + [
    ("normal", {"mean": -2.0, "std": 0.3}, 1.0),
    ("uniform", {"low": 1.0, "high": 3.0}, 1.0),
    ("constant", {"value": -0.25}, 1.0),
    ("truncated_normal", {"mean": 1.0, "std": 0.5, "k": 0.5}, 1.0),  # narrow cut: uniform proposals
    ("truncated_normal", {"k": 1.0}, 1.0),
    ("truncated_normal", {"k": 3.0}, 1.0),
    ("he_normal", {"mode": "fan_out"}, 1.0),
    ("he_normal", {"gain": "auto"}, 5.0 / 3.0),
    ("he_uniform", {"gain": "auto", "mode": "fan_out"}, 5.0 / 3.0),
    ("xavier_uniform", {"gain": 2.0}, 1.0),
    ("xavier_normal", {"gain": "auto"}, 0.75),
    ("orthogonal", {"gain": 2.0}, 1.0),
    ("identity", {"gain": 3.0}, 1.0),
    ("sparse", {"sparsity": 0.25, "std": 0.1}, 1.0),
    *[
        ("variance_scaling", {"scale": 2.5, "mode": m, "distribution": d}, 1.0)
        for m in ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
        for d in ("truncated_normal", "normal", "uniform")
    ],
]
CASE_IDS = [f"{n}{p or ''}" for n, p, _ in CASES]


@pytest.mark.parametrize(("name", "params", "auto_gain"), CASES, ids=CASE_IDS)
def test_sample_mean_and_std_match_expected(name: str, params: dict[str, Any], auto_gain: float) -> None:
    entry = lookup(name)
    w = draw(entry, params, auto_gain=auto_gain)
    exp = entry.expected(FI, FO, params, auto_gain)
    assert w.shape == (FI, FO) and w.dtype == np.float64
    if exp.std == 0.0 or name == "identity":  # deterministic entries: exact
        assert w.mean() == pytest.approx(exp.mean, rel=1e-12, abs=1e-15)
        assert w.std() == pytest.approx(exp.std, rel=1e-12, abs=1e-15)
        return
    n = w.size
    assert abs(w.mean() - exp.mean) <= Z * exp.std / math.sqrt(n)
    assert abs(w.std() - exp.std) <= Z * exp.std * math.sqrt((kurtosis(w) - 1) / (4 * n))


@pytest.mark.parametrize(("name", "params", "auto_gain"), CASES, ids=CASE_IDS)
def test_values_stay_within_bounds_and_reach_them(name: str, params: dict[str, Any], auto_gain: float) -> None:
    entry = lookup(name)
    w = draw(entry, params, auto_gain=auto_gain)
    exp = entry.expected(FI, FO, params, auto_gain)
    law = entry.distribution(FI, FO, params, auto_gain)
    if exp.bounds is None:
        assert isinstance(law, (ini.Normal, ini.Orthogonal, ini.Sparse))
        return
    lo, hi = exp.bounds
    assert lo <= w.min() and w.max() <= hi
    # Continuous laws must come close to their edges: the chance that none of N values falls within
    # delta of an edge with density f there is about exp(-N·f·delta); delta = 20/(N·f) makes that e^-20.
    n = w.size
    if isinstance(law, Uniform):
        delta = 20.0 * (hi - lo) / n
    elif isinstance(law, Truncated):
        edge_density = math.exp(-0.5 * law.k**2) / math.sqrt(2 * math.pi) / math.erf(law.k / math.sqrt(2))
        delta = 20.0 * law.std / (n * edge_density)
    else:
        return
    assert w.min() <= lo + delta and w.max() >= hi - delta


@pytest.mark.parametrize("entry", CATALOGUE, ids=names())
def test_draws_are_deterministic_given_the_generator(entry: Initializer) -> None:
    a, b = draw(entry, fi=64, fo=48, seed=7), draw(entry, fi=64, fo=48, seed=7)
    np.testing.assert_array_equal(a, b)
    if entry.expected(64, 48).std > 0 and entry.name not in ("identity",):
        assert not np.array_equal(a, draw(entry, fi=64, fo=48, seed=8))


# ------------------------------------------------------------------------------------- truncation
def test_truncation_factor_is_the_exact_truncated_normal_std() -> None:
    assert truncated_std_factor(2.0) == pytest.approx(0.87962566103423978, rel=1e-15)
    assert TRUNC_C == 0.87962566103423978
    # independent check by numerical integration of the truncated density, for other k
    for k in (0.3, 1.0, 2.0, 3.5):
        x = np.linspace(-k, k, 200_001)
        dens = np.exp(-0.5 * x * x)
        var = np.trapezoid(x * x * dens, x) / np.trapezoid(dens, x)
        assert truncated_std_factor(k) == pytest.approx(math.sqrt(var), rel=1e-9)


@pytest.mark.parametrize("k", [0.5, 2.0], ids=["uniform-proposals", "redraw-outside"])  # both samplers
def test_truncated_draws_follow_the_exact_cdf(k: float) -> None:
    """Rejection keeps the exact truncated law (no clamping, no pile-up at the cut points).

    DKW inequality: P(sup|F_n - F| > eps) <= 2 exp(-2 N eps^2); eps for a 1e-6 false-alarm chance."""
    w = np.sort(draw(lookup("truncated_normal"), {"std": 1.0, "k": k}).ravel())
    n = w.size
    grid = np.linspace(-k, k, 41)
    mass = math.erf(k / math.sqrt(2))
    exact = np.array([(math.erf(g / math.sqrt(2)) + mass) / (2 * mass) for g in grid])
    empirical = np.searchsorted(w, grid, side="right") / n
    eps = math.sqrt(math.log(2 / 1e-6) / (2 * n))
    assert np.max(np.abs(empirical - exact)) <= eps
    assert np.count_nonzero(np.abs(w) == k) <= 1  # no values clamped onto the cut points


def test_truncated_normal_is_not_rescaled() -> None:
    entry = lookup("truncated_normal")
    exp = entry.expected(FI, FO)
    assert exp.std == pytest.approx(0.05 * 0.87962566103423978, rel=1e-12)  # 0.043981
    assert exp.bounds == pytest.approx((-0.1, 0.1))
    w = draw(entry)
    assert abs(w.std() - 0.05 * TRUNC_C) <= Z * exp.std * math.sqrt((kurtosis(w) - 1) / (4 * w.size))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
def test_variance_scaling_truncated_sample_std_is_the_nominal_std(mode: str) -> None:
    scale = 2.0
    n = {"fan_in": FI, "fan_out": FO, "fan_avg": (FI + FO) / 2, "fan_geo_avg": math.sqrt(FI * FO)}[mode]
    sigma = math.sqrt(scale / n)
    entry = lookup("variance_scaling")
    params: dict[str, ini.ParamValue] = {"scale": scale, "mode": mode, "distribution": "truncated_normal"}
    exp = entry.expected(FI, FO, params)
    assert exp.std == pytest.approx(sigma, rel=1e-12)
    assert exp.bounds == pytest.approx((-2 * sigma / TRUNC_C, 2 * sigma / TRUNC_C), rel=1e-12)
    w = draw(entry, params)
    assert abs(w.std() - sigma) <= Z * sigma * math.sqrt((kurtosis(w) - 1) / (4 * w.size))
    assert np.max(np.abs(w)) <= 2 * sigma / TRUNC_C


# ------------------------------------------------------------------------------------- structured
@pytest.mark.parametrize(("fi", "fo"), [(30, 70), (70, 30), (50, 50)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal_is_orthonormal_times_gain(fi: int, fo: int, gain: float) -> None:
    for name in ("orthogonal", "lsuv"):
        params = {"gain": gain} if name == "orthogonal" else {}
        g = gain if name == "orthogonal" else 1.0
        w = draw(lookup(name), params, fi=fi, fo=fo)
        gram = w @ w.T if fi <= fo else w.T @ w  # rows orthonormal if fi <= fo, else columns
        np.testing.assert_allclose(gram, g * g * np.eye(min(fi, fo)), rtol=0, atol=1e-6 * g * g)
        assert np.sum(w * w) == pytest.approx(min(fi, fo) * g * g, rel=1e-12)
        assert lookup(name).expected(fi, fo, params).std == pytest.approx(g / math.sqrt(max(fi, fo)))


def test_orthogonal_is_haar_distributed() -> None:
    """The sign fix matters: without Q·sign(diag R), LAPACK's QR gives W[0, 0] a fixed sign.

    Under the Haar law W[0, 0] of an n x n draw has mean 0 and variance 1/n."""
    n, draws = 8, 400
    rng = np.random.default_rng(0)
    corner = np.array([lookup("orthogonal").sample(n, n, None, rng)[0, 0] for _ in range(draws)])
    assert abs(corner.mean()) <= Z / math.sqrt(n * draws)
    assert abs(corner.var() - 1 / n) <= Z * math.sqrt(2 / draws) / n  # (kurtosis of order 3: crude, generous)


def test_orthogonal_in_float32_is_orthonormal_to_float32_precision() -> None:
    w = draw(lookup("orthogonal"), fi=64, fo=128, dtype=np.float32)
    assert w.dtype == np.float32
    gram = w.astype(np.float64) @ w.T.astype(np.float64)
    np.testing.assert_allclose(gram, np.eye(64), rtol=0, atol=1e-5)


def torch_sparse_zeros(sparsity: float, rows: int) -> int:
    """torch.nn.init.sparse_ (torch/nn/init.py): num_zeros = int(math.ceil(sparsity * rows))."""
    return int(math.ceil(sparsity * rows))  # noqa: RUF046 - torch's exact expression


@pytest.mark.parametrize(
    ("fi", "sparsity", "zeros"),
    [(10, 0.25, 3), (10, 0.1, 1), (10, 0.3, 3), (400, 0.1, 40), (7, 0.0, 0), (7, 1.0, 7), (100, 0.07, 8)],
)  # 0.07·100 = 7.000000000000001 in floats: torch 8
def test_sparse_has_exactly_ceil_sparsity_fan_in_zeros_per_column(fi: int, sparsity: float, zeros: int) -> None:
    entry = lookup("sparse")
    assert torch_sparse_zeros(sparsity, fi) == zeros  # the expected count is torch's
    w = draw(entry, {"sparsity": sparsity}, fi=fi, fo=500)
    assert np.all(np.count_nonzero(w == 0, axis=0) == zeros)
    kept = 1 - zeros / fi
    assert entry.expected(fi, 500, {"sparsity": sparsity}).std == pytest.approx(0.01 * math.sqrt(kept))
    # the zeros move between columns: not the same rows every time
    if 0 < zeros < fi:
        assert len({tuple(np.flatnonzero(col == 0)) for col in w.T}) > 1


@pytest.mark.parametrize(("fi", "fo"), [(3, 5), (5, 3), (4, 4)])
def test_identity_is_gain_times_a_rectangular_eye(fi: int, fo: int) -> None:
    entry = lookup("identity")
    np.testing.assert_array_equal(draw(entry, {"gain": 2.0}, fi=fi, fo=fo), 2.0 * np.eye(fi, fo))
    np.testing.assert_array_equal(draw(entry, fi=fi, fo=fo), np.eye(fi, fo))
    exp = entry.expected(fi, fo, {"gain": 2.0})
    w = 2.0 * np.eye(fi, fo)
    assert exp.mean == pytest.approx(w.mean()) and exp.std == pytest.approx(w.std())
    assert exp.bounds == (0.0, 2.0)
    assert not entry.zero_mean and not entry.elementwise


def test_keras_identity_reference_figure() -> None:
    # Keras Identity(gain=2)((2, 3)) = [[2, 0, 0], [0, 2, 0]]
    np.testing.assert_array_equal(draw(lookup("eye"), {"gain": 2}, fi=2, fo=3), [[2, 0, 0], [0, 2, 0]])


@pytest.mark.parametrize("name", ["orthogonal", "identity", "sparse", "lsuv"])
def test_structured_entries_refuse_a_bias_shape(name: str) -> None:
    entry = lookup(name)
    assert not entry.elementwise
    with pytest.raises(ValueError, match="2-D"):
        entry.sample(8, 8, None, np.random.default_rng(0), shape=(8,))


def test_lsuv_is_data_dependent_and_starts_orthogonal() -> None:
    lsuv = lookup("lsuv")
    assert lsuv.data_dependent and not lsuv.elementwise
    assert lsuv.resolve({}) == {"tol": 0.1, "max_iters": 10.0}
    np.testing.assert_array_equal(draw(lsuv, fi=20, fo=30), draw(lookup("orthogonal"), fi=20, fo=30))


# ------------------------------------------------------------------------------------- aliases and presets
@pytest.mark.parametrize("entry", [e for e in CATALOGUE if e.aliases], ids=lambda e: e.name)
def test_aliases_give_identical_draws(entry: Initializer) -> None:
    base = sample(entry.name, fan_in=20, fan_out=30, seed=3)
    for alias in entry.aliases:
        assert lookup(alias) is entry and lookup(alias.upper()) is entry
        np.testing.assert_array_equal(sample(alias, fan_in=20, fan_out=30, seed=3), base)


def test_design_aliases_exist() -> None:
    expected = {
        "torch_default": "inv_sqrt_fan_in_uniform",
        "pytorch_linear": "inv_sqrt_fan_in_uniform",
        "glorot_heuristic": "inv_sqrt_fan_in_uniform",
        "glorot_uniform": "xavier_uniform",
        "glorot_normal": "xavier_normal",
        "kaiming_uniform": "he_uniform",
        "kaiming_normal": "he_normal",
        "msra": "he_normal",
        "random_normal": "normal",
        "random_uniform": "uniform",
        "eye": "identity",
    }
    for alias, name in expected.items():
        assert lookup(alias).name == name
    assert lookup("ones").expected(3, 3) == lookup("constant").expected(3, 3)  # constant's default value is 1


PRESETS = [
    ("keras_he_normal", {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}),
    ("kotlindl_he_normal", {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}),
    ("keras_glorot_normal", {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal"}),
    ("keras_lecun_normal", {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}),
    ("flax_default", {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}),
    ("keras_default", {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}),
]


@pytest.mark.parametrize(("name", "vs_params"), PRESETS, ids=[p[0] for p in PRESETS])
def test_presets_equal_their_variance_scaling_draws(name: str, vs_params: dict[str, Any]) -> None:
    preset = lookup(name)
    assert preset.family == "framework preset" and preset.params == ()
    np.testing.assert_array_equal(draw(preset), draw(lookup("variance_scaling"), vs_params))
    assert preset.expected(FI, FO) == lookup("variance_scaling").expected(FI, FO, vs_params)


def test_keras_default_is_xavier_uniform_and_flax_default_is_keras_lecun_normal() -> None:
    np.testing.assert_array_equal(draw(lookup("keras_default")), draw(lookup("xavier_uniform")))
    np.testing.assert_array_equal(draw(lookup("flax_default")), draw(lookup("keras_lecun_normal")))


KOTLIN = [
    ("kotlindl_he_uniform", lambda fi, fo: math.sqrt(6 / fi)),
    ("kotlindl_glorot_uniform", lambda fi, fo: math.sqrt(6 / (fi + fo))),
    ("kotlindl_lecun_uniform", lambda fi, fo: math.sqrt(3 / fi)),
]


@pytest.mark.parametrize(("name", "bound"), KOTLIN, ids=[k[0] for k in KOTLIN])
def test_kotlindl_uniform_presets_are_one_sided(name: str, bound: Any) -> None:
    entry = lookup(name)
    b = bound(FI, FO)
    w = draw(entry)
    assert w.min() >= 0.0 and w.max() < b
    exp = entry.expected(FI, FO)
    assert exp.bounds == pytest.approx((0.0, b), rel=1e-12)
    assert exp.mean == pytest.approx(b / 2, rel=1e-12)
    assert exp.std == pytest.approx(b / math.sqrt(12), rel=1e-12)
    # uniform kurtosis is 1.8, so the std of the sample std is std·sqrt(0.8/(4N))
    assert abs(w.mean() - b / 2) <= Z * exp.std / math.sqrt(w.size)
    assert abs(w.std() - exp.std) <= Z * exp.std * math.sqrt(0.8 / (4 * w.size))
    np.testing.assert_array_equal(w, draw(lookup("uniform"), {"low": 0.0, "high": b}))
    assert entry.one_sided and not entry.zero_mean
    assert "one-sided" in entry.note.lower() and "HeUniform" in entry.note and "positive" in entry.note


def test_kotlindl_unit_test_limits() -> None:
    # KotlinDL's own tests: GlorotUniform(fanIn=2, fanOut=4) limit 1; HeUniform(2) sqrt3;
    # LeCunUniform(2) sqrt1.5
    assert lookup("kotlindl_glorot_uniform").expected(2, 4).bounds == pytest.approx((0.0, 1.0))
    assert lookup("kotlindl_he_uniform").expected(2, 4).bounds == pytest.approx((0.0, 1.7320508), abs=1e-7)
    assert lookup("kotlindl_lecun_uniform").expected(2, 4).bounds == pytest.approx((0.0, 1.2247449), abs=1e-7)


# ------------------------------------------------------------------------------------- reference figures
def _bound(name: str, fi: int, fo: int, params: dict[str, ini.ParamValue] | None = None) -> float:
    bounds = lookup(name).expected(fi, fo, params).bounds
    assert bounds is not None and bounds[0] == pytest.approx(-bounds[1])
    return bounds[1]


def _std(name: str, fi: int, fo: int, params: dict[str, ini.ParamValue] | None = None) -> float:
    return lookup(name).expected(fi, fo, params).std


# (what, computed, quoted value): reference/initializers.md §4, quoted to 6 decimals, so +-5e-7
FIGURES = [
    ("torch default bound fi=10", lambda: _bound("torch_default", 10, 10), 0.316228),
    ("torch default std fi=10", lambda: _std("torch_default", 10, 10), 0.182574),
    ("xavier_uniform bound 1000", lambda: _bound("xavier_uniform", 1000, 1000), 0.054772),
    ("xavier std 1000", lambda: _std("xavier_normal", 1000, 1000), 0.031623),
    ("xavier_uniform std 1000", lambda: _std("xavier_uniform", 1000, 1000), 0.031623),
    ("he uniform bound 1000", lambda: _bound("he_uniform", 1000, 1000), 0.077460),
    ("he std 1000", lambda: _std("he_normal", 1000, 1000), 0.044721),
    ("lecun uniform bound 1000", lambda: _bound("lecun_uniform", 1000, 1000), 0.054772),
    ("lecun std 1000", lambda: _std("lecun_normal", 1000, 1000), 0.031623),
    ("keras HeNormal sigma' 1000", lambda: _bound("keras_he_normal", 1000, 1000) / 2, 0.050841),
    ("keras HeNormal cutoff 1000", lambda: _bound("keras_he_normal", 1000, 1000), 0.101683),
    ("keras HeNormal std 1000", lambda: _std("keras_he_normal", 1000, 1000), 0.044721),
    ("keras GlorotNormal cutoff 1000", lambda: _bound("keras_glorot_normal", 1000, 1000), 0.071901),
    ("keras LecunNormal cutoff 1000", lambda: _bound("keras_lecun_normal", 1000, 1000), 0.071901),
    ("torch default bound 784", lambda: _bound("pytorch_linear", 784, 256), 0.035714),
    ("xavier_uniform bound 784x256", lambda: _bound("xavier_uniform", 784, 256), 0.075955),
    ("xavier std 784x256", lambda: _std("xavier_normal", 784, 256), 0.043853),
    ("he std fan_in 784x256", lambda: _std("he_normal", 784, 256), 0.050508),
    ("he std fan_out 784x256", lambda: _std("he_normal", 784, 256, {"mode": "fan_out"}), 0.088388),
    ("lecun uniform bound 784", lambda: _bound("lecun_uniform", 784, 256), 0.061859),
    ("keras HeNormal cutoff 784", lambda: _bound("keras_he_normal", 784, 256), 0.114839),
    ("torch default bound 27", lambda: _bound("torch_default", 27, 144), 0.192450),
    ("torch default std 27", lambda: _std("torch_default", 27, 144), 0.111111),
    ("xavier_uniform bound 27x144", lambda: _bound("xavier_uniform", 27, 144), 0.187317),
    ("he std 27", lambda: _std("he_normal", 27, 144), 0.272166),
    ("he fan_out std 144", lambda: _std("he_normal", 27, 144, {"mode": "fan_out"}), 0.117851),
    ("keras HeNormal cutoff 27", lambda: _bound("keras_he_normal", 27, 144), 0.618821),
    ("torch ConvTranspose2d default bound", lambda: _bound("torch_default", 144, 27), 0.083333),
    ("keras Dense(5) on 10 inputs", lambda: _bound("keras_default", 10, 5), 0.632456),
    ("flax Linear(10, n) std", lambda: _std("flax_default", 10, 7), 0.316228),
    ("flax Linear(10, n) cutoff", lambda: _bound("flax_default", 10, 7), 0.719005),
    ("keras TruncatedNormal() std", lambda: _std("truncated_normal", 5, 5), 0.043981),
    ("xavier_uniform gain 5/3 bound", lambda: _bound("xavier_uniform", 1000, 1000, {"gain": 5 / 3}), 0.091287),
    ("kaiming selu std (2000,500)", lambda: _std("he_normal", 500, 2000, {"gain": 0.75}), 0.033541),
    (
        "VS(1,fan_avg,uniform) 2700x9000",
        lambda: _bound("variance_scaling", 2700, 9000, {"mode": "fan_avg", "distribution": "uniform"}),
        0.022646,
    ),
    (
        "VS(1,fan_geo_avg,normal) 100x10000",
        lambda: _std("variance_scaling", 100, 10000, {"mode": "fan_geo_avg", "distribution": "normal"}),
        0.031623,
    ),
]


@pytest.mark.parametrize(("what", "computed", "quoted"), FIGURES, ids=[f[0] for f in FIGURES])
def test_reference_figures(what: str, computed: Any, quoted: float) -> None:
    assert abs(computed() - quoted) <= 5e-7


def test_inv_sqrt_fan_in_example_samples_within_the_torch_default_bound() -> None:
    values = sample("torch_default", fan_in=10, n=100_000, seed=0)
    assert values.shape == (100_000,)
    b = 1 / math.sqrt(10)
    assert values.min() >= -b and values.max() <= b
    std = b / math.sqrt(3)  # 0.182574; uniform kurtosis 1.8
    assert abs(values.std() - std) <= Z * std * math.sqrt(0.8 / (4 * values.size))


# ------------------------------------------------------------------------------------- validation
BAD = [
    ("he_normal", {"gain": -1}, "he_normal.gain", "-1", "a number in (0, inf) or 'auto'"),
    ("he_normal", {"gain": 0}, "he_normal.gain", "0", "(0, inf)"),
    ("he_normal", {"gain": "big"}, "he_normal.gain", "'big'", "or 'auto'"),
    ("he_normal", {"gain": True}, "he_normal.gain", "True", "a number"),
    ("he_uniform", {"mode": "fan_avg"}, "he_uniform.mode", "'fan_avg'", "one of fan_in, fan_out"),
    ("uniform", {"low": 0.05, "high": 0.01}, "uniform.high", "0.01", "> uniform.low (0.05)"),
    ("uniform", {"low": 1, "high": 1}, "uniform.high", "1", "> uniform.low (1)"),
    ("normal", {"std": float("nan")}, "normal.std", "nan", "a number in (0, inf)"),
    ("normal", {"std": 0}, "normal.std", "0", "(0, inf)"),
    ("truncated_normal", {"k": -2}, "truncated_normal.k", "-2", "(0, inf)"),
    ("variance_scaling", {"scale": 0}, "variance_scaling.scale", "0", "(0, inf)"),
    (
        "variance_scaling",
        {"distribution": "untruncated_normal"},
        "variance_scaling.distribution",
        "'untruncated_normal'",
        "one of truncated_normal, normal, uniform",
    ),
    ("variance_scaling", {"mode": "fan"}, "variance_scaling.mode", "'fan'", "fan_geo_avg"),
    ("sparse", {"sparsity": 1.5}, "sparse.sparsity", "1.5", "[0, 1]"),
    ("lsuv", {"max_iters": 2.5}, "lsuv.max_iters", "2.5", "an integer in [1, 1000]"),
    ("lsuv", {"tol": 0}, "lsuv.tol", "0", "(0, 1]"),
    ("constant", {"value": "inf"}, "constant.value", "'inf'", "any finite number"),
]


@pytest.mark.parametrize(("name", "params", "field", "shown", "allowed"), BAD, ids=[f"{b[2]}={b[3]}" for b in BAD])
def test_bad_params_name_field_value_and_range(
    name: str, params: dict[str, Any], field: str, shown: str, allowed: str
) -> None:
    with pytest.raises(ConfigError) as info:
        lookup(name).resolve(params)
    err = info.value
    assert err.field == field
    message = str(err)
    assert message.startswith(f"{field}: {shown} is not allowed")
    assert allowed in message
    with pytest.raises(ConfigError):  # every public path validates
        lookup(name).sample(4, 4, params, np.random.default_rng(0))


def test_parameters_an_entry_does_not_take_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"zeros\.gain: 1 is not allowed; allowed: zeros takes no parameters"):
        lookup("zeros").resolve({"gain": 1})
    with pytest.raises(ConfigError, match=r"he_normal\.std: .* he_normal takes gain, mode") as info:
        lookup("he_normal").resolve({"std": 0.1})
    assert info.value.field == "he_normal.std"


def test_resolve_fills_defaults_and_normalizes() -> None:
    resolved = lookup("he_normal").resolve({"mode": " FAN_OUT ", "gain": "AUTO"})
    assert resolved == {"gain": "auto", "mode": "fan_out"}
    assert lookup("variance_scaling").resolve({}) == {
        "scale": 1.0,
        "mode": "fan_in",
        "distribution": "truncated_normal",
    }
    assert lookup("he_normal").resolve({"gain": "1.5"})["gain"] == 1.5


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("he_norml", "he_normal"),
        ("xavier_unifrom", "xavier_uniform"),
        ("kaiming_normall", "kaiming_normal"),
        ("orthogonl", "orthogonal"),
    ],
)
def test_unknown_names_suggest_close_ones(typo: str, suggestion: str) -> None:
    with pytest.raises(ConfigError) as info:
        lookup(typo)
    assert info.value.field == "initializer"
    message = str(info.value)
    assert "did you mean" in message
    assert suggestion in message.split("did you mean")[1].replace("?", " ").replace(" or ", " ").split()


def test_unknown_name_without_a_close_match_points_to_the_list() -> None:
    with pytest.raises(ConfigError, match="initscope list") as info:
        lookup("qqqqqq", "bias")
    assert info.value.field == "bias"


# ----------------------------------------------------------------------------- dtype and the public sample()
def test_every_dtype_draws_the_float64_values_rounded() -> None:
    entry = lookup("he_normal")
    z = np.random.default_rng(0).standard_normal((256, 128)) * (math.sqrt(2.0) / math.sqrt(256))
    np.testing.assert_array_equal(draw(entry, fi=256, fo=128), z)
    for dtype in (np.float32, np.float16):
        w = draw(entry, fi=256, fo=128, dtype=dtype)
        assert w.dtype == dtype
        np.testing.assert_array_equal(w, z.astype(dtype))


@pytest.mark.parametrize("entry", CATALOGUE, ids=names())
def test_one_seed_gives_the_same_weights_in_float32_and_float64(entry: Initializer) -> None:
    # The same draw, rounded once: float32 weights are the float64 ones to float32 rounding (bitwise the
    # cast), for every entry including the rejection samplers and the QR of orthogonal.
    w64 = draw(entry, fi=48, fo=40, seed=7)
    w32 = draw(entry, fi=48, fo=40, seed=7, dtype=np.float32)
    np.testing.assert_array_equal(w32, w64.astype(np.float32))


@pytest.mark.parametrize("entry", CATALOGUE, ids=names())
def test_every_entry_draws_every_dtype(entry: Initializer) -> None:
    for dtype in (np.float16, np.float32, np.float64):
        w = draw(entry, fi=16, fo=12, dtype=dtype)
        assert w.dtype == dtype and w.shape == (16, 12) and np.all(np.isfinite(w))


@pytest.mark.parametrize("entry", [e for e in CATALOGUE if e.elementwise], ids=lambda e: e.name)
def test_elementwise_entries_draw_a_bias_vector(entry: Initializer) -> None:
    b = entry.sample(64, 32, None, np.random.default_rng(0), shape=(32,))
    assert b.shape == (32,)
    exp = entry.expected(64, 32)
    if exp.bounds is not None:
        assert exp.bounds[0] <= b.min() and b.max() <= exp.bounds[1]


def test_public_sample_shapes_and_generator() -> None:
    m = sample("xavier_uniform", fan_in=10, fan_out=20, seed=4)
    assert m.shape == (10, 20)
    rng = np.random.default_rng(np.random.SeedSequence(4))
    np.testing.assert_array_equal(m, lookup("xavier_uniform").sample(10, 20, None, rng))
    assert sample("he_normal", fan_in=12).shape == (12, 12)
    v = sample("xavier_uniform", fan_in=10, fan_out=10, n=1000, seed=0)  # the API example
    assert v.shape == (1000,) and np.all(np.abs(v) <= math.sqrt(6 / 20))
    np.testing.assert_array_equal(v, sample("xavier_uniform", fan_in=10, fan_out=10, n=1000, seed=0))
    assert not np.array_equal(v, sample("xavier_uniform", fan_in=10, fan_out=10, n=1000, seed=1))
    assert sample("normal", 4, params={"std": 2.0}, n=5, dtype=np.float32).dtype == np.float32


def test_public_sample_of_structured_entries_concatenates_whole_matrices() -> None:
    v = sample("orthogonal", fan_in=4, fan_out=5, n=50, seed=2)
    assert v.shape == (50,)
    rng = np.random.default_rng(np.random.SeedSequence(2))
    mats = [lookup("orthogonal").sample(4, 5, None, rng).ravel() for _ in range(3)]  # ceil(50/20) = 3
    np.testing.assert_array_equal(v, np.concatenate(mats)[:50])
    first = v[:20].reshape(4, 5)
    np.testing.assert_allclose(first @ first.T, np.eye(4), atol=1e-12)
    sparse = sample("sparse", fan_in=10, fan_out=10, n=100, params={"sparsity": 0.25})
    assert np.all(np.count_nonzero(sparse.reshape(10, 10) == 0, axis=0) == 3)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"fan_in": 0}, "fan_in"),
        ({"fan_in": 4, "n": 0}, "n"),
        ({"fan_in": 4, "fan_out": 2.5}, "fan_out"),
        ({"fan_in": 4, "seed": -1}, "seed"),
    ],
)
def test_public_sample_refuses_bad_counts(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        sample("he_normal", **kwargs)
    assert info.value.field == field


# ----------------------------------------------------------------------------- descriptions
@pytest.mark.parametrize("entry", CATALOGUE, ids=names())
def test_every_entry_is_described(entry: Initializer) -> None:
    assert entry.summary and entry.formula and entry.family


def test_torch_default_is_labelled_honestly() -> None:
    entry = lookup("inv_sqrt_fan_in_uniform")
    for words in (
        "Glorot & Bengio 2010 eq. (1)",
        "argues against",
        "nn.Linear",
        "kaiming_uniform_(a=sqrt5)",
        '"Xavier"',
    ):
        assert words in entry.summary


@pytest.mark.parametrize("fi", [1, 3, 7, 10, 13, 100, 256, 1000])
def test_sparse_zero_count_is_torchs_formula_for_every_sparsity_on_a_grid(fi: int) -> None:
    # torch counts int(math.ceil(sparsity * rows)) with the float product as it comes out: where the
    # product lands a hair above an integer (0.07 * 100) torch zeros one more, and so must we.
    for k in range(101):
        sparsity = k / 100
        assert sparse_zeros(sparsity, fi) == torch_sparse_zeros(sparsity, fi), (sparsity, fi)


def test_a_cached_law_is_the_law_resolved_afresh() -> None:
    """The law cache (per fans, params and gain) gives what resolving gives, keeps value types apart and
    never caches a refusal."""
    entry = ini.lookup("normal")
    first = entry.distribution(3, 4, {"std": 2.0})
    assert entry.distribution(3, 4, {"std": 2.0}) is first
    assert first == entry.law(3, 4, entry.resolve({"std": 2.0}), 1.0)
    assert entry.distribution(3, 4, {"std": 3.0}).expected().std == 3.0
    he = ini.lookup("he_normal")
    assert he.distribution(4, 5, {"gain": "auto"}, auto_gain=1.0).expected().std == pytest.approx(0.5)
    assert he.distribution(4, 5, {"gain": "auto"}, auto_gain=2.0).expected().std == pytest.approx(1.0)
    assert he.distribution(4, 9, {"gain": 1}).expected().std == pytest.approx(0.5)
    for _ in range(2):  # True equals 1 and hashes alike, but is refused every time
        with pytest.raises(ConfigError):
            he.distribution(4, 9, {"gain": True})
    with pytest.raises(ConfigError):
        entry.distribution(3, 4, {"std": -1.0})
