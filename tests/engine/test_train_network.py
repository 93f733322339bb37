"""Config contenders in the training race: exact gradients, and the race on a deep residual net."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradcheck import central_differences

from initscope.engine.config import Config
from initscope.engine.errors import ConfigError
from initscope.engine.training import TrainConfig, build_mlp, parse_contenders, run_race

FD_CASES = [
    "arch=residual",
    "arch=residual norm=layernorm norm_placement=pre act=tanh",
    "arch=residual norm=rmsnorm norm_placement=post branch_depth=1 branch_scale=1/sqrt(2L)",
    "arch=residual norm=batchnorm act=silu branch_scale=deepnorm",
    "norm=layernorm norm_placement=post act=tanh",
]


@pytest.mark.parametrize("text", FD_CASES)
def test_config_contender_gradients_match_central_differences(text: str) -> None:
    """Every parameter entry of a small float64 net: the loss's central difference (h = 1e-6) against the
    analytic gradient, to 1e-6 of the largest gradient."""
    tc = TrainConfig(
        network=Config(fan_in=2, width=5, depth=2, batch=8, dtype="float64"),
        contenders=[text],
        data="spirals",
        samples=16,
        batch_size=8,
        epochs=1,
    )
    ds = tc.dataset()
    net = build_mlp(tc, tc.contender_list[0], ds.out_dim)
    x, y = ds.x[:8], ds.y[:8]
    rng = np.random.default_rng(0)
    for p in [*net.weights, *net.biases]:
        p += rng.normal(0, 0.1, p.shape)  # off zero: biases start at exactly 0, relu's kink
    _, _, dws, dbs = net.loss_and_gradients(x, y, ds.task)
    for p, analytic in zip([*net.weights, *net.biases], [*dws, *dbs], strict=True):
        numeric = central_differences(lambda: net.loss_and_gradients(x, y, ds.task)[0], p)
        scale = max(1e-3, float(np.abs(numeric).max()))
        assert np.abs(numeric - analytic).max() <= 1e-6 * scale, text
    assert len(dws) == len(net.weights)


@pytest.mark.slow
def test_deep_residual_race_unscaled_he_loses_to_scaled_and_normalized() -> None:
    """Depth 64: He branches unscaled blow the stream up by 2^64 in variance; 1/sqrt(2L) and pre-LN train.
    The order is measured: the unscaled contender stops non-finite or ends with a higher loss than both."""
    contenders = ["arch=residual norm=none", "arch=residual branch_scale=1/sqrt(2L)", "arch=residual norm=layernorm"]
    tc = TrainConfig(
        network=Config(fan_in=2, width=32, depth=64, batch=64), contenders=contenders, data="spirals", epochs=20
    )
    race = run_race(tc)
    unscaled, scaled, normed = race.contenders
    baseline = math.log(2.0)  # the loss of the best constant prediction on balanced spirals
    for trained in (scaled, normed):
        assert trained.status == "finished" and trained.final_loss < 0.5 * baseline
    assert unscaled.status == "nonfinite" or unscaled.final_loss > max(scaled.final_loss, normed.final_loss)


def test_initializer_contenders_keep_working_and_configs_round_trip() -> None:
    assert [c.label for c in parse_contenders("he_normal,xavier_normal,zeros")] == [
        "he_normal",
        "xavier_normal",
        "zeros",
    ]
    mixed = parse_contenders(["he_normal,zeros", "init=xavier_normal arch=residual branch_scale=0"])
    assert [c.label for c in mixed] == ["he_normal", "zeros", "init=xavier_normal arch=residual branch_scale=0"]
    tc = TrainConfig(contenders=["arch=residual branch_scale=1/sqrt(2L)", "preset=gpt2"], epochs=1)
    again = TrainConfig.from_dict(tc.to_dict())
    assert again.contender_list == tc.contender_list


@pytest.mark.parametrize(
    ("contenders", "width"),
    [
        (["arch=residual bogus=1"], 8),
        (["arch=residual"], (8, 4)),
        (["init=lsuv arch=residual"], 8),
        (["arch=graph"], 8),
    ],
)
def test_bad_config_contenders_name_the_field(contenders: list[str], width: object) -> None:
    with pytest.raises(ConfigError) as err:
        TrainConfig(network=Config(fan_in=2, width=width, depth=2 if width == 8 else None), contenders=contenders)
    assert err.value.field == "contenders"


def test_work_budget_counts_a_residual_contenders_parameters() -> None:
    """A residual contender has an input projection and branch_depth layers per block: its parameters, not
    the plain MLP's, enter the race's work (counted here from its built network)."""
    tc = TrainConfig(network=Config(fan_in=2, width=16, depth=4), contenders=["arch=residual", "he_normal"], epochs=1)
    ds = tc.dataset()
    built = [build_mlp(tc, c, ds.out_dim) for c in tc.contender_list]
    counts = [sum(w.size + b.size for w, b in zip(net.weights, net.biases, strict=True)) for net in built]
    assert [tc.contender_params(c, ds.out_dim) for c in tc.contender_list] == counts
    assert tc.work(ds.n, ds.out_dim) == float(tc.epochs) * ds.n * sum(counts)
