"""What each Config field allows: its choices, and the checks `Config` runs at construction.

Every check takes the Config being built and returns the normalized values of the fields it checks (the
name as the catalogue spells it, a width list as a tuple, ...); the first bad field raises a `ConfigError`
that names the field, the value and what is allowed. `FIELD_CHECKS` lists them in the order the errors are
reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from initscope.engine import activations, initializers, memory
from initscope.engine.architecture import ARCHS, BRANCH_SCALES, NORM_PLACEMENTS, NORMS, choice
from initscope.engine.errors import ConfigError
from initscope.engine.limits import BRANCH_DEPTHS, MAX_BATCH, MAX_DEPTH, MAX_SEED, MAX_UNITS
from initscope.engine.values import as_int, as_positive_float

if TYPE_CHECKING:
    from initscope.engine.config import Config

DEFAULT_DEPTH = 10
DTYPES = ("float16", "float32", "float64")
INPUTS = ("normal", "uniform")
CLIP_MODES = ("per_layer", "global")
ClipMode = Literal["per_layer", "global"]


Check = Callable[["Config"], Mapping[str, object]]
"""Config -> the normalized values of the fields it checks; a ConfigError names the first bad one."""


def _initializer(c: Config) -> Mapping[str, object]:
    entry = initializers.lookup(c.initializer, "initializer")
    return {"initializer": entry.name, "initializer_params": entry.resolve(c.initializer_params)}


def _activation(c: Config) -> Mapping[str, object]:
    name = str(c.activation).strip().lower()
    if name not in activations.SPECS:
        raise ConfigError("activation", c.activation, "one of " + ", ".join(activations.NAMES))
    return {"activation": name, "activation_params": activations.SPECS[name].resolve(c.activation_params)}


def _integer(name: str, low: int, high: int) -> Check:
    return lambda c: {name: as_int(name, getattr(c, name), low, high)}


def _shape(c: Config) -> Mapping[str, object]:
    """width (one number or one per layer) and depth, which a width list fixes."""
    if not isinstance(c.width, (list, tuple)):
        depth = as_int("depth", DEFAULT_DEPTH if c.depth is None else c.depth, 1, MAX_DEPTH)
        return {"depth": depth, "width": None if c.width is None else as_int("width", c.width, 1, MAX_UNITS)}
    if not c.width:
        raise ConfigError("width", "", f"a width from 1 to {MAX_UNITS}, or a list of them")
    widths = tuple(as_int("width", w, 1, MAX_UNITS) for w in c.width)
    if len(widths) > MAX_DEPTH:
        raise ConfigError("depth", len(widths), f"an integer from 1 to {MAX_DEPTH}")
    if c.depth is not None and as_int("depth", c.depth, 1, MAX_DEPTH) != len(widths):
        raise ConfigError("depth", c.depth, f"{len(widths)}, the length of the width list")
    return {"width": widths if len(set(widths)) > 1 else widths[0], "depth": len(widths)}


def _input(c: Config) -> Mapping[str, object]:
    source = str(c.input).strip()
    if source.lower() in INPUTS:
        return {"input": source.lower()}
    from initscope.engine.inputs import inspect_file  # reads the file: only for a file source

    columns = inspect_file(source, c.memory_budget)  # the file is checked before it is loaded
    if columns != c.fan_in:
        raise ConfigError("fan_in", c.fan_in, f"{columns}, the number of columns of {source}")
    return {"input": source}


def _bias(c: Config) -> Mapping[str, object]:
    entry = initializers.lookup(c.bias, "bias")
    if not entry.elementwise or entry.data_dependent:
        raise ConfigError(
            "bias", c.bias, "zeros, constant or an elementwise initializer (not orthogonal, identity, sparse or lsuv)"
        )
    return {"bias": entry.name, "bias_params": entry.resolve(c.bias_params)}


def _dtype(c: Config) -> Mapping[str, object]:
    dtype = str(c.dtype).strip().lower()
    if dtype not in DTYPES:
        raise ConfigError("dtype", c.dtype, "one of " + ", ".join(DTYPES))
    return {"dtype": dtype}


def _clip(c: Config) -> Mapping[str, object]:
    return {
        "clip": None if c.clip is None else as_positive_float("clip", c.clip),
        "clip_mode": choice("clip_mode", c.clip_mode, CLIP_MODES),
    }


def _branch_scale(c: Config) -> Mapping[str, object]:
    scale = str(c.branch_scale).strip().replace(" ", "")
    scale = {"1.0": "1", "0.0": "0", "skipinit": "0", "rezero": "0"}.get(scale.lower(), scale)
    if scale not in BRANCH_SCALES:
        raise ConfigError("branch_scale", c.branch_scale, "one of " + ", ".join(BRANCH_SCALES))
    return {"branch_scale": scale}


def _architecture(c: Config) -> Mapping[str, object]:
    """What the architecture fields allow together (checked once each field is normalized)."""
    if c.arch == "mlp" and c.branch_scale != "1":
        raise ConfigError("branch_scale", c.branch_scale, "1 with arch=mlp (branches exist in arch=residual)")
    if not c.plain and initializers.lookup(c.initializer).data_dependent:
        raise ConfigError(
            "initializer",
            c.initializer,
            "an initializer that does not rescale on the data "
            "with arch=residual or a norm (lsuv rescales plain dense layers)",
        )
    if c.arch == "residual" and set(c.widths) != {c.fan_in}:
        raise ConfigError(
            "width", widths_text(c.widths), f"{c.fan_in} (= fan_in) with arch=residual: the stream keeps one width"
        )
    return {}


def _one_of(name: str, allowed: Sequence[str]) -> Check:
    return lambda c: {name: choice(name, getattr(c, name), allowed)}


FIELD_CHECKS: tuple[Check, ...] = (
    _initializer,
    _activation,
    _integer("fan_in", 1, MAX_UNITS),
    _shape,
    _integer("batch", 1, MAX_BATCH),
    lambda c: {"memory_budget": memory.budget(c.memory_budget)},
    _input,  # after fan_in and memory_budget: a file is measured against both
    _bias,
    _dtype,
    _integer("seed", 0, MAX_SEED),
    _clip,
    _one_of("arch", ARCHS),
    _one_of("norm", NORMS),
    _one_of("norm_placement", NORM_PLACEMENTS),
    _branch_scale,
    _integer("branch_depth", *BRANCH_DEPTHS),
    _architecture,
)
"""Every field's check, in the order the errors are reported."""


def widths_text(widths: Sequence[int]) -> str:
    """Short label: '256' when all equal, else '784,512,10'."""
    return str(widths[0]) if len(set(widths)) == 1 else ",".join(map(str, widths))
