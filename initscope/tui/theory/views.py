"""The Theory tab: mean-field readouts over four views (`v` cycles them).

- measured vs predicted std (A and dA) with the residual in decades (here);
- measured vs predicted saturation (tanh, sigmoid) with the residual in percentage points (here);
- the phase diagram over (sigma_w^2, sigma_b^2) for the chosen activation (`phase.py`);
- the Jacobian spectrum, key j (`jacobian.py`).

The readouts above the views are `readouts.py`. Every number is the engine's; the tab only formats and draws.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import ContentSwitcher

from initscope.engine.result import Result
from initscope.tui.figures import Series, hidden_words, layers_of, log_lines, per_layer_figure, pin_series
from initscope.tui.plots import Figure, Legend, Line, log10_series
from initscope.tui.state import ViewState
from initscope.tui.summary import num, pct
from initscope.tui.tabs.base import PlotCard, TabView, pair_plots
from initscope.tui.text import Paragraph
from initscope.tui.theory.jacobian import JacobianView
from initscope.tui.theory.phase import PhaseView
from initscope.tui.theory.readouts import readouts

COMPACT_WIDTH = 70
"""Narrower than this (80-column terminals), the readouts use their short form."""
TIGHT_HEIGHT = 20
"""Shorter than this (24-row terminals), the Jacobian's numbers take three rows, so its histogram keeps 8."""


class TheoryTab(TabView):
    DEFAULT_CSS = """
    #jacobian-numbers { height: auto; padding: 0 1; }
    #phase-map { margin: 0 1 0 0; }
    #jacobian-hist { min-height: 8; }
    """
    NAME = "theory"
    VIEWS: ClassVar[list[tuple[str, str]]] = [
        ("measured", "std"),
        ("saturation", "saturation"),
        ("phase", "phase"),
        ("jacobian", "Jacobian"),
    ]
    compact = False
    """Drawn in the short form (a pane narrower than COMPACT_WIDTH)."""
    tight = False
    """The Jacobian's numbers in their shortest form (a pane shorter than TIGHT_HEIGHT)."""

    def compose(self) -> ComposeResult:
        yield Paragraph("", max_lines=4, id="theory-numbers")
        yield self.compose_view_bar()
        with ContentSwitcher(initial="measured"):
            with Horizontal(id="measured", classes="side-by-side"):
                yield PlotCard("measured vs predicted", id="theory-compare")
                yield PlotCard("residual", id="theory-residual")
            with Horizontal(id="saturation", classes="side-by-side"):
                yield PlotCard("saturated %", id="saturation-compare")
                yield PlotCard("residual", id="saturation-residual")
            yield PhaseView(id="phase")
            yield JacobianView(id="jacobian")

    def on_mount(self) -> None:
        pair_plots(self.query_one("#theory-compare", PlotCard), self.query_one("#theory-residual", PlotCard))
        pair_plots(self.query_one("#saturation-compare", PlotCard), self.query_one("#saturation-residual", PlotCard))

    def on_resize(self, event: Resize) -> None:
        """The readouts and the Jacobian's numbers have a short form for narrow panes and a shortest one for short
        panes: draw again when the width crosses COMPACT_WIDTH or the height TIGHT_HEIGHT."""
        form = (event.size.width < COMPACT_WIDTH, event.size.height < TIGHT_HEIGHT)
        if form != (self.compact, self.tight):
            self.compact, self.tight = form
            if self.shown_state is not None:
                self.draw_view(self.shown_state)

    def view_key(self) -> object:
        """A view drawn in another form (long, short, shortest) is drawn again when shown."""
        return (self.size.width < COMPACT_WIDTH, self.size.height < TIGHT_HEIGHT)

    def draw(self, state: ViewState) -> None:
        r = state.result
        if r is None:
            return
        self.compact = self.size.width < COMPACT_WIDTH
        self.tight = self.size.height < TIGHT_HEIGHT
        self.query_one("#theory-numbers", Paragraph).set(readouts(r, self.compact))
        getattr(self, f"_draw_{self.view}")(state, r)

    # ------------------------------------------------------------------ std
    def _draw_measured(self, state: ViewState, r: Result) -> None:
        p = state.palette
        if not r.theory.applicable:
            message = Figure(message="no prediction to draw (see above)")
            self.query_one("#theory-compare", PlotCard).show("[b]measured vs predicted[/b]", message)
            self.query_one("#theory-residual", PlotCard).show("[b]residual[/b]", message)
            return
        series: list[Series] = [
            ("A std", r.forward.activation.std, p.measured, r),
            ("predicted", r.theory_layers.activation_std, p.theory, r),
            ("dA std", r.backward.activation_grad_std, p.second, r),
            ("predicted dA", r.theory_layers.activation_grad_std, p.theory2, r),
            *pin_series(state, lambda res: res.forward.activation.std),
        ]
        fig = log_lines(state, series)
        self.query_one("#theory-compare", PlotCard).show(
            "[b]measured vs predicted[/b] std" + self.pair_hint("residual →"), fig
        )

        # residual in decades: log10(measured) - log10(predicted), a difference of two plotted series
        ma, _ = log10_series(r.forward.activation.std)
        pa, _ = log10_series(r.theory_layers.activation_std)
        mg, _ = log10_series(r.backward.activation_grad_std)
        pg, _ = log10_series(r.theory_layers.activation_grad_std)
        res_a, res_g = ma - pa, mg - pg
        both = np.concatenate([res_a, res_g])
        worst = float(np.nanmax(np.abs(both))) if np.isfinite(both).any() else math.nan
        x = layers_of(r)
        fig2 = Figure(
            lines=[
                Line(x, res_a, p.measured, marker="●", points=True, dodge=True),
                Line(x, res_g, p.second, marker="◆", points=True, dodge=True),
            ],
            depth=r.depth,
            x_label="layer",
            selected=float(state.layer),
            y_include=(0.0,),
            legend=[Legend("A", p.measured, "●"), Legend("dA", p.second, "◆")],
        )
        hidden2 = int(np.count_nonzero(~np.isfinite(res_a)) + np.count_nonzero(~np.isfinite(res_g)))
        fig2.notes = [f"worst {num(worst)} decades", *hidden_words(hidden2, 2 * r.depth)]
        self.query_one("#theory-residual", PlotCard).show(
            "[b]residual[/b] log10(measured/predicted)" + self.pair_hint("next view"), fig2
        )

    # ------------------------------------------------------------------ saturation
    def _draw_saturation(self, state: ViewState, r: Result) -> None:
        p = state.palette
        left = self.query_one("#saturation-compare", PlotCard)
        right = self.query_one("#saturation-residual", PlotCard)
        measured = np.asarray(r.forward.saturated_fraction, dtype=np.float64)
        predicted = np.asarray(r.theory_layers.saturated_fraction, dtype=np.float64)
        if not np.isfinite(measured).any() and r.layers_done > 0:
            message = Figure(
                message=f"saturation is defined for tanh and sigmoid (|a| > 0.97 and |2a − 1| > 0.97); "
                f"{r.config.activation} has none"
            )
            left.show("[b]saturated %[/b]", message)
            right.show("[b]residual[/b]", message)
            return
        series: list[Series] = [
            ("measured", measured, p.measured, r),
            ("predicted P(|z| > t)", predicted, p.theory, r),
            *pin_series(state, lambda res: res.forward.saturated_fraction),
        ]
        fig = per_layer_figure(state, series, log=False, scale=100.0)
        fig.y_floor, fig.y_ceiling = 0.0, 100.0
        left.show("[b]saturated %[/b]" + self.pair_hint("residual →"), fig)
        if not np.isfinite(predicted).any():
            right.show("[b]residual[/b]", Figure(message=r.theory.reason or "no prediction"))
            return
        residual = 100.0 * (measured - predicted)
        worst_i = int(np.nanargmax(np.abs(residual))) if np.isfinite(residual).any() else -1
        worst = float(abs(residual[worst_i])) if worst_i >= 0 else math.nan
        fig2 = Figure(
            lines=[Line(layers_of(r), residual, p.warning, marker="●", points=True)],
            depth=r.depth,
            x_label="layer",
            selected=float(state.layer),
            y_include=(0.0,),
            legend=[Legend("measured − predicted", p.warning, "●")],
        )
        last = r.layers_done - 1
        at_last = f" · last {pct(measured[last])} vs {pct(predicted[last])}" if last >= 0 else ""
        fig2.notes = [f"worst {num(worst)}{f' at layer {worst_i + 1}' if worst_i >= 0 else ''}{at_last}"]
        right.show("[b]residual[/b] % points" + self.pair_hint("next view"), fig2)

    def _draw_phase(self, state: ViewState, r: Result) -> None:
        if not self.query_one(PhaseView).draw(state, r, self.compact):
            self.draw_again()

    def _draw_jacobian(self, state: ViewState, r: Result) -> None:
        if not self.query_one(JacobianView).draw(state, r, self.compact, self.tight):
            self.draw_again()
