"""The Theory tab's Jacobian view (key j): the histogram of the singular values of J = d a_L / d x, the mean
and variance of the eigenvalues of J J^T next to the free-probability prediction, and why (isometry or not).

The spectrum is the engine's (`engine/jacobian.py`), computed by the view's worker; this module words and
draws it."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.events import Show

from initscope.engine.arrays import FloatArray
from initscope.engine.config import Config
from initscope.engine.errors import ConfigError
from initscope.engine.jacobian import JacobianResult, check_size, jacobian_spectrum
from initscope.engine.jacobian_prediction import SpectrumPrediction
from initscope.engine.result import Result
from initscope.tui.axes import log_axis
from initscope.tui.messages import (
    JacobianFinished,
    JacobianProgress,
    JacobianWanted,
    StatusChanged,
)
from initscope.tui.plot_widget import Plot
from initscope.tui.plots import RGB, Figure, Legend, histogram_bars, histogram_notes
from initscope.tui.state import JacobianState, ViewState
from initscope.tui.summary import num
from initscope.tui.tabs.base import displayed
from initscope.tui.text import Paragraph, one_line
from initscope.tui.theory.readouts import MARK, STYLE
from initscope.tui.workers import compute_and_post

ISOMETRY_NEAR = 0.1
"""var/mean^2 of the eigenvalues of J J^T below this: near dynamical isometry (as `initscope theory`)."""
ISOMETRY_FAR = 1.0
"""Above this: far from isometry."""
FLAT_SPECTRUM = 1e-3
"""Singular values whose spread is below this share of their median are said to be equal, not binned."""


def spans_decades(values: object) -> bool:
    """True when the singular values spread over more than one decade, or some are 0 (read them on log10)."""
    arr = np.asarray(values, dtype=np.float64)
    positive = arr[np.isfinite(arr) & (arr > 0)]
    if positive.size < 2:
        return False
    return bool(positive.max() / positive.min() > 10.0) or positive.size < arr.size


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
        text += (
            f"; here the first layers, before q settles at q*, add most of the {num(p.normalized_var)} "
            "(the input starts far from q*)"
        )
    return text


def jacobian_figure(j: JacobianResult, log: bool, measured: RGB, isometry: RGB) -> tuple[Figure, list[str]]:
    """Bars of the singular values (or their log10), the isometry line sigma = 1 in view."""
    sv = j.singular_values
    if flat_spectrum(sv):
        median = float(np.median(sv))
        words = f"all {sv.size} singular values equal {num(median)} (spread {num(float(sv.max() - sv.min()))})" + (
            ": J is an isometry" if abs(median - 1.0) <= FLAT_SPECTRUM else ""
        )
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
    fig = Figure(
        bars=[bars],
        x_is_layer=False,
        x_range=(left, right),
        y_floor=0.0,
        x_label="singular value σ (log10 axis)" if log else "singular value σ",
        legend=[Legend("singular values", measured), Legend("σ = 1 (isometry)", isometry, "│")],
    )
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


def jacobian_numbers(
    j: JacobianResult, activation: str, compact: bool = False, notes: tuple[str, ...] = (), tight: bool = False
) -> Content:
    """The spectrum's numbers next to the prediction, the verdict and why (`compact`: 80 columns; `tight`: a short
    pane, where the verdict and the reason share one line so the histogram keeps its rows); `notes` about the
    histogram go on the singular values' line."""
    p = j.prediction
    sv = j.singular_values
    pred = p.applicable
    lines: list[Content] = []
    values = {
        "mean": num(j.eig_mean),
        "pmean": num(p.mean) if pred else "–",
        "var": num(j.eig_var),
        "nv": num(j.eig_normalized_var),
        "pnv": num(p.normalized_var) if pred else "–",
        "crit": num(p.critical_var),
        "L": str(j.config.n_layers),
        "mu1": num(p.mu1),
        "mu2": num(p.mu2),
        "term": num(p.critical_var / j.config.n_layers) if pred else "–",
    }
    if sv.size and compact:
        lines.append(
            Content.from_markup("[dim]eig of JJᵀ[/dim] mean [b]$mean[/b] [dim](pred $pmean)[/dim]  var $var", **values)
        )
        lines.append(
            Content.from_markup(
                "var/mean² [b]$nv[/b] [dim](pred $pnv" + ("; at chi1 = 1: $crit" if pred else "") + ")[/dim]", **values
            )
        )
    elif sv.size:
        lines.append(
            Content.from_markup(
                "[dim]eig of JJᵀ[/dim]  mean [b]$mean[/b] [dim](predicted $pmean)[/dim] · var $var · "
                "var/mean² [b]$nv[/b] [dim](predicted $pnv)[/dim]",
                **values,
            )
        )
        rank = numerical_rank(j)
        zeros = (
            f" · [$warning]{sv.size - rank} of {sv.size} numerically 0: J has rank ≈ {rank}, those directions "
            "get no gradient[/]"
            if 0 < rank < sv.size
            else ""
        )
        lines.append(
            Content.from_markup(
                "[dim]σ[/dim]  min $lo · median $mid · max $hi"
                + zeros
                + ("  [dim]histogram: $notes[/dim]" if notes else ""),
                lo=num(float(sv.min())),
                mid=num(float(np.median(sv))),
                hi=num(float(sv.max())),
                notes=" · ".join(notes),
            )
        )
    if j.note:
        lines.append(Content.from_markup("[dim]note:[/dim] $note", note=j.note))
    if pred and not compact:
        lines.append(
            Content.from_markup(
                "[dim]predicted at chi1 = 1:[/dim] var = L(μ2/μ1² − 1 − s1) = $L × $term = [b]$crit[/b]  "
                "[dim](s1 = 0 orthogonal, −1 i.i.d.)[/dim]",
                **values,
            )
        )
    elif not pred:
        lines.append(Content.from_markup("[dim]prediction not applicable:[/dim] $why", why=p.reason))
    spread = j.eig_normalized_var if math.isfinite(j.eig_normalized_var) else p.normalized_var
    severity, words = spread_words(spread, compact)
    reason = pred and math.isfinite(p.mu1)
    if sv.size or pred:
        tail = "" if compact else " [dim](0 is isometry)[/dim]"
        if tight and reason:
            tail = "[dim]:[/dim] $short"
        lines.append(
            Content.from_markup(
                f"[b {STYLE[severity]}]$mark $words[/]{tail}",
                mark=MARK[severity],
                words=words,
                s=num(spread),
                short=why_short(p) if reason else "",
            )
        )
        if tight:
            return Content("\n").join(lines)
    if reason:
        lines.append(Content.from_markup("[dim]why:[/dim] $why", why=why_words(p, activation, compact)))
    return Content("\n").join(lines)


class JacobianView(Vertical):
    """The Jacobian view: a caption, the histogram, and the numbers below it. It owns the spectrum's worker
    (exclusive, cancelled through its `cancelled_event`) and what it computed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.job: JacobianState | None = None
        """The spectrum computed or computing, for the latest request."""
        self.follow = False
        """The user asked for the Jacobian (j): while shown, it follows the config."""
        self.log10_axis: bool | None = None
        """Axis of the histogram: log10, linear, or None (log10 when the values span > 1 decade)."""
        self.last_drawn: tuple[ViewState, Result, bool, bool] | None = None
        self.stale = False
        """The spectrum changed while the view was hidden: it draws again when shown."""

    def compose(self) -> ComposeResult:
        yield Paragraph("", max_lines=2, id="jacobian-caption", classes="caption")
        yield Plot(id="jacobian-hist")
        yield Paragraph("", max_lines=10, id="jacobian-numbers")

    # ------------------------------------------------------------------ computing
    def request(self, cfg: Config, explicit: bool = False) -> None:
        """Compute the Jacobian of `cfg` unless it is computed or computing already (`explicit`: the key j, which
        says a refusal again and retries a failure)."""
        jac = self.job
        settled = ("running", "done", "refused") if explicit else ("running", "done", "refused", "failed")
        if jac is not None and jac.config == cfg and jac.status in settled:
            if explicit and jac.status == "refused":
                self.notify(jac.message, severity="warning", timeout=8)
            return
        previous = None if jac is None else (jac.result if jac.result is not None else jac.previous)
        try:
            check_size(cfg)
        except ConfigError as err:
            self.job = JacobianState(cfg, "refused", message=one_line(err), previous=previous)
            if explicit:
                self.notify(one_line(err), severity="warning", timeout=8)
        else:
            self.job = JacobianState(cfg, "running", total=cfg.n_layers + 1, previous=previous)
            self._compute(cfg)
        self.redraw()

    def config_requested(self, cfg: Config) -> None:
        """A run of `cfg` was requested: a spectrum computing for another config is cancelled."""
        jac = self.job
        if jac is not None and jac.status == "running" and jac.config != cfg:
            self.workers.cancel_group(self, "jacobian")
            self.job = dataclasses.replace(jac, status="cancelled")

    def toggle_axis(self) -> None:
        """Switch the histogram between a log10 and a linear axis."""
        shown = self.job.result if self.job is not None else None
        current = self.log10_axis
        if current is None:
            current = shown is not None and spans_decades(shown.singular_values)
        self.log10_axis = not current
        self.redraw()

    @work(thread=True, exclusive=True, group="jacobian", exit_on_error=False)
    def _compute(self, cfg: Config) -> None:
        compute_and_post(
            self.post_message,
            lambda cancel, progress: jacobian_spectrum(cfg, cancel=cancel, progress=progress),
            lambda done, total: JacobianProgress(cfg, done, total),
            lambda result: JacobianFinished(cfg, result),
            lambda err: JacobianFinished(cfg, None, err),
        )

    def on_jacobian_progress(self, message: JacobianProgress) -> None:
        message.stop()
        jac = self.job
        if jac is None or jac.config != message.config or jac.status != "running":
            return
        self.job = dataclasses.replace(jac, done=message.done, total=message.total)
        self.post_message(StatusChanged(f"Jacobian {message.done}/{message.total}"))

    def on_jacobian_finished(self, message: JacobianFinished) -> None:
        message.stop()
        jac = self.job
        if jac is None or jac.config != message.config:
            return  # a newer request exists
        if message.result is None:
            err = message.error or RuntimeError("no result")
            self.job = dataclasses.replace(jac, status="failed", message=one_line(err))
            self.notify(f"Jacobian failed: {one_line(err)}", severity="error", timeout=8)
        else:
            self.job = JacobianState(message.config, "done", message.result, total=jac.total, done=jac.total)
            clock = bool(getattr(self.app, "clock", True))
            self.post_message(StatusChanged(f"J {message.result.elapsed_s * 1000:.0f} ms" if clock else "J done"))
        self.redraw()

    # ------------------------------------------------------------------ drawing
    def redraw(self) -> None:
        """Draw what was last drawn with the current spectrum, now if shown, else when shown."""
        self.stale = not displayed(self)
        if not self.stale and self.last_drawn is not None:
            self.draw(*self.last_drawn)

    def on_show(self, event: Show) -> None:
        if self.stale and self.last_drawn is not None:
            self.stale = False
            self.draw(*self.last_drawn)

    def draw(self, state: ViewState, r: Result, compact: bool, tight: bool) -> bool:
        """Draw the spectrum; False when it belongs to another config and one for `r` was asked for: the tab then
        draws this view again when it is shown."""
        self.last_drawn = (state, r, compact, tight)
        js = self.job
        if js is None:
            self._show_words(
                Content.from_markup("[b]Jacobian spectrum[/b] [dim]on demand: press j[/dim]"),
                "j: singular values of J = ∂a_L/∂x at init (widths up to 1024)",
                Content.from_markup(
                    "[dim]The spread of J's singular values says whether every direction of the gradient survives the "
                    "depth (dynamical isometry: all σ = 1). Orthogonal weights with tanh near q* → 0 can get there; "
                    "ReLU nets cannot, whatever their variance.[/dim]"
                ),
            )
            return True
        complete = not (self.follow and js.config != r.config)
        if not complete:
            self.post_message(JacobianWanted())
        shown = js.result if js.status == "done" else js.previous
        if js.status == "refused":
            self._show_words(
                Content.from_markup("[b]Jacobian spectrum[/b] [$warning]refused[/]"),
                js.message,
                Content.from_markup(
                    "[dim]The Jacobian is an L-fold product of n×n matrices and an "
                    "SVD: it is computed for fan-in and widths up to 1024. Narrow the "
                    "net and press j.[/dim]"
                ),
            )
        elif js.status == "failed":
            self._show_words(Content.from_markup("[b]Jacobian spectrum[/b] [$error]failed[/]"), js.message, "")
        elif shown is None:
            self._show_words(
                Content.from_markup("[b]Jacobian spectrum[/b] [dim]computing…[/dim]"),
                f"computing J ({js.done}/{js.total})…" if js.total else "computing J…",
                "",
            )
        else:
            self._show_spectrum(state, r, js, shown, compact, tight)
        return complete

    def _show_words(self, caption: Content, message: str, numbers: Content | str) -> None:
        """Words instead of a spectrum: a caption, a message where the histogram goes, and words below."""
        self.query_one("#jacobian-caption", Paragraph).set(caption)
        self.query_one("#jacobian-hist", Plot).show(Figure(message=message))
        self.query_one("#jacobian-numbers", Paragraph).set(numbers)

    def _show_spectrum(
        self, state: ViewState, r: Result, js: JacobianState, shown: JacobianResult, compact: bool, tight: bool
    ) -> None:
        p = state.palette
        log = self.log10_axis if self.log10_axis is not None else spans_decades(shown.singular_values)
        fig, notes = jacobian_figure(shown, log, p.measured, p.theory)
        cfg = shown.config
        stale = ""
        if shown.config != r.config:
            stale = (
                "  [$warning]updating for the current config…[/]"
                if js.status == "running"
                else "  [$warning]of a previous config: j recomputes[/]"
            )
        axis = "linear" if log else "log10"
        title = (
            "[b]J = ∂a_L/∂x[/b] $rows×$cols, L $depth"
            if compact
            else "[b]singular values of J = ∂a_L/∂x[/b] $rows×$cols, depth $depth, input row $row"
        )
        self.query_one("#jacobian-caption", Paragraph).set(
            Content.from_markup(
                f"{title}  [@click=app.jacobian_axis] [u]$axis axis[/u] [/]{stale}",
                rows=str(cfg.fan_in),
                cols=str(cfg.widths[-1]),
                depth=str(cfg.n_layers),
                row=str(shown.sample_index),
                axis=axis,
            )
        )
        if compact:
            fig.x_label = ""  # one more row for the bars
        self.query_one("#jacobian-hist", Plot).show(fig)
        self.query_one("#jacobian-numbers", Paragraph).set(
            jacobian_numbers(shown, cfg.activation, compact or tight, tuple(notes), tight)
        )
