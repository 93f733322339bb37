"""The Forward tab: activation std, mean, saturated and dead fractions per layer, and histograms."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.widgets import ContentSwitcher

from initscope.engine.result import Result
from initscope.tui.figures import (
    Series,
    count_scale,
    histogram_figure,
    log_lines,
    per_layer_figure,
    pin_series,
    set_zeros_apart,
)
from initscope.tui.plots import Figure, log10_series
from initscope.tui.state import ViewState
from initscope.tui.summary import num
from initscope.tui.tabs.base import PlotCard, TabView
from initscope.tui.tabs.seed_bands import overlay_ensemble


class ForwardTab(TabView):
    NAME = "forward"
    VIEWS: ClassVar[list[tuple[str, str]]] = [
        ("std", "std (log)"),
        ("mean", "mean"),
        ("fractions", "saturated / dead"),
        ("histograms", "histograms"),
    ]

    def compose(self) -> ComposeResult:
        yield self.compose_view_bar()
        with ContentSwitcher(initial="std"):
            yield PlotCard("activation std", id="std")
            yield PlotCard("mean", id="mean")
            yield PlotCard("saturated / dead", id="fractions")
            with Horizontal(id="histograms"):
                yield PlotCard("selected layer", id="hist-selected")
                with Grid(id="hist-multiples"):
                    for k in range(3):
                        yield PlotCard("", id=f"hist-small-{k}", classes="small")

    zeros_apart = False
    """The exact zeros of a relu-like histogram set apart from its bars (key z)."""

    def view_key(self) -> object:
        return self.log_counts, self.zeros_apart

    def toggle_zeros_apart(self) -> None:
        self.zeros_apart = not self.zeros_apart
        if self.shown_state is not None:
            self.draw_view(self.shown_state)

    def draw(self, state: ViewState) -> None:
        r = state.result
        if r is None:
            return
        getattr(self, f"_draw_{self.view}")(state, r)

    def _draw_std(self, state: ViewState, r: Result) -> None:
        p = state.palette
        residual = r.branch is not None  # a residual net: the stream after each block, and what its branch adds
        series: list[Series] = [
            ("stream std" if residual else "A std", r.forward.activation.std, p.measured, r),
            ("branch std" if residual else "Z std", r.forward.preactivation.std, p.second, r),
            ("theory", r.theory_layers.activation_std, p.theory, r),
            *pin_series(state, lambda res: res.forward.activation.std),
        ]
        if r.branch is not None and r.branch.theory_std is not None:
            series.insert(3, ("theory: branch", r.branch.theory_std, p.theory2, r))
        fig = log_lines(state, series)
        overlay_ensemble(fig, state.extras, "activation", p.measured, p.theory2, self)
        self.query_one("#std", PlotCard).show("[b]std per block[/b]" if residual else "[b]std per layer[/b]", fig)

    def _draw_mean(self, state: ViewState, r: Result) -> None:
        p = state.palette
        series: list[Series] = [
            ("A mean", r.forward.activation.mean, p.measured, r),
            ("Z mean", r.forward.preactivation.mean, p.second, r),
            *pin_series(state, lambda res: res.forward.activation.mean),
        ]
        fig = per_layer_figure(state, series, log=False)
        self.query_one("#mean", PlotCard).show("[b]mean per layer[/b]", fig)

    def _draw_fractions(self, state: ViewState, r: Result) -> None:
        p = state.palette
        sources: list[Series] = [
            ("theory saturated %", r.theory_layers.saturated_fraction, p.theory, r),
            ("units dead %", r.forward.dead_unit_fraction, p.second, r),
            ("dead %", r.forward.dead_fraction, p.error, r),
            ("saturated %", r.forward.saturated_fraction, p.warning, r),
        ]
        sources = [s for s in sources if np.isfinite(s[1]).any()]
        if not sources:
            fig = Figure(
                message=f"{r.config.activation}: neither saturation (tanh, sigmoid) nor dead units "
                "(relu-like) are defined"
            )
        else:
            fig = per_layer_figure(state, sources, log=False, scale=100.0)
            fig.y_floor, fig.y_ceiling = 0.0, 100.0
        self.query_one("#fractions", PlotCard).show("[b]saturated and dead, % per layer[/b]", fig)

    def _draw_histograms(self, state: ViewState, r: Result) -> None:
        p = state.palette
        layer = max(1, min(state.layer, r.depth))
        h = r.forward.histograms[layer - 1] if layer - 1 < len(r.forward.histograms) else None
        card = self.query_one("#hist-selected", PlotCard)
        scale = count_scale(self.log_counts)
        if h is None:
            card.show(f"layer {layer}: not computed", Figure(message="not computed"))
        else:
            fig, notes = histogram_figure(h, p.measured, "activation")
            apart = set_zeros_apart(fig, h, float(r.forward.dead_fraction[layer - 1])) if self.zeros_apart else ""
            if self.log_counts and fig.bars:
                fig.bars[0].counts = log10_series(fig.bars[0].counts)[0]
                fig.log_y, fig.y_floor = True, None
            fig.notes = [apart, *notes] if apart else notes
            card.show(
                f"[b]A histogram[/b] layer {layer}/{r.depth}  [dim]{scale} · , / . step · g: log · "
                f"z: zeros {'in' if self.zeros_apart else 'apart'}[/dim]",
                fig,
            )
        chosen = sorted({1, max(1, (r.depth + 1) // 2), r.depth})
        while len(chosen) < 3:
            chosen.append(chosen[-1])
        for k, lay in enumerate(chosen[:3]):
            small = self.query_one(f"#hist-small-{k}", PlotCard)
            hist = r.forward.histograms[lay - 1] if lay - 1 < len(r.forward.histograms) else None
            if hist is None:
                small.show(f"layer {lay}", Figure(message="not computed"))
                continue
            fig, _ = histogram_figure(hist, p.second, "", self.log_counts)
            small.show(f"layer {lay}  std {num(r.forward.activation.std[lay - 1])}", fig)
