"""Snapshots: the JSON document of a Result (DESIGN §6; field names are a contract), its per-layer CSV,
and atomic writes that never overwrite what a user already has.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from initscope import __version__
from initscope.engine.result import Histogram, Result

FORMAT = "initscope.snapshot"
VERSION = 1


def _num(x: Any) -> float | int | None:
    """A JSON-safe number: non-finite values become null (the layer's nonfinite_fraction says why)."""
    if x is None:
        return None
    if isinstance(x, (bool, np.bool_)):
        return bool(x)  # type: ignore[return-value]
    if isinstance(x, (int, np.integer)):
        return int(x)
    value = float(x)
    return value if math.isfinite(value) else None


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
    f, b, w, t = r.forward, r.backward, r.weights, r.theory_layers
    layers = []
    for i, (fi, fo) in enumerate(r.config.layer_fans):
        layers.append({
            "index": i + 1,
            "fan_in": fi,
            "fan_out": fo,
            "weight": {
                "min": _num(w.summary.min[i]), "max": _num(w.summary.max[i]),
                "mean": _num(w.summary.mean[i]), "std": _num(w.summary.std[i]),
                "expected_mean": _num(w.expected_mean[i]), "expected_std": _num(w.expected_std[i]),
                "bounds": None if not math.isfinite(w.bound_low[i]) else [_num(w.bound_low[i]),
                                                                          _num(w.bound_high[i])],
                "zero_fraction": _num(w.zero_fraction[i]),
            },
            "preactivation": _summary(f.preactivation, i),
            "activation": {
                **_summary(f.activation, i),
                "saturated_fraction": _num(f.saturated_fraction[i]),
                "dead_fraction": _num(f.dead_fraction[i]),
                "dead_unit_fraction": _num(f.dead_unit_fraction[i]),
                "symmetric": bool(f.symmetric[i]),
                "histogram": _hist(f.histograms[i]),
            },
            "gradient": {
                "activation_grad_std": _num(b.activation_grad_std[i]),
                "weight_grad_norm": _num(b.weight_grad_norm[i]),
                "grad_to_weight_ratio": _num(b.grad_to_weight_ratio[i]),
                "bias_grad_norm": _num(b.bias_grad_norm[i]),
                "clipped_weight_grad_norm": None if b.clipped_weight_grad_norm is None
                else _num(b.clipped_weight_grad_norm[i]),
                "clip_scale": None if b.clip_scale is None else _num(b.clip_scale[i]),
            },
            "theory": {
                "preactivation_var": _num(t.preactivation_var[i]),
                "activation_std": _num(t.activation_std[i]),
                "saturated_fraction": _num(t.saturated_fraction[i]),
                "activation_grad_std": _num(t.activation_grad_std[i]),
            },
        })
    v, th = r.verdict, r.theory
    return {
        "format": FORMAT,
        "version": VERSION,
        "initscope_version": __version__,
        "created_utc": r.created_utc,
        "config": r.config.as_dict(),
        "run": {"layers_done": r.layers_done, "cancelled": r.cancelled, "elapsed_s": round(r.elapsed_s, 6),
                "input_std": _num(f.input_std), "input_grad_std": _num(b.input_grad_std)},
        "layers": layers,
        "verdict": {
            "kind": v.kind, "text": v.text, "severity": v.severity,
            "findings": [{"kind": x.kind, "severity": x.severity, "text": x.text, "fix": x.fix,
                          "numbers": {k: _num(n) for k, n in x.numbers.items()}} for x in v.findings],
            "first_nonfinite_layer": v.first_nonfinite_layer,
            "forward_factor": _num(v.forward_factor), "backward_factor": _num(v.backward_factor),
        },
        "theory": {
            "applicable": th.applicable, "reason": th.reason, "q_star": _num(th.q_star), "chi1": _num(th.chi1),
            "phase": th.phase, "depth_scale": _num(th.depth_scale), "trainable_depth": _num(th.trainable_depth),
            "sigma_w2": _num(th.sigma_w2), "sigma_b2": _num(th.sigma_b2),
        },
        "training": r.training,
    }


def _summary(s: Any, i: int) -> dict[str, float | int | None]:
    return {"mean": _num(s.mean[i]), "std": _num(s.std[i]), "min": _num(s.min[i]), "max": _num(s.max[i]),
            "nonfinite_fraction": _num(s.nonfinite_fraction[i])}


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


def csv_rows(r: Result) -> Iterator[list[str]]:
    """Header then one row per layer; non-finite or undefined values are empty cells."""
    yield [name for name, _ in CSV_COLUMNS]
    doc = to_document(r)
    for layer in doc["layers"]:
        w, z, a, g, t = (layer[k] for k in ("weight", "preactivation", "activation", "gradient", "theory"))
        values = [layer["index"], layer["fan_in"], layer["fan_out"], w["mean"], w["std"], w["expected_std"],
                  w["min"], w["max"], w["zero_fraction"], z["mean"], z["std"], a["mean"], a["std"], a["min"],
                  a["max"], a["nonfinite_fraction"], a["saturated_fraction"], a["dead_fraction"],
                  a["dead_unit_fraction"], g["activation_grad_std"], g["weight_grad_norm"],
                  g["grad_to_weight_ratio"], g["clipped_weight_grad_norm"], t["preactivation_var"],
                  t["activation_std"], t["saturated_fraction"], t["activation_grad_std"]]
        yield ["" if v is None else repr(v) if isinstance(v, float) else str(v) for v in values]


def csv_text(r: Result) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(csv_rows(r))
    return buffer.getvalue()


class WriteError(OSError):
    """A write failed; the message says what and where, and nothing partial was left behind."""


def write_atomic(path: Path, data: str | bytes, overwrite: bool = False) -> Path:
    """Write to a temp file in the same folder, then rename into place.

    Never overwrites an existing file unless `overwrite`; on any failure the temp file is removed,
    so the target is either absent/unchanged or complete.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.exists() and not overwrite:
        raise WriteError(f"{path} already exists; not overwriting it (choose another name or use --force)")
    if folder.exists() and not folder.is_dir():
        raise WriteError(f"cannot write {path}: {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise WriteError(f"cannot create folder {folder}: {err.strerror or err}") from None
    fd = -1
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            # link() fails if the target appeared meanwhile: never clobber a file created concurrently.
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise WriteError(f"{path} already exists; not overwriting it") from None
            except OSError:
                if path.exists():
                    raise WriteError(f"{path} already exists; not overwriting it") from None
                os.replace(tmp, path)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        tmp = ""
    except WriteError:
        raise
    except OSError as err:
        raise WriteError(f"cannot write {path}: {err.strerror or err}") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return path
