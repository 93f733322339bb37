"""The limits in engine/limits.py are the ones the Config enforces: each is accepted, one past it is refused
with a message that quotes it."""

from __future__ import annotations

from typing import Any

import pytest

from initscope.engine import limits
from initscope.engine.config import Config
from initscope.engine.errors import ConfigError

SMALL = {"fan_in": 1, "depth": 1, "batch": 1}
CASES: list[tuple[str, int, dict[str, Any]]] = [
    ("fan_in", limits.MAX_UNITS, {"memory_budget": limits.MAX_BUDGET}),
    ("width", limits.MAX_UNITS, {"memory_budget": limits.MAX_BUDGET}),
    ("depth", limits.MAX_DEPTH, {}),
    ("batch", limits.MAX_BATCH, {}),
    ("seed", limits.MAX_SEED, {}),
    ("branch_depth", limits.BRANCH_DEPTHS[1], {"arch": "residual"}),
]


@pytest.mark.parametrize(("field", "limit", "extra"), CASES, ids=[c[0] for c in CASES])
def test_each_limit_is_accepted_and_one_past_it_is_refused(field: str, limit: int, extra: dict[str, Any]) -> None:
    cfg = Config(**{**SMALL, **extra, field: limit})
    assert getattr(cfg, field) == limit
    with pytest.raises(ConfigError) as info:
        Config(**{**SMALL, **extra, field: limit + 1})
    assert info.value.field == field and str(limit) in str(info.value)


def test_the_budget_limit_is_the_largest_accepted_budget() -> None:
    assert Config(memory_budget=limits.MAX_BUDGET).memory_budget == limits.MAX_BUDGET
    with pytest.raises(ConfigError) as info:
        Config(memory_budget=limits.MAX_BUDGET + 1)
    assert info.value.field == "memory_budget"
    assert Config().memory_budget == limits.DEFAULT_BUDGET


@pytest.mark.parametrize(
    ("name", "key", "bounds"), [("leaky_relu", "slope", limits.LEAKY_RELU_SLOPE), ("elu", "alpha", limits.ELU_ALPHA)]
)
def test_activation_parameter_ranges_are_the_limits(name: str, key: str, bounds: tuple[float, float]) -> None:
    low, high = bounds
    assert Config(activation=name, activation_params={key: high}).activation_params[key] == high
    with pytest.raises(ConfigError) as info:
        Config(activation=name, activation_params={key: high * 1.01})
    assert info.value.field == f"{name}.{key}" and f"[{low:g}, {high:g}]" in str(info.value)
