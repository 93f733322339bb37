"""The initializer catalogue: one declarative entry per initializer.

Each entry maps (fan_in, fan_out, params, gain) to a `Law` (a distribution such as "uniform on
[-b, b)" or "orthogonal x gain"); the law both draws the values and states their exact mean, std and
support.

- `laws`: the distributions and the variance-scaling rule; `params`: parameters and their validation;
  `entry`: `Initializer` and the rules from parameters to a law; `catalogue`: the entries themselves.
- `CATALOGUE`: tuple of `Initializer`, in display order; `names()`; `lookup(name)` (names and aliases,
  case-insensitive; an unknown name is a ConfigError that suggests close names).
- `Initializer.resolve(params)` -> every parameter filled in and validated (ConfigError names the field).
- `Initializer.sample(fan_in, fan_out, params, rng, dtype, shape=None, auto_gain=...)` -> ndarray.
- `Initializer.expected(fan_in, fan_out, params, auto_gain)` -> Expected(mean, std, bounds).
- `sample(name, fan_in, ...)`: the public `initscope.sample`.

How to write an entry in PyTorch, Keras, JAX and KotlinDL is not the engine's job: see `initscope.snippets`.
Layout: weights are (fan_in, fan_out) and a layer computes Z = A @ W (PyTorch stores W.T, [out, in]).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from initscope.engine.arrays import Array
from initscope.engine.errors import ConfigError
from initscope.engine.initializers.catalogue import CATALOGUE, lookup, names
from initscope.engine.initializers.entry import (
    Fixed,
    FromParams,
    GainTimesMatrix,
    Initializer,
    LawRule,
    VarianceScaling,
)
from initscope.engine.initializers.laws import (
    SQRT2,
    TRUNC_C,
    Constant,
    Expected,
    Identity,
    Law,
    Normal,
    Orthogonal,
    Sparse,
    Truncated,
    Uniform,
    fan,
    one_sided_law,
    sparse_zeros,
    truncated_std_factor,
    variance_scaling_law,
)
from initscope.engine.initializers.params import Param, Params, ParamValue

__all__ = [
    "CATALOGUE",
    "SQRT2",
    "TRUNC_C",
    "Array",
    "Constant",
    "Expected",
    "Fixed",
    "FromParams",
    "GainTimesMatrix",
    "Identity",
    "Initializer",
    "Law",
    "LawRule",
    "Normal",
    "Orthogonal",
    "Param",
    "ParamValue",
    "Params",
    "Sparse",
    "Truncated",
    "Uniform",
    "VarianceScaling",
    "fan",
    "lookup",
    "names",
    "one_sided_law",
    "sample",
    "sparse_zeros",
    "truncated_std_factor",
    "variance_scaling_law",
]


def _count(field_name: str, value: object, low: int) -> int:
    allowed = f"an integer >= {low}"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(field_name, value, allowed)
    if int(value) < low:
        raise ConfigError(field_name, value, allowed)
    return int(value)


def sample(
    name: str,
    fan_in: int,
    fan_out: int | None = None,
    n: int | None = None,
    seed: int = 0,
    params: Params | None = None,
    dtype: npt.DTypeLike = np.float64,
    auto_gain: float = SQRT2,
) -> Array:
    """Draw from a catalogue entry with the given fans (fan_out defaults to fan_in).

    Without `n`: one (fan_in, fan_out) matrix. With `n`: n values, flattened. Elementwise entries draw n
    i.i.d. values with these fans directly; structured ones (orthogonal, identity, sparse, lsuv) draw
    ceil(n / (fan_in·fan_out)) matrices and return the first n values (every value from a real matrix).
    The generator is np.random.default_rng(np.random.SeedSequence(seed)).
    """
    entry = lookup(name)
    fi = _count("fan_in", fan_in, 1)
    fo = fi if fan_out is None else _count("fan_out", fan_out, 1)
    rng = np.random.default_rng(np.random.SeedSequence(_count("seed", seed, 0)))
    if n is None:
        return entry.sample(fi, fo, params, rng, dtype, auto_gain=auto_gain)
    count = _count("n", n, 1)
    if entry.elementwise:
        return entry.sample(fi, fo, params, rng, dtype, shape=(count,), auto_gain=auto_gain)
    matrices = [
        entry.sample(fi, fo, params, rng, dtype, auto_gain=auto_gain).ravel()
        for _ in range(math.ceil(count / (fi * fo)))
    ]
    return np.concatenate(matrices)[:count]
