"""The run configuration: a frozen, validated dataclass, its one-line text form, and the memory budget.

Validation happens at construction, so a `Config` that exists is a config the engine can run; every
refusal is a `ConfigError` that names the field, the value and what is allowed.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np

from initscope.engine import activations, initializers
from initscope.engine.architecture import (
    ARCHS,
    BRANCH_SCALES,
    NORM_PLACEMENTS,
    NORMS,
    choice,
    expand_preset,
)
from initscope.engine.errors import ConfigError

DEFAULTS = {"initializer": "he_normal", "activation": "relu", "fan_in": 256, "depth": 10, "batch": 256}
MAX_UNITS = 65536
MAX_DEPTH = 10000
MAX_BATCH = 65536
MAX_SEED = 2**63 - 1
DTYPES = ("float16", "float32", "float64")
INPUTS = ("normal", "uniform")
CLIP_MODES = ("per_layer", "global")
DEFAULT_BUDGET = 2 * 1024**3
LAYER_OVERHEAD = 8 * 1024
"""Bytes per layer beside the arrays: Python objects of its histograms and statistics."""
RUN_OVERHEAD = 8 * 1024**2
"""Bytes per run beside the layers: the activation's mean-field table, built on first use while the stored
activations are still alive (measured 4.4-5.4 MiB peak), the verdict and the result's containers."""
MAX_BUDGET = 2**62
"""Largest budget written: beyond any machine, and an int64 still (the budget is only an upper bound)."""
ClipMode = Literal["per_layer", "global"]

def as_int(name: str, value: object, low: int, high: int) -> int:
    """A whole number in [low, high] from an int, or text such as '30' or '1e3'; else a ConfigError."""
    allowed = f"an integer from {low} to {high}"
    if isinstance(value, bool):
        raise ConfigError(name, value, allowed)
    if isinstance(value, (int, np.integer)):
        number = int(value)
    else:
        text = str(value).strip()
        try:
            number = int(text)
        except ValueError:
            try:
                as_float = float(text)
            except ValueError:
                raise ConfigError(name, value, allowed) from None
            if not as_float.is_integer():
                raise ConfigError(name, value, allowed) from None
            number = int(as_float)
    if not low <= number <= high:
        raise ConfigError(name, value, allowed)
    return number


def as_float_from(name: str, value: object, low: float, inclusive: bool, allowed: str = "") -> float:
    """A finite number above `low` (or equal to it when `inclusive`), not a bool; else a ConfigError."""
    allowed = allowed or f"a finite number {'>=' if inclusive else '>'} {low:g}"
    if isinstance(value, bool):
        raise ConfigError(name, value, allowed)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(name, value, allowed) from None
    if not math.isfinite(number) or number < low or (number == low and not inclusive):
        raise ConfigError(name, value, allowed)
    return number


def as_positive_float(name: str, value: object, allowed: str = "a finite number > 0") -> float:
    """A finite number > 0 (not a bool); else a ConfigError."""
    return as_float_from(name, value, 0.0, inclusive=False, allowed=allowed)


def format_bytes(n: float) -> str:
    """Human-readable size: 1.5 GiB, 300 MiB."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def parse_bytes(name: str, value: object) -> int:
    """'2GiB', '512MiB', '1e9' -> bytes."""
    text = str(value).strip().replace(" ", "")
    match = re.fullmatch(r"([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)([KMGT]i?B?|B)?", text, re.IGNORECASE)
    if not match:
        raise ConfigError(name, value, "a size such as 2GiB, 512MiB or a number of bytes")
    number = float(match.group(1))
    unit = (match.group(2) or "B").upper().rstrip("B").rstrip("I")
    scale = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}[unit]
    if not number * scale <= MAX_BUDGET:  # also catches 1e400 (inf)
        raise ConfigError(name, value, f"a size > 0 and at most {format_bytes(MAX_BUDGET)}")
    size = int(number * scale)
    if size <= 0:
        raise ConfigError(name, value, "a size > 0")
    return size


def machine_memory() -> int | None:
    """Bytes of physical memory, or None where the system does not say."""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return int(pages * page_size) if pages > 0 and page_size > 0 else None


def check_fits_machine(cfg: Config) -> None:
    """Refuse a run whose memory estimate exceeds the machine's memory: with the budget raised past it, the
    run would end in a MemoryError (or the system's out-of-memory killer) instead of a message."""
    total = machine_memory()
    need = cfg.memory_estimate()
    if total is not None and need > total:
        raise ConfigError("memory_budget", cfg.memory_budget, f"a run that fits this machine's "
                          f"{format_bytes(total)}", message=f"memory_budget: this run needs {format_bytes(need)}, "
                          f"more than this machine's {format_bytes(total)} of memory; reduce depth ({cfg.depth}), "
                          f"width ({widths_text(cfg.widths)}) or batch ({cfg.batch})")


@dataclass(frozen=True, eq=True)
class Config:
    """Everything that determines a run. Reproducible: the same Config gives bit-identical results."""

    initializer: str = DEFAULTS["initializer"]  # type: ignore[assignment]
    initializer_params: Mapping[str, initializers.ParamValue] = field(default_factory=dict)
    activation: str = DEFAULTS["activation"]  # type: ignore[assignment]
    activation_params: Mapping[str, float] = field(default_factory=dict)
    fan_in: int = DEFAULTS["fan_in"]  # type: ignore[assignment]
    width: int | tuple[int, ...] | None = None
    """Units per layer: one number for every layer (default: fan_in) or one width per layer."""
    depth: int | None = None
    """Weight layers; default 10, or the length of an explicit width list."""
    batch: int = DEFAULTS["batch"]  # type: ignore[assignment]
    input: str = "normal"
    """normal (N(0,1)), uniform (U(-sqrt3, sqrt3), unit variance) or a .npy/.csv file of rows."""
    bias: str = "zeros"
    bias_params: Mapping[str, initializers.ParamValue] = field(default_factory=dict)
    dtype: str = "float32"
    seed: int = 0
    clip: float | None = None
    """L2-norm threshold for gradient clipping; None is off."""
    clip_mode: str = "per_layer"
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
        set_ = object.__setattr__
        entry = initializers.lookup(self.initializer, "initializer")
        set_(self, "initializer", entry.name)
        set_(self, "initializer_params", entry.resolve(self.initializer_params))

        act_name = str(self.activation).strip().lower()
        if act_name not in activations.SPECS:
            raise ConfigError("activation", self.activation, "one of " + ", ".join(activations.NAMES))
        set_(self, "activation", act_name)
        set_(self, "activation_params", _resolve_activation_params(act_name, self.activation_params))

        set_(self, "fan_in", as_int("fan_in", self.fan_in, 1, MAX_UNITS))
        if isinstance(self.width, (list, tuple)):
            if not self.width:
                raise ConfigError("width", "", f"a width from 1 to {MAX_UNITS}, or a list of them")
            widths = tuple(as_int("width", w, 1, MAX_UNITS) for w in self.width)
            if len(widths) > MAX_DEPTH:
                raise ConfigError("depth", len(widths), f"an integer from 1 to {MAX_DEPTH}")
            if self.depth is not None and as_int("depth", self.depth, 1, MAX_DEPTH) != len(widths):
                raise ConfigError("depth", self.depth, f"{len(widths)}, the length of the width list")
            set_(self, "width", widths if len(set(widths)) > 1 else widths[0])
            set_(self, "depth", len(widths))
        else:
            set_(self, "depth", as_int("depth", DEFAULTS["depth"] if self.depth is None else self.depth,
                                        1, MAX_DEPTH))
            if self.width is not None:
                set_(self, "width", as_int("width", self.width, 1, MAX_UNITS))
        set_(self, "batch", as_int("batch", self.batch, 1, MAX_BATCH))

        if isinstance(self.memory_budget, bool) or not isinstance(self.memory_budget, int):
            set_(self, "memory_budget", parse_bytes("memory_budget", self.memory_budget))
        elif not 0 < self.memory_budget <= MAX_BUDGET:
            raise ConfigError("memory_budget", self.memory_budget, f"a size > 0 and at most {format_bytes(MAX_BUDGET)}")
        source = str(self.input).strip()
        if source.lower() in INPUTS:
            set_(self, "input", source.lower())
        else:
            from initscope.engine.inputs import inspect_file

            columns = inspect_file(source, self.memory_budget)  # the file is checked before it is loaded
            if columns != self.fan_in:
                raise ConfigError("fan_in", self.fan_in, f"{columns}, the number of columns of {source}")
            set_(self, "input", source)

        bias_entry = initializers.lookup(self.bias, "bias")
        if not bias_entry.elementwise or bias_entry.data_dependent:
            raise ConfigError("bias", self.bias, "zeros, constant or an elementwise initializer "
                              "(not orthogonal, identity, sparse or lsuv)")
        set_(self, "bias", bias_entry.name)
        set_(self, "bias_params", bias_entry.resolve(self.bias_params))

        dtype = str(self.dtype).strip().lower()
        if dtype not in DTYPES:
            raise ConfigError("dtype", self.dtype, "one of " + ", ".join(DTYPES))
        set_(self, "dtype", dtype)
        set_(self, "seed", as_int("seed", self.seed, 0, MAX_SEED))
        if self.clip is not None:
            set_(self, "clip", as_positive_float("clip", self.clip))
        mode = str(self.clip_mode).strip().lower().replace("-", "_")
        if mode not in CLIP_MODES:
            raise ConfigError("clip_mode", self.clip_mode, "one of " + ", ".join(CLIP_MODES))
        set_(self, "clip_mode", mode)

        self._check_architecture()
        need = self.memory_estimate()
        if need > self.memory_budget:
            shown = widths_text(self.widths)
            raise ConfigError(
                "memory_budget", self.memory_budget, f"at least {format_bytes(need)} for this run",
                message=f"memory_budget: this run needs {format_bytes(need)}, over the budget of "
                f"{format_bytes(self.memory_budget)}; reduce depth ({self.depth}), width ({shown}) or "
                f"batch ({self.batch}), use a smaller dtype ({self.dtype}), or raise the memory budget",
            )

    def _check_architecture(self) -> None:
        set_ = object.__setattr__
        set_(self, "arch", choice("arch", self.arch, ARCHS))
        set_(self, "norm", choice("norm", self.norm, NORMS))
        set_(self, "norm_placement", choice("norm_placement", self.norm_placement, NORM_PLACEMENTS))
        scale = str(self.branch_scale).strip().replace(" ", "")
        scale = {"1.0": "1", "0.0": "0", "skipinit": "0", "rezero": "0"}.get(scale.lower(), scale)
        if scale not in BRANCH_SCALES:
            raise ConfigError("branch_scale", self.branch_scale, "one of " + ", ".join(BRANCH_SCALES))
        set_(self, "branch_scale", scale)
        set_(self, "branch_depth", as_int("branch_depth", self.branch_depth, 1, 2))
        if self.arch == "mlp" and self.branch_scale != "1":
            raise ConfigError("branch_scale", self.branch_scale, "1 with arch=mlp (branches exist in arch=residual)")
        if not self.plain and initializers.lookup(self.initializer).data_dependent:
            raise ConfigError("initializer", self.initializer, "an initializer that does not rescale on the data "
                              "with arch=residual or a norm (lsuv rescales plain dense layers)")
        if self.arch == "residual" and set(self.widths) != {self.fan_in}:
            raise ConfigError("width", widths_text(self.widths),
                              f"{self.fan_in} (= fan_in) with arch=residual: the stream keeps one width")

    @property
    def residual(self) -> bool:
        return self.arch == "residual"

    @property
    def plain(self) -> bool:
        """Today's plain MLP without normalization (the original fast path)."""
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
        """Bytes the run needs at its peak, computed before anything is allocated.

        Stored for the backward pass: the input and every layer's activation (plus phi'(z) for
        activations whose derivative needs z), every weight matrix and bias; plus the working arrays
        of one layer (pre-activation, gradients), float64 scratch for the statistics, and the per-layer
        bookkeeping (histograms, summaries: measured 2.7-4.7 KB a layer, counted as LAYER_OVERHEAD).
        tests/engine/test_config.py measures the peak of the largest accepted config of each kind.
        """
        item = self.np_dtype.itemsize
        widths = self.widths
        if not self.plain:  # kept per block: stream, norm output, and each branch layer's input and output
            per_block = 2 + 2 * (self.branch_depth if self.residual else 1)
            dense = sum(fi * fo + fo for fi, fo in self.dense_fans)
            widest = max((self.fan_in, *widths))
            # + the backward's working arrays (gradients, norm scratch) and float64 scratch for the statistics
            return int(item * (self.batch * widest * (per_block * self.n_layers + 8) + 2 * dense // self.n_layers
                               + dense) + 16 * self.batch * widest)
        act = activations.SPECS[self.activation]
        needs_z = act.name in ("gelu", "silu")
        stored = self.batch * (self.fan_in + sum(widths) * (2 if needs_z else 1))
        weights = sum(fi * fo + fo for fi, fo in self.layer_fans)
        widest = max((self.fan_in, *widths))
        largest_matrix = max(fi * fo for fi, fo in self.layer_fans)
        working = 3 * self.batch * widest + largest_matrix
        scratch64 = 8 * max(self.batch * widest, largest_matrix)
        return int(item * (stored + weights + working) + scratch64 + LAYER_OVERHEAD * self.n_layers
                   + RUN_OVERHEAD)

    # ----------------------------------------------------------------- text form
    def to_string(self) -> str:
        """The one-line form: `init=he_normal act=relu fan_in=256 depth=30 seed=0` (+ non-defaults)."""
        parts = [
            "init=" + _call(self.initializer, self.initializer_params,
                            initializers.lookup(self.initializer).resolve({})),
            "act=" + _call(self.activation, self.activation_params,
                           _resolve_activation_params(self.activation, {})),
            f"fan_in={self.fan_in}",
        ]
        if self.width is not None:
            parts.append("width=" + (",".join(map(str, self.width)) if isinstance(self.width, tuple)
                                     else str(self.width)))
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


def _resolve_activation_params(name: str, given: Mapping[str, object]) -> dict[str, float]:
    spec = activations.SPECS[name]
    out: dict[str, float] = {}
    for key in given:
        if key not in spec.params:
            allowed = ", ".join(spec.params) if spec.params else "no parameters"
            raise ConfigError(f"{name}.{key}", given[key], f"{name} takes {allowed}")
    for key, (default, low, high) in spec.params.items():
        raw = given.get(key, default)
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ConfigError(f"{name}.{key}", raw, f"a number in [{low:g}, {high:g}]") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise ConfigError(f"{name}.{key}", raw, f"a number in [{low:g}, {high:g}]")
        out[key] = value
    return out


def _num(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value)) if abs(value) < 1e15 else repr(
        float(value))


def _call(name: str, params: Mapping[str, object], defaults: Mapping[str, object]) -> str:
    """`name(k=v,...)` with only the parameters that differ from the defaults."""
    changed = [(k, v) for k, v in params.items() if defaults.get(k) != v]
    if not changed:
        return name
    inner = ",".join(f"{k}={_num(v) if isinstance(v, float) else v}" for k, v in changed)
    return f"{name}({inner})"


# ------------------------------------------------------------------- parsing the one-line form
KEY_ALIASES = {
    "init": "initializer", "initializer": "initializer",
    "act": "activation", "activation": "activation",
    "fan_in": "fan_in", "fanin": "fan_in", "fan-in": "fan_in",
    "width": "width", "widths": "width", "depth": "depth", "batch": "batch",
    "input": "input", "bias": "bias", "dtype": "dtype", "seed": "seed",
    "clip": "clip", "clip_mode": "clip_mode", "clip-mode": "clip_mode",
    "budget": "memory_budget", "memory_budget": "memory_budget", "memory-budget": "memory_budget",
    "arch": "arch", "branch_depth": "branch_depth", "branch-depth": "branch_depth",
    "norm": "norm", "norm_placement": "norm_placement", "norm-placement": "norm_placement",
    "placement": "norm_placement", "branch_scale": "branch_scale", "branch-scale": "branch_scale",
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
    assignments = expand_preset(assignments)
    for raw_key, value in assignments.items():
        key = KEY_ALIASES.get(raw_key)
        if key is None:
            loose_params[raw_key] = str(value)
            continue
        changes[key] = value
    if "initializer" in changes:
        name, params = parse_call(str(changes["initializer"]), "initializer")
        changes["initializer"] = name
        changes["initializer_params"] = params
    if loose_params:  # `gain=1.5 mode=fan_out` apply to the initializer
        merged = dict(changes.get("initializer_params", {} if "initializer" in changes
                                  else base.initializer_params))
        merged.update(loose_params)
        changes["initializer_params"] = merged
    if "activation" in changes:
        text = str(changes["activation"])
        spec = activations.SPECS.get(text.split("(")[0].strip().lower())
        first = next(iter(spec.params), None) if spec else None
        name, params = parse_call(text, "activation", first_param=first)
        changes["activation"] = name
        changes["activation_params"] = params
    if "bias" in changes:
        text = str(changes["bias"])
        try:
            value = float(text)
            changes["bias"], changes["bias_params"] = "constant", {"value": value}
        except ValueError:
            name, params = parse_call(text, "bias", first_param="value")
            changes["bias"], changes["bias_params"] = name, params
    if "width" in changes:
        width = changes["width"]
        if isinstance(width, str):
            pieces = [p for p in width.replace(" ", "").split(",")]
            changes["width"] = tuple(pieces) if len(pieces) > 1 else pieces[0]
        if "depth" not in changes and not isinstance(changes["width"], tuple):
            changes["depth"] = base.depth
        elif "depth" not in changes:
            changes["depth"] = None
    elif "depth" in changes and isinstance(base.width, tuple):
        changes["width"] = None
    if "clip" in changes:
        clip = str(changes["clip"]).strip().lower()
        changes["clip"] = None if clip in ("off", "none", "") else changes["clip"]
    unknown = set(changes) - {f.name for f in fields(Config)}
    assert not unknown, unknown
    return replace(base, **changes)


def widths_text(widths: Sequence[int]) -> str:
    """Short label: '256' when all equal, else '784,512,10'."""
    return str(widths[0]) if len(set(widths)) == 1 else ",".join(map(str, widths))
