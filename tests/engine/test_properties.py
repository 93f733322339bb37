"""Property tests: every valid Config runs and yields finite-or-flagged numbers; every invalid value is
refused with a ConfigError that names its field."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from initscope.engine import Config, ConfigError, run
from initscope.engine.activations import NAMES as ACTIVATIONS
from initscope.engine.initializers import CATALOGUE


@st.composite
def valid_configs(draw: st.DrawFn) -> Config:
    entry = draw(st.sampled_from(CATALOGUE))
    params: dict[str, object] = {}
    if entry.name == "normal":
        params = {"std": draw(st.floats(1e-4, 20.0))}
    elif entry.name == "constant":
        params = {"value": draw(st.floats(-3, 3))}
    return Config(
        initializer=entry.name,
        initializer_params=params,
        activation=draw(st.sampled_from(ACTIVATIONS)),
        fan_in=draw(st.integers(1, 48)),
        width=draw(st.none() | st.integers(1, 48)),
        depth=draw(st.integers(1, 25)),
        batch=draw(st.integers(1, 24)),
        dtype=draw(st.sampled_from(["float16", "float32", "float64"])),
        seed=draw(st.integers(0, 2**40)),
        clip=draw(st.none() | st.floats(1e-3, 10.0)),
        bias=draw(st.sampled_from(["zeros", "normal", "constant"])),
    )


@pytest.mark.slow
@settings(max_examples=120)
@given(valid_configs())
def test_every_valid_config_runs_to_finite_or_flagged_numbers(cfg: Config) -> None:
    r = run(cfg)
    bad = r.verdict.first_nonfinite_layer
    done = r.layers_done
    assert done == cfg.n_layers or bad is not None
    if bad is None:
        for values in (r.forward.activation.std, r.forward.preactivation.std, r.weights.summary.std):
            assert np.isfinite(values).all()
        assert np.isfinite(r.backward.activation_grad_std).all()
    else:
        assert r.verdict.kind == "overflow"
        assert np.isfinite(r.forward.activation.std[: bad - 1]).all()
    assert r.verdict.kind in ("stable", "vanishing", "exploding", "saturated", "dead", "symmetric", "overflow")
    assert r.verdict.text


def names_a_valid_fan_in(text: str) -> bool:
    """Text such as ' 12' or '1e2' is a fan-in the config accepts by its contract (a whole number 1..65536)."""
    try:
        number = float(text.strip())
    except ValueError:
        return False
    return math.isfinite(number) and number.is_integer() and 1 <= number <= 65536


FIELDS = {
    "fan_in": st.one_of(
        st.integers(max_value=0),
        st.integers(min_value=65537),
        st.text(max_size=4).filter(lambda s: not names_a_valid_fan_in(s)),
        st.floats().filter(lambda x: not float(x).is_integer() if math.isfinite(x) else True),
    ),
    "depth": st.one_of(st.integers(max_value=0), st.integers(min_value=10001)),
    "batch": st.one_of(st.integers(max_value=0), st.integers(min_value=65537)),
    "seed": st.integers(max_value=-1),
    "dtype": st.text(max_size=8).filter(lambda s: s.strip().lower() not in ("float16", "float32", "float64")),
    "activation": st.text(max_size=8).filter(lambda s: s.strip().lower() not in ACTIVATIONS),
    "clip": st.one_of(st.floats(max_value=0.0), st.just(math.inf), st.just(math.nan)),
}


@given(st.sampled_from(sorted(FIELDS)).flatmap(lambda f: st.tuples(st.just(f), FIELDS[f])))
def test_every_invalid_value_names_its_field(case: tuple[str, object]) -> None:
    field, value = case
    try:
        Config(**{field: value})  # type: ignore[arg-type]
    except ConfigError as err:
        assert err.field == field
        assert str(err).startswith(f"{field}:")
    else:
        raise AssertionError(f"{field}={value!r} was accepted")


NOT_A_VALUE = st.sampled_from([math.nan, math.inf, -math.inf, "abc", "", "1e", "x1"])


@given(st.sampled_from(CATALOGUE), NOT_A_VALUE)
def test_invalid_initializer_parameters_name_entry_and_parameter(entry: object, value: object) -> None:
    from initscope.engine.initializers import Initializer

    assert isinstance(entry, Initializer)
    for p in entry.params:
        try:
            Config(initializer=entry.name, initializer_params={p.name: value})
        except ConfigError as err:
            assert err.field == f"{entry.name}.{p.name}"
        else:
            raise AssertionError(f"{entry.name}.{p.name}={value!r} was accepted")
