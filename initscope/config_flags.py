"""The run's configuration as command-line flags: every Config field, every initializer and activation
parameter, and the Config they build (`initscope`, `initscope run`; `sample` takes the parameter flags)."""

from __future__ import annotations

import argparse
from typing import Any

from initscope import blas
from initscope.engine import activations, initializers
from initscope.engine.architecture import ARCH_PRESETS
from initscope.engine.config import Config, build
from initscope.engine.limits import MAX_BATCH, MAX_DEPTH, MAX_UNITS


def _initializer_param_names() -> list[str]:
    names: dict[str, None] = {}
    for entry in initializers.CATALOGUE:
        for p in entry.params:
            names.setdefault(p.name, None)
    return list(names)


def _activation_param_names() -> list[str]:
    names: dict[str, None] = {}
    for spec in activations.SPECS.values():
        for key in spec.params:
            names.setdefault(key, None)
    return list(names)


def _some(names: list[str], most: int = 4) -> str:
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def initializer_param_help(name: str) -> str:
    """What an initializer parameter flag means, its range, and which initializers take it."""
    takers = [e for e in initializers.CATALOGUE if any(p.name == name for p in e.params)]
    param = next(p for p in takers[0].params if p.name == name)
    text = f"{param.help}; {param.allowed()} (taken by {_some([e.name for e in takers])})"
    return text.replace("%", "%%")  # argparse formats help with %


def activation_param_help(name: str) -> str:
    """What an activation parameter flag means: its activations, default and range."""
    takers = [(act, spec.params[name]) for act, spec in activations.SPECS.items() if name in spec.params]
    default, low, high = takers[0][1]
    return (
        f"parameter of the {_some([act for act, _ in takers])} activation (default {default:g}, {low:g} to {high:g})"
    ).replace("%", "%%")


def add_param_flags(group: argparse._ArgumentGroup | argparse.ArgumentParser, activation: bool = True) -> None:
    """A flag for every initializer parameter (and every activation parameter), with its help."""
    for name in _initializer_param_names():
        group.add_argument(
            "--" + name.replace("_", "-"), dest="param_" + name, metavar="V", help=initializer_param_help(name)
        )
    if activation:
        for name in _activation_param_names():
            group.add_argument(
                "--" + name.replace("_", "-"), dest="param_" + name, metavar="V", help=activation_param_help(name)
            )


def add_config_flags(p: argparse.ArgumentParser) -> None:
    """Every Config field as a flag, plus every initializer and activation parameter."""
    g = p.add_argument_group("configuration (every field of the run; see `initscope list`)")
    g.add_argument(
        "--config",
        metavar="'KEY=VALUE ...'",
        help='the one-line form, e.g. "init=he_normal act=relu depth=30"; flags override it',
    )
    g.add_argument(
        "--init",
        "--initializer",
        dest="initializer",
        metavar="NAME",
        help="initializer name or alias (default he_normal)",
    )
    g.add_argument(
        "--activation",
        "--act",
        dest="activation",
        metavar="NAME",
        help="one of " + ", ".join(activations.NAMES) + " (default relu)",
    )
    g.add_argument("--fan-in", dest="fan_in", metavar="N", help=f"input dimension, 1..{MAX_UNITS} (default 256)")
    g.add_argument("--width", metavar="N|N,N,...", help="units per layer (default fan-in), or one width per layer")
    g.add_argument("--depth", metavar="L", help=f"weight layers, 1..{MAX_DEPTH} (default 10)")
    g.add_argument("--batch", metavar="B", help=f"batch rows, 1..{MAX_BATCH} (default 256)")
    g.add_argument("--input", metavar="normal|uniform|FILE", help="input rows: normal, uniform, or .npy/.csv")
    g.add_argument("--bias", metavar="INIT", help="bias init: zeros, constant(0.1), or an elementwise initializer")
    g.add_argument("--dtype", metavar="DTYPE", help="float16, float32 (default) or float64")
    g.add_argument("--seed", metavar="S", help="random seed, an integer >= 0 (default 0)")
    g.add_argument("--clip", metavar="T", help="clip gradients to L2 norm T (default off)")
    g.add_argument("--clip-mode", dest="clip_mode", metavar="MODE", help="per_layer (default) or global")
    g.add_argument("--memory-budget", dest="memory_budget", metavar="SIZE", help="refuse runs above this (2GiB)")
    a = p.add_argument_group("architecture (residual blocks and normalization)")
    a.add_argument("--arch", metavar="ARCH", help="mlp (default) or residual: x + alpha * F(x), depth blocks")
    a.add_argument("--branch-depth", dest="branch_depth", metavar="1|2", help="dense layers per branch (default 2)")
    a.add_argument("--norm", metavar="NORM", help="none (default), layernorm, rmsnorm or batchnorm")
    a.add_argument(
        "--norm-placement",
        dest="norm_placement",
        metavar="pre|post",
        help="residual: first in the branch (pre, default) or after the addition (post)",
    )
    a.add_argument(
        "--branch-scale",
        dest="branch_scale",
        metavar="S",
        help="1 (default), 1/sqrt(L), 1/sqrt(2L), 0, fixup or deepnorm",
    )
    a.add_argument(
        "--preset",
        metavar="NAME",
        help="what a framework or paper does: " + ", ".join(ARCH_PRESETS) + " (other flags win over it)",
    )
    blas.add_threads_flag(p)
    add_param_flags(p.add_argument_group("initializer and activation parameters (only those the choice takes)"))


def config_from_args(args: argparse.Namespace) -> Config:
    """Build the Config: `--config` first, then each flag given on top of it."""
    base = Config.from_string(args.config) if getattr(args, "config", None) else Config()
    given: dict[str, Any] = {}
    for key in (
        "initializer",
        "activation",
        "fan_in",
        "width",
        "depth",
        "batch",
        "input",
        "bias",
        "dtype",
        "seed",
        "clip",
        "clip_mode",
        "memory_budget",
        "arch",
        "branch_depth",
        "norm",
        "norm_placement",
        "branch_scale",
        "preset",
    ):
        value = getattr(args, key, None)
        if value is not None:
            given[key] = value
    act_names = set(_activation_param_names())
    init_params: dict[str, str] = {}
    act_params: dict[str, str] = {}
    for key, value in vars(args).items():
        if key.startswith("param_") and value is not None:
            name = key[len("param_") :]
            (act_params if name in act_names else init_params)[name] = value
    cfg = build(given, base)
    if init_params:
        cfg = cfg.replace(initializer_params={**cfg.initializer_params, **init_params})
    if act_params:
        cfg = cfg.replace(activation_params={**cfg.activation_params, **act_params})
    return cfg
