"""`initscope train`: the training race headless, as a table, the snapshot's `training` block (json) or csv.

`add_parser(subparsers)` registers the subcommand; `cmd_train(args)` raises ConfigError for bad input
(cli.main prints it as one line and exits 2) and snapshot.WriteError for a refused output file.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
from pathlib import Path
from typing import Any

from initscope import blas
from initscope.engine.config import build
from initscope.engine.limits import MAX_BATCH
from initscope.engine.training import (
    DEFAULT_CONTENDERS,
    DEFAULT_NETWORK,
    TARGET_FRACTION,
    RaceResult,
    TrainConfig,
    run_race,
)

FORMATS = ("table", "json", "csv")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `train` on the main parser's subparsers (an argparse._SubParsersAction)."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "train",
        help="race initializers on a small training task (same data and batches; only the init differs)",
        description="Train the same MLP once per initializer on the same data, in the same mini-batch order, "
        "and compare: steps to reach the target loss, final loss and accuracy, distinct hidden units "
        "(1 = symmetric), and what stopped each one.",
    )
    race = p.add_argument_group("race")
    _add_data_flags(race)
    _add_training_flags(race)
    _add_network_flags(p)
    _add_output_flags(p)
    blas.add_threads_flag(p)
    p.set_defaults(func=cmd_train)
    return p


def _add_data_flags(race: argparse._ArgumentGroup) -> None:
    """Who races on what: the contenders and the data."""
    race.add_argument(
        "--compare",
        dest="t_contenders",
        metavar="INITS",
        nargs="+",
        default=[DEFAULT_CONTENDERS],
        help=f"comma-separated initializers, with parameters if needed, e.g. {DEFAULT_CONTENDERS} "
        "or 'he_normal,normal(std=0.001)' (default %(default)s); or one-line configs, one per "
        'argument: "arch=residual norm=none" "arch=residual branch_scale=1/sqrt(2L)"',
    )
    race.add_argument(
        "--dataset",
        "--data",
        dest="t_data",
        metavar="spirals|circles|teacher|FILE",
        default="spirals",
        help="generated data (seeded) or a .csv/.npy file, last column the label or target (default spirals)",
    )
    race.add_argument(
        "--task",
        dest="t_task",
        metavar="auto|classification|regression",
        default="auto",
        help="what the last column of a file is (default auto: integers or names = classes)",
    )
    race.add_argument(
        "--samples", dest="t_samples", metavar="N", help="rows to train on (default 512 generated; every row of a file)"
    )


def _add_training_flags(race: argparse._ArgumentGroup) -> None:
    """How each contender trains: epochs, batches, optimizer, clipping, the target, the seed and the budget."""
    race.add_argument("--epochs", dest="t_epochs", metavar="N", default="200", help="default 200")
    race.add_argument("--batch-size", dest="t_batch_size", metavar="B", default="64", help="default 64")
    race.add_argument(
        "--optimizer",
        dest="t_optimizer",
        metavar="sgd|adam",
        default="sgd",
        help="sgd (with momentum, default) or adam",
    )
    race.add_argument("--lr", dest="t_lr", metavar="LR", help="learning rate > 0 (default 0.02 sgd, 0.003 adam)")
    race.add_argument("--momentum", dest="t_momentum", metavar="M", default="0.9", help="SGD momentum (default 0.9)")
    race.add_argument("--clip", dest="t_clip", metavar="T|off", help="clip the gradient's L2 norm to T (default off)")
    race.add_argument(
        "--clip-mode",
        dest="t_clip_mode",
        metavar="global|per_layer",
        default="global",
        help="one norm over all parameters (default, as torch's clip_grad_norm_) or per layer",
    )
    race.add_argument(
        "--target-loss",
        dest="t_target_loss",
        metavar="L",
        help=f"loss to reach (default {TARGET_FRACTION:g} x the loss of the best constant prediction)",
    )
    race.add_argument("--seed", dest="t_seed", metavar="S", default="0", help="default 0")
    race.add_argument(
        "--work-budget",
        dest="t_work_budget",
        metavar="N",
        help="refuse races above epochs x samples x parameters x contenders (default 2e11)",
    )


def _add_network_flags(p: argparse.ArgumentParser) -> None:
    """The hidden layers every contender trains (the input dimension is the data's)."""
    net = p.add_argument_group("network (hidden layers; the input dimension is the data's)")
    net.add_argument(
        "--activation",
        "--act",
        dest="t_activation",
        metavar="NAME",
        default="relu",
        help="e.g. relu, tanh, leaky_relu(0.1) (default relu)",
    )
    net.add_argument(
        "--width",
        dest="t_width",
        metavar="N|N,N,...",
        default="64",
        help="units per hidden layer, or one width per layer (default 64)",
    )
    net.add_argument("--depth", dest="t_depth", metavar="L", help="hidden layers (default 3)")
    net.add_argument("--bias", dest="t_bias", metavar="INIT", help="bias init (default zeros)")
    net.add_argument("--dtype", dest="t_dtype", metavar="float32|float64", help="compute dtype (default float32)")


def _add_output_flags(p: argparse.ArgumentParser) -> None:
    """Where the race goes and in which format."""
    out = p.add_argument_group("output")
    out.add_argument(
        "--format",
        dest="t_format",
        choices=FORMATS,
        default=None,
        help="table (default), json (a snapshot whose training block holds the race) "
        "or csv (one row per contender "
        "per recorded step)",
    )
    out.add_argument("-o", "--output", dest="t_output", metavar="FILE", help="write to FILE (format from its suffix)")
    out.add_argument("--force", dest="t_force", action="store_true", help="overwrite FILE if it exists")


def train_config_from_args(args: argparse.Namespace) -> TrainConfig:
    """Build the validated TrainConfig from the parsed flags (ConfigError names the field)."""
    network: dict[str, Any] = {"activation": args.t_activation, "width": args.t_width}
    for key in ("depth", "bias", "dtype"):
        value = getattr(args, "t_" + key)
        if value is not None:
            network[key] = value
    race: dict[str, Any] = {
        "contenders": args.t_contenders,
        "data": args.t_data,
        "task": args.t_task,
        "epochs": args.t_epochs,
        "batch_size": args.t_batch_size,
        "optimizer": args.t_optimizer,
        "momentum": args.t_momentum,
        "clip_mode": args.t_clip_mode,
        "seed": args.t_seed,
    }
    for key in ("samples", "lr", "clip", "target_loss", "work_budget"):
        value = getattr(args, "t_" + key)
        if value is not None:
            race[key] = value
    return TrainConfig(network=build(network, DEFAULT_NETWORK), **race)


def cmd_train(args: argparse.Namespace) -> int:
    """Run the race and print (or write) it. Bad input raises ConfigError; a refused file WriteError."""
    from initscope.snapshot import check_target, write_atomic

    tc = train_config_from_args(args)
    output = Path(args.t_output) if args.t_output else None
    fmt = args.t_format or ({".json": "json", ".csv": "csv"}.get(output.suffix.lower(), "table") if output else "table")
    if output is not None:  # refuse before a long race, not after (exists, folder missing, not a file)
        check_target(args.t_output, overwrite=args.t_force)
    blas.configure(args.threads)  # one thread: small matrices, where threads only contend (14x slower)
    show = _progress_printer() if sys.stderr.isatty() else None
    result = run_race(tc, progress=show, progress_interval=0.25)
    if show is not None:
        sys.stderr.write("\r\033[K")
    text = render(result, fmt)
    if output is not None:
        write_atomic(args.t_output, text, overwrite=args.t_force)
        print(f"wrote {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _progress_printer() -> Any:
    def show(p: RaceResult) -> None:
        sys.stderr.write(
            f"\rtraining: epoch {p.epochs_done}/{p.config.epochs}, step {p.step}/{p.total_steps} "
            f"({p.elapsed_s:.1f} s)\033[K"
        )
        sys.stderr.flush()

    return show


def render(result: RaceResult, fmt: str) -> str:
    """The race in one of FORMATS."""
    if fmt == "json":
        return snapshot_of(result)
    if fmt == "csv":
        return csv_text(result)
    return table(result)


def snapshot_of(race: RaceResult) -> str:
    """A snapshot document for a race: the forward/backward run of the raced network with its first
    contender's weights, and the race itself in the `training` block, so `initscope diff` and the
    explorer read it like any other snapshot."""
    from initscope import snapshot
    from initscope.engine import run

    first = race.config.contender_list[0]
    features = int(race.dataset["features"])
    cfg = race.config.network.replace(
        initializer=first.initializer,
        initializer_params=dict(first.params),
        fan_in=features,
        batch=min(race.config.batch_size, MAX_BATCH),
    )
    result = run(cfg)
    result.training = race.to_dict()
    return snapshot.dumps(result)


def _num(v: float, spec: str = ".3g") -> str:
    return format(v, spec) if math.isfinite(v) else "—"


def table(result: RaceResult) -> str:
    """One row per contender and a one-line conclusion."""
    tc, ds = result.config, result.dataset
    net = tc.network
    widths = net.widths
    shape = f"{widths[0]}x{len(widths)}" if len(set(widths)) == 1 else ",".join(map(str, widths))
    opt = (
        f"sgd lr {tc.effective_lr:g} momentum {tc.momentum:g}"
        if tc.optimizer == "sgd"
        else f"adam lr {tc.effective_lr:g}"
    )
    classes = f", {ds['classes']} classes" if ds["task"] == "classification" else ""
    clip = "off" if tc.clip is None else f"{tc.clip:g} ({tc.clip_mode})"
    if any(c.arch.get("arch") == "residual" for c in tc.contender_list):  # blocks instead of layers for those
        shape += f" (residual contenders: {len(widths)} blocks of width {widths[0]} after an input projection)"
    lines = [
        f"race on {ds['name']} ({ds['task']}, {ds['samples']} samples, {ds['features']} features{classes})",
        f"  network {net.activation} {shape} + linear readout, {net.dtype} · {opt} · batch {tc.batch_size} · "
        f"{result.epochs_done}/{tc.epochs} epochs x {result.steps_per_epoch} steps · clip {clip} · seed {net.seed}",
    ]
    target_note = (
        ""
        if tc.target_loss is not None
        else f" ({TARGET_FRACTION:g} x {ds['baseline_loss']:.3g}, the loss of the best constant prediction)"
    )
    lines.append(f"  target loss {result.target_loss:.3g}{target_note}")
    clipping = tc.clip is not None
    head = ["contender", "steps to target", "final loss", "accuracy", "distinct units", "stopped"]
    if clipping:
        head[5:5] = ["clipped", "norm before", "norm after"]
    rows = [head]
    for c in result.contenders:
        final = c.final_distinct_units
        low = int(final.argmin()) if final.size else 0
        units = f"{int(final[low])} of {widths[low]}" if final.size else "—"
        row = [
            c.label,
            "—" if c.steps_to_target is None else str(c.steps_to_target),
            _num(c.final_loss),
            "—" if not math.isfinite(c.final_accuracy) else f"{100 * c.final_accuracy:.1f} %",
            units,
            c.reason,
        ]
        if clipping:
            row[5:5] = [f"{100 * c.clipped_fraction:.0f} %", _num(c.norm_before), _num(c.norm_after)]
        rows.append(row)
    sizes = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for r in rows:
        cells = [r[0].ljust(sizes[0])] + [cell.rjust(sizes[i]) for i, cell in enumerate(r[1:-1], start=1)]
        lines.append("  " + "  ".join([*cells, r[-1]]).rstrip())
    if result.cancelled:
        lines.append("  (cancelled)")
    lines.append(result.conclusion())
    return "\n".join(lines) + "\n"


def csv_text(result: RaceResult) -> str:
    """One row per contender per recorded step: epoch evaluations (loss, accuracy on the training set) and
    step records (mini-batch loss, per-layer gradient norm, update ratio, distinct units) share a `step`
    column; a field that was not measured at that step is empty."""
    layers = result.layer_names
    hidden = layers[:-1]
    head = [
        "contender",
        "step",
        "epoch",
        "loss",
        "accuracy",
        "batch_loss",
        *(f"grad_norm_{n}" for n in layers),
        *(f"update_ratio_{n}" for n in layers),
        *(f"distinct_units_{n}" for n in hidden),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(head)
    spe = result.steps_per_epoch
    for c in result.contenders:
        epochs = {int(s): i for i, s in enumerate(result.epoch_steps)}
        records = {int(s): i for i, s in enumerate(result.record_steps)}
        for step in sorted(set(epochs) | set(records)):
            e, r = epochs.get(step), records.get(step)
            if (e is None or math.isnan(c.loss[e])) and (r is None or math.isnan(c.step_loss[r])):
                continue  # nothing measured here (after this contender stopped)
            row: list[str] = [c.label, str(step), f"{step / spe:g}"]
            row += [_cell(c.loss[e]), _cell(c.accuracy[e])] if e is not None else ["", ""]
            if r is not None and not math.isnan(c.step_loss[r]):
                row.append(_cell(c.step_loss[r]))
                row += [_cell(v) for v in c.grad_norm[r]] + [_cell(v) for v in c.update_ratio[r]]
                row += [str(int(v)) for v in c.distinct_units[r]]
            else:
                row += [""] * (1 + 2 * len(layers) + len(hidden))
            writer.writerow(row)
    return buffer.getvalue()


def _cell(v: float) -> str:
    return repr(float(v)) if math.isfinite(v) else ""
