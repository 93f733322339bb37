"""The audit as a document (JSON, schema in docs/audit.md), CSV (one row per tensor) and a text table."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from initscope import __version__
from initscope.engine.audit import AuditReport, TensorAudit
from initscope.engine.jsonsafe import json_safe
from initscope.engine.result import Histogram

FORMAT = "initscope.audit"
VERSION = 1
CSV_COLUMNS = (
    "name",
    "shape",
    "dtype",
    "role",
    "fan_in",
    "fan_out",
    "count",
    "min",
    "max",
    "mean",
    "std",
    "excess_kurtosis",
    "zero_fraction",
    "nan",
    "inf",
    "units",
    "duplicate_units",
    "orthonormal",
    "match",
    "expected_std",
    "family",
    "convention",
    "verdict",
)


def _hist(h: Histogram) -> dict[str, Any]:
    return {
        "edges": json_safe(h.edges),
        "counts": [int(c) for c in h.counts],
        "total": h.total,
        "nonfinite": h.nonfinite,
        "collapsed": h.collapsed,
        "note": h.note,
    }


def tensor_document(a: TensorAudit) -> dict[str, Any]:
    p, s = a.placement, a.stats
    doc: dict[str, Any] = {
        "name": a.info.name,
        "shape": list(a.info.shape),
        "dtype": a.dtype,
        "role": p.role,
        "fan_in": p.fan_in,
        "fan_out": p.fan_out,
        "receptive_field": p.receptive_field,
        "verdict": a.sentence(),
        "convention": a.convention or None,
        "skipped": a.skipped or None,
        "statistics": None,
        "matches": [],
        "histogram": None,
        "density": None,
    }
    if s is not None:
        doc["statistics"] = json_safe(
            {
                "count": s.count,
                "nan": s.nan,
                "inf": s.inf,
                "zero_fraction": s.zero_fraction,
                "min": s.min,
                "max": s.max,
                "mean": s.mean,
                "std": s.std,
                "excess_kurtosis": s.kurtosis,
                "units": s.units,
                "duplicate_units": s.duplicate_units,
                "orthonormal": s.orthonormal,
            }
        )
        doc["histogram"] = _hist(s.histogram)
    for m in a.result.matches:
        c = m.candidate
        doc["matches"].append(
            json_safe(
                {
                    "initializer": c.name,
                    "same_law": list(c.names[1:]),
                    "family": c.family,
                    "expected_mean": c.expected.mean,
                    "expected_std": c.expected.std,
                    "bounds": list(c.expected.bounds) if c.expected.bounds is not None else None,
                    "score": m.score,
                }
            )
        )
    if a.best is None and a.result.nearest is not None:
        doc["nearest"] = json_safe(
            {"initializer": a.result.nearest.name, "expected_std": a.result.nearest.expected.std}
        )
    if a.density is not None:
        counts, law = a.density
        doc["density"] = {"law": law, "counts": json_safe(counts)}
    return doc


def to_document(r: AuditReport) -> dict[str, Any]:
    from initscope import snapshot

    return {
        "format": FORMAT,
        "version": VERSION,
        "initscope_version": __version__,
        "file": str(r.path),
        "file_format": r.format,
        "layout": r.layout,
        "layout_source": "guessed" if r.layout_guessed else "given",
        "summary": r.summary,
        "tensors": [tensor_document(a) for a in r.tensors],
        "findings": [
            {
                "kind": f.kind,
                "severity": f.severity,
                "text": f.text,
                "fix": f.fix or None,
                "numbers": json_safe(f.numbers),
            }
            for f in r.findings
        ],
        "signal": {
            "note": r.signal_note,
            "layers": r.signal_layers,
            "run": snapshot.to_document(r.signal) if r.signal is not None else None,
        },
    }


def dumps(r: AuditReport) -> str:
    return json.dumps(to_document(r), indent=1, allow_nan=False) + "\n"


def csv_text(r: AuditReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for a in r.tensors:
        s, best = a.stats, a.best
        stats_cells: list[object] = [""] * 12
        if s is not None:
            stats_cells = [
                s.count,
                s.min,
                s.max,
                s.mean,
                s.std,
                s.kurtosis,
                s.zero_fraction,
                s.nan,
                s.inf,
                s.units,
                s.duplicate_units,
                s.orthonormal or "",
            ]
        writer.writerow(
            [
                a.info.name,
                "x".join(map(str, a.info.shape)),
                a.dtype,
                a.placement.role,
                _cell(a.placement.fan_in),
                _cell(a.placement.fan_out),
                *map(_cell, stats_cells),
                best.candidate.name if best else "",
                _cell(best.candidate.expected.std) if best else "",
                best.candidate.family if best else "",
                a.convention,
                a.sentence(),
            ]
        )
    return buffer.getvalue()


def _cell(x: object) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        return f"{x:.6g}" if math.isfinite(x) else ""
    return str(x)


def _g(x: float | None, digits: int = 4) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.{digits}g}"


def table(r: AuditReport) -> str:
    from initscope import report

    how = "guessed from names and shapes" if r.layout_guessed else "as given"
    lines = [f"initscope audit  {r.path.name}  ({r.format}, {r.layout} layout, {how})", r.summary, ""]
    width = max([len(a.info.name) for a in r.tensors] + [6])
    lines.append(
        f"{'tensor':<{width}}  {'shape':<16} {'dtype':<8} {'role':<12} {'fans':>11} {'std':>9} {'kurt':>6}  verdict"
    )
    for a in r.tensors:
        p, s = a.placement, a.stats
        fans = f"{p.fan_in}>{p.fan_out}" if p.fan_in is not None else "-"
        shape = "x".join(map(str, a.info.shape)) or "scalar"
        lines.append(
            f"{a.info.name:<{width}}  {shape:<16} {a.dtype:<8} {p.role:<12} {fans:>11} "
            f"{_g(s.std if s else None):>9} {_g(s.kurtosis if s else None, 3):>6}  {a.sentence()}"
        )
    lines.append("")
    if r.findings:
        lines.append("findings")
        for f in r.findings:
            lines.append(f"  [{f.severity}] {f.text}" + (f" (fix: {f.fix})" if f.fix else ""))
    else:
        lines.append("findings  none")
    lines.append("")
    lines.append(f"signal  {r.signal_note}")
    if r.signal is not None:
        lines.append(report.table(r.signal).rstrip("\n"))
    return "\n".join(lines) + "\n"
