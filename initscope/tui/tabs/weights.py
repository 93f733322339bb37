"""The Weights tab: the selected layer's weight histogram against the initializer's expected density."""

from __future__ import annotations

import math

import numpy as np
from textual.app import ComposeResult
from textual.content import Content

from initscope.engine.density import layer_expected_counts
from initscope.tui.figures import count_scale, histogram_figure
from initscope.tui.plots import Legend, Line, log10_series
from initscope.tui.state import ViewState
from initscope.tui.summary import num
from initscope.tui.tabs.base import PlotCard, TabView
from initscope.tui.text import Paragraph


class WeightsTab(TabView):
    NAME = "weights"

    def compose(self) -> ComposeResult:
        yield PlotCard("weights", id="weights-hist")
        yield Paragraph("", max_lines=2, id="weights-note", classes="note")

    def view_key(self) -> object:
        return self.log_counts

    def draw(self, state: ViewState) -> None:
        r = state.result
        card = self.query_one("#weights-hist", PlotCard)
        note = self.query_one("#weights-note", Paragraph)
        if r is None:
            card.show("weights", None)
            return
        layer = max(1, min(state.layer, r.depth))
        i = layer - 1
        h = r.weights.histograms[i]
        fi, fo = r.config.layer_fans[i]
        fig, notes = histogram_figure(h, state.palette.measured, "weight value", self.log_counts)
        fig.legend.append(Legend("measured", state.palette.measured))
        if fig.bars:
            expected = layer_expected_counts(r.config, layer, np.asarray(h.edges), h.total)
            if expected is not None:
                counts, law = expected
                centers = fig.bars[0].centers
                y = log10_series(counts)[0] if self.log_counts else counts.astype(np.float64)
                fig.lines.append(Line(centers, y, state.palette.theory))
                fig.legend.append(Legend(f"expected {law}", state.palette.theory, "━"))
            lo, hi = r.weights.bound_low[i], r.weights.bound_high[i]
            if math.isfinite(lo) and math.isfinite(hi) and hi > lo:
                fig.vlines += [(float(lo), state.palette.warning), (float(hi), state.palette.warning)]
                fig.legend.append(
                    Legend(
                        f"bounds ±{num(max(abs(lo), abs(hi)))}" if lo == -hi else f"bounds [{num(lo)}, {num(hi)}]",
                        state.palette.warning,
                        "│",
                    )
                )
                left = min(float(h.edges[0]), float(lo))
                right = max(float(h.edges[-1]), float(hi))
                pad = 0.03 * (right - left)
                fig.x_range = (left - pad, right + pad)
        title = (
            f"[b]W histogram[/b] layer {layer}/{r.depth} ({fi}×{fo}, {h.total} values)  "
            f"[dim]{count_scale(self.log_counts)}[/dim]"
        )
        card.show(title, fig)
        entry_note = " · ".join(notes)
        keys = "[dim], / . : previous / next layer · g: log counts[/dim]"
        note.set(
            Content.from_markup("[dim]$n[/dim]  " + keys, n=entry_note) if entry_note else Content.from_markup(keys)
        )
