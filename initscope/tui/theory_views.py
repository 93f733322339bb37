"""The Theory tab: mean-field readouts over four views (`v` cycles them).

- measured vs predicted std (A and dA) with the residual in decades;
- measured vs predicted saturation (tanh, sigmoid) with the residual in percentage points;
- the phase diagram over (sigma_w^2, sigma_b^2) for the chosen activation: ordered and chaotic regions,
  the chi1 = 1 line and this net as a cursor (the grid comes from a worker, cached per activation);
- the Jacobian spectrum (key j): histogram of the singular values of J = d a_L / d x, the mean and variance
  of the eigenvalues of J J^T next to the free-probability prediction, and why (isometry or not).

Every number is the engine's; the tab only formats and draws.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.widgets import ContentSwitcher

from initscope.engine.jacobian import JacobianResult, SpectrumPrediction
from initscope.engine.result import Result, TheorySummary
from initscope.engine.text import trim_exponent
from initscope.tui.axes import log_axis
from initscope.tui.extras import (
    JacobianState,
    JacobianWanted,
    PhaseGridWanted,
    spans_decades,
    surface_of,
    theme_rgb,
)
from initscope.tui.figures import (
    CURSOR_MARK,
    Series,
    hidden_words,
    layers_of,
    log_lines,
    per_layer_figure,
    phase_figure,
    pin_series,
)
from initscope.tui.plot_widget import Plot
from initscope.tui.plots import (
    RGB,
    Figure,
    FloatArray,
    Legend,
    Line,
    histogram_bars,
    histogram_notes,
    log10_series,
)
from initscope.tui.summary import num, pct
from initscope.tui.tabs import PlotCard, TabView, ViewState, pair_plots, swatch
from initscope.tui.text import Paragraph

ISOMETRY_NEAR = 0.1
"""var/mean^2 of the eigenvalues of J J^T below this: near dynamical isometry (as `initscope theory`)."""
ISOMETRY_FAR = 1.0
"""Above this: far from isometry."""
FLAT_SPECTRUM = 1e-3
"""Singular values whose spread is below this share of their median are said to be equal, not binned."""


# ---------------------------------------------------------------------------------------------- readouts
def big(x: float) -> str:
    """A depth-like number: whole numbers, '∞' for inf, '–' for NaN."""
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞"
    return f"{x:.0f}" if x >= 10 else num(x)


def factor_text(log10_factor: float) -> str:
    """×0.82, ×3.1e-12, ×1e-400 (beyond float range still said)."""
    if not math.isfinite(log10_factor):
        return "×0" if log10_factor < 0 else "×∞"
    if abs(log10_factor) < 300:
        return "×" + trim_exponent(num(10.0**log10_factor))
    return f"×1e{log10_factor:.0f}"


def depth_words(t: TheorySummary, depth: int, compact: bool = False) -> tuple[str, str]:
    """(severity, sentence): the chosen depth against the trainable depth (about 6 depth scales)."""
    chi = t.chi1
    if t.phase == "critical" and t.q_star == 0.0:
        return "info", (f"depth {depth}: edge of chaos at q* = 0, gradients decay as a power law"
                        + ("" if compact else " of depth (not exponentially)"))
    if t.phase == "critical":
        return "ok", (f"depth {depth}: at the edge of chaos (chi1 ≈ 1) gradients keep their size"
                      + ("" if compact else "; no depth scale limits training"))
    if t.phase not in ("ordered", "chaotic") or not math.isfinite(chi):
        return "info", f"chi1 = {num(chi)}: no phase (the fixed point is not finite)"
    if not math.isfinite(t.trainable_depth):
        return "warning", ("q* = ∞: no decorrelation depth scale; lower σw² toward chi1 = 1" if compact
                           else f"depth {depth}: {t.depth_note}; lower σw² toward chi1 = 1")
    log_factor = depth * math.log10(chi) if chi > 0 else -math.inf
    factor = factor_text(log_factor)
    fix = "raise σw² (or lower σb²) toward chi1 = 1" if t.phase == "ordered" else "lower σw² toward chi1 = 1"
    trainable = big(t.trainable_depth)
    if compact:
        if depth <= t.trainable_depth:
            return "ok", f"depth {depth} ≤ trainable depth ≈ {trainable} (6ξ): gradient variance {factor}"
        return "warning", f"depth {depth} > trainable depth ≈ {trainable} (6ξ): grad variance {factor}; {fix}"
    over = f"gradient variance {factor} over the net"
    words = f"the trainable depth ≈ {trainable} (6 depth scales ξ)"
    if depth <= t.trainable_depth:
        return "ok", f"depth {depth} is within {words}: {over}"
    times = f" ({depth / t.trainable_depth:.1f}×)" if t.trainable_depth > 0 else ""
    return "warning", f"depth {depth} is beyond{times} {words}: {over}; {fix}"


MARK = {"ok": "✔", "info": "•", "warning": "▲"}
STYLE = {"ok": "$success", "info": "$primary", "warning": "$warning"}
COMPACT_WIDTH = 70
"""Narrower than this (80-column terminals), the readouts use their short form."""
TIGHT_HEIGHT = 20
"""Shorter than this (24-row terminals), the Jacobian's numbers take three rows, so its histogram keeps 8."""


def readouts(r: Result, compact: bool = False) -> Content:
    """q*, chi1, phase, depth scale, sigma_w^2, sigma_b^2, and the depth sentence."""
    t = r.theory
    if not t.applicable:
        return Content.from_markup("[b]mean-field theory does not apply:[/b] $why", why=t.reason or "no reason given")
    if not r.config.plain:  # residual or normalized: no fixed point q* or chi1, the block recursion instead
        what = ("residual stream (Yang & Schoenholz 2017):" if r.config.residual
                else f"{r.config.norm} resets every layer:")
        return Content.from_markup("[dim]$what[/dim] [b]$note[/b]", what=what, note=t.depth_note)
    severity, words = depth_words(t, r.depth, compact)
    xi = "ξ" if compact else "depth scale ξ"
    return Content.from_markup(
        f"[dim]q*[/dim] [b]$q[/b]  [dim]chi1[/dim] [b]$chi[/b] [b]$phase[/b]  [dim]{xi}[/dim] $xi  "
        + ("" if compact else "[dim]σw²[/dim] $sw [dim]σb²[/dim] $sb")
        + f"\n[{STYLE[severity]}]$mark $words[/]",
        q=num(t.q_star), chi=num(t.chi1), phase=t.phase or "–", xi=big(t.depth_scale), sw=num(t.sigma_w2),
        sb=num(t.sigma_b2), mark=MARK[severity], words=words)


# ---------------------------------------------------------------------------------------------- Jacobian
def flat_spectrum(sv: FloatArray) -> bool:
    """All singular values equal to within FLAT_SPECTRUM of their median (a histogram would only show noise)."""
    if sv.size == 0 or not np.isfinite(sv).all():
        return False
    median = float(np.median(sv))
    return median > 0 and float(sv.max() - sv.min()) <= FLAT_SPECTRUM * median


def spread_words(spread: float, compact: bool = False) -> tuple[str, str]:
    """(severity, words) for var/mean^2 of the eigenvalues of J J^T (0 is perfect isometry)."""
    if not math.isfinite(spread):
        return "info", "no spread to judge"
    if spread < ISOMETRY_NEAR:
        return "ok", "near dynamical isometry" + ("" if compact else ": the singular values concentrate")
    if spread > ISOMETRY_FAR:
        return "warning", "far from isometry" + ("" if compact else ": a few directions carry most of the gradient")
    return "info", "moderately spread"


def roundoff(j: JacobianResult) -> float:
    """numpy's matrix_rank tolerance: max sigma * max(shape) * eps of the chain's dtype (0: no finite sigma)."""
    sv = j.singular_values
    if sv.size == 0 or not np.isfinite(sv).all():
        return 0.0
    eps = float(np.finfo(np.float64 if j.config.dtype == "float64" else np.float32).eps)
    return float(sv.max()) * max(j.config.fan_in, j.config.widths[-1]) * eps


def numerical_rank(j: JacobianResult) -> int:
    """Singular values above round-off (numpy's matrix_rank tolerance)."""
    sv = j.singular_values
    if sv.size == 0 or not np.isfinite(sv).all():
        return int(sv.size)
    return int(np.count_nonzero(sv > roundoff(j)))


def why_short(p: SpectrumPrediction) -> str:
    """The reason in three words or so, for the shortest form of the Jacobian's numbers."""
    act = p.mu2 / (p.mu1 * p.mu1) - 1.0 if p.mu1 > 0 else math.nan
    transient = math.isfinite(p.normalized_var) and p.normalized_var > 2.0 * p.critical_var + 0.1
    if math.isfinite(act) and act > 0.5:
        return "never isometric"
    if p.s1 != 0:
        return "needs orthogonal weights"
    return "isometric near q*" + ("; the input starts far from it" if transient else "")


def why_words(p: SpectrumPrediction, activation: str, compact: bool = False) -> str:
    """Why the spectrum can or cannot be isometric: the two per-layer terms of L(mu2/mu1^2 - 1 - s1), and
    whether the layers before q settles at q* (the transient from the input) add most of the spread."""
    act = p.mu2 / (p.mu1 * p.mu1) - 1.0 if p.mu1 > 0 else math.nan
    if math.isfinite(act) and act > 0.5:
        verdict = f"{activation} can never be isometric"
        if activation == "relu" and not compact:
            verdict += " (φ′² is 0 or 1, so μ2/μ1² = 2 at every q*)"
    elif p.s1 != 0:
        verdict = "only orthogonal weights can make it isometric"
    else:
        verdict = "isometry is within reach" + ("" if compact else " (chi1 = 1 with a small q*)")
    transient = math.isfinite(p.normalized_var) and p.normalized_var > 2.0 * p.critical_var + 0.1
    if compact:
        return f"per layer {activation} +{num(act)}, weights +{num(-p.s1)}: {why_short(p)}"
    weights = "orthogonal weights 0" if p.s1 == 0 else "i.i.d. weights 1"
    text = f"per layer {activation} adds μ2/μ1² − 1 = {num(act)} at q* {num(p.q_star)}, {weights}: {verdict}"
    if transient:
        text += (f"; here the first layers, before q settles at q*, add most of the {num(p.normalized_var)} "
                 "(the input starts far from q*)")
    return text


def jacobian_figure(j: JacobianResult, log: bool, measured: RGB, isometry: RGB) -> tuple[Figure, list[str]]:
    """Bars of the singular values (or their log10), the isometry line sigma = 1 in view."""
    sv = j.singular_values
    if flat_spectrum(sv):
        median = float(np.median(sv))
        words = (f"all {sv.size} singular values equal {num(median)} (spread {num(float(sv.max() - sv.min()))})"
                 + (": J is an isometry" if abs(median - 1.0) <= FLAT_SPECTRUM else ""))
        return Figure(message=words), []
    h = j.log10_histogram if log else j.histogram
    bars, words = histogram_bars(h, measured)
    if bars is None:
        return Figure(message=j.note or words), []
    left, right = float(h.edges[0]), float(h.edges[-1])
    iso = 0.0 if log else 1.0
    notes: list[str] = []
    if log:
        floor = roundoff(j)
        below = int(np.count_nonzero(sv <= floor)) if floor > 0 else 0
        if below and math.log10(floor) > left:  # numerically zero: round-off, not a spread of J
            left = math.log10(floor)
            notes.append(f"{below} below round-off (σ ≤ {num(floor)}) left out")
        left, right = min(left, iso), max(right, iso)
        pad = 0.03 * (right - left)
        left, right = left - pad, right + pad
    else:  # singular values are >= 0: the axis runs from 0 to the largest (or to the isometry line)
        left, right = 0.0, max(right, iso)
    fig = Figure(bars=[bars], x_is_layer=False, x_range=(left, right), y_floor=0.0,
                 x_label="singular value σ (log10 axis)" if log else "singular value σ",
                 legend=[Legend("singular values", measured), Legend("σ = 1 (isometry)", isometry, "│")])
    fig.vlines.append((iso, isometry))
    if log:
        axis = log_axis(left, right, 6)
        inside = [(t, lab) for t, lab in zip(axis.ticks, axis.labels, strict=True) if left <= t <= right]
        if len(inside) >= 2:
            fig.x_ticks = inside
    notes += histogram_notes(h)
    if log and h.nonfinite:
        notes = [n for n in notes if "non-finite" not in n] + [f"{h.nonfinite} exactly 0 (no log)"]
    return fig, notes


def jacobian_numbers(j: JacobianResult, activation: str, compact: bool = False, notes: tuple[str, ...] = (),
                     tight: bool = False) -> Content:
    """The spectrum's numbers next to the prediction, the verdict and why (`compact`: 80 columns; `tight`: a short
    pane, where the verdict and the reason share one line so the histogram keeps its rows); `notes` about the
    histogram go on the singular values' line."""
    p = j.prediction
    sv = j.singular_values
    pred = p.applicable
    lines: list[Content] = []
    values = {"mean": num(j.eig_mean), "pmean": num(p.mean) if pred else "–", "var": num(j.eig_var),
              "nv": num(j.eig_normalized_var), "pnv": num(p.normalized_var) if pred else "–",
              "crit": num(p.critical_var), "L": str(j.config.n_layers), "mu1": num(p.mu1), "mu2": num(p.mu2),
              "term": num(p.critical_var / j.config.n_layers) if pred else "–"}
    if sv.size and compact:
        lines.append(Content.from_markup("[dim]eig of JJᵀ[/dim] mean [b]$mean[/b] [dim](pred $pmean)[/dim]  "
                                         "var $var", **values))
        lines.append(Content.from_markup("var/mean² [b]$nv[/b] [dim](pred $pnv" + ("; at chi1 = 1: $crit" if pred
                                                                               else "") + ")[/dim]", **values))
    elif sv.size:
        lines.append(Content.from_markup(
            "[dim]eig of JJᵀ[/dim]  mean [b]$mean[/b] [dim](predicted $pmean)[/dim] · var $var · "
            "var/mean² [b]$nv[/b] [dim](predicted $pnv)[/dim]", **values))
        rank = numerical_rank(j)
        zeros = (f" · [$warning]{sv.size - rank} of {sv.size} numerically 0: J has rank ≈ {rank}, those directions "
                 "get no gradient[/]" if 0 < rank < sv.size else "")
        lines.append(Content.from_markup("[dim]σ[/dim]  min $lo · median $mid · max $hi" + zeros
                                         + ("  [dim]histogram: $notes[/dim]" if notes else ""),
                                         lo=num(float(sv.min())), mid=num(float(np.median(sv))),
                                         hi=num(float(sv.max())), notes=" · ".join(notes)))
    if j.note:
        lines.append(Content.from_markup("[dim]note:[/dim] $note", note=j.note))
    if pred and not compact:
        lines.append(Content.from_markup(
            "[dim]predicted at chi1 = 1:[/dim] var = L(μ2/μ1² − 1 − s1) = $L × $term = [b]$crit[/b]  "
            "[dim](s1 = 0 orthogonal, −1 i.i.d.)[/dim]", **values))
    elif not pred:
        lines.append(Content.from_markup("[dim]prediction not applicable:[/dim] $why", why=p.reason))
    spread = j.eig_normalized_var if math.isfinite(j.eig_normalized_var) else p.normalized_var
    severity, words = spread_words(spread, compact)
    reason = pred and math.isfinite(p.mu1)
    if sv.size or pred:
        tail = "" if compact else " [dim](0 is isometry)[/dim]"
        if tight and reason:
            tail = "[dim]:[/dim] $short"
        lines.append(Content.from_markup(f"[b {STYLE[severity]}]$mark $words[/]{tail}", mark=MARK[severity],
                                         words=words, s=num(spread), short=why_short(p) if reason else ""))
        if tight:
            return Content("\n").join(lines)
    if reason:
        lines.append(Content.from_markup("[dim]why:[/dim] $why", why=why_words(p, activation, compact)))
    return Content("\n").join(lines)


# ---------------------------------------------------------------------------------------------- the tab
class TheoryTab(TabView):
    DEFAULT_CSS = """
    #jacobian-numbers { height: auto; padding: 0 1; }
    #phase-map { margin: 0 1 0 0; }
    #jacobian-hist { min-height: 8; }
    """
    NAME = "theory"
    VIEWS: ClassVar[list[tuple[str, str]]] = [("measured", "std"), ("saturation", "saturation"),
                                              ("phase", "phase"), ("jacobian", "Jacobian")]
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
            with Vertical(id="phase"):
                yield Paragraph("", max_lines=3, id="phase-caption", classes="caption")
                yield Plot(id="phase-map")
            with Vertical(id="jacobian"):
                yield Paragraph("", max_lines=2, id="jacobian-caption", classes="caption")
                yield Plot(id="jacobian-hist")
                yield Paragraph("", max_lines=10, id="jacobian-numbers")

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
        self.query_one("#theory-compare", PlotCard).show("[b]measured vs predicted[/b] std"
                                                         + self.pair_hint("residual →"), fig)

        # residual in decades: log10(measured) - log10(predicted), a difference of two plotted series
        ma, _ = log10_series(r.forward.activation.std)
        pa, _ = log10_series(r.theory_layers.activation_std)
        mg, _ = log10_series(r.backward.activation_grad_std)
        pg, _ = log10_series(r.theory_layers.activation_grad_std)
        res_a, res_g = ma - pa, mg - pg
        both = np.concatenate([res_a, res_g])
        worst = float(np.nanmax(np.abs(both))) if np.isfinite(both).any() else math.nan
        x = layers_of(r)
        fig2 = Figure(lines=[Line(x, res_a, p.measured, marker="●", points=True, dodge=True),
                             Line(x, res_g, p.second, marker="◆", points=True, dodge=True)],
                      depth=r.depth, x_label="layer", selected=float(state.layer), y_include=(0.0,),
                      legend=[Legend("A", p.measured, "●"), Legend("dA", p.second, "◆")])
        hidden2 = int(np.count_nonzero(~np.isfinite(res_a)) + np.count_nonzero(~np.isfinite(res_g)))
        fig2.notes = [f"worst {num(worst)} decades", *hidden_words(hidden2, 2 * r.depth)]
        self.query_one("#theory-residual", PlotCard).show("[b]residual[/b] log10(measured/predicted)"
                                                          + self.pair_hint("next view"), fig2)

    # ------------------------------------------------------------------ saturation
    def _draw_saturation(self, state: ViewState, r: Result) -> None:
        p = state.palette
        left = self.query_one("#saturation-compare", PlotCard)
        right = self.query_one("#saturation-residual", PlotCard)
        measured = np.asarray(r.forward.saturated_fraction, dtype=np.float64)
        predicted = np.asarray(r.theory_layers.saturated_fraction, dtype=np.float64)
        if not np.isfinite(measured).any() and r.layers_done > 0:
            message = Figure(message=f"saturation is defined for tanh and sigmoid (|a| > 0.97 and |2a − 1| > 0.97); "
                                     f"{r.config.activation} has none")
            left.show("[b]saturated %[/b]", message)
            right.show("[b]residual[/b]", message)
            return
        series: list[Series] = [("measured", measured, p.measured, r),
                                ("predicted P(|z| > t)", predicted, p.theory, r),
                                *pin_series(state, lambda res: res.forward.saturated_fraction)]
        fig = per_layer_figure(state, series, log=False, scale=100.0)
        fig.y_floor, fig.y_ceiling = 0.0, 100.0
        left.show("[b]saturated %[/b]" + self.pair_hint("residual →"), fig)
        if not np.isfinite(predicted).any():
            right.show("[b]residual[/b]", Figure(message=r.theory.reason or "no prediction"))
            return
        residual = 100.0 * (measured - predicted)
        worst_i = int(np.nanargmax(np.abs(residual))) if np.isfinite(residual).any() else -1
        worst = float(abs(residual[worst_i])) if worst_i >= 0 else math.nan
        fig2 = Figure(lines=[Line(layers_of(r), residual, p.warning, marker="●", points=True)], depth=r.depth,
                      x_label="layer", selected=float(state.layer), y_include=(0.0,),
                      legend=[Legend("measured − predicted", p.warning, "●")])
        last = r.layers_done - 1
        at_last = f" · last {pct(measured[last])} vs {pct(predicted[last])}" if last >= 0 else ""
        fig2.notes = [f"worst {num(worst)}{f' at layer {worst_i + 1}' if worst_i >= 0 else ''}{at_last}"]
        right.show("[b]residual[/b] % points" + self.pair_hint("next view"), fig2)

    # ------------------------------------------------------------------ phase diagram
    def _draw_phase(self, state: ViewState, r: Result) -> None:
        p = state.palette
        extras = state.extras
        caption = self.query_one("#phase-caption", Paragraph)
        pmap = self.query_one("#phase-map", Plot)
        t = r.theory
        cursor = (t.sigma_w2, t.sigma_b2) if t.applicable and math.isfinite(t.sigma_w2) and math.isfinite(
            t.sigma_b2) else None
        act = r.config.activation + (f"({', '.join(f'{k}={v:g}' for k, v in r.config.activation_params.items())})"
                                     if r.config.activation_params else "")
        grid = extras.phase
        if grid is None:
            if extras.phase_key is not None:
                self.post_message(PhaseGridWanted(extras.phase_key))
                self.draw_again()
            caption.set(Content.from_markup("[b]phase diagram[/b] $act  [dim]computing chi1 over (σw², σb²)…[/dim]",
                                            act=act))
            pmap.show(Figure(message=f"computing the phase diagram of {act}…"))
            return
        marks = []
        for n, pin in enumerate(state.pins, start=1):
            pt = pin.result.theory
            same = (pin.result.config.activation, pin.result.config.activation_params) == (
                r.config.activation, r.config.activation_params)
            if same and pt.applicable and math.isfinite(pt.sigma_w2) and math.isfinite(pt.sigma_b2):
                marks.append((str(n), pt.sigma_w2, pt.sigma_b2, pin.color))
        line = theme_rgb(self, "foreground", (235, 235, 235))
        fig = phase_figure(grid, cursor, marks, p.measured, p.error, line, p.warning, surface_of(self))
        # both axes named in the title: a plot under 12 rows has no room for the x label
        pmap.show(fig, Content.from_markup("[b]σb²[/b] ↑ [dim]over[/dim] [b]σw²[/b] →  [dim]chi1:[/dim]"))
        about = "" if self.compact else "[dim]chi1 at the fixed point over σw² (across) and σb² (up)[/dim]"
        if cursor is None and (r.config.arch != "mlp" or r.config.norm != "none"):
            here = ("[$warning]the map of a plain MLP: this net's residual or normalized stream has no such fixed "
                    "point (its recursion is above)[/]")
        elif cursor is None:
            here = f"[dim]no cursor: {t.reason.replace('[', '(')}[/dim]"
        elif any(lg.mark == CURSOR_MARK for lg in fig.legend):
            here = swatch(f"this net (σw² {num(t.sigma_w2)}, σb² {num(t.sigma_b2)})", p.warning, CURSOR_MARK)
        else:
            here = f"[$warning]this net (σw² {num(t.sigma_w2)}, σb² {num(t.sigma_b2)}) is off the map[/]"
        caption.set(Content.from_markup(
            f"[b]$act[/b]  {here}  {about}", act=act))  # the net first: a narrow caption wraps the prose

    # ------------------------------------------------------------------ Jacobian
    def _draw_jacobian(self, state: ViewState, r: Result) -> None:
        p = state.palette
        extras = state.extras
        caption = self.query_one("#jacobian-caption", Paragraph)
        canvas = self.query_one("#jacobian-hist", Plot)
        numbers = self.query_one("#jacobian-numbers", Paragraph)
        js: JacobianState | None = extras.jacobian
        if js is None:
            caption.set(Content.from_markup("[b]Jacobian spectrum[/b] [dim]on demand: press j[/dim]"))
            canvas.show(Figure(message="j: singular values of J = ∂a_L/∂x at init (widths up to 1024)"))
            numbers.set(Content.from_markup(
                "[dim]The spread of J's singular values says whether every direction of the gradient survives the "
                "depth (dynamical isometry: all σ = 1). Orthogonal weights with tanh near q* → 0 can get there; "
                "ReLU nets cannot, whatever their variance.[/dim]"))
            return
        if extras.jacobian_follow and js.config != r.config:
            self.post_message(JacobianWanted())
            self.draw_again()
        shown = js.result if js.status == "done" else js.previous
        if js.status == "refused":
            caption.set(Content.from_markup("[b]Jacobian spectrum[/b] [$warning]refused[/]"))
            canvas.show(Figure(message=js.message))
            numbers.set(Content.from_markup("[dim]The Jacobian is an L-fold product of n×n matrices and an SVD: it "
                                            "is computed for fan-in and widths up to 1024. Narrow the net and "
                                            "press j.[/dim]"))
            return
        if js.status == "failed":
            caption.set(Content.from_markup("[b]Jacobian spectrum[/b] [$error]failed[/]"))
            canvas.show(Figure(message=js.message))
            numbers.set("")
            return
        if shown is None:
            caption.set(Content.from_markup("[b]Jacobian spectrum[/b] [dim]computing…[/dim]"))
            canvas.show(Figure(message=f"computing J ({js.done}/{js.total})…" if js.total else "computing J…"))
            numbers.set("")
            return
        log = extras.jacobian_log if extras.jacobian_log is not None else spans_decades(shown.singular_values)
        fig, notes = jacobian_figure(shown, log, p.measured, p.theory)
        cfg = shown.config
        rows, cols = cfg.fan_in, cfg.widths[-1]
        stale = ""
        if shown.config != r.config:
            stale = ("  [$warning]updating for the current config…[/]" if js.status == "running"
                     else "  [$warning]of a previous config: j recomputes[/]")
        axis = "linear" if log else "log10"
        compact = self.compact
        title = ("[b]J = ∂a_L/∂x[/b] $rows×$cols, L $depth" if compact else
                 "[b]singular values of J = ∂a_L/∂x[/b] $rows×$cols, depth $depth, input row $row")
        caption.set(Content.from_markup(
            f"{title}  "
            f"[@click=app.jacobian_axis] [u]$axis axis[/u] [/]{stale}",
            rows=str(rows), cols=str(cols), depth=str(cfg.n_layers), row=str(shown.sample_index), axis=axis))
        if compact:
            fig.x_label = ""  # one more row for the bars
        canvas.show(fig)
        numbers.set(jacobian_numbers(shown, cfg.activation, compact or self.tight, tuple(notes), self.tight))
