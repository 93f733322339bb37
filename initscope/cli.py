"""The front door: `initscope` opens the explorer; subcommands run the same engine headless.

Exit codes: 0 ok, 2 bad usage or input (one line on stderr naming the field, the value and what is
allowed; no traceback), 1 unexpected failure, 141 (128 + SIGPIPE, as the shell reports a command a
closed pipe stopped) when the reader of the output went away (`initscope list | head -3`), quietly.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, cast

import numpy as np

from initscope import __version__, blas
from initscope.engine import activations, initializers
from initscope.engine.architecture import ARCH_PRESETS
from initscope.engine.config import Config, build
from initscope.engine.errors import ConfigError
from initscope.engine.jsonsafe import strict_json
from initscope.engine.limits import MAX_BATCH, MAX_DEPTH, MAX_SAMPLE_DRAWS, MAX_SEED, MAX_UNITS
from initscope.engine.memory import check_fits_machine
from initscope.jsoncheck import SHOWN
from initscope.snapshot import SnapshotError, WriteError
from initscope.subcommands import LAZY_COMMANDS, Subcommands

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_BROKEN_PIPE = 141


class UsageError(Exception):
    """Bad command-line usage: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {_cut_values(message)} (see {self.prog} --help)")


def _cut_values(message: str) -> str:
    """argparse quotes the offending value; a 10,000-character value must still give a short line."""
    return re.sub(rf"'([^']{{{SHOWN}}})[^']+'", lambda m: f"'{m.group(1)}…'", message)


class _Args(argparse.Namespace):
    """Remembers what was given before the subcommand: argparse would silently let the subcommand's
    defaults replace it (`initscope --depth 50 run` ran depth 10)."""

    def __setattr__(self, key: str, value: Any) -> None:
        if key == "command" and value is not None:
            super().__setattr__("before_command", {k: v for k, v in vars(self).items() if v is not None})
        super().__setattr__(key, value)


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


# ------------------------------------------------------------------------------- subcommands
def cmd_list(args: argparse.Namespace) -> int:
    from initscope import reference

    text = reference.catalogue_markdown() if args.format == "markdown" else reference.catalogue_table()
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def cmd_sample(args: argparse.Namespace) -> int:
    entry = initializers.lookup(args.initializer)
    fan_in = _int_arg("fan_in", args.fan_in, 1, MAX_UNITS)
    fan_out = fan_in if args.fan_out is None else _int_arg("fan_out", args.fan_out, 1, MAX_UNITS)
    n = _int_arg("n", args.n, 1, MAX_SAMPLE_DRAWS)
    seed = _int_arg("seed", args.seed, 0, MAX_SEED)
    if args.output:
        from initscope.snapshot import check_target

        check_target(args.output, overwrite=args.force)
    blas.configure(args.threads, fan_in * fan_out * min(fan_in, fan_out))  # orthogonal's QR is the BLAS work
    act_name = str(args.activation or "relu").lower()
    if act_name not in activations.SPECS:
        raise ConfigError("activation", args.activation, "one of " + ", ".join(activations.NAMES))
    params = {k[len("param_") :]: v for k, v in vars(args).items() if k.startswith("param_") and v is not None}
    resolved = entry.resolve(params)
    gain = activations.make(act_name).gain
    values = initializers.sample(entry.name, fan_in, fan_out, n=n, seed=seed, params=resolved, auto_gain=gain)
    expected = entry.expected(fan_in, fan_out, resolved, auto_gain=gain)
    doc = {
        "initializer": entry.name,
        "fan_in": fan_in,
        "fan_out": fan_out,
        "n": int(values.size),
        "seed": seed,
        "params": resolved,
        "bounds": list(expected.bounds) if expected.bounds is not None else None,
        "expected": {"mean": expected.mean, "std": expected.std},
        "measured": {
            "min": float(values.min()),
            "max": float(values.max()),
            "mean": float(values.mean()),
            "std": float(values.std()),
        },
    }
    if args.output:
        import io

        from initscope.snapshot import write_atomic

        buffer = io.BytesIO()
        np.save(buffer, values)
        write_atomic(args.output, buffer.getvalue(), overwrite=args.force)
    if args.format == "json":
        print(strict_json(doc))
    else:
        print(_sample_table(doc, entry))
        if args.output:
            print(f"  wrote {values.size} values to {args.output}")
    return EXIT_OK


def _sample_table(doc: dict[str, Any], entry: initializers.Initializer) -> str:
    m, e = doc["measured"], doc["expected"]
    lines = [
        f"{doc['initializer']}  fan_in {doc['fan_in']}  fan_out {doc['fan_out']}  n {doc['n']}  seed {doc['seed']}",
        f"  formula  {entry.formula}",
    ]
    if doc["bounds"] is not None:
        lo, hi = doc["bounds"]
        lines.append(f"  bounds   lower {lo:.6g}  upper {hi:.6g}")
    else:
        lines.append("  bounds   none (unbounded)")
    lines.append(f"  {'':8} {'measured':>12} {'expected':>12}")
    lines.append(f"  {'min':8} {m['min']:>12.6g} {doc['bounds'][0] if doc['bounds'] else float('nan'):>12.6g}")
    lines.append(f"  {'max':8} {m['max']:>12.6g} {doc['bounds'][1] if doc['bounds'] else float('nan'):>12.6g}")
    lines.append(f"  {'mean':8} {m['mean']:>12.6g} {e['mean']:>12.6g}")
    lines.append(f"  {'std':8} {m['std']:>12.6g} {e['std']:>12.6g}")
    if entry.note:
        lines.append(f"  note     {entry.note}")
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    from initscope import report, snapshot
    from initscope.engine import run

    cfg = config_from_args(args)
    check_fits_machine(cfg)
    fmt = args.format
    if fmt is None:
        fmt = (
            {".json": "json", ".csv": "csv"}.get(Path(args.output).suffix.lower(), "table") if args.output else "table"
        )
    if args.output:  # refuse a bad target before the run, not after
        snapshot.check_target(args.output, overwrite=args.force)
    blas.configure(args.threads, blas.layer_macs(cfg))
    result = run(cfg)
    text = {"json": snapshot.dumps, "csv": snapshot.csv_text, "table": report.table}[fmt](result)
    if args.output:
        snapshot.write_atomic(args.output, text, overwrite=args.force)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from initscope import report, snapshot

    d = snapshot.diff(snapshot.read(args.a), snapshot.read(args.b))
    sys.stdout.write(strict_json(d) + "\n" if args.format == "json" else report.diff_table(d))
    return EXIT_OK


def cmd_tui(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    blas.configure(args.threads)  # one thread by default: BLAS threads would starve the event loop
    try:
        from initscope.tui.app import main as tui_main
    except ImportError as err:  # pragma: no cover - the TUI ships with the package
        raise UsageError(f"the explorer could not start: {err}") from None
    return tui_main(cfg, args)


def _short_path(name: object) -> str:
    from initscope.atomic import short

    return short(str(name))


def _int_arg(name: str, value: object, low: int, high: int) -> int:
    from initscope.engine.values import as_int

    return as_int(name, value, low, high)


# ------------------------------------------------------------------------------- parser
def make_parser(lazy: bool = False) -> argparse.ArgumentParser:
    """The CLI's parser; `lazy`: the LAZY_COMMANDS load their module only when chosen (what `main` uses)."""
    parser = _Parser(
        prog="initscope",
        description="See what weight initialization does to a neural network, layer by layer. "
        "With no subcommand, opens the terminal explorer.",
    )
    parser.add_argument("--version", action="version", version=f"initscope {__version__}")
    parser.add_argument("--open", metavar="SNAPSHOT.json", help="open a snapshot in the explorer")
    parser.add_argument(
        "--export-dir",
        metavar="DIR",
        default="initscope-snapshots",
        help="where exports and screenshots go (default ./initscope-snapshots)",
    )
    add_config_flags(parser)
    sub = cast(
        Subcommands, parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND", action=Subcommands)
    )

    p_list = sub.add_parser("list", help="the initializer catalogue with formulas and framework snippets")
    p_list.add_argument(
        "--format",
        choices=("table", "markdown"),
        default="table",
        help="table (default: aligned text with the framework code) or markdown (docs/initializers.md)",
    )
    p_list.set_defaults(func=cmd_list)

    p_sample = sub.add_parser("sample", help="draw values from one initializer and compare with its formula")
    p_sample.add_argument(
        "--init",
        "--initializer",
        dest="initializer",
        default="he_normal",
        metavar="NAME",
        help="initializer name or alias (default he_normal; see `initscope list`)",
    )
    p_sample.add_argument("--fan-in", dest="fan_in", required=True, metavar="N", help=f"fan-in, 1..{MAX_UNITS}")
    p_sample.add_argument("--fan-out", dest="fan_out", metavar="M", help="default: fan-in")
    p_sample.add_argument("-n", dest="n", default="1000", metavar="COUNT", help="number of draws (default 1000)")
    p_sample.add_argument("--seed", default="0", metavar="S", help="random seed, an integer >= 0 (default 0)")
    p_sample.add_argument(
        "--activation", "--act", dest="activation", metavar="NAME", help="whose gain 'auto' means (default relu)"
    )
    p_sample.add_argument("--format", choices=("table", "json"), default="table", help="table (default) or json")
    p_sample.add_argument("-o", "--output", metavar="VALUES.npy", help="save the raw draws (.npy)")
    p_sample.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    blas.add_threads_flag(p_sample)
    add_param_flags(
        p_sample.add_argument_group("initializer parameters (only those the choice takes)"), activation=False
    )
    p_sample.set_defaults(func=cmd_sample)

    p_run = sub.add_parser("run", help="forward and backward statistics per layer, theory and verdict")
    add_config_flags(p_run)
    p_run.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default=None,
        help="table (default), json (the snapshot document) or csv (one row per layer)",
    )
    p_run.add_argument("-o", "--output", metavar="FILE", help="write to FILE (format from its suffix)")
    p_run.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p_run.set_defaults(func=cmd_run)
    p_diff = sub.add_parser("diff", help="compare two snapshots: config differences and per-layer ratios")
    p_diff.add_argument("a", metavar="A.json", help="the first snapshot (`initscope run ... -o A.json`)")
    p_diff.add_argument("b", metavar="B.json", help="the snapshot compared with it")
    p_diff.add_argument("--format", choices=("table", "json"), default="table", help="table (default) or json")
    p_diff.set_defaults(func=cmd_diff)

    for name in LAZY_COMMANDS:
        sub.add_lazy(name)
        if not lazy:
            sub.load(name)
    return parser


def _refuse_flags_before_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Configuration flags belong after the subcommand; before it they would be silently dropped."""
    given = getattr(args, "before_command", {})
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    command = subparsers.choices[args.command]
    for action in parser._actions:
        value = given.get(action.dest)
        if action.option_strings and value is not None and value != action.default:
            flag = action.option_strings[0]
            if any(flag in a.option_strings for a in command._actions):
                raise UsageError(
                    f"initscope: {flag} must come after the subcommand: initscope {args.command} "
                    f"{flag} ... (before it, flags set up the explorer)"
                )
            raise UsageError(f"initscope: {flag} sets up the explorer; `initscope {args.command}` does not take it")


def _refuse_empty_values(argv: Sequence[str]) -> None:
    """`--format=--`: argparse drops a `--` value and hands the command an empty list."""
    for token in argv:
        if token.startswith("-") and "=" in token and token.split("=", 1)[1] == "--":
            flag = token.split("=", 1)[0][:SHOWN]
            raise UsageError(f"initscope: {flag}: '--' is not a value (see initscope --help)")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _dispatch(argv)
        sys.stdout.flush()  # a reader that went away shows here, where it is caught, not at interpreter exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _silence_stdout() -> None:
    """The reader of stdout is gone: point stdout at /dev/null so that Python's final flush cannot fail
    and print a traceback (the recipe of the Python docs, "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (captured): nothing to do
        pass


def _dispatch(argv: Sequence[str] | None) -> int:
    parser = make_parser(lazy=True)
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        _refuse_empty_values(argv)
        args = parser.parse_args(argv, namespace=_Args())
        if args.command is not None:
            _refuse_flags_before_command(parser, args)
        func = getattr(args, "func", None)
        if func is None:
            return cmd_tui(args)
        with np.errstate(all="ignore"):  # overflow is reported in the output (findings, null + note), not as
            return int(func(args))  # NumPy's RuntimeWarnings on stderr
    except BrokenPipeError:
        raise  # main() ends quietly
    except (ConfigError, UsageError, SnapshotError, WriteError) as err:
        print(str(err) if isinstance(err, UsageError) else f"initscope: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print(
            "initscope: error: not enough memory for this run; lower --memory-budget, the depth, width or batch",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except OSError as err:  # the system refused (a file, a pipe, a limit): the user's to fix, not a bug
        where = f": {_short_path(err.filename)}" if getattr(err, "filename", None) else ""
        print(f"initscope: error: {err.strerror or err}{where}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("initscope: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
