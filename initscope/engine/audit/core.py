"""The audit of one weights file: every tensor measured, placed, matched; then the file's findings.

`audit_file(path, layout="auto", activation="relu")` -> AuditReport. Tensors are read one at a time
(reading.py), so memory stays near one block of the largest tensor; only the dense layers of a chained
MLP are held together, for the signal run (signal.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from initscope.engine.audit import conventions, findings, layout
from initscope.engine.audit.findings import reference_for
from initscope.engine.audit.layout import WEIGHT_ROLES, Layout, Placement
from initscope.engine.audit.matching import Match, MatchResult, match, ratio_sentence
from initscope.engine.audit.measure import TensorStats, measure
from initscope.engine.audit.reading import TensorInfo, WeightsFile, WeightsFileError, open_weights
from initscope.engine.result import Finding, Result


@dataclass
class TensorAudit:
    info: TensorInfo
    placement: Placement
    dtype: str
    """NumPy-style name of the stored dtype (bfloat16, float32, ...)."""
    stats: TensorStats | None = None
    """None for tensors without values to measure (empty, integer, float8)."""
    result: MatchResult = field(default_factory=MatchResult)
    convention: str = ""
    """A known deliberate init (zero biases, unit norm scales, Fixup/ReZero zeros), named instead of matched."""
    skipped: str = ""
    """Why the tensor was not measured."""
    density: tuple[npt.NDArray[np.float64], str] | None = None
    """Expected counts per histogram bin under the best match, and the law's name."""

    @property
    def best(self) -> Match | None:
        return self.result.best

    def sentence(self) -> str:
        """The tensor's one-line answer: skipped, a convention, the match, or the ratio to a reference."""
        if self.skipped:
            return self.skipped
        if self.convention:
            return self.convention
        assert self.stats is not None
        if self.stats.nonfinite:
            return f"{self.stats.nan} NaN and {self.stats.inf} inf values: nothing can be matched"
        if self.best is not None:
            return self.best.sentence(self.stats)
        if self.stats.min == self.stats.max:
            return f"every value is {self.stats.min:.4g}: a constant, no random initializer"

        return ratio_sentence(self.stats, self.result.nearest)


@dataclass
class AuditReport:
    path: Path
    format: str
    layout: Layout
    """The layout used (auto resolved to torch or keras)."""
    layout_guessed: bool
    tensors: list[TensorAudit]
    findings: list[Finding]
    summary: str
    signal: Result | None = None
    signal_note: str = ""
    """Why there is no signal run, or which tensors it chained."""
    signal_layers: list[str] = field(default_factory=list)


def _dtype_name(dtype: str) -> str:
    return {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16"}.get(dtype, dtype.lower())


def audit_file(
    path: Path | str, layout_name: str = "auto", activation: str = "relu", run_signal: bool = True
) -> AuditReport:
    """Audit a weights file. Bad files raise WeightsFileError (one line)."""
    if layout_name not in layout.LAYOUTS:
        raise WeightsFileError(f"layout: {layout_name!r} is not allowed; allowed: {', '.join(layout.LAYOUTS)}")
    source = open_weights(path)
    try:
        infos = source.tensors
        if not infos:
            raise WeightsFileError(f"{source.path}: holds no tensors")
        chosen: Layout = (
            layout.guess_layout(infos) if layout_name == "auto" else ("keras" if layout_name == "keras" else "torch")
        )
        siblings = layout.sibling_weights(infos)
        audits = [_measure_one(source, t, layout.place(t, chosen, siblings)) for t in infos]
        if all(a.stats is None for a in audits):
            reasons = sorted({a.skipped for a in audits})
            raise WeightsFileError(f"{source.path}: no tensor has values initscope can audit ({'; '.join(reasons)})")
        _match_all(audits)
        conventions.name_conventions(audits)
        found = findings.find(audits, chosen)
        report = AuditReport(
            Path(source.path), source.format, chosen, layout_name == "auto", audits, found, _summary(audits)
        )
        if run_signal:
            from initscope.engine.audit.signal import run_signal as run_chain

            run_chain(report, source, activation)
        else:
            report.signal_note = "not run (--no-signal)"
    finally:
        source.close()
    _add_densities(report)
    return report


def _measure_one(source: WeightsFile, t: TensorInfo, p: Placement) -> TensorAudit:
    audit = TensorAudit(t, p, _dtype_name(t.dtype))
    if t.size == 0:
        audit.skipped = f"empty (shape {list(t.shape)}): no values"
    elif not t.is_float:
        audit.skipped = f"{audit.dtype} values: not floating point, not audited"
    else:
        axis = p.units_axis if p.role in WEIGHT_ROLES else None
        audit.stats = measure(source.blocks(t), t.shape, axis, audit.dtype)
    return audit


def _match_all(audits: list[TensorAudit]) -> None:
    for a in audits:
        p, s = a.placement, a.stats
        if s is None or p.fan_in is None or p.fan_out is None:
            continue
        a.result = match(s, p.fan_in, p.fan_out, a.dtype, elementwise_only=p.role not in WEIGHT_ROLES)
    for a in audits:  # second round: the references come from the siblings' matches
        p, s = a.placement, a.stats
        if s is not None and a.best is None and p.fan_in is not None and p.fan_out is not None:
            a.result = match(s, p.fan_in, p.fan_out, a.dtype, p.role not in WEIGHT_ROLES, reference_for(audits, p.role))


def _summary(audits: list[TensorAudit]) -> str:
    weights = [a for a in audits if a.placement.role in WEIGHT_ROLES and a.stats is not None]
    matched = [a for a in weights if a.best is not None or a.convention]
    if not weights:
        return f"{len(audits)} tensors, no dense, conv or embedding weights"
    text = f"{len(audits)} tensors; {len(matched)} of {len(weights)} weight tensors match an initializer"
    if len(matched) < 0.5 * len(weights):
        text += ": most match none, so this file is probably trained (or custom-initialized), not at init"
    return text


def _add_densities(report: AuditReport) -> None:
    from initscope.engine.density import expected_counts

    for a in report.tensors:
        h = a.stats.histogram if a.stats is not None else None
        if a.best is None or h is None or h.total == 0 or h.collapsed:
            continue
        a.density = expected_counts(a.best.candidate.law, np.asarray(h.edges, dtype=np.float64), h.total)
