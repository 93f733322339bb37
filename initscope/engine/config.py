"""The run configuration: a frozen, validated dataclass and its one-line text form.

Validation happens at construction (`FIELD_CHECKS`, then the memory budget), so a `Config` that exists is a
config the engine can run; every refusal is a `ConfigError` that names the field, the value and what is
allowed. The checks and each field's choices live in config_checks.py, the limits in limits.py, the memory
estimate in memory.py.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from initscope.engine import activations, initializers, memory
from initscope.engine.architecture import expand_preset
from initscope.engine.config_checks import FIELD_CHECKS
from initscope.engine.config_checks import ClipMode as ClipMode  # re-exported: callers name these from config
from initscope.engine.config_checks import widths_text as widths_text
from initscope.engine.errors import ConfigError
from initscope.engine.limits import DEFAULT_BUDGET
from initscope.engine.text import call_text

DEFAULT_INITIALIZER = "he_normal"
DEFAULT_ACTIVATION = "relu"
DEFAULT_FAN_IN = 256
DEFAULT_BATCH = 256


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
