"""The seed ensemble (key k): the run repeated over DEFAULT_K seeds, drawn as 10-90 % bands on the Forward and
Backward std plots.

`SeedEnsemble` is a widget that is never displayed: two tabs draw its result, so neither owns it. It owns the
ensemble's exclusive thread worker (cancelled through its `cancelled_event`) and what it computed, and tells
the app through messages: `StatusChanged` for the status line, `ExtrasChanged` when the bands change.
"""

from __future__ import annotations

import dataclasses

from textual import work
from textual.widget import Widget

from initscope.engine.config import Config
from initscope.engine.ensemble import DEFAULT_K, EnsembleResult, seed_ensemble
from initscope.tui.messages import (
    EnsembleFinished,
    EnsembleProgress,
    ExtrasChanged,
    StatusChanged,
)
from initscope.tui.state import EnsembleState
from initscope.tui.text import one_line
from initscope.tui.workers import compute_and_post


class SeedEnsemble(Widget):
    """The ensemble of the latest config asked for with k (no display)."""

    DEFAULT_CSS = """
    SeedEnsemble { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.job: EnsembleState | None = None

    def bands_of(self, cfg: Config) -> tuple[EnsembleResult | None, bool]:
        """(the ensemble of `cfg` when there is one, whether one of `cfg` is computing)."""
        ens = self.job
        if ens is None or ens.config != cfg:
            return None, False
        return ens.result, ens.status == "running"

    def toggle(self, cfg: Config) -> None:
        """k: compute the bands of `cfg`, or hide them (cancel them while they compute)."""
        ens = self.job
        if ens is not None and ens.config == cfg:
            if ens.status == "running":
                self.workers.cancel_group(self, "ensemble")
                self.notify("seed ensemble cancelled")
            else:
                self.notify("seed bands hidden (k shows them again)")
            self.job = None
            self.post_message(StatusChanged(""))
            self.post_message(ExtrasChanged())
            return
        if ens is not None and ens.status == "running":
            self.workers.cancel_group(self, "ensemble")
        self.job = EnsembleState(cfg, "running", total=DEFAULT_K * 2 * cfg.n_layers)
        self._compute(cfg)
        self.post_message(StatusChanged(f"seeds 0/{DEFAULT_K}"))  # no toast: one costs a layout pass (~50 ms)
        self.post_message(ExtrasChanged())

    def config_requested(self, cfg: Config) -> None:
        """A run of `cfg` was requested: the ensemble of another config is stopped and dropped."""
        ens = self.job
        if ens is None or ens.config == cfg:
            return
        if ens.status == "running":
            self.workers.cancel_group(self, "ensemble")
        elif ens.result is not None:
            self.notify("seed bands dropped: the config changed (k computes them again)", timeout=4)
        self.job = None

    @work(thread=True, exclusive=True, group="ensemble", exit_on_error=False)
    def _compute(self, cfg: Config) -> None:
        compute_and_post(
            self.post_message,
            lambda cancel, progress: seed_ensemble(cfg, DEFAULT_K, cancel=cancel, progress=progress),
            lambda done, total: EnsembleProgress(cfg, done, total),
            lambda result: EnsembleFinished(cfg, result),
            lambda err: EnsembleFinished(cfg, None, err),
        )

    def on_ensemble_progress(self, message: EnsembleProgress) -> None:
        message.stop()
        ens = self.job
        if ens is None or ens.config != message.config or ens.status != "running":
            return
        self.job = dataclasses.replace(ens, done=message.done, total=message.total)
        per_seed = max(1, 2 * message.config.n_layers)
        self.post_message(StatusChanged(f"seeds {message.done // per_seed}/{DEFAULT_K}"))

    def on_ensemble_finished(self, message: EnsembleFinished) -> None:
        message.stop()
        ens = self.job
        if ens is None or ens.config != message.config:
            return
        if message.result is None:
            self.job = None
            err = message.error or RuntimeError("no result")
            self.notify(f"seed ensemble failed: {one_line(err)}", severity="error", timeout=8)
        else:
            self.job = EnsembleState(message.config, "done", message.result, ens.total, ens.total)
            clock = bool(getattr(self.app, "clock", True))
            self.post_message(StatusChanged(f"seeds {message.result.elapsed_s:.1f} s" if clock else "seeds done"))
        self.post_message(ExtrasChanged())
