"""The app's on-demand computations: the Jacobian spectrum (key j), the seed ensemble (key k) and the
phase-diagram grid (when the Theory tab's phase view is shown).

`OnDemandApp` is the base of `InitScopeApp`: it owns one thread worker per kind (the Jacobian and the
ensemble are exclusive, and get the worker's `cancelled_event`), keeps their results, and hands them to
the tabs through `extras_for(result)` (the ViewState's `extras`). Nothing here runs the engine on the UI
thread. Results are dropped, not shown, when the config they belong to is no longer the shown one.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.widgets import TabbedContent
from textual.worker import get_current_worker

from initscope.engine.config import Config
from initscope.engine.ensemble import DEFAULT_K, seed_ensemble
from initscope.engine.errors import ConfigError
from initscope.engine.jacobian import check_size, jacobian_spectrum
from initscope.engine.result import Result
from initscope.tui.messages import (
    EnsembleFinished,
    EnsembleProgress,
    JacobianFinished,
    JacobianProgress,
    JacobianWanted,
    throttled_progress,
)
from initscope.tui.state import EnsembleState, Extras, JacobianState, ViewState
from initscope.tui.tabs.base import TabView
from initscope.tui.text import one_line
from initscope.tui.theory.jacobian import spans_decades


class OnDemandApp(App[int]):
    """Keys j and k, their workers and results, and the phase-grid cache (base class of the explorer)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "jacobian", "Jacobian", show=False),
        Binding("k", "ensemble", "seed bands", show=False),
    ]

    config: Config
    result: Result | None
    state: ViewState
    clock: bool

    def __init__(self) -> None:
        super().__init__()
        self.jacobian: JacobianState | None = None
        self.jacobian_follow = False
        self.jacobian_log: bool | None = None
        self.ensemble: EnsembleState | None = None

    # the app provides these
    def redraw(self) -> None:
        raise NotImplementedError

    def _set_status(self, text: str) -> None:
        raise NotImplementedError

    def _visible_tab(self) -> str:
        return self.query_one("#tabs", TabbedContent).active or "weights"

    def show_view(self, tab: str, view: str) -> None:
        """Show `tab` at its view `view` (palette commands)."""
        self.query_one("#tabs", TabbedContent).active = tab
        self.query_one(f"#{tab}-view", TabView).set_view(view)

    # ------------------------------------------------------------------ what the tabs see
    def extras_for(self, result: Result | None) -> Extras:
        """The extras that belong to `result` (an ensemble of another config is not handed over)."""
        if result is None:
            return Extras(jacobian=self.jacobian, jacobian_follow=self.jacobian_follow, jacobian_log=self.jacobian_log)
        ens = self.ensemble
        mine = ens is not None and ens.config == result.config
        return Extras(ensemble=ens.result if mine and ens is not None else None,
                      ensemble_running=mine and ens is not None and ens.status == "running",
                      jacobian=self.jacobian, jacobian_follow=self.jacobian_follow, jacobian_log=self.jacobian_log)

    def config_requested(self, cfg: Config) -> None:
        """A run of `cfg` was requested: stop and drop what belongs to another config."""
        ens = self.ensemble
        if ens is not None and ens.config != cfg:
            if ens.status == "running":
                self.workers.cancel_group(self, "ensemble")
            elif ens.result is not None:
                self.notify("seed bands dropped: the config changed (k computes them again)", timeout=4)
            self.ensemble = None
        jac = self.jacobian
        if jac is not None and jac.status == "running" and jac.config != cfg:
            self.workers.cancel_group(self, "jacobian")
            self.jacobian = dataclasses.replace(jac, status="cancelled")

    # ------------------------------------------------------------------ Jacobian
    def action_jacobian(self) -> None:
        """Show the Theory tab's Jacobian view and compute the spectrum of the current config."""
        self.jacobian_follow = True
        self.show_view("theory", "jacobian")
        self.request_jacobian(explicit=True)

    def action_jacobian_axis(self) -> None:
        """Switch the singular-value histogram between a log10 and a linear axis."""
        shown = self.jacobian.result if self.jacobian is not None else None
        current = self.jacobian_log
        if current is None:
            current = shown is not None and spans_decades(shown.singular_values)
        self.jacobian_log = not current
        self.redraw()

    def request_jacobian(self, explicit: bool = False) -> None:
        """Compute the Jacobian of the latest config unless it is computed or computing already."""
        cfg = self.config
        jac = self.jacobian
        settled = ("running", "done", "refused") if explicit else ("running", "done", "refused", "failed")
        if jac is not None and jac.config == cfg and jac.status in settled:
            if explicit and jac.status == "refused":
                self.notify(jac.message, severity="warning", timeout=8)
            return
        previous = None
        if jac is not None:
            previous = jac.result if jac.result is not None else jac.previous
        try:
            check_size(cfg)
        except ConfigError as err:
            self.jacobian = JacobianState(cfg, "refused", message=one_line(err), previous=previous)
            if explicit:
                self.notify(one_line(err), severity="warning", timeout=8)
            self.redraw()
            return
        self.jacobian = JacobianState(cfg, "running", total=cfg.n_layers + 1, previous=previous)
        self._jacobian_worker(cfg)
        self.redraw()

    def on_jacobian_wanted(self, message: JacobianWanted) -> None:
        message.stop()
        if self.jacobian_follow:
            self.request_jacobian()

    @work(thread=True, exclusive=True, group="jacobian", exit_on_error=False)
    def _jacobian_worker(self, cfg: Config) -> None:
        worker = get_current_worker()
        progress = throttled_progress(self.post_message, lambda done, total: JacobianProgress(cfg, done, total))
        try:
            result = jacobian_spectrum(cfg, cancel=worker.cancelled_event, progress=progress)
        except Exception as err:  # the app goes on; the view says what failed
            self.post_message(JacobianFinished(cfg, None, err))
            return
        if worker.is_cancelled or result.cancelled:
            return
        self.post_message(JacobianFinished(cfg, result))

    def on_jacobian_progress(self, message: JacobianProgress) -> None:
        jac = self.jacobian
        if jac is None or jac.config != message.config or jac.status != "running":
            return
        self.jacobian = dataclasses.replace(jac, done=message.done, total=message.total)
        self._set_status(f"Jacobian {message.done}/{message.total}")

    def on_jacobian_finished(self, message: JacobianFinished) -> None:
        jac = self.jacobian
        if jac is None or jac.config != message.config:
            return  # a newer request exists
        if message.result is None:
            err = message.error or RuntimeError("no result")
            self.jacobian = dataclasses.replace(jac, status="failed", message=one_line(err))
            self.notify(f"Jacobian failed: {one_line(err)}", severity="error", timeout=8)
        else:
            self.jacobian = JacobianState(message.config, "done", message.result, total=jac.total, done=jac.total)
            self._set_status(f"J {message.result.elapsed_s * 1000:.0f} ms" if self.clock
                             else "J done")
        self.redraw()

    # ------------------------------------------------------------------ seed ensemble
    def action_ensemble(self) -> None:
        """Seed bands on the Forward and Backward plots: compute them for the current config, or hide them."""
        cfg = self.config
        ens = self.ensemble
        if self._visible_tab() not in ("forward", "backward"):
            self.query_one("#tabs", TabbedContent).active = "forward"
        if ens is not None and ens.config == cfg:
            if ens.status == "running":
                self.workers.cancel_group(self, "ensemble")
                self.notify("seed ensemble cancelled")
            else:
                self.notify("seed bands hidden (k shows them again)")
            self.ensemble = None
            self._set_status("")
            self.redraw()
            return
        if ens is not None and ens.status == "running":
            self.workers.cancel_group(self, "ensemble")
        self.ensemble = EnsembleState(cfg, "running", total=DEFAULT_K * 2 * cfg.n_layers)
        self._ensemble_worker(cfg)
        self._set_status(f"seeds 0/{DEFAULT_K}")  # no toast: one costs a layout pass (~50 ms); the caption says it
        self.redraw()

    @work(thread=True, exclusive=True, group="ensemble", exit_on_error=False)
    def _ensemble_worker(self, cfg: Config) -> None:
        worker = get_current_worker()
        progress = throttled_progress(self.post_message, lambda done, total: EnsembleProgress(cfg, done, total))
        try:
            result = seed_ensemble(cfg, DEFAULT_K, cancel=worker.cancelled_event, progress=progress)
        except Exception as err:
            self.post_message(EnsembleFinished(cfg, None, err))
            return
        if worker.is_cancelled or result.cancelled:
            return
        self.post_message(EnsembleFinished(cfg, result))

    def on_ensemble_progress(self, message: EnsembleProgress) -> None:
        ens = self.ensemble
        if ens is None or ens.config != message.config or ens.status != "running":
            return
        self.ensemble = dataclasses.replace(ens, done=message.done, total=message.total)
        per_seed = max(1, 2 * message.config.n_layers)
        self._set_status(f"seeds {message.done // per_seed}/{DEFAULT_K}")

    def on_ensemble_finished(self, message: EnsembleFinished) -> None:
        ens = self.ensemble
        if ens is None or ens.config != message.config:
            return
        if message.result is None:
            self.ensemble = None
            err = message.error or RuntimeError("no result")
            self.notify(f"seed ensemble failed: {one_line(err)}", severity="error", timeout=8)
        else:
            self.ensemble = EnsembleState(message.config, "done", message.result, ens.total, ens.total)
            self._set_status(f"seeds {message.result.elapsed_s:.1f} s" if self.clock
                             else "seeds done")
        self.redraw()
