"""Config validation, the one-line form, and the memory budget."""

from __future__ import annotations

import tracemalloc

import pytest

from initscope.engine.config import Config, build
from initscope.engine.errors import ConfigError


def test_defaults_match_the_design() -> None:
    cfg = Config()
    assert (cfg.initializer, cfg.activation, cfg.fan_in, cfg.depth, cfg.batch) == ("he_normal", "relu", 256, 10, 256)
    assert cfg.widths == (256,) * 10
    assert (cfg.dtype, cfg.seed, cfg.clip, cfg.bias, cfg.input) == ("float32", 0, None, "zeros", "normal")
    assert cfg.initializer_params["mode"] == "fan_in"


def test_alias_resolves_to_the_canonical_name() -> None:
    assert Config(initializer="kaiming_normal").initializer == "he_normal"
    assert Config(initializer="MSRA").initializer == "he_normal"


def test_width_list_sets_the_depth() -> None:
    cfg = Config(fan_in=784, width=(512, 256, 10))
    assert cfg.depth == 3
    assert cfg.layer_fans == [(784, 512), (512, 256), (256, 10)]
    with pytest.raises(ConfigError) as err:
        Config(fan_in=784, width=(512, 256, 10), depth=4)
    assert err.value.field == "depth"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"fan_in": 0}, "fan_in"),
        ({"fan_in": -3}, "fan_in"),
        ({"fan_in": "abc"}, "fan_in"),
        ({"fan_in": 10**9}, "fan_in"),
        ({"fan_in": 2.5}, "fan_in"),
        ({"fan_in": True}, "fan_in"),
        ({"depth": 10**6}, "depth"),
        ({"depth": 0}, "depth"),
        ({"width": (3, 0, 4)}, "width"),
        ({"batch": 0}, "batch"),
        ({"seed": -1}, "seed"),
        ({"dtype": "float8"}, "dtype"),
        ({"activation": "swish"}, "activation"),
        ({"initializer": "he_norml"}, "initializer"),
        ({"initializer": "normal", "initializer_params": {"std": 0}}, "normal.std"),
        ({"initializer": "normal", "initializer_params": {"std": -1}}, "normal.std"),
        ({"initializer": "he_normal", "initializer_params": {"std": 0.1}}, "he_normal.std"),
        ({"activation": "leaky_relu", "activation_params": {"slope": 2}}, "leaky_relu.slope"),
        ({"activation": "relu", "activation_params": {"slope": 0.1}}, "relu.slope"),
        ({"clip": 0}, "clip"),
        ({"clip": -1}, "clip"),
        ({"clip_mode": "sideways", "clip": 1}, "clip_mode"),
        ({"input": "does/not/exist.csv"}, "input"),
        ({"input": "data.txt"}, "input"),
        ({"bias": "orthogonal"}, "bias"),
        ({"depth": 3000, "width": 4096}, "memory_budget"),
    ],
)
def test_bad_values_name_field_value_and_range(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        Config(**changes)  # type: ignore[arg-type]
    assert err.value.field == field
    message = str(err.value)
    assert message.startswith(field + ":")
    assert "\n" not in message


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(ConfigError, match="did you mean he_normal"):
        Config(initializer="he_norml")


def test_memory_refusal_says_how_much_and_what_to_reduce() -> None:
    with pytest.raises(ConfigError) as err:
        Config(depth=3000, width=4096)
    text = str(err.value)
    assert "GiB" in text and "depth" in text and "width" in text and "batch" in text


def test_memory_refusal_happens_before_allocation() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError):
            Config(depth=10000, width=65536, batch=65536)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024**2  # the run would need terabytes; refusing it touches almost nothing


def test_budget_can_be_raised() -> None:
    cfg = Config(depth=300, width=4096, memory_budget="64GiB")
    assert cfg.memory_budget == 64 * 1024**3


@pytest.mark.parametrize(
    "cfg",
    [
        Config(),
        Config(initializer="normal", initializer_params={"std": 0.05}, activation="tanh", depth=50, seed=7),
        Config(
            initializer="he_uniform",
            initializer_params={"gain": "auto", "mode": "fan_out"},
            activation="leaky_relu",
            activation_params={"slope": 0.2},
        ),
        Config(fan_in=784, width=(512, 256, 10), bias="constant", bias_params={"value": 0.1}, dtype="float64"),
        Config(clip=1.5, clip_mode="global", batch=32, input="uniform", memory_budget="1GiB"),
    ],
)
def test_one_line_form_round_trips(cfg: Config) -> None:
    text = cfg.to_string()
    assert "\n" not in text
    assert Config.from_string(text) == cfg
    assert Config.from_string(text).to_string() == text


def test_one_line_form_accepts_short_keys_and_parameters() -> None:
    cfg = Config.from_string("init=normal(std=0.5) act=leaky_relu(0.2) depth=30 bias=0.1 clip=off")
    assert cfg.initializer == "normal" and cfg.initializer_params["std"] == 0.5
    assert cfg.activation_params == {"slope": 0.2}
    assert cfg.depth == 30 and cfg.bias == "constant" and cfg.bias_params["value"] == 0.1
    assert Config.from_string("init=he_normal gain=auto").initializer_params["gain"] == "auto"


def test_build_keeps_the_base_for_keys_not_given() -> None:
    base = Config(depth=30, seed=5)
    cfg = build({"act": "tanh"}, base)
    assert (cfg.depth, cfg.seed, cfg.activation) == (30, 5, "tanh")


def test_one_line_form_rejects_garbage() -> None:
    with pytest.raises(ConfigError) as err:
        Config.from_string("depth")
    assert err.value.field == "config"


# ------------------------------------------------------------------------------- the budget bounds the peak
def _largest_accepted(budget: int, grow: str, low: int, high: int, **fields: object) -> Config:
    """The config with the largest `grow` (depth or fan_in) the budget accepts (bisection on the estimate)."""

    def accepted(n: int) -> Config | None:
        try:
            return Config(**{**fields, grow: n}, memory_budget=budget)  # type: ignore[arg-type]
        except ConfigError:
            return None

    assert accepted(low) is not None
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if accepted(mid) is not None else (low, mid - 1)
    cfg = accepted(low)
    assert cfg is not None and accepted(low + 1) is None  # the very edge: one more is refused
    return cfg


BUDGET_KINDS = {
    # the shape (fan-in 64, batch 773) at a small budget: activations dominate
    "deep relu": (32 * 1024**2, "depth", dict(fan_in=64, batch=773)),
    "gelu (stores phi')": (32 * 1024**2, "depth", dict(fan_in=64, batch=773, activation="gelu")),
    "float16": (16 * 1024**2, "depth", dict(fan_in=64, batch=773, dtype="float16")),
    "float64 tanh, clipped": (
        32 * 1024**2,
        "depth",
        dict(fan_in=64, batch=773, dtype="float64", activation="tanh", clip=1.0),
    ),
    "orthogonal": (24 * 1024**2, "depth", dict(fan_in=64, batch=773, initializer="orthogonal")),
    # tiny layers: the per-layer bookkeeping dominates (the old estimate was 10x under here)
    "many tiny layers": (12 * 1024**2, "depth", dict(fan_in=8, batch=1)),
    # one wide layer pair: the weight matrices and the float64 statistics scratch dominate
    "wide": (96 * 1024**2, "fan_in", dict(depth=2, batch=64)),
}


@pytest.mark.parametrize("kind", list(BUDGET_KINDS))
def test_the_largest_accepted_config_stays_within_the_budget(kind: str) -> None:
    import gc

    from initscope.engine import run

    budget, grow, fields = BUDGET_KINDS[kind]
    high = 10000 if grow == "depth" else 65536
    cfg = _largest_accepted(budget, grow, 1, high, **fields)
    gc.collect()
    tracemalloc.start()
    try:
        run(cfg)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= budget, f"{cfg.to_string()}: peak {peak:,} bytes over the budget of {budget:,}"
