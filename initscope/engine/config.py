"""The run configuration: a frozen, validated dataclass and its one-line text form.

Validation happens at construction (`FIELD_CHECKS`, then the memory budget), so a `Config` that exists is a
config the engine can run; every refusal is a `ConfigError` that names the field, the value and what is
allowed. The limits live in limits.py, the memory estimate in memory.py.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np

from initscope.engine import activations, initializers, memory
from initscope.engine.architecture import (
    ARCHS,
    BRANCH_SCALES,
    NORM_PLACEMENTS,
    NORMS,
    choice,
    expand_preset,
)
from initscope.engine.errors import ConfigError
from initscope.engine.limits import BRANCH_DEPTHS, DEFAULT_BUDGET, MAX_BATCH, MAX_DEPTH, MAX_SEED, MAX_UNITS
from initscope.engine.text import call_text
from initscope.engine.values import as_int, as_positive_float

DEFAULT_INITIALIZER = "he_normal"
DEFAULT_ACTIVATION = "relu"
DEFAULT_FAN_IN = 256
DEFAULT_DEPTH = 10
DEFAULT_BATCH = 256
DTYPES = ("float16", "float32", "float64")
INPUTS = ("normal", "uniform")
CLIP_MODES = ("per_layer", "global")
ClipMode = Literal["per_layer", "global"]


@dataclass(frozen=True, eq=True)
class Config:
    """Everything that determines a run. Reproducible: the same Config gives bit-identical results."""

    initializer: str = DEFAULT_INITIALIZER
    initializer_params: Mapping[str, initializers.ParamValue] = field(default_factory=dict)
    activation: str = DEFAULT_ACTIVATION
    activation_params: Mapping[str, float] = field(default_factory=dict)
    fan_in: int = DEFAULT_FAN_IN
    width: int | tuple[int, ...] | None = None
    """Units per layer: one number for every layer (default: fan_in) or one width per layer."""
    depth: int | None = None
    """Weight layers; default 10, or the length of an explicit width list."""
    batch: int = DEFAULT_BATCH
    input: str = "normal"
    """normal (N(0,1)), uniform (U(-sqrt3, sqrt3), unit variance) or a .npy/.csv file of rows."""
    bias: str = "zeros"
    bias_params: Mapping[str, initializers.ParamValue] = field(default_factory=dict)
    dtype: str = "float32"
    seed: int = 0
    clip: float | None = None
    """L2-norm threshold for gradient clipping; None is off."""
    clip_mode: ClipMode = "per_layer"
    memory_budget: int = DEFAULT_BUDGET
    arch: str = "mlp"
    """mlp (dense layers) or residual (x_{l+1} = x_l + alpha * F(x_l), depth blocks of constant width)."""
    branch_depth: int = 2
    """Dense layers per residual branch (1 or 2); ignored by arch=mlp."""
    norm: str = "none"
    """none, layernorm, rmsnorm or batchnorm (batch statistics, as at the first training step)."""
    norm_placement: str = "pre"
    """residual: pre (first in the branch) or post (after the addition); mlp: before or after phi."""
    branch_scale: str = "1"
    """1, 1/sqrt(L), 1/sqrt(2L), 0, fixup or deepnorm (residual only)."""

    def __post_init__(self) -> None:
        for check in FIELD_CHECKS:  # in order: a later check may read a field an earlier one normalized
            for name, value in check(self).items():
                object.__setattr__(self, name, value)
        memory.check_budget(self)

    @property
    def residual(self) -> bool:
        return self.arch == "residual"

    @property
    def plain(self) -> bool:
        """A plain MLP without normalization: the fast path, no norms or residual streams to keep."""
        return self.arch == "mlp" and self.norm == "none"

    @property
    def dense_fans(self) -> list[tuple[int, int]]:
        """(fan_in, fan_out) of every dense layer: the layers of an MLP, or branch_depth per residual block."""
        if not self.residual:
            return self.layer_fans
        return [(self.fan_in, self.fan_in)] * (self.n_layers * self.branch_depth)

    def __hash__(self) -> int:
        return hash(self.to_string())

    # ----------------------------------------------------------------- derived shapes
    @property
    def widths(self) -> tuple[int, ...]:
        """Output width of every layer, length depth."""
        assert self.depth is not None
        if isinstance(self.width, tuple):
            return self.width
        return (self.fan_in if self.width is None else self.width,) * self.depth

    @property
    def layer_fans(self) -> list[tuple[int, int]]:
        """(fan_in, fan_out) of every weight layer."""
        dims = (self.fan_in, *self.widths)
        return list(itertools.pairwise(dims))

    @property
    def n_layers(self) -> int:
        assert self.depth is not None
        return self.depth

    @property
    def np_dtype(self) -> np.dtype[Any]:
        return np.dtype(self.dtype)

    def memory_estimate(self) -> int:
        """Bytes the run needs at its peak, computed before anything is allocated (see `memory.estimate`)."""
        return memory.estimate(self)

    # ----------------------------------------------------------------- text form
    def to_string(self) -> str:
        """The one-line form: `init=he_normal act=relu fan_in=256 depth=30 seed=0` (+ non-defaults)."""
        parts = [
            "init="
            + _call(self.initializer, self.initializer_params, initializers.lookup(self.initializer).resolve({})),
            "act=" + _call(self.activation, self.activation_params, activations.SPECS[self.activation].defaults()),
            f"fan_in={self.fan_in}",
        ]
        if self.width is not None:
            parts.append(
                "width=" + (",".join(map(str, self.width)) if isinstance(self.width, tuple) else str(self.width))
            )
        parts += [f"depth={self.depth}", f"batch={self.batch}"]
        if self.input != "normal":
            parts.append("input=" + (shlex.quote(self.input) if " " in self.input else self.input))
        if self.bias != "zeros" or self.bias_params:
            parts.append("bias=" + _call(self.bias, self.bias_params, initializers.lookup(self.bias).resolve({})))
        parts += [f"dtype={self.dtype}", f"seed={self.seed}"]
        if self.clip is not None:
            parts.append(f"clip={_num(self.clip)}")
            if self.clip_mode != "per_layer":
                parts.append(f"clip_mode={self.clip_mode}")
        if self.memory_budget != DEFAULT_BUDGET:
            parts.append(f"budget={self.memory_budget}")
        if self.residual:
            parts += [f"arch={self.arch}", f"branch_depth={self.branch_depth}", f"branch_scale={self.branch_scale}"]
        if self.norm != "none":
            parts += [f"norm={self.norm}", f"norm_placement={self.norm_placement}"]
        return " ".join(parts)

    @classmethod
    def from_string(cls, text: str, base: Config | None = None) -> Config:
        """Parse the one-line form; keys not given keep `base`'s values (or the defaults)."""
        return build(parse_assignments(text), base)

    def replace(self, **changes: Any) -> Config:
        """A validated copy with some fields changed."""
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """The snapshot's `config` block (field names are a contract)."""
        return {
            "initializer": self.initializer,
            "initializer_params": dict(self.initializer_params),
            "activation": self.activation,
            "activation_params": dict(self.activation_params),
            "fan_in": self.fan_in,
            "widths": list(self.widths),
            "depth": self.depth,
            "batch": self.batch,
            "input": self.input,
            "bias": self.bias,
            "bias_params": dict(self.bias_params),
            "dtype": self.dtype,
            "seed": self.seed,
            "clip": None if self.clip is None else {"threshold": self.clip, "mode": self.clip_mode},
            "memory_budget": self.memory_budget,
            "arch": self.arch,
            "branch_depth": self.branch_depth,
            "norm": self.norm,
            "norm_placement": self.norm_placement,
            "branch_scale": self.branch_scale,
            "string": self.to_string(),
        }


# ------------------------------------------------------------------- field checks
Check = Callable[[Config], Mapping[str, object]]
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


def _num(value: float) -> str:
    return (
        repr(float(value))
        if not float(value).is_integer()
        else str(int(value))
        if abs(value) < 1e15
        else repr(float(value))
    )


def _call(name: str, params: Mapping[str, object], defaults: Mapping[str, object]) -> str:
    """`name(k=v,...)` with only the parameters that differ from the defaults, numbers exact (repr)."""
    return call_text(name, params, defaults, number=_num)


# ------------------------------------------------------------------- parsing the one-line form
KEY_ALIASES = {
    "init": "initializer",
    "initializer": "initializer",
    "act": "activation",
    "activation": "activation",
    "fan_in": "fan_in",
    "fanin": "fan_in",
    "fan-in": "fan_in",
    "width": "width",
    "widths": "width",
    "depth": "depth",
    "batch": "batch",
    "input": "input",
    "bias": "bias",
    "dtype": "dtype",
    "seed": "seed",
    "clip": "clip",
    "clip_mode": "clip_mode",
    "clip-mode": "clip_mode",
    "budget": "memory_budget",
    "memory_budget": "memory_budget",
    "memory-budget": "memory_budget",
    "arch": "arch",
    "branch_depth": "branch_depth",
    "branch-depth": "branch_depth",
    "norm": "norm",
    "norm_placement": "norm_placement",
    "norm-placement": "norm_placement",
    "placement": "norm_placement",
    "branch_scale": "branch_scale",
    "branch-scale": "branch_scale",
}


def parse_call(text: str, field_name: str, first_param: str | None = None) -> tuple[str, dict[str, str]]:
    """`name(k=v,k2=v2)` or `name(v)` (the first parameter) or `name` -> (name, params)."""
    text = text.strip()
    match = re.fullmatch(r"([A-Za-z_][\w\-]*)\s*(?:\((.*)\))?", text)
    if not match:
        raise ConfigError(field_name, text, "a name, optionally with parameters: name(key=value,...)")
    name, inner = match.group(1), match.group(2)
    params: dict[str, str] = {}
    if inner:
        for piece in inner.split(","):
            piece = piece.strip()
            if not piece:
                continue
            if "=" in piece:
                key, value = (s.strip() for s in piece.split("=", 1))
            elif first_param is not None and not params:
                key, value = first_param, piece
            else:
                raise ConfigError(field_name, text, "parameters written as key=value")
            params[key] = value
    return name, params


def parse_assignments(text: str) -> dict[str, str]:
    """Split `key=value key=value` (values may be quoted, or contain parentheses) into a dict."""
    try:
        tokens = shlex.split(text)
    except ValueError as err:
        raise ConfigError("config", text, f"key=value pairs ({err})") from None
    merged: list[str] = []
    for token in tokens:  # re-join `name(a=1, b=2)` split at a space inside the parentheses
        if merged and merged[-1].count("(") > merged[-1].count(")"):
            merged[-1] += token
        else:
            merged.append(token)
    out: dict[str, str] = {}
    for token in merged:
        if "=" not in token:
            raise ConfigError("config", token, "key=value pairs such as init=he_normal depth=30")
        key, value = token.split("=", 1)
        out[key.strip().lower()] = value.strip()
    return out


def build(assignments: Mapping[str, object], base: Config | None = None) -> Config:
    """A Config from `key -> value` (one-line-form keys, CLI values); the rest from `base`."""
    base = base or Config()
    changes: dict[str, Any] = {}
    loose_params: dict[str, str] = {}
    for raw_key, value in expand_preset(assignments).items():
        key = KEY_ALIASES.get(raw_key)
        if key is None:
            loose_params[raw_key] = str(value)
        else:
            changes[key] = value
    if "initializer" in changes:
        changes["initializer"], changes["initializer_params"] = parse_call(str(changes["initializer"]), "initializer")
    if loose_params:  # `gain=1.5 mode=fan_out` apply to the initializer
        given = changes.get("initializer_params", {} if "initializer" in changes else base.initializer_params)
        changes["initializer_params"] = {**given, **loose_params}
    if "activation" in changes:
        changes["activation"], changes["activation_params"] = _activation_call(str(changes["activation"]))
    if "bias" in changes:
        changes["bias"], changes["bias_params"] = _bias_call(str(changes["bias"]))
    changes.update(_shape_changes(changes, base))
    if "clip" in changes:
        clip = str(changes["clip"]).strip().lower()
        changes["clip"] = None if clip in ("off", "none", "") else changes["clip"]
    unknown = set(changes) - {f.name for f in fields(Config)}
    assert not unknown, unknown
    return replace(base, **changes)


def _activation_call(text: str) -> tuple[str, dict[str, str]]:
    """`leaky_relu(0.2)`: a bare value is the activation's first parameter."""
    spec = activations.SPECS.get(text.split("(")[0].strip().lower())
    first = next(iter(spec.params), None) if spec else None
    return parse_call(text, "activation", first_param=first)


def _bias_call(text: str) -> tuple[str, dict[str, object]]:
    """`bias=0.1` is constant(0.1); otherwise an initializer call such as `normal(std=0.01)`."""
    try:
        return "constant", {"value": float(text)}
    except ValueError:
        name, params = parse_call(text, "bias", first_param="value")
        return name, dict(params)


def _shape_changes(changes: Mapping[str, Any], base: Config) -> dict[str, Any]:
    """width as text ('784,512,10' is one width per layer) and the depth that goes with it: a new width
    list sets the depth, a single width keeps base's depth, a new depth drops base's width list."""
    out: dict[str, Any] = {}
    if "width" in changes:
        width = changes["width"]
        if isinstance(width, str):
            pieces = width.replace(" ", "").split(",")
            width = out["width"] = tuple(pieces) if len(pieces) > 1 else pieces[0]
        if "depth" not in changes:
            out["depth"] = None if isinstance(width, tuple) else base.depth
    elif "depth" in changes and isinstance(base.width, tuple):
        out["width"] = None
    return out


def widths_text(widths: Sequence[int]) -> str:
    """Short label: '256' when all equal, else '784,512,10'."""
    return str(widths[0]) if len(set(widths)) == 1 else ",".join(map(str, widths))
