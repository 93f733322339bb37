"""The front door: `initscope` opens the explorer; subcommands run the same engine headless.

Exit codes: 0 ok, 2 bad usage or input (one line on stderr naming the field, the value and what is
allowed; no traceback), 1 unexpected failure, 141 (128 + SIGPIPE, as the shell reports a command a
closed pipe stopped) when the reader of the output went away (`initscope list | head -3`), quietly.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, cast

import numpy as np

from initscope import __version__, blas
from initscope.atomic import WriteError, check_target, write_atomic
from initscope.config_flags import add_config_flags, add_param_flags, config_from_args
from initscope.engine import activations, initializers
from initscope.engine.errors import ConfigError
from initscope.engine.jsonsafe import strict_json
from initscope.engine.limits import MAX_SAMPLE_DRAWS, MAX_SEED, MAX_UNITS
from initscope.engine.memory import check_fits_machine
from initscope.jsoncheck import SHOWN, SnapshotError
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
    from initscope import report
    from initscope.engine import run

    cfg = config_from_args(args)
    check_fits_machine(cfg)
    fmt = args.format
    if fmt is None:
        fmt = (
            {".json": "json", ".csv": "csv"}.get(Path(args.output).suffix.lower(), "table") if args.output else "table"
        )
    if args.output:  # refuse a bad target before the run, not after
        check_target(args.output, overwrite=args.force)
    blas.configure(args.threads, blas.layer_macs(cfg))
    result = run(cfg)
    if fmt == "table":
        text = report.table(result)
    else:  # the snapshot module (and its schema) only when a document is written
        from initscope import snapshot

        text = snapshot.dumps(result) if fmt == "json" else snapshot.csv_text(result)
    if args.output:
        write_atomic(args.output, text, overwrite=args.force)
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
    _add_list_parser(sub)
    _add_sample_parser(sub)
    _add_run_parser(sub)
    _add_diff_parser(sub)
    for name in LAZY_COMMANDS:
        sub.add_lazy(name)
        if not lazy:
            sub.load(name)
    return parser


def _add_list_parser(sub: Subcommands) -> None:
    p_list = sub.add_parser("list", help="the initializer catalogue with formulas and framework snippets")
    p_list.add_argument(
        "--format",
        choices=("table", "markdown"),
        default="table",
        help="table (default: aligned text with the framework code) or markdown (docs/initializers.md)",
    )
    p_list.set_defaults(func=cmd_list)


def _add_sample_parser(sub: Subcommands) -> None:
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


def _add_run_parser(sub: Subcommands) -> None:
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


def _add_diff_parser(sub: Subcommands) -> None:
    p_diff = sub.add_parser("diff", help="compare two snapshots: config differences and per-layer ratios")
    p_diff.add_argument("a", metavar="A.json", help="the first snapshot (`initscope run ... -o A.json`)")
    p_diff.add_argument("b", metavar="B.json", help="the snapshot compared with it")
    p_diff.add_argument("--format", choices=("table", "json"), default="table", help="table (default) or json")
    p_diff.set_defaults(func=cmd_diff)


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


def command() -> int:
    """The `initscope` command (the console script and `python -m initscope`): `main`, then the objects the
    process holds are frozen, so that the interpreter's exit skips collecting them."""
    code = main()
    # At exit CPython runs a garbage collection over every object it tracks, about 17 ms of a 0.15 s
    # `initscope run` with NumPy loaded (docs/performance.md). By now every output is written and closed and
    # nothing waits on a collection; frozen objects are never collected again (tests call main, not this).
    gc.freeze()
    return code


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
