"""Snapshots: the JSON document of a Result (docs/snapshots.md; field names are a contract), its per-layer CSV,
and atomic writes that never overwrite what a user already has. Reading them back is `snapshot_read`'s job;
`read`, `from_document` and `list_snapshots` are re-exported here, where callers look for them.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from initscope import __version__, schema, snapshot_branch
from initscope.atomic import WriteError, check_target, short, write_atomic
from initscope.engine.jsonsafe import json_safe
from initscope.engine.result import Histogram, Result
from initscope.jsoncheck import SnapshotError
from initscope.snapshot_read import from_document, list_snapshots, read

__all__ = [
    "SnapshotError",
    "WriteError",
    "check_target",
    "diff",
    "dumps",
    "export",
    "from_document",
    "list_snapshots",
    "read",
    "write_atomic",
]

FORMAT = schema.SNAPSHOT_FORMAT
VERSION = max(schema.SNAPSHOT_VERSIONS)


def _num(x: Any) -> float | int | None:
    """A JSON-safe number: non-finite values become null (the layer's nonfinite_fraction says why)."""
    value: float | int | None = json_safe(x)
    return value


def _hist(h: Histogram) -> dict[str, Any]:
    return {
        "edges": [_num(e) for e in h.edges],
        "counts": [int(c) for c in h.counts],
        "total": h.total,
        "nonfinite": h.nonfinite,
        "outside": list(h.outside),
        "collapsed": h.collapsed,
        "note": h.note,
    }


def to_document(r: Result) -> dict[str, Any]:
    """The snapshot document of a Result."""
    layers = []
    for i, (fi, fo) in enumerate(r.config.layer_fans):
        layers.append(_layer(r, i, fi, fo))
        if r.branch is not None:
            layers[-1]["branch"] = snapshot_branch.to_document(r.branch, i)
    f, b, th = r.forward, r.backward, r.theory
    return {
        "format": FORMAT,
        "version": VERSION,
        "initscope_version": __version__,
        "created_utc": r.created_utc,
        "config": r.config.as_dict(),
        "run": {
            "layers_done": r.layers_done,
            "cancelled": r.cancelled,
            "elapsed_s": round(r.elapsed_s, 6),
            "input_std": _num(f.input_std),
            "input_grad_std": _num(b.input_grad_std),
        },
        "layers": layers,
        "verdict": _verdict(r),
        "theory": {
            "applicable": th.applicable,
            "reason": th.reason,
            "q_star": _num(th.q_star),
            "chi1": _num(th.chi1),
            "phase": th.phase,
            "depth_scale": _num(th.depth_scale),
            "trainable_depth": _num(th.trainable_depth),
            "sigma_w2": _num(th.sigma_w2),
            "sigma_b2": _num(th.sigma_b2),
            "depth_note": th.depth_note,
        },
        "training": r.training,
    }


def _at(source: object, i: int, *names: str) -> dict[str, float | int | None]:
    """{name: source.name[i]} as JSON-safe numbers, for per-layer arrays stored under their own names."""
    return {name: _num(getattr(source, name)[i]) for name in names}


def _layer(r: Result, i: int, fi: int, fo: int) -> dict[str, Any]:
    f, b, w = r.forward, r.backward, r.weights
    clip = {
        key: None if values is None else _num(values[i])
        for key, values in (("clipped_weight_grad_norm", b.clipped_weight_grad_norm), ("clip_scale", b.clip_scale))
    }
    return {
        "index": i + 1,
        "fan_in": fi,
        "fan_out": fo,
        "weight": {
            "histogram": _hist(w.histograms[i]),
            **_at(w.summary, i, "min", "max", "mean", "std"),
            **_at(w, i, "expected_mean", "expected_std"),
            "bounds": None if not math.isfinite(w.bound_low[i]) else [_num(w.bound_low[i]), _num(w.bound_high[i])],
            **_at(w, i, "zero_fraction"),
        },
        "preactivation": _summary(f.preactivation, i),
        "activation": {
            **_summary(f.activation, i),
            **_at(f, i, "saturated_fraction", "dead_fraction", "dead_unit_fraction"),
            "symmetric": bool(f.symmetric[i]),
            "histogram": _hist(f.histograms[i]),
        },
        "gradient": {
            **_at(b, i, "activation_grad_std", "weight_grad_norm", "grad_to_weight_ratio", "bias_grad_norm"),
            **clip,
            "histogram": _hist(b.histograms[i]),
        },
        "theory": _at(
            r.theory_layers, i, "preactivation_var", "activation_std", "saturated_fraction", "activation_grad_std"
        ),
    }


def _verdict(r: Result) -> dict[str, Any]:
    v = r.verdict
    return {
        "kind": v.kind,
        "text": v.text,
        "severity": v.severity,
        "findings": [
            {
                "kind": x.kind,
                "severity": x.severity,
                "text": x.text,
                "fix": x.fix,
                "numbers": {k: _num(n) for k, n in x.numbers.items()},
            }
            for x in v.findings
        ],
        "first_nonfinite_layer": v.first_nonfinite_layer,
        "forward_factor": _num(v.forward_factor),
        "backward_factor": _num(v.backward_factor),
        "fix": v.fix,
    }


def _summary(s: Any, i: int) -> dict[str, float | int | None]:
    return _at(s, i, "mean", "std", "min", "max", "nonfinite_fraction")


def dumps(r: Result) -> str:
    """The snapshot document as JSON text (always valid JSON: no NaN or Infinity tokens)."""
    return json.dumps(to_document(r), indent=1, allow_nan=False) + "\n"


CSV_COLUMNS = (
    ("layer", "layer index, 1 = first weight layer"),
    ("fan_in", "inputs of the layer"),
    ("fan_out", "outputs of the layer"),
    ("weight_mean", "mean of W"),
    ("weight_std", "std of W"),
    ("weight_expected_std", "std the initializer's formula gives"),
    ("weight_min", "min of W"),
    ("weight_max", "max of W"),
    ("weight_zero_fraction", "share of W exactly 0"),
    ("preact_mean", "mean of Z = A_prev W + b"),
    ("preact_std", "std of Z"),
    ("act_mean", "mean of A = phi(Z)"),
    ("act_std", "std of A"),
    ("act_min", "min of A"),
    ("act_max", "max of A"),
    ("act_nonfinite_fraction", "share of A that is inf or NaN"),
    ("saturated_fraction", "share of saturated units (tanh, sigmoid; empty otherwise)"),
    ("dead_fraction", "share of A exactly 0 (relu-like; empty otherwise)"),
    ("dead_unit_fraction", "share of units 0 for the whole batch (relu-like; empty otherwise)"),
    ("act_grad_std", "std of dA, the gradient w.r.t. the layer's output"),
    ("weight_grad_norm", "||dW||_F"),
    ("grad_to_weight_ratio", "||dW||_F / ||W||_F"),
    ("clipped_weight_grad_norm", "||dW||_F after clipping (empty when off)"),
    ("theory_preact_var", "mean-field prediction of Var(Z)"),
    ("theory_act_std", "mean-field prediction of std(A)"),
    ("theory_saturated_fraction", "mean-field prediction of the saturated share"),
    ("theory_act_grad_std", "mean-field prediction of std(dA)"),
)

BRANCH_CSV_COLUMNS = (
    ("branch_std", "std of the branch output alpha F(x) (residual nets)"),
    ("branch_ratio", "std(alpha F(x)) / std(x): how much the block changes its input"),
    ("branch_saturated_fraction", "saturated share inside the branch (tanh, sigmoid)"),
    ("branch_dead_fraction", "share of exact zeros inside the branch (relu-like)"),
    ("branch_grad_std", "std of the gradient the branch sends to the stream below it"),
    ("theory_branch_std", "mean-field prediction of the branch output's std"),
)
"""Columns a residual net's CSV adds after CSV_COLUMNS (a row is a block; the other columns are its stream)."""


def csv_rows(r: Result) -> Iterator[list[str]]:
    """Header then one row per layer; non-finite or undefined values are empty cells."""
    doc = to_document(r)
    residual = bool(doc["layers"]) and "branch" in doc["layers"][0]
    yield [name for name, _ in CSV_COLUMNS + (BRANCH_CSV_COLUMNS if residual else ())]
    for layer in doc["layers"]:
        w, z, a, g, t = (layer[k] for k in ("weight", "preactivation", "activation", "gradient", "theory"))
        values = [
            layer["index"],
            layer["fan_in"],
            layer["fan_out"],
            w["mean"],
            w["std"],
            w["expected_std"],
            w["min"],
            w["max"],
            w["zero_fraction"],
            z["mean"],
            z["std"],
            a["mean"],
            a["std"],
            a["min"],
            a["max"],
            a["nonfinite_fraction"],
            a["saturated_fraction"],
            a["dead_fraction"],
            a["dead_unit_fraction"],
            g["activation_grad_std"],
            g["weight_grad_norm"],
            g["grad_to_weight_ratio"],
            g["clipped_weight_grad_norm"],
            t["preactivation_var"],
            t["activation_std"],
            t["saturated_fraction"],
            t["activation_grad_std"],
        ]
        if residual:
            b = layer["branch"]
            values += [
                b["std"],
                b["ratio"],
                b["saturated_fraction"],
                b["dead_fraction"],
                b["grad_std"],
                b["theory_std"],
            ]
        yield ["" if v is None else repr(v) if isinstance(v, float) else str(v) for v in values]


def csv_text(r: Result) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(csv_rows(r))
    return buffer.getvalue()


# ------------------------------------------------------------------------------- export
def export_stem(r: Result) -> str:
    """File stem from UTC time, initializer and activation: 20261129T040512Z_he_normal_relu."""
    stamp = (r.created_utc or "").replace("-", "").replace(":", "") or "snapshot"
    return f"{stamp}_{r.config.initializer}_{r.config.activation}"


def export(r: Result, folder: Path | str) -> tuple[Path, Path]:
    """Write the JSON document and the per-layer CSV side by side; a name clash gets a suffix.

    Either both files are written or neither is (the JSON is removed if the CSV fails).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise WriteError(f"cannot export to {short(folder)}: it is a file, not a folder")
    try:  # the export folder (default ./initscope-snapshots) is made on first use
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise WriteError(f"cannot create folder {short(folder)}: {err.strerror or err}") from None
    stem = export_stem(r)
    json_text, csv_data = dumps(r), csv_text(r)
    for attempt in range(1, 1000):
        name = stem if attempt == 1 else f"{stem}-{attempt}"
        json_path, csv_path = folder / f"{name}.json", folder / f"{name}.csv"
        if json_path.exists() or csv_path.exists():
            continue
        try:
            write_atomic(json_path, json_text)
        except WriteError:
            if json_path.exists() and folder.is_dir():
                continue  # appeared meanwhile: try the next suffix
            raise
        try:
            write_atomic(csv_path, csv_data)
        except BaseException:
            with contextlib.suppress(OSError):
                json_path.unlink()
            raise
        return json_path, csv_path
    raise WriteError(f"cannot find a free name for {stem} in {short(folder)}")


# ------------------------------------------------------------------------------- diff
def diff(a: Result, b: Result) -> dict[str, Any]:
    """What differs between two results: config fields, then per layer the ratios that matter, then the
    training races when the snapshots hold them."""
    from initscope.engine.training import diff_training

    ca, cb = a.config.as_dict(), b.config.as_dict()
    config = {k: [ca[k], cb[k]] for k in ca if k != "string" and ca[k] != cb[k]}
    depth = min(a.config.n_layers, b.config.n_layers)

    def ratio(x: float, y: float) -> float | None:
        return _num(y / x) if x and math.isfinite(x) and math.isfinite(y) else None

    layers = []
    for i in range(depth):
        fa, fb = a.forward, b.forward
        layers.append(
            {
                "index": i + 1,
                "activation_std": [_num(fa.activation.std[i]), _num(fb.activation.std[i])],
                "activation_std_ratio": ratio(fa.activation.std[i], fb.activation.std[i]),
                "gradient_std": [_num(a.backward.activation_grad_std[i]), _num(b.backward.activation_grad_std[i])],
                "gradient_std_ratio": ratio(a.backward.activation_grad_std[i], b.backward.activation_grad_std[i]),
                "saturated_fraction": [_num(fa.saturated_fraction[i]), _num(fb.saturated_fraction[i])],
                "dead_fraction": [_num(fa.dead_fraction[i]), _num(fb.dead_fraction[i])],
            }
        )
    return {
        "a": {"created_utc": a.created_utc, "config": a.config.to_string()},
        "b": {"created_utc": b.created_utc, "config": b.config.to_string()},
        "config": config,
        "layers_compared": depth,
        "depths": [a.config.n_layers, b.config.n_layers],
        "layers": layers,
        "verdict": [{"kind": a.verdict.kind, "text": a.verdict.text}, {"kind": b.verdict.kind, "text": b.verdict.text}],
        "training": diff_training(a.training, b.training),
    }
