"""The contents of the right-hand tabs: Weights, Forward, Backward (Theory: theory_views.py).

Each tab turns a `ViewState` (the current Result, the pinned runs, the selected layer, the colours) into
`Figure`s for its canvases and a caption per plot (legend and how many points were hidden). The app
calls `show(state)` on the visible tab only; a tab shown later catches up when it becomes visible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static

from initscope.engine.result import Histogram, Result
from initscope.tui.canvas import Canvas
from initscope.tui.expected import expected_counts
from initscope.tui.extras import Extras, overlay_ensemble
from initscope.tui.plots import (
    RGB,
    Figure,
    FloatArray,
    Line,
    histogram_bars,
    histogram_notes,
    linear_series,
    log10_series,
)
from initscope.tui.summary import num
from initscope.tui.text import Paragraph

PIN_COLORS: tuple[RGB, ...] = ((214, 112, 255), (0, 210, 210), (240, 220, 80), (160, 160, 160))
"""Pinned runs: chosen to differ from the theme's primary/accent/success used by the current run."""


@dataclass(frozen=True)
class Palette:
    measured: RGB = (0, 150, 255)
    second: RGB = (255, 120, 200)
    theory: RGB = (80, 200, 120)
    warning: RGB = (255, 180, 0)
    error: RGB = (230, 60, 60)
    theory2: RGB = (160, 230, 170)


@dataclass(frozen=True)
class Pin:
    label: str
    result: Result
    color: RGB


@dataclass(frozen=True)
class ViewState:
    result: Result | None
    pins: tuple[Pin, ...] = ()
    layer: int = 1
    palette: Palette = field(default_factory=Palette)
    extras: Extras = field(default_factory=Extras)
    """On-demand results (seed ensemble, Jacobian, phase grid) that belong to `result` (extras.py)."""


def hex_of(color: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def swatch(label: str, color: RGB, mark: str = "■") -> str:
    """Legend entry as Content markup (label escaped by the caller's template)."""
    safe = label.replace("[", r"\[")
    return f"[{hex_of(color)}]{mark}[/] {safe}"


def hidden_note(hidden: int, total: int) -> str:
    if not hidden:
        return ""
    return f"  [dim]{hidden} of {total} points hidden (non-finite, ≤ 0 or not computed)[/dim]"


def layers_of(r: Result) -> FloatArray:
    return np.arange(1, r.depth + 1, dtype=np.float64)


class PlotCard(Vertical):
    """A caption line (title, legend, hidden count) above a canvas."""

    def __init__(self, title: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title

    def compose(self) -> ComposeResult:
        yield Paragraph(self.title, max_lines=2, classes="caption")
        yield Canvas()

    def show(self, caption: str, figure: Figure | None) -> None:
        self.query_one(".caption", Paragraph).set(Content.from_markup(caption))
        self.query_one(Canvas).show(figure)


def view_bar(views: list[tuple[str, str]], current: str, tab: str) -> str:
    """One-line clickable list of a tab's views, the current one bold."""
    parts = []
    for key, label in views:
        if key == current:
            parts.append(f"[b reverse] {label} [/]")
        else:
            parts.append(f"[@click=app.set_view('{tab}','{key}')] {label} [/]")
    return "".join(parts) + "  [dim]v: next view[/dim]"


class TabView(Vertical):
    """Base of a tab's content: remembers which state it showed last, and which state each view was drawn with."""

    VIEWS: ClassVar[list[tuple[str, str]]] = []
    NAME = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shown_state: ViewState | None = None
        self.view = self.VIEWS[0][0] if self.VIEWS else ""
        self.updates = 0
        self.drawn: dict[str, tuple[ViewState, object]] = {}
        """view -> (state, view_key()) it was last drawn with: a view shown again unchanged keeps its widgets as
        they are (drawing it again re-rasterized its plots at every `v`, tens of ms)."""

    def next_view(self) -> None:
        if not self.VIEWS:
            return
        keys = [k for k, _ in self.VIEWS]
        self.set_view(keys[(keys.index(self.view) + 1) % len(keys)])

    def set_view(self, view: str) -> None:
        if view not in [k for k, _ in self.VIEWS]:
            return
        self.view = view
        try:
            self.query_one(ContentSwitcher).current = view
            self.query_one(".view-bar", Static).update(Content.from_markup(view_bar(self.VIEWS, view, self.NAME)))
        except Exception:
            return
        state = self.shown_state
        drawn = self.drawn.get(view)
        if state is not None and (drawn is None or drawn[0] is not state or drawn[1] != self.view_key()):
            self.draw_view(state)

    def show(self, state: ViewState) -> None:
        """Draw `state` (the app calls this only while the tab is visible)."""
        self.shown_state = state
        self.updates += 1
        self.draw_view(state)

    def draw_view(self, state: ViewState) -> None:
        """Draw the current view and remember what it was drawn with."""
        self.drawn[self.view] = (state, self.view_key())
        self.draw(state)

    def view_key(self) -> object:
        """Besides the state, what the drawing of a view depends on (here nothing)."""
        return None

    def draw_again(self) -> None:
        """The current view waits for something it asked for (a phase grid): draw it whenever it is shown."""
        self.drawn.pop(self.view, None)

    def draw(self, state: ViewState) -> None:
        raise NotImplementedError

    def compose_view_bar(self) -> Widget:
        return Static(Content.from_markup(view_bar(self.VIEWS, self.view, self.NAME)), classes="view-bar")


# ---------------------------------------------------------------------------------------------- Weights
def histogram_figure(h: Histogram, color: RGB, x_label: str) -> tuple[Figure, list[str]]:
    bars, words = histogram_bars(h, color)
    if bars is None:
        return Figure(message=words), []
    fig = Figure(bars=[bars], x_is_layer=False, x_range=(float(h.edges[0]), float(h.edges[-1])), x_label=x_label)
    return fig, histogram_notes(h)


class WeightsTab(TabView):
    NAME = "weights"

    def compose(self) -> ComposeResult:
        yield PlotCard("weights", id="weights-hist")
        yield Paragraph("", max_lines=2, id="weights-note", classes="note")

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
        fig, notes = histogram_figure(h, state.palette.measured, "weight value")
        legend = [swatch("measured", state.palette.measured)]
        if fig.bars:
            expected = expected_counts(r.config, layer, np.asarray(h.edges), h.total)
            if expected is not None:
                counts, law = expected
                centers = fig.bars[0].centers
                fig.lines.append(Line(centers, counts.astype(np.float64), state.palette.theory))
                legend.append(swatch(f"expected {law}", state.palette.theory, "━"))
            lo, hi = r.weights.bound_low[i], r.weights.bound_high[i]
            if math.isfinite(lo) and math.isfinite(hi) and hi > lo:
                fig.vlines += [(float(lo), state.palette.warning), (float(hi), state.palette.warning)]
                legend.append(swatch(f"bounds ±{num(max(abs(lo), abs(hi)))}" if lo == -hi
                                     else f"bounds [{num(lo)}, {num(hi)}]", state.palette.warning, "│"))
                left = min(float(h.edges[0]), float(lo))
                right = max(float(h.edges[-1]), float(hi))
                pad = 0.03 * (right - left)
                fig.x_range = (left - pad, right + pad)
        title = f"[b]W histogram[/b] layer {layer}/{r.depth} ({fi}×{fo}, {h.total} values)"
        card.show(title + "  " + "  ".join(legend), fig)
        entry_note = " · ".join(notes)
        note.set(Content.from_markup("[dim]$n[/dim]  [dim], / . : previous / next layer[/dim]",
                                        n=entry_note) if entry_note else
                    Content.from_markup("[dim], / . : previous / next layer[/dim]"))


# ---------------------------------------------------------------------------------------------- Forward
def log_lines(state: ViewState, series: list[tuple[str, FloatArray, RGB, Result]]) -> tuple[Figure, str, int, int]:
    """Log-decade figure of several per-layer series; returns (figure, legend, hidden, total)."""
    lines: list[Line] = []
    legend: list[str] = []
    hidden = total = 0
    depth = 1
    on_top: list[Line] = []
    for k, (label, values, color, r) in enumerate(series):
        y, h = log10_series(values)
        is_theory = label.startswith(("theory", "predicted"))
        if is_theory and not np.isfinite(y).any():
            continue
        hidden += h
        total += y.size
        depth = max(depth, r.depth)
        if k == 0:  # the measured series: a marker per layer, drawn last so nothing hides it
            on_top.append(Line(layers_of(r), y, color, points=True))
            legend.append(swatch(label, color, "●"))
        elif is_theory:
            lines.append(Line(layers_of(r), y, color, marker="hd"))
            legend.append(swatch(label, color, "━"))
        else:
            lines.append(Line(layers_of(r), y, color, marker="dot"))
            legend.append(swatch(label, color, "•"))
    figure = Figure(lines=lines + on_top, log_y=True, depth=depth, x_label="layer")
    return figure, "  ".join(legend), hidden, total


class ForwardTab(TabView):
    NAME = "forward"
    VIEWS: ClassVar[list[tuple[str, str]]] = [("std", "std (log)"), ("mean", "mean"), ("fractions", "saturated / dead"),
             ("histograms", "histograms")]

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

    def draw(self, state: ViewState) -> None:
        r = state.result
        if r is None:
            return
        getattr(self, f"_draw_{self.view}")(state, r)

    def _draw_std(self, state: ViewState, r: Result) -> None:
        p = state.palette
        series: list[tuple[str, FloatArray, RGB, Result]] = [
            ("A std", r.forward.activation.std, p.measured, r),
            ("Z std", r.forward.preactivation.std, p.second, r),
            ("theory", r.theory_layers.activation_std, p.theory, r),
        ]
        for pin in state.pins:
            series.append((pin.label, pin.result.forward.activation.std, pin.color, pin.result))
        fig, legend, hidden, total = log_lines(state, series)
        legend += overlay_ensemble(fig, state.extras, "activation", p.measured, p.theory2, self)
        caption = f"[b]std per layer[/b]  {legend}{hidden_note(hidden, total)}"
        self.query_one("#std", PlotCard).show(caption, fig)

    def _draw_mean(self, state: ViewState, r: Result) -> None:
        p = state.palette
        lines = []
        legend = []
        hidden = total = 0
        for label, values, color, res in [("A mean", r.forward.activation.mean, p.measured, r),
                                          ("Z mean", r.forward.preactivation.mean, p.second, r),
                                          *[(pin.label, pin.result.forward.activation.mean, pin.color, pin.result)
                                            for pin in state.pins]]:
            y, h = linear_series(values)
            hidden, total = hidden + h, total + y.size
            lines.append(Line(layers_of(res), y, color))
            legend.append(swatch(label, color, "━"))
        depth = max([r.depth, *[pin.result.depth for pin in state.pins]])
        fig = Figure(lines=lines, depth=depth, x_label="layer")
        caption = f"[b]mean per layer[/b]  {'  '.join(legend)}{hidden_note(hidden, total)}"
        self.query_one("#mean", PlotCard).show(caption, fig)

    def _draw_fractions(self, state: ViewState, r: Result) -> None:
        p = state.palette
        lines = []
        legend = []
        hidden = total = 0
        sources = [("theory saturated %", r.theory_layers.saturated_fraction, p.theory, r),
                   ("units dead %", r.forward.dead_unit_fraction, p.second, r),
                   ("dead %", r.forward.dead_fraction, p.error, r),
                   ("saturated %", r.forward.saturated_fraction, p.warning, r)]
        for label, values, color, res in sources:
            if not np.isfinite(values).any():
                continue
            y, h = linear_series(values, 100.0)
            hidden, total = hidden + h, total + y.size
            theory = label.startswith("theory")
            lines.append(Line(layers_of(res), y, color, marker="hd" if theory else "dot", points=not theory))
            legend.append(swatch(label, color, "━" if theory else "●"))
        if not lines:
            fig = Figure(message=f"{r.config.activation}: neither saturation (tanh, sigmoid) nor dead units "
                                 "(relu-like) are defined")
        else:
            fig = Figure(lines=lines, depth=r.depth, y_range=(0.0, 100.0), x_label="layer")
        caption = f"[b]saturated and dead, % per layer[/b]  {'  '.join(legend)}{hidden_note(hidden, total)}"
        self.query_one("#fractions", PlotCard).show(caption, fig)

    def _draw_histograms(self, state: ViewState, r: Result) -> None:
        p = state.palette
        layer = max(1, min(state.layer, r.depth))
        h = r.forward.histograms[layer - 1] if layer - 1 < len(r.forward.histograms) else None
        card = self.query_one("#hist-selected", PlotCard)
        if h is None:
            card.show(f"layer {layer}: not computed", Figure(message="not computed"))
        else:
            fig, notes = histogram_figure(h, p.measured, "activation")
            extra = f"  [dim]{' · '.join(notes)}[/dim]" if notes else ""
            card.show(f"[b]A histogram[/b] layer {layer}/{r.depth}  [dim], / . step[/dim]{extra}", fig)
        chosen = sorted({1, max(1, (r.depth + 1) // 2), r.depth})
        while len(chosen) < 3:
            chosen.append(chosen[-1])
        for k, lay in enumerate(chosen[:3]):
            small = self.query_one(f"#hist-small-{k}", PlotCard)
            hist = r.forward.histograms[lay - 1] if lay - 1 < len(r.forward.histograms) else None
            if hist is None:
                small.show(f"layer {lay}", Figure(message="not computed"))
                continue
            fig, _ = histogram_figure(hist, p.second, "")
            small.show(f"layer {lay}  std {num(r.forward.activation.std[lay - 1])}", fig)


# ---------------------------------------------------------------------------------------------- Backward
class BackwardTab(TabView):
    NAME = "backward"

    def compose(self) -> ComposeResult:
        yield Paragraph("", max_lines=3, id="illusion", classes="finding")
        with Horizontal(classes="side-by-side"):
            yield PlotCard("activation gradient", id="grad-std")
            yield PlotCard("weight gradient", id="grad-norm")

    def draw(self, state: ViewState) -> None:
        r = state.result
        if r is None:
            return
        p = state.palette
        series: list[tuple[str, FloatArray, RGB, Result]] = [
            ("dA std", r.backward.activation_grad_std, p.measured, r),
            ("theory", r.theory_layers.activation_grad_std, p.theory, r),
        ]
        series += [(pin.label, pin.result.backward.activation_grad_std, pin.color, pin.result) for pin in state.pins]
        fig, legend, hidden, total = log_lines(state, series)
        legend += overlay_ensemble(fig, state.extras, "gradient", p.measured, p.theory2, self)
        self.query_one("#grad-std", PlotCard).show(
            f"[b]dA[/b]  {legend}{hidden_note(hidden, total)}", fig)

        norms: list[tuple[str, FloatArray, RGB, Result]] = [("‖dW‖", r.backward.weight_grad_norm, p.measured, r)]
        if r.backward.clipped_weight_grad_norm is not None:
            mode = "per layer" if r.config.clip_mode == "per_layer" else "global"
            norms.append((f"clipped ({mode}, {num(r.config.clip)})", r.backward.clipped_weight_grad_norm,
                          p.warning, r))
        norms += [(pin.label, pin.result.backward.weight_grad_norm, pin.color, pin.result) for pin in state.pins]
        fig2, legend2, hidden2, total2 = log_lines(state, norms)
        self.query_one("#grad-norm", PlotCard).show(
            f"[b]‖dW‖[/b]  {legend2}{hidden_note(hidden2, total2)}", fig2)

        finding = next((f for f in r.verdict.findings if f.kind == "weight_gradient_illusion"), None)
        note = self.query_one("#illusion", Paragraph)
        if finding is not None:
            note.set(Content.from_markup("[b $warning]▲ $text[/]", text=finding.text))
        elif not np.isfinite(r.backward.activation_grad_std).any():
            note.set(Content.from_markup("[dim]no backward pass: $why[/dim]",
                                            why="the forward pass stopped (overflow)"
                                            if r.verdict.first_nonfinite_layer else "run cancelled"))
        else:
            note.set(Content.from_markup(
                "[dim]activation-gradient std dA (left) next to the weight-gradient norm ‖dW‖ (right): "
                "a flat ‖dW‖ can hide a vanishing dA[/dim]"))
