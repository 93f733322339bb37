"""Reading snapshots back: a file or a parsed document, validated before any use, rebuilt into a Result."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from initscope import jsoncheck, schema, snapshot_branch
from initscope.engine.kinds import FindingKind, Phase, Severity
from initscope.engine.result import (
    BackwardStats,
    Finding,
    ForwardStats,
    Histogram,
    Result,
    Summary,
    TheoryLayers,
    TheorySummary,
    Verdict,
    WeightStats,
)
from initscope.jsoncheck import SnapshotError

Layers = list[dict[str, Any]]
"""The document's `layers`, checked by `schema.check_snapshot`."""


def list_snapshots(folder: Path | str) -> list[tuple[Path, str, str]]:
    """(path, created_utc, config string) of the readable snapshots in `folder`, newest first.

    Reads through the same bounded reader as `read` (a FIFO or a huge file named *.json is skipped)."""
    out: list[tuple[Path, str, str]] = []
    folder = Path(folder)
    if not folder.is_dir():
        return out
    for path in folder.glob("*.json"):
        try:
            doc = jsoncheck.load(path)
        except SnapshotError:
            continue
        if isinstance(doc, dict) and doc.get("format") == schema.SNAPSHOT_FORMAT:
            config = doc.get("config")
            line = config.get("string", "") if isinstance(config, dict) else ""
            out.append(
                (
                    path,
                    jsoncheck.shown(doc.get("created_utc", ""), 40).strip("'"),
                    jsoncheck.shown(line, 200).strip("'"),
                )
            )
    out.sort(key=lambda item: (item[1], item[0].name), reverse=True)
    return out


def read(path: Path | str) -> Result:
    """Read and validate a snapshot file back into a Result that shows exactly what was exported.

    Every failure (missing, not a regular file, too large, not JSON, a field of the wrong type or range)
    is a SnapshotError naming the file and, for a field, its JSON path."""
    path = Path(path)
    return from_document(jsoncheck.load(path), str(path))


def from_document(doc: Any, source: str = "snapshot") -> Result:
    """Validate a parsed document (every field, before any use) and rebuild the Result."""
    try:
        cfg = schema.check_snapshot(doc)
    except SnapshotError as err:
        raise SnapshotError(f"{source}: {err}") from None
    return _rebuild(doc, cfg)


def _f(x: Any) -> float:
    """A checked JSON number as a float; null (non-finite or undefined) is NaN."""
    return math.nan if x is None else float(x)


def _hist_of(block: dict[str, Any]) -> Histogram:
    h = block.get("histogram")
    if h is None:
        return Histogram(np.zeros(0), np.zeros(0, dtype=np.int64), 0, collapsed="not in this snapshot")
    counts = h["counts"]
    return Histogram(
        np.array([_f(e) for e in h["edges"]], dtype=np.float64),
        np.array(counts, dtype=np.int64),
        h.get("total", sum(counts)),
        h.get("nonfinite", 0),
        h.get("collapsed"),
        tuple(h.get("outside", (0, 0))),
        h.get("note"),
    )


def _column(layers: Layers, part: str, key: str) -> npt.NDArray[np.float64]:
    """One number of every layer's `part` block as an array (null and absent are NaN)."""
    return np.array([_f(layer[part].get(key)) for layer in layers], dtype=np.float64)


def _summary(layers: Layers, part: str) -> Summary:
    return Summary(*(_column(layers, part, k) for k in ("mean", "std", "min", "max", "nonfinite_fraction")))


def _histograms(layers: Layers, part: str) -> list[Histogram]:
    return [_hist_of(layer[part]) for layer in layers]


def _weights(layers: Layers) -> WeightStats:
    bounds = [layer["weight"].get("bounds") or (None, None) for layer in layers]
    return WeightStats(
        _summary(layers, "weight"),
        _column(layers, "weight", "expected_mean"),
        _column(layers, "weight", "expected_std"),
        np.array([_f(b[0]) for b in bounds]),
        np.array([_f(b[1]) for b in bounds]),
        _column(layers, "weight", "zero_fraction"),
        _histograms(layers, "weight"),
    )


def _forward(layers: Layers, run_info: dict[str, Any]) -> ForwardStats:
    return ForwardStats(
        _summary(layers, "preactivation"),
        _summary(layers, "activation"),
        _column(layers, "activation", "saturated_fraction"),
        _column(layers, "activation", "dead_fraction"),
        _column(layers, "activation", "dead_unit_fraction"),
        np.array([layer["activation"].get("symmetric", False) for layer in layers], dtype=bool),
        _histograms(layers, "activation"),
        input_std=_f(run_info.get("input_std")),
    )


def _backward(layers: Layers, run_info: dict[str, Any], has_clip: bool) -> BackwardStats:
    return BackwardStats(
        _column(layers, "gradient", "activation_grad_std"),
        _column(layers, "gradient", "weight_grad_norm"),
        _column(layers, "gradient", "grad_to_weight_ratio"),
        _column(layers, "gradient", "bias_grad_norm"),
        _column(layers, "gradient", "clipped_weight_grad_norm") if has_clip else None,
        _column(layers, "gradient", "clip_scale") if has_clip else None,
        _histograms(layers, "gradient"),
        input_grad_std=_f(run_info.get("input_grad_std")),
    )


def _theory_layers(layers: Layers) -> TheoryLayers:
    return TheoryLayers(
        _column(layers, "theory", "preactivation_var"),
        _column(layers, "theory", "activation_std"),
        _column(layers, "theory", "saturated_fraction"),
        _column(layers, "theory", "activation_grad_std"),
    )


def _theory_summary(th: dict[str, Any]) -> TheorySummary:
    return TheorySummary(
        th.get("applicable", False),
        th.get("reason", ""),
        _f(th.get("q_star")),
        _f(th.get("chi1")),
        Phase(th.get("phase", "")),
        _f(th.get("depth_scale")),
        _f(th.get("trainable_depth")),
        _f(th.get("sigma_w2")),
        _f(th.get("sigma_b2")),
        depth_note=th.get("depth_note", ""),
    )


def _verdict(v: dict[str, Any]) -> Verdict:
    findings = [
        Finding(
            f.get("kind", ""),
            Severity(f.get("severity", Severity.INFO)),
            f["text"],
            f.get("fix", ""),
            dict(f.get("numbers", {})),
        )
        for f in v.get("findings", [])
    ]
    return Verdict(
        FindingKind(v["kind"]),
        v["text"],
        findings,
        v.get("first_nonfinite_layer"),
        _f(v.get("forward_factor")),
        _f(v.get("backward_factor")),
        v.get("fix"),
    )


def _rebuild(doc: dict[str, Any], cfg: Any) -> Result:
    """The Result of a document that passed `schema.check_snapshot` (so every field has its type)."""
    layers = doc["layers"]
    run_info = doc.get("run", {})
    return Result(
        cfg,
        _weights(layers),
        _forward(layers, run_info),
        _backward(layers, run_info, has_clip=cfg.clip is not None),
        _theory_layers(layers),
        _theory_summary(doc["theory"]),
        _verdict(doc["verdict"]),
        run_info.get("layers_done", len(layers)),
        run_info.get("cancelled", False),
        _f(run_info.get("elapsed_s", 0.0)),
        doc.get("created_utc", ""),
        doc.get("training"),
        branch=snapshot_branch.from_layers(layers, cfg.branch_depth) if cfg.residual else None,
    )
