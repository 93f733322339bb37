"""The Audit tab: a weights file's tensors in a sortable table, and the selected tensor's histogram against
the density of the initializer it matched. Everything drawn comes from the engine's AuditReport (histograms
and expected counts included); this module only lays it out.

`initscope audit FILE --open` calls `open_audit(report, args)`.
"""

from __future__ import annotations

import argparse
import math
from typing import Any, ClassVar

import numpy as np
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import DataTable

from initscope.engine.audit import AuditReport, TensorAudit
from initscope.tui.figures import count_scale, histogram_figure
from initscope.tui.plots import Legend, Line, log10_series
from initscope.tui.state import ViewState
from initscope.tui.tabs.base import PlotCard, TabView
from initscope.tui.text import Paragraph

COLUMNS = (
    ("tensor", "name"),
    ("shape", "size"),
    ("role", "role"),
    ("std", "std"),
    ("verdict", "verdict"),
    ("fans", "fan_in"),
    ("kurt", "kurtosis"),
    ("dtype", "dtype"),
)
"""(column label, what it sorts by). The verdict comes before the details so that 80 columns show its start."""


def _sort_key(a: TensorAudit, by: str) -> tuple[int, Any]:
    """Missing values sort last; numbers as numbers."""
    s = a.stats
    value: Any = {
        "name": a.info.name,
        "size": a.info.size,
        "dtype": a.dtype,
        "role": a.placement.role,
        "fan_in": a.placement.fan_in,
        "verdict": a.sentence(),
        "std": s.std if s else None,
        "kurtosis": s.kurtosis if s else None,
    }[by]
    missing = value is None or (isinstance(value, float) and not math.isfinite(value))
    return (1, 0) if missing else (0, value)


def _escaped(text: str) -> str:
    """`text` shown as is inside Content markup (a tensor name or a sentence may hold brackets)."""
    return text.replace("[", r"\[")


def _num(x: float | None) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.4g}"


class AuditTab(TabView):
    NAME = "audit"
    DEFAULT_CSS = """
    AuditTab #audit-summary { height: auto; max-height: 2; padding: 0 1; }
    AuditTab DataTable { height: auto; max-height: 35%; }
    AuditTab #audit-hist { height: 1fr; min-height: 8; }
    AuditTab #audit-findings { height: auto; max-height: 4; padding: 0 1; }
    """
    VIEWS: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, report: AuditReport, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.report = report
        self.order = list(range(len(report.tensors)))
        self.sorted_by: tuple[str, bool] | None = None
        self.selected = 0

    def compose(self) -> ComposeResult:
        yield Paragraph("", max_lines=2, id="audit-summary")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="audit-table")
        yield PlotCard("histogram", id="audit-hist")
        yield Paragraph("", max_lines=4, id="audit-findings")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        self._describe()

    def set_report(self, report: AuditReport) -> None:
        """Show another file's audit (the open dialog, `o`), in file order from its first tensor."""
        self.report = report
        self.order = list(range(len(report.tensors)))
        self.sorted_by = None
        self.selected = 0
        self._describe()
        self.draw_selected()

    def _describe(self) -> None:
        r = self.report
        how = "guessed" if r.layout_guessed else "given"
        self.query_one("#audit-summary", Paragraph).set(
            Content.from_markup(
                "[b]$file[/b] ($fmt, $layout layout, $how) · $summary  "
                "[dim]click a header to sort · g: log counts[/dim]",
                file=r.path.name,
                fmt=r.format,
                layout=r.layout,
                how=how,
                summary=r.summary,
            )
        )
        self._fill()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for i in self.order:
            a = self.report.tensors[i]
            p, s = a.placement, a.stats
            fans = f"{p.fan_in}>{p.fan_out}" if p.fan_in is not None else "-"
            table.add_row(
                a.info.name,
                "x".join(map(str, a.info.shape)) or "scalar",
                p.role,
                _num(s.std if s else None),
                a.sentence(),
                fans,
                _num(s.kurtosis if s else None),
                a.dtype,
                key=str(i),
            )
        if self.selected in self.order:
            table.move_cursor(row=self.order.index(self.selected))

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        by = str(event.column_key.value)
        reverse = self.sorted_by == (by, False)
        self.sorted_by = (by, reverse)
        ranked = sorted(self.order, key=lambda i: _sort_key(self.report.tensors[i], by))
        present = [i for i in ranked if _sort_key(self.report.tensors[i], by)[0] == 0]
        self.order = (present[::-1] if reverse else present) + [i for i in ranked if i not in present]
        self._fill()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.selected = int(event.row_key.value)
            self.draw_selected()

    def show(self, state: ViewState) -> None:
        """The audit does not follow the explorer's run: keep the colours, draw the selection."""
        self.shown_state = state
        self.draw_selected()

    def draw(self, state: ViewState) -> None:
        self.draw_selected()

    def draw_selected(self) -> None:
        state = self.shown_state
        if state is None or not self.report.tensors:
            return
        a = self.report.tensors[self.selected]
        card = self.query_one("#audit-hist", PlotCard)
        title = f"[b]{_escaped(a.info.name)}[/b] {a.placement.role} · {_escaped(a.sentence())}"
        if a.stats is None:
            card.show(title, None)
        else:
            h = a.stats.histogram
            fig, notes = histogram_figure(h, state.palette.measured, "value", self.log_counts)
            fig.legend.append(Legend("values", state.palette.measured))
            if fig.bars and a.density is not None:
                counts, law = a.density
                expected = np.asarray(counts, dtype=np.float64)
                y = log10_series(expected)[0] if self.log_counts else expected
                fig.lines.append(Line(fig.bars[0].centers, y, state.palette.theory))
                fig.legend.append(Legend(f"{a.best.candidate.name if a.best else ''} {law}", state.palette.theory, "━"))
            extra = "".join(f" · {note}" for note in notes)
            card.show(f"{title}  [dim]{count_scale(self.log_counts)}{_escaped(extra)}[/dim]", fig)
        self.query_one("#audit-findings", Paragraph).set(self._findings_text(a))

    def _findings_text(self, a: TensorAudit) -> Content:
        """The selected tensor's findings, how many other tensors have some, and what the signal run found.
        Assembled, not markup: findings quote shapes in brackets."""
        mine = [f for f in self.report.findings if f.text.startswith(a.info.name + ":")]
        others = len(self.report.findings) - len(mine)
        parts: list[str | tuple[str, str]] = []
        for f in mine:
            parts += [(f.severity, "red" if f.severity == "error" else "yellow"), f" {f.text}\n"]
        if others:
            parts.append((f"{others} finding(s) on other tensors (`initscope audit FILE` lists them all)\n", "dim"))
        signal = self.report.signal
        verdict = f" · {signal.verdict.text}" if signal else ""
        parts.append((f"signal (2 Forward, 3 Backward): {self.report.signal_note}{verdict}", "dim"))
        return Content.assemble(*parts)


def open_audit(report: AuditReport, args: argparse.Namespace) -> int:
    """Run the explorer with an Audit tab; the file's MLP (when it has one) is the shown run."""
    from initscope.blas import limit_blas_threads
    from initscope.tui.app import InitScopeApp

    limit_blas_threads()
    app = InitScopeApp(export_dir=getattr(args, "export_dir", None) or "initscope-snapshots", audit=report)
    app.run()
    return int(app.return_code or 0)
