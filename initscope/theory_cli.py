"""`initscope theory`: the mean-field readouts headless, optionally with the Jacobian spectrum and a seed ensemble.

Why a separate command: the readouts (sigma_w^2, sigma_b^2, q*, chi_1, phase, depth scale, trainable depth)
need no forward pass, so a user can ask "where does tanh with gain 1.667 sit between order and chaos?"
without choosing a batch or waiting for a run. Same engine functions and numbers as the TUI's Theory tab.
Bad input raises ConfigError (the CLI's main turns it into exit code 2 and one line).
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from initscope import blas
from initscope.engine import activations, initializers
from initscope.engine.config import Config, build, parse_call
from initscope.engine.ensemble import seed_ensemble
from initscope.engine.errors import ConfigError
from initscope.engine.jacobian import jacobian_spectrum
from initscope.engine.limits import ENSEMBLE_SEEDS, MAX_BUDGET, MAX_DEPTH, MAX_JACOBIAN_WIDTH, MAX_UNITS
from initscope.engine.values import as_float_from, as_int, as_positive_float
from initscope.theory_report import (
    ensemble_doc,
    ensemble_table,
    jacobian_doc,
    jacobian_table,
    theory_doc,
    theory_table,
)

FORMAT_NAME = "initscope.theory"
FORMAT_VERSION = 1

DESCRIPTION = """\
Mean-field readouts of a plain fully-connected net at init, without running it: sigma_w^2 (fan_in Var W),
sigma_b^2 (Var b), the fixed point q* of the pre-activation variance, chi_1 (the factor on the gradient
variance per layer at q*), the phase (ordered < 1 = critical < chaotic), the depth scale (ordered:
-1/ln chi_1; chaotic: xi_c = -1/ln chi_c at the stable correlation c* < 1, Schoenholz et al. 2017) and
the trainable depth (about 6 depth scales), compared with --depth, and one line on what it means.

Weights: without --init they are normal with std = gain / sqrt(fan_in), so sigma_w^2 = gain^2 (--gain
defaults to the activation's gain: relu sqrt2 = He, tanh 5/3; the config shows it as he_normal(gain=G)).
With --init NAME they are that catalogue initializer and --gain sets its gain parameter (xavier_*, he_*,
orthogonal, identity have one).
Bias: normal with std --bias-std (default 0: zeros), so sigma_b^2 = bias_std^2.
The net is square: every layer has fan_in units."""

EPILOG = """\
examples:
  initscope theory --activation tanh --gain 1.667 --bias-std 0.05
  initscope theory --activation tanh --gain 1.3266 --bias-std 0.2236 --depth 200    # sigma_w^2 1.76, sigma_b^2 0.05
  initscope theory --activation relu --init orthogonal --gain 1.414 --jacobian
  initscope theory --activation relu --fan-in 64 --depth 20 --ensemble 16 --format json
  initscope theory --activation 'leaky_relu(slope=0.2)'"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `theory` on the CLI's subparsers; the command runs `args.func(args)` -> exit code."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "theory",
        help="mean-field readouts (q*, chi_1, phase, depth scale) headless; --jacobian, --ensemble",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_network_flags(p)
    _add_extra_flags(p)
    blas.add_threads_flag(p)
    p.set_defaults(func=cmd_theory)
    return p


def _add_network_flags(p: argparse.ArgumentParser) -> None:
    """The net the readouts describe: activation, weights, bias, width and depth."""
    p.add_argument(
        "--activation",
        "--act",
        dest="theory_activation",
        default="relu",
        metavar="NAME",
        help="one of " + ", ".join(activations.NAMES) + "; parameters as name(key=value) (default relu)",
    )
    p.add_argument(
        "--gain",
        dest="theory_gain",
        metavar="G",
        help="weight std = G/sqrt(fan_in) (normal), or the gain of --init (default: the activation's gain)",
    )
    p.add_argument(
        "--bias-std",
        dest="theory_bias_std",
        default="0",
        metavar="S",
        help="bias ~ N(0, S^2), S >= 0 (default 0: zeros)",
    )
    p.add_argument(
        "--init",
        "--initializer",
        dest="theory_init",
        metavar="NAME",
        help="a catalogue initializer instead of the plain normal (see `initscope list`)",
    )
    p.add_argument(
        "--fan-in",
        dest="theory_fan_in",
        default="256",
        metavar="N",
        help=f"units per layer, 1..{MAX_UNITS} (default 256; --jacobian allows up to {MAX_JACOBIAN_WIDTH})",
    )
    p.add_argument(
        "--depth", dest="theory_depth", default="10", metavar="L", help=f"weight layers, 1..{MAX_DEPTH} (default 10)"
    )


def _add_extra_flags(p: argparse.ArgumentParser) -> None:
    """What else to compute and how to print it: the Jacobian, the seed ensemble, their batch, seed, dtype."""
    p.add_argument(
        "--batch",
        dest="theory_batch",
        default="256",
        metavar="B",
        help="input rows for --ensemble (and the row --jacobian uses), default 256",
    )
    p.add_argument(
        "--seed",
        dest="theory_seed",
        default="0",
        metavar="S",
        help="first seed for --jacobian / --ensemble (default 0)",
    )
    p.add_argument(
        "--dtype",
        dest="theory_dtype",
        default="float32",
        metavar="DTYPE",
        help="compute dtype for --jacobian / --ensemble: float16, float32 (default), float64",
    )
    p.add_argument(
        "--format", dest="theory_format", choices=("table", "json"), default="table", help="table (default) or json"
    )
    p.add_argument(
        "--jacobian",
        dest="theory_jacobian",
        action="store_true",
        help="also compute the input-output Jacobian's singular values "
        f"(fan_in <= {MAX_JACOBIAN_WIDTH}) and the free-probability prediction",
    )
    p.add_argument(
        "--ensemble",
        dest="theory_ensemble",
        metavar="K",
        help=f"also run K seeds ({ENSEMBLE_SEEDS[0]}..{ENSEMBLE_SEEDS[1]}) and print per-layer quantile "
        "bands and the finite-width spread",
    )


# ------------------------------------------------------------------------------------------ config
UNLIMITED = MAX_BUDGET
"""Memory budget when nothing stores a batch (readouts, Jacobian) and the run's budget would refuse the
config: theory at width 65536 and depth 10000 needs no memory."""


def config_from_args(args: argparse.Namespace) -> tuple[Config, str]:
    """The Config the readouts describe, and how its weights read in words."""
    bias_std = as_float_from("bias_std", args.theory_bias_std, 0.0, inclusive=True)
    bias = "zeros" if bias_std == 0.0 else f"normal(std={bias_std!r})"
    common: dict[str, object] = {
        "activation": args.theory_activation,
        "fan_in": args.theory_fan_in,
        "depth": args.theory_depth,
        "batch": args.theory_batch,
        "seed": args.theory_seed,
        "dtype": args.theory_dtype,
        "bias": bias,
    }
    if args.theory_ensemble is None:
        try:
            build(common)
        except ConfigError as err:  # a run would not fit; the readouts and the Jacobian need no batch
            if err.field != "memory_budget":
                raise
            common["memory_budget"] = UNLIMITED
    if args.theory_init is None:
        gain: float | str = "auto" if args.theory_gain is None else as_positive_float("gain", args.theory_gain)
        cfg = build({**common, "initializer": "he_normal"})
        cfg = cfg.replace(initializer_params={"gain": gain, "mode": "fan_in"})
        g = (
            float(cfg.initializer_params["gain"])
            if gain != "auto"
            else activations.make(cfg.activation, dict(cfg.activation_params)).gain
        )
        words = f"normal, std = {g:.6g}/sqrt({cfg.fan_in}) = {g / math.sqrt(cfg.fan_in):.4g}"
        if gain == "auto":
            words += f" (gain {g:.6g}: the {cfg.activation} gain)"
        return cfg, words
    name, params = parse_call(str(args.theory_init), "initializer")
    entry = initializers.lookup(name)
    given: dict[str, initializers.ParamValue] = dict(params)
    if args.theory_gain is not None:
        given["gain"] = args.theory_gain
    cfg = build({**common, "initializer": entry.name})
    if given:
        cfg = cfg.replace(initializer_params=given)
    shown = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in cfg.initializer_params.items())
    return cfg, f"{cfg.initializer}({shown})" if shown else cfg.initializer


# ------------------------------------------------------------------------------------------ command
def cmd_theory(args: argparse.Namespace) -> int:
    cfg, weights = config_from_args(args)
    k = None if args.theory_ensemble is None else as_int("ensemble", args.theory_ensemble, *ENSEMBLE_SEEDS)
    blas.configure(args.threads, max(blas.layer_macs(cfg) if k else 0, cfg.fan_in**3 if args.theory_jacobian else 0))
    doc: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "config": cfg.as_dict(),
        "theory": theory_doc(cfg, weights),
    }
    if args.theory_jacobian:
        doc["jacobian"] = jacobian_doc(jacobian_spectrum(cfg))
    if k is not None:
        doc["ensemble"] = ensemble_doc(seed_ensemble(cfg, k=k))
    if args.theory_format == "json":
        print(json.dumps(doc, indent=1, allow_nan=False))
        return 0
    parts = [theory_table(cfg, doc["theory"])]
    if "jacobian" in doc:
        parts.append(jacobian_table(doc["jacobian"]))
    if "ensemble" in doc:
        parts.append(ensemble_table(doc["ensemble"]))
    print("\n\n".join(parts))
    return 0
