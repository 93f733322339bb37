"""Residual blocks and normalization: exact gradients, closed forms at init, config round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradcheck import central_differences

from initscope.engine import network, norms
from initscope.engine.architecture import ARCH_PRESETS
from initscope.engine.config import Config
from initscope.engine.errors import ConfigError
from initscope.engine.propagate import run

SMALL = " fan_in=6 depth=3 batch=5 dtype=float64"
GRADIENT_CASES = [
    "arch=residual",
    "arch=residual branch_depth=1 norm=layernorm norm_placement=pre",
    "arch=residual norm=rmsnorm norm_placement=post act=tanh",
    "arch=residual norm=batchnorm norm_placement=pre branch_scale=deepnorm act=silu",
    "arch=residual norm=layernorm norm_placement=post branch_scale=1/sqrt(2L) bias=normal",
    "arch=residual branch_scale=fixup bias=normal",
    "arch=residual branch_scale=0",
    "norm=layernorm act=tanh",
    "norm=batchnorm norm_placement=post act=silu",
    "norm=rmsnorm norm_placement=pre",
]


def _loss_and_grads(
    cfg: Config,
) -> tuple[network.Network, np.ndarray, np.ndarray, np.ndarray, list[network.BlockGrads]]:
    net = network.build(cfg)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((cfg.batch, cfg.fan_in))
    g_out = rng.standard_normal((cfg.batch, cfg.fan_in))
    dx, grads = network.backward(net, network.forward(net, x), g_out)
    return net, x, g_out, dx, grads


@pytest.mark.parametrize("text", GRADIENT_CASES)
def test_backward_matches_central_differences(text: str) -> None:
    """Every input and weight entry: d sum(out * G) / d theta by central differences (h = 1e-6, float64:
    truncation O(h^2) and rounding O(eps / h) are both far below the 1e-6 relative bound)."""
    cfg = Config.from_string(text + SMALL)
    net, x, g_out, dx, grads = _loss_and_grads(cfg)

    def loss() -> float:
        out = network.forward(net, x)[-1].out
        assert out is not None
        return float(np.sum(out * g_out))

    checks: list[tuple[np.ndarray, np.ndarray]] = [(x, dx)]
    for k, w in enumerate(net.weights):
        checks.append((w, grads[k // net.per_block].dw[k % net.per_block]))
    for param, analytic in checks:
        numeric = central_differences(loss, param)
        scale = max(1.0, float(np.abs(numeric).max()))
        assert np.abs(numeric - analytic).max() <= 1e-6 * scale, text


@pytest.mark.parametrize("kind", norms.KINDS)
def test_norm_output_is_normalized_exactly(kind: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 128)) * 3.0 + 0.5
    y, _ = norms.forward(kind, x)
    axis = 0 if kind == "batchnorm" else 1
    if kind == "rmsnorm":
        second = np.mean(x * x, axis=axis)
        assert np.allclose(np.mean(y * y, axis=axis), second / (second + norms.EPS), rtol=0, atol=1e-13)
    else:
        var = x.var(axis=axis)
        assert np.abs(y.mean(axis=axis)).max() < 1e-14
        # variance 1 up to eps: var / (var + eps) exactly, to rounding
        assert np.allclose(y.var(axis=axis), var / (var + norms.EPS), rtol=0, atol=1e-13)


def test_alpha_zero_is_the_identity_exactly() -> None:
    cfg = Config.from_string("arch=residual branch_scale=0 fan_in=32 depth=8 batch=16 dtype=float64")
    net = network.build(cfg)
    x = np.random.default_rng(0).standard_normal((16, 32))
    out = network.forward(net, x)[-1].out
    assert out is not None and np.array_equal(out, x)


def test_fixup_branch_output_is_zero_at_init() -> None:
    cfg = Config.from_string("preset=fixup fan_in=32 depth=8 batch=16 dtype=float64")
    tapes = network.forward(network.build(cfg), np.random.default_rng(0).standard_normal((16, 32)))
    for tape in tapes:
        assert tape.branch is not None and not np.any(tape.branch)
    r = run(cfg, advise=False)
    assert r.branch is not None and np.all(r.branch.std == 0.0)


def _stream_variances(text: str, seeds: int) -> np.ndarray:
    """Stream variance per block (rows: seeds) of an ensemble of independent draws."""
    rows = []
    for seed in range(seeds):
        r = run(Config.from_string(f"{text} seed={seed}"), advise=False)
        rows.append(r.forward.activation.std**2)
    return np.array(rows)


@pytest.mark.parametrize(("scale", "alpha2"), [("1", 1.0), ("1/sqrt(2L)", 1.0 / 16)])
def test_he_relu_residual_stream_variance_multiplies_by_one_plus_alpha_squared(scale: str, alpha2: float) -> None:
    """E[q_l] = q_0 (1 + alpha^2)^l exactly for He ReLU branches (relu(z)^2 has half z^2's mean for symmetric
    weights), so the ensemble mean must lie within 4 standard errors (from the seeds' own spread)."""
    seeds, depth = 12, 8
    q = _stream_variances(f"arch=residual branch_scale={scale} fan_in=128 depth={depth} batch=128", seeds)
    expected = (1.0 + alpha2) ** np.arange(1, depth + 1)
    ratio = q / expected  # the input's variance is 1 in expectation
    tol = 4.0 * ratio.std(axis=0, ddof=1) / math.sqrt(seeds)
    assert np.all(np.abs(ratio.mean(axis=0) - 1.0) <= tol + 4.0 / math.sqrt(128 * 128 * seeds))
    # and it is not the plain net's constant variance nor a doubling when alpha^2 = 1/16
    other = (1.0 + (1.0 / 16 if alpha2 == 1.0 else 1.0)) ** depth
    assert abs(ratio.mean(axis=0)[-1] * expected[-1] / other - 1.0) > 10 * tol[-1]


def test_pre_layernorm_stream_variance_grows_linearly() -> None:
    """Pre-LN: every block adds alpha^2 V_F(1) = 1 (He ReLU branch on unit-variance input): q_l = 1 + l."""
    seeds, depth = 12, 16
    q = _stream_variances(f"arch=residual norm=layernorm fan_in=128 depth={depth} batch=128", seeds)
    expected = 1.0 + np.arange(1, depth + 1)
    ratio = q / expected
    tol = 4.0 * ratio.std(axis=0, ddof=1) / math.sqrt(seeds)
    assert np.all(np.abs(ratio.mean(axis=0) - 1.0) <= tol + 4.0 / math.sqrt(128 * 128 * seeds))
    slope, intercept = np.polyfit(np.arange(1, depth + 1), q.mean(axis=0), 1)
    assert abs(slope - 1.0) < 0.1 and abs(intercept - 1.0) < 0.5


def test_theory_matches_the_closed_forms() -> None:
    r = run(Config.from_string("arch=residual depth=10"), advise=False)
    q0 = r.forward.input_std**2  # theory starts from the batch's measured second moment (mean ~ 0)
    assert np.allclose(r.theory_layers.activation_std**2 / q0, 2.0 ** np.arange(1, 11), rtol=1e-3)
    pre = run(Config.from_string("arch=residual norm=layernorm depth=10"), advise=False)
    assert np.allclose(np.diff(pre.theory_layers.activation_std**2), 1.0, rtol=1e-6)
    post = run(Config.from_string("arch=residual norm=layernorm norm_placement=post depth=10"), advise=False)
    assert np.allclose(post.theory_layers.activation_std, 1.0)


def test_config_round_trip_and_presets() -> None:
    for name in ARCH_PRESETS:
        cfg = Config.from_string(f"preset={name} depth=12")
        assert Config.from_string(cfg.to_string()) == cfg
        assert cfg.arch == "residual"
    gpt2 = Config.from_string("preset=gpt2 depth=12")
    assert (gpt2.norm, gpt2.norm_placement, gpt2.branch_scale) == ("layernorm", "pre", "1/sqrt(2L)")
    assert Config.from_string("preset=gpt2 norm=rmsnorm").norm == "rmsnorm"  # later keys win
    assert "arch" not in Config().to_string()  # the plain net's string is unchanged


@pytest.mark.parametrize(
    ("text", "field_name"),
    [
        ("arch=transformer", "arch"),
        ("norm=groupnorm", "norm"),
        ("norm_placement=middle", "norm_placement"),
        ("arch=residual branch_scale=2", "branch_scale"),
        ("arch=residual branch_depth=3", "branch_depth"),
        ("branch_scale=0", "branch_scale"),
        ("arch=residual width=64", "width"),
        ("preset=gpt3", "preset"),
    ],
)
def test_bad_architecture_values_name_the_field(text: str, field_name: str) -> None:
    with pytest.raises(ConfigError) as err:
        Config.from_string(text)
    assert err.value.field == field_name
    assert str(err.value).startswith(field_name + ":")


def test_plain_mlp_only_tools_refuse_or_switch_theory() -> None:
    """The Jacobian spectrum refuses a residual or normalized net by name; the seed ensemble draws the
    residual recursion, not the plain MLP's, and predicts no spread for it."""
    from initscope.engine.ensemble import seed_ensemble
    from initscope.engine.jacobian import check_size

    for text, field_name in (("arch=residual", "arch"), ("norm=layernorm", "norm")):
        with pytest.raises(ConfigError) as err:
            check_size(Config.from_string(text))
        assert err.value.field == field_name
    cfg = Config.from_string("arch=residual fan_in=32 batch=32 depth=5")
    ensemble = seed_ensemble(cfg, k=2)
    assert not ensemble.prediction.applicable
    assert np.allclose(
        ensemble.theory.activation_std, run(cfg, advise=False).theory_layers.activation_std, rtol=0.05
    )  # the same recursion; the input's measured second moment differs by seed


@pytest.mark.parametrize(
    "text",
    [
        "arch=residual depth=12 act=gelu",
        "arch=residual norm=layernorm depth=12",
        "norm=batchnorm norm_placement=post depth=12",
    ],
)
def test_memory_estimate_covers_the_peak(text: str) -> None:
    """tracemalloc's peak of one run (NumPy allocations included) stays within Config.memory_estimate."""
    import tracemalloc

    cfg = Config.from_string(text + " fan_in=128 batch=128")
    run(cfg.replace(depth=1), advise=False)  # the theory's one-off quadrature tables are not the run's
    tracemalloc.start()
    try:
        run(cfg, advise=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= cfg.memory_estimate()
