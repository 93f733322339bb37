"""The Backward tab: the activation-gradient std next to the weight-gradient norm per layer."""

from __future__ import annotations

import numpy as np
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content

from initscope.tui.figures import Series, log_lines, pin_series
from initscope.tui.state import ViewState
from initscope.tui.summary import num
from initscope.tui.tabs.base import PlotCard, TabView, pair_plots
from initscope.tui.tabs.seed_bands import overlay_ensemble
from initscope.tui.text import Paragraph


class BackwardTab(TabView):
    NAME = "backward"

    def compose(self) -> ComposeResult:
        yield Paragraph("", max_lines=3, id="illusion", classes="finding")
        with Horizontal(classes="side-by-side"):
            yield PlotCard("activation gradient", id="grad-std")
            yield PlotCard("weight gradient", id="grad-norm")

    def on_mount(self) -> None:
        pair_plots(self.query_one("#grad-std", PlotCard), self.query_one("#grad-norm", PlotCard))

    def draw(self, state: ViewState) -> None:
        r = state.result
        if r is None:
            return
        p = state.palette
        series: list[Series] = [
            ("dA std" if r.branch is None else "stream grad std", r.backward.activation_grad_std, p.measured, r),
            ("theory", r.theory_layers.activation_grad_std, p.theory, r),
            *([] if r.branch is None else [("branch grad std", r.branch.grad_std, p.second, r)]),
            *pin_series(state, lambda res: res.backward.activation_grad_std),
        ]
        fig = log_lines(state, series)
        overlay_ensemble(fig, state.extras, "gradient", p.measured, p.theory2, self)
        self.query_one("#grad-std", PlotCard).show("[b]dA[/b] activation-gradient std" + self.pair_hint("‖dW‖ →"), fig)

        norms: list[Series] = [("‖dW‖", r.backward.weight_grad_norm, p.measured, r)]
        if r.backward.clipped_weight_grad_norm is not None:
            mode = "per layer" if r.config.clip_mode == "per_layer" else "global"
            norms.append((f"clipped ({mode}, {num(r.config.clip)})", r.backward.clipped_weight_grad_norm, p.warning, r))
        norms += pin_series(state, lambda res: res.backward.weight_grad_norm)
        fig2 = log_lines(state, norms)
        self.query_one("#grad-norm", PlotCard).show("[b]‖dW‖[/b] weight-gradient norm" + self.pair_hint("← dA"), fig2)

        finding = next((f for f in r.verdict.findings if f.kind == "weight_gradient_illusion"), None)
        note = self.query_one("#illusion", Paragraph)
        if finding is not None:
            note.set(Content.from_markup("[b $warning]▲ $text[/]", text=finding.text))
        elif not np.isfinite(r.backward.activation_grad_std).any():
            note.set(
                Content.from_markup(
                    "[dim]no backward pass: $why[/dim]",
                    why="the forward pass stopped (overflow)" if r.verdict.first_nonfinite_layer else "run cancelled",
                )
            )
        else:
            note.set(
                Content.from_markup(
                    "[dim]activation-gradient std dA (left) next to the weight-gradient norm ‖dW‖ (right): "
                    "a flat ‖dW‖ can hide a vanishing dA[/dim]"
                )
            )
