"""The training race: gradients, symmetry, clipping, determinism, data files, validation, and the race's claim."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gradcheck import central_differences
from hypothesis import given
from hypothesis import strategies as st

from initscope.engine import activations
from initscope.engine import training as T
from initscope.engine.config import Config
from initscope.engine.errors import ConfigError
from initscope.engine.streams import Stream, layer_rng
from initscope.engine.training.constants import CURVE_POINTS
from initscope.engine.training.datasets import load_file
from initscope.engine.training.losses import loss_value
from initscope.engine.training.mlp import MLP
from initscope.engine.training.optim import _Adam, clip_gradients
from initscope.engine.training.race import distinct_units


def small(**changes: Any) -> T.TrainConfig:
    """A race small enough for a unit test (< 0.5 s)."""
    base: dict[str, Any] = {
        "network": Config(activation="relu", fan_in=2, width=16, depth=2),
        "samples": 128,
        "epochs": 10,
        "batch_size": 32,
    }
    base.update(changes)
    return T.TrainConfig(**base)


# ------------------------------------------------------------------------------------ gradients
def _random_mlp(act_name: str, out_dim: int, seed: int) -> tuple[MLP, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    dims = [3, 5, 4, out_dim]
    weights = [rng.standard_normal((fi, fo)) * 1.3 / math.sqrt(fi) for fi, fo in itertools.pairwise(dims)]
    biases = [rng.standard_normal(fo) * 0.3 for fo in dims[1:]]
    x = rng.standard_normal((6, 3))
    return MLP(weights, biases, activations.make(act_name)), x, rng.standard_normal((6, out_dim))


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("act_name", list(activations.NAMES))
def test_gradients_match_central_differences(act_name: str, task: str) -> None:
    """Backprop of the training MLP equals central finite differences of the loss, every W and b entry.

    float64, h = 1e-6: truncation error ~h^2 = 1e-12 and round-off ~eps/h = 1e-10 on O(1) gradients, so a
    tolerance of 1e-6 x the largest gradient leaves 1e4 of margin while any wrong derivative is off by O(1).
    Kinked activations (relu, leaky_relu, elu, selu) are differentiable away from z = 0: the seed is chosen
    so that every pre-activation is at least 1e-3 from the kink, far beyond what an h-step can move it."""
    out_dim = 3 if task == "classification" else 2
    for seed in range(50):
        mlp, x, target = _random_mlp(act_name, out_dim, seed)
        _, inputs, _ = mlp.forward(x.copy())
        zs = [inputs[i] @ mlp.weights[i] + mlp.biases[i] for i in range(mlp.n_hidden)]
        if min(float(np.abs(z).min()) for z in zs) > 1e-3:
            break
    y: np.ndarray = np.array([0, 2, 1, 1, 0, 2]) if task == "classification" else target

    def loss_at() -> float:
        logits, _, _ = mlp.forward(x.copy(), keep=False)
        return loss_value(logits, y, task)[0]

    _, _, dws, dbs = mlp.loss_and_gradients(x.copy(), y, task)
    for params, grads in ((mlp.weights, dws), (mlp.biases, dbs)):
        for p, g in zip(params, grads, strict=True):
            numeric = central_differences(loss_at, p)
            scale = max(1.0, float(np.abs(numeric).max()))
            assert np.abs(g - numeric).max() <= 1e-6 * scale, (act_name, task)


def test_zero_logits_start_at_ln_k(tmp_path: Path) -> None:
    """Zero init makes every logit 0, so the loss at step 0 is exactly ln K (float32 log: ~1e-7 relative)."""
    race = T.run_race(small(contenders="zeros", epochs=1))
    assert race.contenders[0].loss[0] == pytest.approx(math.log(2), rel=1e-6)
    rows = [f"{i % 7 * 0.1},{(i * 3) % 5 * 0.2},{i % 5}" for i in range(40)]
    path = tmp_path / "five.csv"
    path.write_text("\n".join(rows) + "\n")
    race = T.run_race(small(contenders="zeros", data=str(path), samples=None, epochs=1, batch_size=8))
    assert race.dataset["classes"] == 5
    assert race.contenders[0].loss[0] == pytest.approx(math.log(5), rel=1e-6)


# ------------------------------------------------------------------------------------ symmetry
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("act_name", ["tanh", "relu", "sigmoid"])
def test_zero_and_constant_init_stay_symmetric(act_name: str, optimizer: str) -> None:
    """Identical units get identical gradients, so they stay one unit through training. constant(0.1) makes
    the units active and learning (its loss moves), which zeros does not for tanh/relu; he_normal is the
    control: its count must be the full width, so the counter can tell the difference."""
    race = T.run_race(
        small(
            network=Config(activation=act_name, fan_in=2, width=16, depth=2),
            optimizer=optimizer,
            contenders="zeros,constant(value=0.1),he_normal",
            epochs=15,
        )
    )
    zeros, constant, he = race.contenders
    for c in (zeros, constant):
        assert c.initial_distinct_units.tolist() == [1, 1]
        assert len(c.distinct_units) == len(race.record_steps) > 10
        assert np.all(c.distinct_units == 1), c.label
    assert constant.final_loss < constant.loss[0] - 1e-3 or act_name == "sigmoid"
    assert np.all(he.distinct_units == 16)


def test_distinct_units_counts_groups() -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((5, 3))
    cols = np.concatenate([np.repeat(w[:, :1], 4, axis=1), np.repeat(w[:, 1:2], 2, axis=1), w[:, 2:]], axis=1)
    assert distinct_units(cols, np.zeros(7)) == 3
    b = np.arange(7.0)  # same weights, different biases: different units
    assert distinct_units(cols, b) == 7
    assert distinct_units(np.zeros((5, 9)), np.zeros(9)) == 1
    assert distinct_units(rng.standard_normal((5, 9)), np.zeros(9)) == 9
    near = cols + 1e-9 * rng.standard_normal(cols.shape)  # round-off sized differences: still the same units
    assert distinct_units(near, np.zeros(7)) == 3


# ------------------------------------------------------------------------------------ clipping
def test_clipping_is_exact() -> None:
    """torch.nn.utils.clip_grad_norm_: coef = max_norm / (norm + 1e-6), clamped to 1."""
    g = np.array([3.0, 4.0])
    before, after, scaled = clip_gradients([[g]], 1.0)
    assert before == 5.0
    assert g.tolist() == [3.0 / (5.0 + 1e-6), 4.0 / (5.0 + 1e-6)]
    np.testing.assert_allclose(g, [0.6, 0.8], rtol=2.1e-7)  # the 1e-6 in the denominator: 2e-7 of 5
    assert after == pytest.approx(1.0, rel=1e-6) and scaled.tolist() == [True]
    small_g = np.array([0.3, 0.4])
    clip_gradients([[small_g]], 1.0)
    assert small_g.tolist() == [0.3, 0.4]  # below the threshold: untouched, bit for bit


def test_clipping_per_layer_and_global() -> None:
    a, b = np.array([3.0, 4.0]), np.array([0.3, 0.4])
    _, _, scaled = clip_gradients([[a], [b]], 1.0, "per_layer")
    assert scaled.tolist() == [True, False]
    assert b.tolist() == [0.3, 0.4]
    np.testing.assert_allclose(a, [0.6, 0.8], rtol=2.1e-7)
    a, b = np.array([3.0, 4.0]), np.array([0.3, 0.4])
    before, after, scaled = clip_gradients([[a], [b]], 1.0, "global")
    total = math.sqrt(25.25)
    assert before == pytest.approx(total)
    np.testing.assert_allclose(np.concatenate([a, b]), np.array([3, 4, 0.3, 0.4]) / (total + 1e-6), rtol=1e-12)
    assert after == pytest.approx(1.0, rel=1e-6) and scaled.tolist() == [True, True]


def test_clipping_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((3, 2))]
    params = [torch.nn.Parameter(torch.zeros(a.shape, dtype=torch.float64)) for a in arrays]
    for p, a in zip(params, arrays, strict=True):
        p.grad = torch.tensor(a)
    torch.nn.utils.clip_grad_norm_(params, 0.5)
    mine = [a.copy() for a in arrays]
    clip_gradients([mine], 0.5, "global")
    for p, m in zip(params, mine, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), m, rtol=1e-12)


def test_race_clipping_statistics() -> None:
    race = T.run_race(small(contenders="he_normal", clip=0.05, epochs=3))
    c = race.contenders[0]
    assert 0.0 < c.clipped_fraction <= 1.0
    assert c.norm_after <= 0.05 + 1e-9 < c.norm_before
    free = T.run_race(small(contenders="he_normal", epochs=3)).contenders[0]
    assert free.clipped_fraction == 0.0 and free.norm_after == free.norm_before


# ------------------------------------------------------------------------------------ recording
def test_update_ratio_and_grad_norm_of_the_first_step() -> None:
    """One SGD step without momentum: update = lr·grad, and the record holds log10(std(lr·g)/std(W))."""
    tc = small(contenders="he_normal", epochs=1, samples=64, batch_size=64, momentum=0.0, lr=0.1)
    race = T.run_race(tc)
    c = race.contenders[0]
    assert race.record_steps.tolist() == [1]
    ds = tc.dataset()
    order = layer_rng(tc.effective_seed, Stream.ORDER, 1).permutation(ds.n)
    mlp = T.build_mlp(tc, tc.contender_list[0], ds.out_dim)
    x = ds.x.astype(np.float32)[order]
    _, _, dws, dbs = mlp.loss_and_gradients(x, ds.y[order], "classification")
    for layer, (w, dw, db) in enumerate(zip(mlp.weights, dws, dbs, strict=True)):
        expected = math.log10(float((np.float32(0.1) * dw).std(dtype=np.float64)) / float(w.std(dtype=np.float64)))
        assert c.update_ratio[0, layer] == pytest.approx(expected, abs=1e-6)
        norm = math.sqrt(float(np.sum(dw.astype(np.float64) ** 2) + np.sum(db.astype(np.float64) ** 2)))
        assert c.grad_norm[0, layer] == pytest.approx(norm, rel=1e-6)


def test_adam_first_step_is_lr_times_sign() -> None:
    """torch's Adam: the first bias-corrected step is lr·g/(|g| + eps)."""
    g = np.array([2.0, -0.5, 1e-3])
    opt = _Adam([np.zeros(3)], 0.01)
    opt.t = 1
    np.testing.assert_allclose(opt.update(0, g), 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_determinism_for_a_seed() -> None:
    def arrays(race: T.RaceResult) -> list[np.ndarray]:
        return [
            a
            for c in race.contenders
            for a in (c.loss, c.accuracy, c.step_loss, c.grad_norm, c.update_ratio, c.distinct_units)
        ]

    tc = small(contenders="he_normal,xavier_uniform", optimizer="adam", epochs=5)
    a, b = arrays(T.run_race(tc)), arrays(T.run_race(tc))
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y, equal_nan=True)  # bit-identical
    c = arrays(T.run_race(tc.replace(seed=1)))
    assert not np.array_equal(a[0], c[0])


def test_same_batches_in_the_same_order_for_every_contender(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[int, list[bytes]] = {}
    original = MLP.loss_and_gradients

    def spy(self: MLP, x: Any, y: Any, task: str) -> Any:
        seen.setdefault(id(self), []).append(x.tobytes() + np.asarray(y).tobytes())
        return original(self, x, y, task)

    monkeypatch.setattr(MLP, "loss_and_gradients", spy)
    T.run_race(small(contenders="he_normal,zeros,orthogonal", epochs=3))
    batches = list(seen.values())
    assert len(batches) == 3 and len(batches[0]) == 3 * 4
    assert batches[0] == batches[1] == batches[2]
    assert len(set(batches[0])) == len(batches[0])  # the order changes between epochs and batches


def test_same_weights_stream_for_every_contender() -> None:
    """he_normal and xavier_normal scale the same Gaussian draws: their ratio is one number per layer."""
    tc = small(contenders="he_normal,xavier_normal")
    he, xavier = (T.build_mlp(tc, c, 2) for c in tc.contender_list)
    for a, b in zip(he.weights, xavier.weights, strict=True):
        ratio = a / b
        np.testing.assert_allclose(ratio, ratio.flat[0], rtol=1e-5)


def test_nonfinite_contender_stops_and_says_when() -> None:
    """A linear net with std-3 weights on a regression: each SGD step multiplies the error, float32 overflows."""
    race = T.run_race(
        small(
            network=Config(activation="linear", fan_in=2, width=16, depth=2),
            data="teacher",
            contenders="he_normal,normal(std=3)",
            lr=0.01,
            momentum=0.0,
            epochs=10,
        )
    )
    he, big = race.contenders
    assert he.status == T.STATUS_FINISHED and math.isfinite(he.final_loss)
    assert big.status == T.STATUS_NONFINITE
    assert big.stopped_step is not None and 1 <= big.stopped_step < race.total_steps
    assert f"step {big.stopped_step}" in big.reason
    assert math.isnan(big.final_loss)
    assert np.all(np.isnan(big.step_loss[race.record_steps > big.stopped_step]))
    assert "non-finite" in race.conclusion()
    json.dumps(race.to_dict(), allow_nan=False)  # still valid JSON


def test_cancel_returns_a_partial_result() -> None:
    cancel = threading.Event()
    calls: list[T.RaceResult] = []

    def progress(p: T.RaceResult) -> None:
        calls.append(p)
        if p.epochs_done >= 2:
            cancel.set()

    race = T.run_race(
        small(contenders="he_normal,zeros", epochs=50), cancel=cancel, progress=progress, progress_interval=0.0
    )
    assert race.cancelled and 2 <= race.epochs_done < 50
    assert {c.status for c in race.contenders} == {T.STATUS_CANCELLED}
    assert all("cancelled at step" in c.reason for c in race.contenders)
    assert len(race.contenders[0].loss) == race.epochs_done + 1
    first = calls[0]
    assert first.epochs_done == 0 and first.loss_curves().shape == (2, 1) and first.labels == ("he_normal", "zeros")
    assert all(p.running for p in calls) and calls[-1].step > 0
    assert calls[-1].latest_distinct_units().shape == (2, 2)
    first.contenders[0].loss[:] = -1.0  # a copy: the race's own curves are untouched
    assert race.contenders[0].loss[0] > 0


def test_steps_to_target() -> None:
    race = T.run_race(small(contenders="he_normal,zeros", epochs=30, target_loss=0.5))
    he, zeros = race.contenders
    assert he.steps_to_target is not None and zeros.steps_to_target is None
    index = he.steps_to_target // race.steps_per_epoch
    assert he.loss[index] <= 0.5 < he.loss[index - 1]
    assert race.conclusion().startswith("he_normal reached the target loss 0.5 first")


def test_lsuv_contender_has_unit_variance_on_the_first_batch() -> None:
    tc = small(contenders="lsuv")
    ds = tc.dataset()
    batch = ds.x.astype(np.float32)[:32]
    mlp = T.build_mlp(tc, tc.contender_list[0], 2, batch)
    z = batch @ mlp.weights[0] + mlp.biases[0]
    assert abs(float(z.var()) - 1.0) < 0.1
    T.run_race(tc.replace(epochs=2))


# ------------------------------------------------------------------------------------ the race's claim
@pytest.mark.slow
def test_he_beats_a_too_small_init_on_spirals() -> None:
    """ReLU, depth 3: weights of std 1e-3 shrink the signal ~(1e-3·sqrt(32/2))^3 per pass, so SGD barely
    moves them, while He keeps it at scale. Paired by seed (same data and batches), the loss after the same
    number of steps must be lower for He by at least 0.1 nat (a fifth of ln 2: a visible difference, not a
    rounding one) and by more than 4 standard errors of the mean paired difference, over 6 seeds."""
    diffs = []
    for seed in range(6):
        tc = T.TrainConfig(
            network=Config(activation="relu", fan_in=2, width=32, depth=3),
            samples=256,
            epochs=25,
            batch_size=32,
            contenders="he_normal,normal(std=0.001)",
            seed=seed,
        )
        he, tiny = T.run_race(tc).contenders
        diffs.append(tiny.final_loss - he.final_loss)
    d = np.array(diffs)
    mean, se = float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))
    assert mean > 0.1, d
    assert mean > 4 * se, (mean, se, d)


# ------------------------------------------------------------------------------------ data files
def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_csv_with_and_without_header_load_the_same(tmp_path: Path) -> None:
    body = "".join(f"{i * 0.1:.1f},{(i % 3) - 1},{i % 2}\n" for i in range(20))
    plain = load_file(_write(tmp_path / "plain.csv", body))
    headed = load_file(_write(tmp_path / "headed.csv", "x1,x2,label\n" + body))
    np.testing.assert_array_equal(plain.x, headed.x)
    np.testing.assert_array_equal(plain.y, headed.y)
    assert plain.n == 20 and plain.dim == 2 and plain.task == "classification" and plain.n_classes == 2
    np.save(tmp_path / "same.npy", np.loadtxt(tmp_path / "plain.csv", delimiter=","))
    npy = load_file(str(tmp_path / "same.npy"))
    np.testing.assert_array_equal(npy.x, plain.x)
    np.testing.assert_array_equal(npy.y, plain.y)


def test_csv_class_names_and_regression(tmp_path: Path) -> None:
    names = load_file(
        _write(
            tmp_path / "n.csv",
            "a,b,kind\n" + "".join(f"{i},{i * i % 7},{'cat' if i % 3 else 'dog'}\n" for i in range(12)),
        )
    )
    assert names.class_names == ("cat", "dog") and names.n_classes == 2
    reg = load_file(_write(tmp_path / "r.csv", "".join(f"{i},{i * 0.37 + 0.01}\n" for i in range(12))))
    assert reg.task == "regression" and reg.y.shape == (12, 1)
    assert float(reg.y.std()) == pytest.approx(1.0)
    forced = load_file(_write(tmp_path / "f.csv", "".join(f"{i},{i % 3}\n" for i in range(12))), "regression")
    assert forced.task == "regression"


BAD_FILES = {
    "ragged": ("1,2,0\n3,4,1\n5,1\n", "ragged rows: line 3 has 2 fields"),
    "text": ("1,2,0\n3,abc,1\n5,6,1\n", "text in a numeric column: line 2, column 2 is 'abc'"),
    "nan": ("1,2,0\n3,nan,1\n5,6,1\n", "line 2, column 2 is 'nan', not a finite number"),
    "nan_label": ("1,2,0\n3,4,nan\n5,6,1\n", "line 2: the label/target is nan"),
    "single": ("1,2,1\n3,4,1\n5,6,1\n", "a single class"),
    "classes": ("1,2,0\n3,4,5\n5,6,9\n", "more classes than the 3 rows"),
    "empty": ("\n\n", "the file is empty"),
    "one_column": ("1\n2\n3\n", "has 1 column"),
    "header_only": ("a,b,c\n", "only a header row"),
    "empty_field": ("1,2,0\n,4,1\n5,6,1\n", "line 2, column 1 is empty"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_malformed_csv_is_one_clear_error_naming_data(tmp_path: Path, case: str) -> None:
    text, phrase = BAD_FILES[case]
    path = _write(tmp_path / f"{case}.csv", text)
    with pytest.raises(ConfigError) as info:
        load_file(path)
    assert info.value.field == "data"
    assert phrase in str(info.value) and path in str(info.value)
    with pytest.raises(ConfigError) as again:  # the same through the training config
        T.TrainConfig(data=path)
    assert again.value.field == "data"


def test_malformed_npy_and_missing_files(tmp_path: Path) -> None:
    cases = {
        "flat.npy": np.arange(5.0),
        "nan.npy": np.array([[1.0, np.nan, 0], [1, 2, 1]]),
        "text.npy": np.array([["a", "b"], ["c", "d"]]),
    }
    for name, array in cases.items():
        np.save(tmp_path / name, array)
        with pytest.raises(ConfigError) as info:
            load_file(str(tmp_path / name))
        assert info.value.field == "data", name
    for missing in (str(tmp_path / "missing.csv"), str(tmp_path / "data.txt"), str(tmp_path)):
        with pytest.raises(ConfigError) as info:
            T.TrainConfig(data=missing)
        assert info.value.field == "data"


def test_file_race_runs(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 3))
    labels = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")
    path = _write(
        tmp_path / "d.csv",
        "f1,f2,f3,answer\n"
        + "".join(f"{a:.4f},{b:.4f},{c:.4f},{lab}\n" for (a, b, c), lab in zip(x, labels, strict=True)),
    )
    tc = T.TrainConfig(data=path, contenders="he_normal", epochs=20, batch_size=16)
    assert tc.network.fan_in == 3
    race = T.run_race(tc)
    assert race.dataset["class_names"] == ["no", "yes"]
    assert race.contenders[0].final_accuracy > 0.9


# ------------------------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"lr": 0}, "lr"),
        ({"lr": -0.1}, "lr"),
        ({"lr": "nan"}, "lr"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 10**6}, "epochs"),
        ({"momentum": 1.0}, "momentum"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"clip": -1}, "clip"),
        ({"clip_mode": "both"}, "clip_mode"),
        ({"target_loss": 0}, "target_loss"),
        ({"batch_size": 600}, "batch_size"),
        ({"samples": 3}, "samples"),
        ({"data": "moons"}, "data"),
        ({"contenders": ""}, "contenders"),
        ({"contenders": "he_normal,he_normal"}, "contenders"),
        ({"contenders": "normal(std=-1)"}, "contenders"),
        ({"contenders": ",".join(["zeros"] * 9)}, "contenders"),
        ({"task": "regression"}, "task"),
        ({"network": Config(dtype="float16")}, "dtype"),
    ],
)
def test_bad_values_are_config_errors_naming_the_field(changes: dict[str, Any], name: str) -> None:
    with pytest.raises(ConfigError) as info:
        T.TrainConfig(**changes)
    assert info.value.field == name


def test_budget_says_how_much_and_what_to_reduce() -> None:
    with pytest.raises(ConfigError) as info:
        T.TrainConfig(epochs=200_000)
    text = str(info.value)
    assert info.value.field == "epochs"
    assert "200000 epochs x 512 samples x 8,642 parameters x 3 contenders" in text
    assert "reduce epochs to 15066 or fewer" in text
    assert T.TrainConfig(epochs=15066).epochs == 15066  # exactly the number it suggests is accepted


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_lr_is_accepted_exactly_when_finite_and_positive(lr: float) -> None:
    if math.isfinite(lr) and lr > 0:
        assert T.TrainConfig(lr=lr, epochs=1).effective_lr == lr
    else:
        with pytest.raises(ConfigError):
            T.TrainConfig(lr=lr, epochs=1)


def test_training_imports_no_ui_package() -> None:
    code = (
        "import sys, initscope.engine.training;"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'rich', 'plotext', 'textual_plotext'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_configs_compare_and_hash() -> None:
    a, b = T.TrainConfig(epochs=5), T.TrainConfig(epochs=5)
    assert a == b and hash(a) == hash(b) and len({a, b, a.replace(lr=0.1)}) == 2


def test_contender_parsing() -> None:
    parsed = T.parse_contenders("he_normal, normal(std=0.01,mean=0), kaiming_uniform,constant(0.5)")
    assert [c.label for c in parsed] == ["he_normal", "normal(std=0.01)", "he_uniform", "constant(value=0.5)"]
    assert T.split_top_level("a(b=1,c=2),d") == ["a(b=1,c=2)", "d"]


def test_network_takes_the_data_dimension_and_keeps_its_widths() -> None:
    tc = T.TrainConfig(network=Config(fan_in=256, width=(32, 16), activation="tanh"), data="teacher", epochs=1)
    assert tc.network.fan_in == 8 and tc.network.widths == (32, 16)
    assert tc.layer_dims(1) == [(8, 32), (32, 16), (16, 1)]
    assert T.TrainConfig(network=Config(fan_in=30, depth=2), epochs=1).network.widths == (30, 30)


# ------------------------------------------------------------------------------------ serialization
def test_to_dict_is_json_safe_downsampled_and_round_trips() -> None:
    tc = small(contenders="he_normal,zeros", epochs=400, samples=32, batch_size=32, clip=1.0)
    race = T.run_race(tc)
    doc = json.loads(json.dumps(race.to_dict(), allow_nan=False))
    assert len(doc["curves"]["epoch_step"]) == CURVE_POINTS and doc["curves"]["epoch_step"][-1] == 400
    assert len(doc["contenders"][0]["curves"]["loss"]) == CURVE_POINTS
    assert doc["contenders"][1]["curves"]["update_ratio"][0][0] is None  # zeros: std(W) = 0, ratio undefined
    assert doc["config"]["clip"] == {"threshold": 1.0, "mode": "global"}
    back = T.RaceResult.from_dict(doc)
    assert back.config.to_dict() == tc.to_dict()
    assert back.conclusion() == race.conclusion()
    assert back.contenders[0].final_loss == race.contenders[0].final_loss
    assert json.loads(json.dumps(back.to_dict(), allow_nan=False)) == doc


def test_from_dict_names_what_is_wrong() -> None:
    doc = T.run_race(small(epochs=1)).to_dict()
    with pytest.raises(ConfigError) as info:
        T.RaceResult.from_dict({**doc, "version": 7})
    assert info.value.field == "training.version"
    broken = json.loads(json.dumps(doc))
    del broken["contenders"][0]["curves"]["loss"]
    with pytest.raises(ConfigError) as info:
        T.RaceResult.from_dict(broken)
    assert info.value.field == "training"
    bad_lr = json.loads(json.dumps(doc))
    bad_lr["config"]["lr"] = -1
    with pytest.raises(ConfigError) as info:
        T.RaceResult.from_dict(bad_lr)
    assert info.value.field == "lr"


def test_diff_training() -> None:
    a = T.run_race(small(epochs=2)).to_dict()
    b = T.run_race(small(epochs=2, lr=0.05)).to_dict()
    d = T.diff_training(a, b)
    assert d["config"] == {"lr": [0.02, 0.05]}
    assert set(d["contenders"]) == {"he_normal", "xavier_normal", "zeros"}
    assert d["contenders"]["he_normal"]["final_loss_ratio"] == pytest.approx(
        b["contenders"][0]["final_loss"] / a["contenders"][0]["final_loss"]
    )
    assert T.diff_training(a, None) == {"present": [True, False]}
