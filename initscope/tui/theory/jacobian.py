"""The Theory tab's Jacobian view (key j): the histogram of the singular values of J = d a_L / d x, the mean
and variance of the eigenvalues of J J^T next to the free-probability prediction, and why (isometry or not).

The spectrum is the engine's (`engine/jacobian.py`), computed by the view's worker; this module owns the
worker and the widgets, and jacobian_readout.py words and draws the spectrum."""

from __future__ import annotations

import dataclasses

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.events import Show

from initscope.engine.config import Config
from initscope.engine.errors import ConfigError
from initscope.engine.jacobian import JacobianResult, check_size, jacobian_spectrum
from initscope.engine.result import Result
from initscope.tui.messages import (
    JacobianFinished,
    JacobianProgress,
    JacobianWanted,
    StatusChanged,
)
from initscope.tui.plot_widget import Plot
from initscope.tui.plots import Figure
from initscope.tui.state import JacobianState, ViewState
from initscope.tui.tabs.base import displayed
from initscope.tui.text import Paragraph, one_line
from initscope.tui.theory.jacobian_readout import jacobian_figure, jacobian_numbers, spans_decades
from initscope.tui.workers import compute_and_post


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
