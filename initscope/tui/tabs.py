"""The contents of the right-hand tabs: Weights, Forward, Backward (Theory: theory/).

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
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static

from initscope.engine.result import Result
from initscope.tui.expected import expected_counts
from initscope.tui.extras import Extras, overlay_ensemble
from initscope.tui.figures import (
    Series,
    count_scale,
    histogram_figure,
    log_lines,
    per_layer_figure,
    pin_series,
    set_zeros_apart,
)
from initscope.tui.plot_widget import Plot
from initscope.tui.plots import RGB, Figure, Legend, Line, log10_series
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


class PlotCard(Vertical):
    """A one-line title above a plot (the legend and notes are the plot's own top rows)."""

    def __init__(self, title: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title

    def compose(self) -> ComposeResult:
        yield Paragraph(self.title, max_lines=1, classes="caption")
        yield Plot()

    def show(self, caption: str, figure: Figure | None) -> None:
        """A plot gets the caption as the first item of its legend rows (one row more for the plot); words
        instead of a plot have it above them."""
        title = Content.from_markup(caption)
        plot = self.query_one(Plot)
        is_plot = figure is not None and not figure.message and not figure.empty()
        paragraph = self.query_one(".caption", Paragraph)
        paragraph.set(Content("") if is_plot else title)
        if paragraph.display == is_plot:
            paragraph.display = not is_plot
        plot.show(figure, title if is_plot else None)


def pair_plots(left: PlotCard, right: PlotCard) -> None:
    """Two plots side by side: their legends take the same rows, so their frames line up. In a narrow pane
    only one of them shows (`v` turns to the other: TabView.next_view)."""
    a, b = left.query_one(Plot), right.query_one(Plot)
    a.partner, b.partner = b, a
    left.add_class("first")
    right.add_class("second")


PAIR_MIN_WIDTH = 70
"""A tab narrower than this shows one plot of a side-by-side pair at a time (each keeps its width)."""


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

    DEFAULT_CSS = """
    TabView.-one-plot .side-by-side PlotCard.second { display: none; }
    TabView.-one-plot .side-by-side.-second PlotCard.first { display: none; }
    TabView.-one-plot .side-by-side.-second PlotCard.second { display: block; }
    """
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

    def on_resize(self, event: Resize) -> None:
        one = event.size.width < PAIR_MIN_WIDTH
        if one != self.has_class("-one-plot"):
            self.set_class(one, "-one-plot")
            if self.shown_state is not None and self.query(".side-by-side"):
                self.draw_view(self.shown_state)  # the pair's titles say how to reach the other plot

    def pair_hint(self, words: str) -> str:
        """'  v: words' after the title of a plot of a pair, when the pane shows one plot at a time."""
        return f"  [dim]v: {words}[/dim]" if self.has_class("-one-plot") else ""

    def shown_pair(self) -> Widget | None:
        """The side-by-side pair of the current view, when the pane shows one plot of it at a time."""
        if not self.has_class("-one-plot"):
            return None
        for pair in self.query(".side-by-side"):
            if pair.display and pair.region.area:
                return pair
        return None

    def next_view(self) -> None:
        pair = self.shown_pair()
        if pair is not None and not pair.has_class("-second"):  # the pair's other plot first
            pair.add_class("-second")
            return
        if pair is not None:
            pair.remove_class("-second")
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

    log_counts = False
    """Histogram counts on a log10 axis (key g; tabs without histograms ignore it)."""

    def toggle_log_counts(self) -> None:
        self.log_counts = not self.log_counts
        if self.shown_state is not None:
            self.draw_view(self.shown_state)

    def draw_again(self) -> None:
        """The current view waits for something it asked for (a phase grid): draw it whenever it is shown."""
        self.drawn.pop(self.view, None)

    def draw(self, state: ViewState) -> None:
        raise NotImplementedError

    def compose_view_bar(self) -> Widget:
        return Static(Content.from_markup(view_bar(self.VIEWS, self.view, self.NAME)), classes="view-bar")


# ---------------------------------------------------------------------------------------------- Weights
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
            expected = expected_counts(r.config, layer, np.asarray(h.edges), h.total)
            if expected is not None:
                counts, law = expected
                centers = fig.bars[0].centers
                y = log10_series(counts)[0] if self.log_counts else counts.astype(np.float64)
                fig.lines.append(Line(centers, y, state.palette.theory))
                fig.legend.append(Legend(f"expected {law}", state.palette.theory, "━"))
            lo, hi = r.weights.bound_low[i], r.weights.bound_high[i]
            if math.isfinite(lo) and math.isfinite(hi) and hi > lo:
                fig.vlines += [(float(lo), state.palette.warning), (float(hi), state.palette.warning)]
                fig.legend.append(Legend(f"bounds ±{num(max(abs(lo), abs(hi)))}" if lo == -hi
                                         else f"bounds [{num(lo)}, {num(hi)}]", state.palette.warning, "│"))
                left = min(float(h.edges[0]), float(lo))
                right = max(float(h.edges[-1]), float(hi))
                pad = 0.03 * (right - left)
                fig.x_range = (left - pad, right + pad)
        title = (f"[b]W histogram[/b] layer {layer}/{r.depth} ({fi}×{fo}, {h.total} values)  "
                 f"[dim]{count_scale(self.log_counts)}[/dim]")
        card.show(title, fig)
        entry_note = " · ".join(notes)
        keys = "[dim], / . : previous / next layer · g: log counts[/dim]"
        note.set(Content.from_markup("[dim]$n[/dim]  " + keys, n=entry_note) if entry_note else
                 Content.from_markup(keys))


# ---------------------------------------------------------------------------------------------- Forward
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
        sources: list[Series] = [("theory saturated %", r.theory_layers.saturated_fraction, p.theory, r),
                                 ("units dead %", r.forward.dead_unit_fraction, p.second, r),
                                 ("dead %", r.forward.dead_fraction, p.error, r),
                                 ("saturated %", r.forward.saturated_fraction, p.warning, r)]
        sources = [s for s in sources if np.isfinite(s[1]).any()]
        if not sources:
            fig = Figure(message=f"{r.config.activation}: neither saturation (tanh, sigmoid) nor dead units "
                                 "(relu-like) are defined")
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
            card.show(f"[b]A histogram[/b] layer {layer}/{r.depth}  [dim]{scale} · , / . step · g: log · "
                      f"z: zeros {'in' if self.zeros_apart else 'apart'}[/dim]", fig)
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


# ---------------------------------------------------------------------------------------------- Backward
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
        self.query_one("#grad-std", PlotCard).show("[b]dA[/b] activation-gradient std" + self.pair_hint("‖dW‖ →"),
                                                   fig)

        norms: list[Series] = [("‖dW‖", r.backward.weight_grad_norm, p.measured, r)]
        if r.backward.clipped_weight_grad_norm is not None:
            mode = "per layer" if r.config.clip_mode == "per_layer" else "global"
            norms.append((f"clipped ({mode}, {num(r.config.clip)})", r.backward.clipped_weight_grad_norm,
                          p.warning, r))
        norms += pin_series(state, lambda res: res.backward.weight_grad_norm)
        fig2 = log_lines(state, norms)
        self.query_one("#grad-norm", PlotCard).show("[b]‖dW‖[/b] weight-gradient norm" + self.pair_hint("← dA"),
                                                    fig2)

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
