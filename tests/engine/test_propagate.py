"""Forward/backward propagation: determinism, closed forms, overflow, cancellation, clipping.

Tolerances. For a net with i.i.d. zero-mean Gaussian weights and a Gaussian input x, the squared norm
S_l = ||h_l||^2 of one sample's layer-l signal has E[S_l] given by the variance recursion, and its
relative variance is at most (1 + c/n)^(l+1) - 1 (c = 2 for a linear layer: chi^2_n has relative variance
2/n; c = 5 for ReLU, whose active count is also random). A batch mean of identically distributed S_b
cannot have a larger variance than one S_b, so that bound holds per seed; averaging K independent seeds
divides the variance by K. Every band below is 4 such standard deviations.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import numpy as np
import pytest

from initscope.engine import Config, run
from initscope.engine.activations import make
from initscope.engine.layer_weights import sample_layer
from initscope.engine.result import Histogram


def _second_moment(mean: float, std: float) -> float:
    return std * std + mean * mean


def _band(c: float, n: int, layers: int, seeds: int) -> float:
    """4 standard deviations of a K-seed average of a per-sample squared norm ratio (relative)."""
    return 4.0 * math.sqrt(((1.0 + c / n) ** (layers + 1) - 1.0) / seeds)


def test_same_config_is_bit_identical() -> None:
    cfg = Config(depth=6, fan_in=64, batch=32)
    a, b = run(cfg), run(cfg)
    for x, y in [
        (a.forward.activation.std, b.forward.activation.std),
        (a.backward.weight_grad_norm, b.backward.weight_grad_norm),
        (a.weights.summary.max, b.weights.summary.max),
    ]:
        assert np.array_equal(x, y)
    assert np.array_equal(a.forward.histograms[3].counts, b.forward.histograms[3].counts)


def test_another_seed_differs() -> None:
    a = run(Config(depth=4, fan_in=64, batch=32, seed=0))
    b = run(Config(depth=4, fan_in=64, batch=32, seed=1))
    assert not np.array_equal(a.forward.activation.std, b.forward.activation.std)


def test_more_depth_keeps_the_first_layers() -> None:
    short, deep = Config(depth=3, fan_in=32), Config(depth=12, fan_in=32)
    act = make("relu")
    for layer in (1, 2, 3):
        assert np.array_equal(sample_layer(short, layer, act)[0], sample_layer(deep, layer, act)[0])
    a, b = run(short), run(deep)
    assert np.array_equal(a.forward.activation.std, b.forward.activation.std[:3])


@pytest.mark.slow
def test_linear_net_variance_grows_as_n_v_to_the_L() -> None:
    # n = 100, v = 0.02, L = 10: E[second moment ratio] = (n v)^L = 2^10 = 1024.
    n, v, depth, seeds = 100, 0.02, 10, 64
    ratios = []
    for seed in range(seeds):
        r = run(
            Config(
                initializer="normal",
                initializer_params={"std": math.sqrt(v)},
                activation="linear",
                fan_in=n,
                depth=depth,
                batch=256,
                seed=seed,
                dtype="float64",
            )
        )
        out = _second_moment(r.forward.activation.mean[-1], r.forward.activation.std[-1])
        inp = r.forward.input_std**2  # input mean is ~0; its second moment is what propagates
        ratios.append(out / inp)
    expected = (n * v) ** depth
    assert expected == pytest.approx(1024)
    assert abs(np.mean(ratios) / expected - 1) < _band(2, n, depth, seeds)


@pytest.mark.slow
@pytest.mark.parametrize(("gain2", "per_layer"), [(2.0, 1.0), (1.0, 0.5)])
def test_relu_variance_per_layer(gain2: float, per_layer: float) -> None:
    # He (sigma_w^2 = 2) keeps E[z^2] flat; sigma_w^2 = 1 halves it every layer.
    n, depth, seeds = 256, 10, 32
    ratios = []
    for seed in range(seeds):
        r = run(
            Config(
                initializer="normal",
                initializer_params={"std": math.sqrt(gain2 / n)},
                fan_in=n,
                depth=depth,
                batch=128,
                seed=seed,
                dtype="float64",
            )
        )
        z = r.forward.preactivation
        ratios.append(_second_moment(z.mean[-1], z.std[-1]) / _second_moment(z.mean[0], z.std[0]))
    expected = per_layer ** (depth - 1)
    assert abs(np.mean(ratios) / expected - 1) < _band(5, n, depth, seeds)


def test_relu_he_activation_std_stays_flat_at_depth_30() -> None:
    r = run(Config(initializer="he_normal", activation="relu", fan_in=512, depth=30, batch=256))
    s = r.forward.activation.std
    # Without averaging seeds, one run drifts like a log-normal: Var(log S_L) ~ 5 L / n = 0.29.
    assert np.all(np.abs(np.log(s / s[0])) < 4 * math.sqrt(5 * 30 / 512))
    assert r.verdict.kind == "stable"


@pytest.mark.slow
def test_overflow_is_a_finding_not_an_error() -> None:
    r = run(Config(initializer="normal", initializer_params={"std": 10}, depth=100, dtype="float16"))
    assert r.verdict.kind == "overflow"
    assert r.verdict.first_nonfinite_layer is not None and r.verdict.first_nonfinite_layer <= 3
    assert r.layers_done == r.verdict.first_nonfinite_layer
    assert np.isnan(r.backward.activation_grad_std).all()


def test_cancel_stops_between_layers() -> None:
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done == 3:
            cancel.set()

    r = run(Config(depth=50, fan_in=64, batch=32), cancel=cancel, progress=progress)
    assert r.cancelled and r.layers_done == 3
    assert np.isnan(r.forward.activation.std[3:]).all()


def test_progress_counts_forward_then_backward() -> None:
    seen: list[tuple[int, int]] = []
    run(Config(depth=4, fan_in=16, batch=8), progress=lambda d, t: seen.append((d, t)))
    assert seen == [(i, 8) for i in range(1, 9)]


def test_zero_init_is_symmetric() -> None:
    r = run(Config(initializer="zeros", activation="tanh", depth=5, fan_in=32))
    assert r.forward.symmetric.all()
    assert r.verdict.kind == "symmetric"


def test_constant_init_is_symmetric_but_not_zero() -> None:
    r = run(Config(initializer="constant", initializer_params={"value": 0.01}, activation="tanh", depth=3, fan_in=32))
    assert r.forward.symmetric.all() and r.forward.activation.std[0] > 0


def test_weight_gradient_illusion_in_deep_relu_with_1_over_n() -> None:
    # Design example: ReLU, variance 1/n, 30 layers: dA falls by ~2^-15 (3e-5) while ||dW|| stays flat.
    r = run(Config(initializer="lecun_normal", activation="relu", depth=30, fan_in=256, batch=256))
    g = r.backward.activation_grad_std
    assert g[0] / g[-1] < 1e-3
    kinds = [f.kind for f in r.verdict.findings]
    assert "weight_gradient_illusion" in kinds and r.verdict.kind == "vanishing"


def test_backward_matches_a_dense_reference() -> None:
    # A tiny net checked against an independent NumPy forward/backward written here.
    cfg = Config(
        initializer="xavier_normal",
        activation="tanh",
        fan_in=5,
        width=(4, 3),
        batch=7,
        dtype="float64",
        bias="normal",
        bias_params={"std": 0.1},
    )
    r = run(cfg)
    act = make("tanh")
    from initscope.engine.inputs import make_input
    from initscope.engine.streams import Stream, layer_rng

    x = make_input("normal", 7, 5, layer_rng(0, Stream.INPUT, 0), np.float64)
    (w1, b1), (w2, b2) = sample_layer(cfg, 1, act), sample_layer(cfg, 2, act)
    assert b1 is not None and b2 is not None
    a1 = np.tanh(x @ w1 + b1)
    a2 = np.tanh(a1 @ w2 + b2)
    g2 = layer_rng(0, Stream.READOUT, 0).standard_normal((7, 3))
    dz2 = g2 * (1 - a2**2)
    dw2 = a1.T @ dz2 / 7
    g1 = dz2 @ w2.T
    dz1 = g1 * (1 - a1**2)
    dw1 = x.T @ dz1 / 7
    assert r.forward.activation.std == pytest.approx([a1.std(), a2.std()], rel=1e-12)
    assert r.backward.activation_grad_std == pytest.approx([g1.std(), g2.std()], rel=1e-12)
    assert r.backward.weight_grad_norm == pytest.approx([np.linalg.norm(dw1), np.linalg.norm(dw2)], rel=1e-12)
    assert r.backward.grad_to_weight_ratio[0] == pytest.approx(np.linalg.norm(dw1) / np.linalg.norm(w1))


@pytest.mark.parametrize("mode", ["per_layer", "global"])
def test_clipping_follows_clip_grad_norm(mode: str) -> None:
    r = run(Config(depth=4, fan_in=32, batch=16, clip=0.5, clip_mode=mode))
    b = r.backward
    assert b.clipped_weight_grad_norm is not None and b.clip_scale is not None
    layer = np.sqrt(b.weight_grad_norm**2 + b.bias_grad_norm**2)
    if mode == "per_layer":
        expected = np.minimum(1.0, 0.5 / (layer + 1e-6))
    else:
        expected = np.full(4, min(1.0, 0.5 / (math.sqrt(float(np.sum(layer**2))) + 1e-6)))
    assert b.clip_scale == pytest.approx(expected)
    assert b.clipped_weight_grad_norm == pytest.approx(b.weight_grad_norm * expected)


def test_lsuv_normalizes_each_layer_output() -> None:
    r = run(Config(initializer="lsuv", activation="tanh", depth=8, fan_in=128, batch=256))
    var = r.forward.preactivation.std**2 + r.forward.preactivation.mean**2
    assert np.all(np.abs(var - 1.0) < 0.1 + 1e-6)


def test_saturation_and_dead_rules() -> None:
    big = run(Config(initializer="normal", initializer_params={"std": 1.0}, activation="tanh", depth=3))
    assert big.forward.saturated_fraction[0] > 0.5 and big.verdict.kind in ("saturated",)
    relu = run(Config(depth=2))
    assert 0.45 < relu.forward.dead_fraction[0] < 0.55  # half of a symmetric pre-activation is cut
    assert np.isnan(relu.forward.saturated_fraction).all()
    assert np.isnan(big.forward.dead_fraction).all()


@pytest.mark.parametrize(
    "activation", ["linear", "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "tanh", "sigmoid", "softplus"]
)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_every_activation_and_dtype_runs(activation: str, dtype: str) -> None:
    r = run(Config(activation=activation, dtype=dtype, depth=4, fan_in=32, batch=16))
    assert r.layers_done == 4
    assert np.isfinite(r.forward.activation.std).all()
    assert np.isfinite(r.backward.activation_grad_std).all()


@pytest.mark.parametrize(
    ("initializer", "activation", "params"),
    [
        ("he_normal", "relu", {}),
        ("xavier_normal", "tanh", {}),
        ("lecun_normal", "selu", {}),
        ("he_normal", "gelu", {}),
        ("xavier_normal", "sigmoid", {}),
        ("he_normal", "leaky_relu", {}),
        ("normal", "tanh", {"std": 1.5 / 32}),
        ("lecun_normal", "linear", {}),
        ("he_normal", "elu", {}),
        ("he_normal", "silu", {}),
        ("he_normal", "softplus", {}),
    ],
)
@pytest.mark.slow
def test_theory_and_measurement_agree_at_width_1024(
    initializer: str, activation: str, params: dict[str, float]
) -> None:
    # Per seed, a layer's second moment deviates from its mean-field value by a relative std of at most
    # sqrt((1 + 5/n)^(l+1) - 1) = 0.183 at n = 1024, l = 6 (module docstring); 4 seeds divide the variance
    # by 4, and a 4-sigma band on the variance is about half that on the std: |std ratio - 1| < 0.19.
    depth, seeds, n = 6, 4, 1024
    measured = np.zeros(depth)
    predicted = None
    for seed in range(seeds):
        r = run(
            Config(
                initializer=initializer,
                initializer_params=params,
                activation=activation,
                fan_in=n,
                depth=depth,
                batch=256,
                seed=seed,
            )
        )
        assert r.theory.applicable
        measured += r.forward.activation.std**2 / seeds
        predicted = r.theory_layers.activation_std
    assert predicted is not None
    band = 0.5 * _band(5, n, depth, seeds)
    assert np.all(np.abs(np.sqrt(measured) / predicted - 1) < band), (np.sqrt(measured), predicted)


@pytest.mark.parametrize("source", ["normal", "uniform"])
def test_one_seed_gives_the_same_net_in_float32_and_float64(source: str) -> None:
    # Weights, biases, input and top gradient are drawn in float64 and cast, so a float32 run and a float64
    # run of one seed differ by precision only: the draws agree to float32 rounding (bitwise the cast).
    from initscope.engine.inputs import make_input
    from initscope.engine.layer_weights import top_gradient
    from initscope.engine.streams import Stream, layer_rng

    c64 = Config(
        initializer="he_normal",
        activation="tanh",
        fan_in=32,
        depth=3,
        batch=16,
        seed=5,
        bias="normal",
        bias_params={"std": 0.1},
        input=source,
        dtype="float64",
    )
    c32 = c64.replace(dtype="float32")
    act = make("tanh")
    for layer in (1, 2, 3):
        (w64, b64), (w32, b32) = sample_layer(c64, layer, act), sample_layer(c32, layer, act)
        assert b64 is not None and b32 is not None
        np.testing.assert_array_equal(w32, w64.astype(np.float32))
        np.testing.assert_array_equal(b32, b64.astype(np.float32))
    x64, x32 = (make_input(source, 16, 32, layer_rng(5, Stream.INPUT, 0), d) for d in (np.float64, np.float32))
    np.testing.assert_allclose(x32, x64.astype(np.float32), rtol=0, atol=2e-7 * float(np.abs(x64).max()))
    np.testing.assert_array_equal(top_gradient(c32), top_gradient(c64).astype(np.float32))


def _fields(cfg: Config) -> str:
    """Every number a run reports (the snapshot document), without its timings."""
    import json

    from initscope import snapshot

    doc = json.loads(snapshot.dumps(run(cfg)))
    doc.pop("created_utc")
    doc["run"].pop("elapsed_s")
    return json.dumps(doc, sort_keys=True)


@pytest.mark.parametrize(
    "text",
    [
        "depth=6 fan_in=64 batch=32",
        "init=lsuv depth=4 fan_in=48 batch=40",
        "bias=constant(0.1) act=leaky_relu width=40,24,56 fan_in=30 batch=20",
        "act=tanh dtype=float64 depth=5 fan_in=33 batch=17",
        "dtype=float16 depth=3",
    ],
)
def test_helper_thread_and_main_thread_runs_are_bit_identical(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine draws weights on its helper thread or on the main thread by work size; the numbers must
    not depend on which (each layer has its own random stream)."""
    from initscope.engine import execution

    cfg = Config.from_string(text)
    monkeypatch.setattr(execution, "available_cores", lambda: 2)
    monkeypatch.setattr(execution, "busy_cores", lambda: 0.0)
    monkeypatch.setattr(execution, "HELPER_MIN_VALUES", 0)
    assert execution.use_helper(cfg.layer_fans)
    ahead = _fields(cfg)
    monkeypatch.setattr(execution, "HELPER_MIN_VALUES", 10**12)
    assert not execution.use_helper(cfg.layer_fans)
    assert _fields(cfg) == ahead


@pytest.mark.parametrize("mib", [1, 4, 64])
def test_the_weight_gradients_waiting_for_their_summaries_hold_at_most_16_mib(mib: int) -> None:
    """The backward pass hands each weight gradient's statistics to the helper; a gradient (fan_in x fan_out)
    is held until its summary is taken in, so only as many may wait as 16 MiB hold, and always 2."""
    from initscope.engine import propagate

    assert propagate.GRADIENT_BYTES_AHEAD == 16 << 20
    record = propagate._Record(6)
    taken: list[int] = []

    def summary_of(i: int) -> Callable[[], tuple[float, Histogram]]:
        def settle() -> tuple[float, Histogram]:
            taken.append(i)
            return float(i), Histogram(np.zeros(0), np.zeros(0, dtype=np.int64), 0)

        return settle

    allowed = max(2, 16 // mib)
    for i in range(5, -1, -1):
        record.weight_gradient(i, summary_of(i), np.ones(3), mib << 20)
        assert len(record.unsettled) == min(6 - i, allowed)
    assert taken == [5, 4, 3, 2, 1, 0][: max(0, 6 - allowed)]
    record.settle_gradients(0)
    assert taken == [5, 4, 3, 2, 1, 0]
    assert list(record.wgrad) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
