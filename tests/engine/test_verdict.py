"""The doctor: one config per finding triggers it; healthy configs trigger none."""

from __future__ import annotations

import numpy as np
import pytest

from initscope.engine import Config, run
from initscope.engine.verdict import per_layer_factor

CASES = [
    ("vanishing", Config(initializer="lecun_normal", activation="relu", depth=30)),
    ("exploding", Config(initializer="normal", initializer_params={"std": 0.2}, activation="relu", depth=20)),
    ("overflow", Config(initializer="normal", initializer_params={"std": 10}, depth=100, dtype="float16")),
    ("saturated", Config(initializer="normal", initializer_params={"std": 0.5}, activation="tanh", depth=5)),
    ("dead", Config(initializer="he_normal", activation="relu", depth=5, bias="constant", bias_params={"value": -5.0})),
    ("symmetric", Config(initializer="zeros", activation="tanh", depth=5)),
    ("weight_gradient_illusion", Config(initializer="lecun_normal", activation="relu", depth=30)),
    ("chaotic", Config(initializer="normal", initializer_params={"std": 0.5}, activation="tanh", depth=20)),
    ("ordered", Config(initializer="xavier_normal", activation="sigmoid", depth=20)),
]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "cfg"), CASES, ids=[k for k, _ in CASES])
def test_each_finding_is_triggered(kind: str, cfg: Config) -> None:
    r = run(cfg)
    found = {f.kind: f for f in r.verdict.findings}
    assert kind in found, [f.text for f in r.verdict.findings]
    finding = found[kind]
    assert finding.text.endswith(".") and finding.numbers
    if kind not in ("chaotic", "ordered"):
        assert finding.fix


@pytest.mark.parametrize(
    "cfg",
    [
        Config(initializer="he_normal", activation="relu", depth=8),
        Config(initializer="xavier_normal", activation="tanh", depth=20),
        Config(initializer="orthogonal", activation="tanh", depth=20),
        Config(initializer="lecun_normal", activation="selu", depth=20),
        Config(initializer="lecun_normal", activation="linear", depth=20),
    ],
    ids=lambda c: c.to_string(),
)
def test_healthy_configs_trigger_nothing(cfg: Config) -> None:
    r = run(cfg)
    assert r.verdict.kind == "stable"
    assert [f.kind for f in r.verdict.findings] == ["stable"], [f.text for f in r.verdict.findings]
    assert r.verdict.severity == "ok"


@pytest.mark.slow
def test_kind_follows_the_priority() -> None:
    r = run(CASES[0][1])  # vanishing and the illusion: the verdict names the more serious one
    assert r.verdict.kind == "vanishing" and r.verdict.text.startswith("Activations vanish")
    assert run(CASES[2][1]).verdict.kind == "overflow"
    assert run(CASES[5][1]).verdict.kind == "symmetric"


def test_per_layer_factor_is_the_geometric_slope() -> None:
    values = 3.0 * 0.5 ** np.arange(10)
    factor, decades = per_layer_factor(values)
    assert factor == pytest.approx(0.5) and decades == pytest.approx(9 * np.log10(0.5))
    with_gaps = values.copy()
    with_gaps[[2, 5]] = [np.nan, 0.0]  # non-finite and non-positive points are left out
    assert per_layer_factor(with_gaps)[0] == pytest.approx(0.5)
    assert np.isnan(per_layer_factor(np.array([1.0]))[0])


def test_vanishing_names_the_crossing_layer() -> None:
    r = run(Config(initializer="inv_sqrt_fan_in_uniform", activation="relu", depth=20))
    finding = next(f for f in r.verdict.findings if f.kind == "vanishing")
    layer = finding.numbers["crossing_layer"]
    assert isinstance(layer, int)
    assert r.forward.activation.std[layer - 1] < 1e-6 <= r.forward.activation.std[layer - 2]
