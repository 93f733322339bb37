"""Snapshots: the JSON document of a Result (docs/snapshots.md; field names are a contract), its per-layer CSV,
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
import numpy.typing as npt

from initscope import __version__, snapshot_branch
from initscope.engine.jsonsafe import json_safe
from initscope.engine.result import Histogram, Result

FORMAT = "initscope.snapshot"
VERSION = 2
"""2: residual blocks and norms (config fields, `layers[i].branch`, theory.depth_note); 1 still reads."""


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
    f, b, w, t = r.forward, r.backward, r.weights, r.theory_layers
    layers = []
    for i, (fi, fo) in enumerate(r.config.layer_fans):
        layers.append({
            "index": i + 1,
            "fan_in": fi,
            "fan_out": fo,
            "weight": {
                "histogram": _hist(w.histograms[i]),
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
                "histogram": _hist(b.histograms[i]),
            },
            "theory": {
                "preactivation_var": _num(t.preactivation_var[i]),
                "activation_std": _num(t.activation_std[i]),
                "saturated_fraction": _num(t.saturated_fraction[i]),
                "activation_grad_std": _num(t.activation_grad_std[i]),
            },
        })
        if r.branch is not None:
            layers[-1]["branch"] = snapshot_branch.to_document(r.branch, i)
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
            "fix": v.fix,
        },
        "theory": {
            "applicable": th.applicable, "reason": th.reason, "q_star": _num(th.q_star), "chi1": _num(th.chi1),
            "phase": th.phase, "depth_scale": _num(th.depth_scale), "trainable_depth": _num(th.trainable_depth),
            "sigma_w2": _num(th.sigma_w2), "sigma_b2": _num(th.sigma_b2), "depth_note": th.depth_note,
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
    raise WriteError(f"cannot find a free name for {stem} in {folder}")


# ------------------------------------------------------------------------------- reading
class SnapshotError(ValueError):
    """A snapshot file cannot be read; the message names the file and the problem in one line."""


def list_snapshots(folder: Path | str) -> list[tuple[Path, str, str]]:
    """(path, created_utc, config string) of the readable snapshots in `folder`, newest first."""
    out: list[tuple[Path, str, str]] = []
    folder = Path(folder)
    if not folder.is_dir():
        return out
    for path in folder.glob("*.json"):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and doc.get("format") == FORMAT:
            config = doc.get("config")
            line = config.get("string", "") if isinstance(config, dict) else ""
            out.append((path, str(doc.get("created_utc", "")), str(line)))
    out.sort(key=lambda item: (item[1], item[0].stat().st_mtime), reverse=True)
    return out


class _Reader:
    """Walks the document, naming the path of the first field that is missing or of the wrong type."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> SnapshotError:
        return SnapshotError(f"{self.source}: {where}: {problem}")

    def obj(self, parent: dict[str, Any], key: str, where: str) -> dict[str, Any]:
        value = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(value, dict):
            raise self.fail(f"{where}.{key}" if where else key,
                            "missing" if key not in parent else f"expected an object, got {_kind(value)}")
        return value

    def num(self, parent: dict[str, Any], key: str, where: str, optional: bool = False) -> float:
        if key not in parent:
            if optional:
                return math.nan
            raise self.fail(f"{where}.{key}", "missing")
        value = parent[key]
        if value is None:
            return math.nan
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{where}.{key}", f"expected a number or null, got {_kind(value)}")
        return float(value)

    def hist(self, parent: dict[str, Any], key: str, where: str) -> Histogram:
        if key not in parent:
            return Histogram(np.zeros(0), np.zeros(0, dtype=np.int64), 0, collapsed="not in this snapshot")
        h = self.obj(parent, key, where)
        here = f"{where}.{key}"
        edges, counts = h.get("edges"), h.get("counts")
        if not isinstance(edges, list) or not isinstance(counts, list):
            raise self.fail(here, "expected lists 'edges' and 'counts'")
        if any(isinstance(c, bool) or not isinstance(c, int) for c in counts):
            raise self.fail(f"{here}.counts", "expected whole numbers")
        if any(e is not None and (isinstance(e, bool) or not isinstance(e, (int, float))) for e in edges):
            raise self.fail(f"{here}.edges", "expected numbers")
        if counts and len(edges) != len(counts) + 1:
            raise self.fail(here, f"{len(edges)} edges for {len(counts)} counts (expected counts + 1)")
        outside = h.get("outside", [0, 0])
        return Histogram(
            np.array([math.nan if e is None else float(e) for e in edges], dtype=np.float64),
            np.array(counts, dtype=np.int64), int(h.get("total", sum(counts)) or 0),
            int(h.get("nonfinite", 0) or 0), h.get("collapsed"),
            (int(outside[0]), int(outside[1])) if isinstance(outside, list) and len(outside) == 2 else (0, 0),
            h.get("note"),
        )


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), type(value).__name__)


def read(path: Path | str) -> Result:
    """Read and validate a snapshot file back into a Result that shows exactly what was exported."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SnapshotError(f"{path}: is a folder, not a snapshot file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SnapshotError(f"{path}: cannot read it ({getattr(err, 'strerror', None) or err})") from None
    try:
        doc = json.loads(text)
    except ValueError as err:
        raise SnapshotError(f"{path}: not JSON ({err})") from None
    return from_document(doc, str(path))


def from_document(doc: Any, source: str = "snapshot") -> Result:
    """Validate a parsed document and rebuild the Result."""
    from initscope.engine.config import Config
    from initscope.engine.errors import ConfigError
    from initscope.engine.result import (
        BackwardStats,
        Finding,
        ForwardStats,
        Summary,
        TheoryLayers,
        TheorySummary,
        Verdict,
        WeightStats,
    )

    rd = _Reader(source)
    if not isinstance(doc, dict):
        raise rd.fail("document", f"expected a JSON object, got {_kind(doc)}")
    if doc.get("format") != FORMAT:
        raise rd.fail("format", f"expected {FORMAT!r}, got {doc.get('format')!r}: not an initscope snapshot")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise rd.fail("version", f"expected a whole number, got {_kind(version)}")
    if version > VERSION:
        raise rd.fail("version", f"{version} is newer than this initscope reads ({VERSION}); upgrade initscope")
    config = rd.obj(doc, "config", "")
    line = config.get("string")
    if not isinstance(line, str):
        raise rd.fail("config.string", "missing" if "string" not in config else "expected a string")
    try:
        cfg = Config.from_string(line)
    except ConfigError as err:
        if err.field != "input":
            raise rd.fail("config.string", str(err)) from None
        # The input file is gone or changed: keep the numbers, show the generated input in the config.
        cfg = Config.from_string(line.replace(f"input={config.get('input')}", "input=normal"))
    layers = doc.get("layers")
    if not isinstance(layers, list):
        raise rd.fail("layers", "missing" if "layers" not in doc else f"expected a list, got {_kind(layers)}")
    depth = cfg.n_layers
    if len(layers) != depth:
        raise rd.fail("layers", f"{len(layers)} layers for a config of depth {depth}")

    def col() -> npt.NDArray[np.float64]:
        return np.full(depth, np.nan)

    wsum, zsum, asum = Summary.empty(depth), Summary.empty(depth), Summary.empty(depth)
    w_exp_mean, w_exp_std, b_lo, b_hi, zero = col(), col(), col(), col(), col()
    sat, dead, dead_units = col(), col(), col()
    symmetric = np.zeros(depth, dtype=bool)
    gstd, wgrad, ratio, bgrad, clipped, scale = col(), col(), col(), col(), col(), col()
    t_q, t_std, t_sat, t_g = col(), col(), col(), col()
    w_h, a_h, g_h = [], [], []
    for i, layer in enumerate(layers):
        where = f"layers[{i}]"
        if not isinstance(layer, dict):
            raise rd.fail(where, f"expected an object, got {_kind(layer)}")
        w = rd.obj(layer, "weight", where)
        z = rd.obj(layer, "preactivation", where)
        a = rd.obj(layer, "activation", where)
        g = rd.obj(layer, "gradient", where)
        t = rd.obj(layer, "theory", where)
        for summary, block, name in ((wsum, w, "weight"), (zsum, z, "preactivation"), (asum, a, "activation")):
            here = f"{where}.{name}"
            summary.mean[i] = rd.num(block, "mean", here)
            summary.std[i] = rd.num(block, "std", here)
            summary.min[i] = rd.num(block, "min", here)
            summary.max[i] = rd.num(block, "max", here)
            summary.nonfinite_fraction[i] = rd.num(block, "nonfinite_fraction", here, optional=True)
        w_exp_mean[i] = rd.num(w, "expected_mean", f"{where}.weight", optional=True)
        w_exp_std[i] = rd.num(w, "expected_std", f"{where}.weight")
        bounds = w.get("bounds")
        if isinstance(bounds, list) and len(bounds) == 2:
            b_lo[i], b_hi[i] = (math.nan if x is None else float(x) for x in bounds)
        zero[i] = rd.num(w, "zero_fraction", f"{where}.weight")
        sat[i] = rd.num(a, "saturated_fraction", f"{where}.activation")
        dead[i] = rd.num(a, "dead_fraction", f"{where}.activation")
        dead_units[i] = rd.num(a, "dead_unit_fraction", f"{where}.activation", optional=True)
        symmetric[i] = bool(a.get("symmetric", False))
        gstd[i] = rd.num(g, "activation_grad_std", f"{where}.gradient")
        wgrad[i] = rd.num(g, "weight_grad_norm", f"{where}.gradient")
        ratio[i] = rd.num(g, "grad_to_weight_ratio", f"{where}.gradient")
        bgrad[i] = rd.num(g, "bias_grad_norm", f"{where}.gradient", optional=True)
        clipped[i] = rd.num(g, "clipped_weight_grad_norm", f"{where}.gradient", optional=True)
        scale[i] = rd.num(g, "clip_scale", f"{where}.gradient", optional=True)
        t_q[i] = rd.num(t, "preactivation_var", f"{where}.theory")
        t_std[i] = rd.num(t, "activation_std", f"{where}.theory")
        t_sat[i] = rd.num(t, "saturated_fraction", f"{where}.theory")
        t_g[i] = rd.num(t, "activation_grad_std", f"{where}.theory", optional=True)
        w_h.append(rd.hist(w, "histogram", f"{where}.weight"))
        a_h.append(rd.hist(a, "histogram", f"{where}.activation"))
        g_h.append(rd.hist(g, "histogram", f"{where}.gradient"))

    v = rd.obj(doc, "verdict", "")
    kind, vtext = v.get("kind"), v.get("text")
    if not isinstance(kind, str) or not isinstance(vtext, str):
        raise rd.fail("verdict", "expected strings 'kind' and 'text'")
    raw_findings = v.get("findings", [])
    if not isinstance(raw_findings, list):
        raise rd.fail("verdict.findings", f"expected a list, got {_kind(raw_findings)}")
    findings = []
    for j, item in enumerate(raw_findings):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise rd.fail(f"verdict.findings[{j}]", "expected an object with a 'text'")
        raw_numbers = item.get("numbers")
        numbers: dict[str, Any] = raw_numbers if isinstance(raw_numbers, dict) else {}
        findings.append(Finding(str(item.get("kind", "")), str(item.get("severity", "info")), item["text"],
                                str(item.get("fix", "")), dict(numbers)))
    first_bad = v.get("first_nonfinite_layer")
    if first_bad is not None and (isinstance(first_bad, bool) or not isinstance(first_bad, int)):
        raise rd.fail("verdict.first_nonfinite_layer", f"expected a whole number or null, got {_kind(first_bad)}")
    fix = v.get("fix")
    if fix is not None and not (isinstance(fix, dict) and isinstance(fix.get("text"), str)):
        raise rd.fail("verdict.fix", f"expected null or an object with a 'text', got {_kind(fix)}")
    verdict = Verdict(kind, vtext, findings, first_bad, rd.num(v, "forward_factor", "verdict", optional=True),
                      rd.num(v, "backward_factor", "verdict", optional=True), fix)
    th = rd.obj(doc, "theory", "")
    theory = TheorySummary(
        bool(th.get("applicable", False)), str(th.get("reason", "")), rd.num(th, "q_star", "theory", True),
        rd.num(th, "chi1", "theory", True), str(th.get("phase", "") or ""),
        rd.num(th, "depth_scale", "theory", True), rd.num(th, "trainable_depth", "theory", True),
        rd.num(th, "sigma_w2", "theory", True), rd.num(th, "sigma_b2", "theory", True),
        depth_note=str(th.get("depth_note", "") or ""),
    )
    branch = None
    if cfg.residual:
        try:
            branch = snapshot_branch.from_layers(layers, cfg.branch_depth)
        except snapshot_branch.BranchError as err:
            raise rd.fail(err.where, str(err).split(": ", 1)[1]) from None
    raw_run = doc.get("run")
    run_info: dict[str, Any] = raw_run if isinstance(raw_run, dict) else {}
    has_clip = cfg.clip is not None
    result = Result(
        cfg,
        WeightStats(wsum, w_exp_mean, w_exp_std, b_lo, b_hi, zero, w_h),
        ForwardStats(zsum, asum, sat, dead, dead_units, symmetric, a_h,
                     input_std=rd.num(run_info, "input_std", "run", True)),
        BackwardStats(gstd, wgrad, ratio, bgrad, clipped if has_clip else None, scale if has_clip else None, g_h,
                      input_grad_std=rd.num(run_info, "input_grad_std", "run", True)),
        TheoryLayers(t_q, t_std, t_sat, t_g),
        theory,
        verdict,
        int(run_info.get("layers_done", depth) or 0),
        bool(run_info.get("cancelled", False)),
        float(run_info.get("elapsed_s", 0.0) or 0.0),
        str(doc.get("created_utc", "")),
        doc.get("training") if isinstance(doc.get("training"), dict) else None,
        branch=branch,
    )
    return result


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
        layers.append({
            "index": i + 1,
            "activation_std": [_num(fa.activation.std[i]), _num(fb.activation.std[i])],
            "activation_std_ratio": ratio(fa.activation.std[i], fb.activation.std[i]),
            "gradient_std": [_num(a.backward.activation_grad_std[i]), _num(b.backward.activation_grad_std[i])],
            "gradient_std_ratio": ratio(a.backward.activation_grad_std[i], b.backward.activation_grad_std[i]),
            "saturated_fraction": [_num(fa.saturated_fraction[i]), _num(fb.saturated_fraction[i])],
            "dead_fraction": [_num(fa.dead_fraction[i]), _num(fb.dead_fraction[i])],
        })
    return {
        "a": {"created_utc": a.created_utc, "config": a.config.to_string()},
        "b": {"created_utc": b.created_utc, "config": b.config.to_string()},
        "config": config,
        "layers_compared": depth,
        "depths": [a.config.n_layers, b.config.n_layers],
        "layers": layers,
        "verdict": [{"kind": a.verdict.kind, "text": a.verdict.text},
                    {"kind": b.verdict.kind, "text": b.verdict.text}],
        "training": diff_training(a.training, b.training),
    }
