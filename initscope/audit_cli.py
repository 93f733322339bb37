"""`initscope audit FILE`: which initializer made each tensor of a weights file, what is off, what the
signal does; as a table, JSON (docs/audit.md) or CSV, or in the explorer's Audit tab (--open).

A bad file, layout or activation is one line on stderr and exit code 2 (cli.main prints ConfigError and
WriteError; a WeightsFileError is printed here).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from initscope.engine import activations
from initscope.engine.audit.layout import LAYOUTS
from initscope.engine.config import build
from initscope.engine.errors import ConfigError

FORMATS = ("table", "json", "csv")
EXIT_USAGE = 2


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `audit` on the main parser's subparsers."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "audit",
        help="audit a weights file: which initializer made each tensor, what is off, what the signal does",
        description="Read a .safetensors, .npz or PyTorch .pt/.bin file tensor by tensor: each tensor's role, "
        "fans, statistics and the catalogue initializers it is consistent with; findings (NaN/inf, zero or "
        "symmetric weights, a conv kernel with the wrong fan, a layer far from its siblings); and, where dense "
        "layers chain, the signal forward and backward through the file's own weights.",
    )
    p.add_argument("file", metavar="FILE", help="a .safetensors, .npz, .pt, .pth or .bin weights file")
    p.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="auto",
        help="torch ([out, in], [out, in, k, k]), keras ([in, out], [k, k, in, out]) or auto (default: "
        "from the names and shapes)",
    )
    p.add_argument(
        "--activation",
        "--act",
        dest="a_activation",
        metavar="NAME",
        default="relu",
        help="the activation between the file's dense layers for the signal run, e.g. tanh or "
        "leaky_relu(0.1) (default relu)",
    )
    p.add_argument("--no-signal", dest="a_no_signal", action="store_true", help="skip the signal run")
    p.add_argument(
        "--format",
        dest="a_format",
        choices=FORMATS,
        default=None,
        help="table (default), json (the audit document) or csv (one row per tensor)",
    )
    p.add_argument("-o", "--output", dest="a_output", metavar="OUT", help="write to OUT (format from its suffix)")
    p.add_argument("--force", dest="a_force", action="store_true", help="overwrite OUT if it exists")
    p.add_argument("--open", dest="a_open", action="store_true", help="show the audit in the explorer's Audit tab")
    p.set_defaults(func=cmd_audit)
    return p


def cmd_audit(args: argparse.Namespace) -> int:
    from initscope import audit_report
    from initscope.engine.audit import WeightsFileError, audit_file
    from initscope.snapshot import WriteError, write_atomic

    act = str(args.a_activation).strip().lower()
    if act.split("(")[0].strip() not in activations.SPECS:
        raise ConfigError("activation", args.a_activation, "one of " + ", ".join(activations.NAMES))
    build({"activation": act})  # parameters checked now (ConfigError), not after reading the file
    output = Path(args.a_output) if args.a_output else None
    fmt = args.a_format or ({".json": "json", ".csv": "csv"}.get(output.suffix.lower(), "table") if output else "table")
    if output is not None and output.exists() and not args.a_force:  # refuse before the audit, not after
        raise WriteError(f"{output} already exists; not overwriting it (choose another name or use --force)")
    try:
        report = audit_file(args.file, args.layout, act, run_signal=not args.a_no_signal)
    except WeightsFileError as err:
        print(f"initscope: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    text = {"json": audit_report.dumps, "csv": audit_report.csv_text, "table": audit_report.table}[fmt](report)
    if output is not None:
        write_atomic(output, text, overwrite=args.a_force)
        print(f"wrote {output}", file=sys.stderr)
    elif not args.a_open:
        sys.stdout.write(text)
    if args.a_open:
        from initscope.tui.tabs.audit import open_audit

        return open_audit(report, args)
    return 0
