"""Explorer: the explorer's panes, its run worker, and the drawing of the shown result.

Data flows one way: controls -> Config -> engine (an exclusive thread worker, cancelled through its
`cancelled_event`) -> RunFinished message -> the visible tab and the summary draw the Result. A result
whose generation is not the latest request is dropped, so ten quick edits show only the last one. The
header names the config of the result on screen (not the one requested), so it never describes a net
that is not drawn. What the user can do with it (keys, palette commands, files, pins) is InitScopeApp
(app.py). docs/architecture.md describes the layers.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ProgressBar, Static, TabbedContent, TabPane

from initscope.blas import limit_blas_threads
from initscope.engine.config import Config
from initscope.engine.errors import ConfigError
from initscope.engine.propagate import run
from initscope.engine.result import Result
from initscope.tui.chrome import QuietFooter, TextLine
from initscope.tui.colors import palette_of
from initscope.tui.controls import ControlPane
from initscope.tui.heap import HeapFreezer
from initscope.tui.labels import short_config
from initscope.tui.messages import (
    ConfigEdited,
    ConfigRefused,
    ExtrasChanged,
    RunFailed,
    RunFinished,
    RunProgress,
    StatusChanged,
)
from initscope.tui.seed_ensemble import SeedEnsemble
from initscope.tui.state import Extras, Palette, Pin, ViewState
from initscope.tui.summary import SummaryPane
from initscope.tui.tabs.backward import BackwardTab
from initscope.tui.tabs.base import TabView
from initscope.tui.tabs.forward import ForwardTab
from initscope.tui.tabs.weights import WeightsTab
from initscope.tui.text import one_line
from initscope.tui.theory.jacobian import JacobianView
from initscope.tui.theory.views import TheoryTab
from initscope.tui.train.tab import TrainTab
from initscope.tui.workers import compute_and_post

if TYPE_CHECKING:
    from initscope.engine.audit import AuditReport

PROGRESS_DELAY_S = 0.15
"""No progress is shown for runs quicker than this (the result itself says it is done)."""
REFUSED_STATUS = "invalid · kept"
"""The status while a field is refused: the result on screen is the last valid one."""


class Explorer(App[int]):
    """The panes, the run of the latest config, and what is drawn; complete on its own (InitScopeApp adds the
    user's actions). The on-demand computations are owned by what shows them: the Jacobian (j) by the Theory
    tab's JacobianView, the phase grid by its PhaseView, the seed ensemble (k) by the SeedEnsemble component."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 (Textual's declaration)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]  # noqa: RUF012

    def __init__(
        self,
        config: Config | None = None,
        export_dir: Path | str = "initscope-snapshots",
        open_path: Path | str | None = None,
        run_on_start: bool = True,
        clock: bool = True,
        audit: AuditReport | None = None,
    ) -> None:
        super().__init__()
        self.audit = audit
        """A weights file's audit (`initscope audit FILE --open`): shown in an Audit tab."""
        limit_blas_threads()
        self.initial_config = config or Config()
        self.config = self.initial_config
        """The config of the latest valid request (what the next result will show)."""
        self.export_dir = Path(export_dir)
        self.open_path = open_path
        self.run_on_start = run_on_start
        self.clock = clock
        """Show run times (off in snapshot tests, which must be deterministic)."""
        self.generation = 0
        self.shown_generation = -1
        self.result: Result | None = None
        self.pins: list[Pin] = []
        self.layer = 1
        self.state = ViewState(None)
        self.palette = Palette()
        self.status = ""
        self.result_status = ""
        """What the status said when the shown result arrived (it returns when a refused field is fixed)."""
        self.run_started = 0.0
        self.last_refusal = ""
        self.snapshot_path: Path | None = None
        self.can_export = True
        self.heap = HeapFreezer(self.set_timer)

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            yield Static(" initscope ", id="brand")
            yield TextLine(short_config(self.config), id="title")
            yield TextLine("", id="status")
            yield ProgressBar(total=2 * self.config.n_layers, show_eta=False, show_percentage=False, id="progress")
        with Horizontal(id="main"):
            yield ControlPane(self.config, id="controls")
            with Vertical(id="right"):
                with TabbedContent(id="tabs", initial="audit" if self.audit else "weights"):
                    with TabPane("1 Weights", id="weights"):
                        yield WeightsTab(id="weights-view")
                    with TabPane("2 Forward", id="forward"):
                        yield ForwardTab(id="forward-view")
                    with TabPane("3 Backward", id="backward"):
                        yield BackwardTab(id="backward-view")
                    with TabPane("4 Theory", id="theory"):
                        yield TheoryTab(id="theory-view")
                    with TabPane("5 Train", id="train"):
                        yield TrainTab(id="train-view")
                    if self.audit is not None:
                        from initscope.tui.tabs.audit import AuditTab

                        with TabPane("6 Audit", id="audit"):
                            yield AuditTab(self.audit, id="audit-view")
                yield SummaryPane(id="summary")
        yield SeedEnsemble()
        yield QuietFooter()

    def on_unmount(self) -> None:
        self.heap.release()

    def _on_theme(self) -> None:
        self.palette = palette_of(self.current_theme)
        self.redraw()

    # ------------------------------------------------------------------ runs
    def start_run(self, cfg: Config) -> None:
        """Request a run of `cfg`: cancels the running one; only this request's result will be shown."""
        self.generation += 1
        self.config = cfg
        self.query_one(SeedEnsemble).config_requested(cfg)  # the extras of another config stop
        self.query_one(JacobianView).config_requested(cfg)
        self.snapshot_path = None
        self.run_started = time.perf_counter()
        # Status and progress bar change only once the run has taken PROGRESS_DELAY_S: a quick run should
        # not compete with the worker for the GIL by repainting them (that would double its time). The title
        # changes with the result (redraw): it names what is drawn.
        self.set_timer(PROGRESS_DELAY_S, partial(self._still_running, self.generation))
        self._compute(self.generation, cfg)

    def _still_running(self, generation: int) -> None:
        """The run has taken PROGRESS_DELAY_S: without a layer count yet, say so with a moving bar."""
        if (
            generation == self.generation
            and self.shown_generation != generation
            and not self.status.startswith("running")
        ):
            self.query_one("#progress", ProgressBar).update(total=None)
            self._set_status("running")

    @work(thread=True, exclusive=True, group="engine", exit_on_error=False)
    def _compute(self, generation: int, cfg: Config) -> None:
        """Runs in a thread: the engine gets the worker's cancel event; results go back as messages."""
        compute_and_post(
            self.post_message,
            lambda cancel, progress: run(cfg, cancel=cancel, progress=progress),
            lambda done, total: RunProgress(generation, done, total),
            lambda result: RunFinished(generation, cfg, result),
            lambda err: RunFailed(generation, cfg, err),
            delay=PROGRESS_DELAY_S,
        )

    def on_run_progress(self, message: RunProgress) -> None:
        if message.generation != self.generation:
            return
        bar = self.query_one("#progress", ProgressBar)
        if message.done < message.total:
            bar.update(total=message.total, progress=message.done)
            self._set_status(f"running {message.done}/{message.total} layers")
        else:  # every layer is done; the theory and the verdict take an unknown while more
            bar.update(total=None)
            self._set_status("running: theory, verdict")

    def on_run_finished(self, message: RunFinished) -> None:
        if message.generation != self.generation:
            return  # a newer request exists: this result is stale
        self.result = message.result
        self.shown_generation = message.generation
        self.layer = max(1, min(self.layer, message.result.depth))
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=2 * message.result.depth, progress=2 * message.result.depth)
        self._set_status(f"{message.result.elapsed_s * 1000:.0f} ms" if self.clock else "done")
        self.result_status = self.status
        if self.query_one(ControlPane).invalid_field is not None:  # refused while this run was computing
            self._set_status(REFUSED_STATUS)
        self.redraw()

    def on_run_failed(self, message: RunFailed) -> None:
        if message.generation != self.generation:
            return
        err = message.error
        text = one_line(err)
        self._set_status("failed")
        self.query_one("#progress", ProgressBar).update(total=1, progress=0)
        self.notify(f"run failed: {text}", severity="error", timeout=8)
        if isinstance(err, ConfigError):
            controls = self.query_one(ControlPane)
            controls.mark(controls.widget_id_for(err.field, ""), text)

    # ------------------------------------------------------------------ controls
    @on(ConfigEdited)
    def _config_edited(self, message: ConfigEdited) -> None:
        self.last_refusal = ""
        if self.status == REFUSED_STATUS:  # the fields are valid again: say what the screen shows
            self._set_status(self.result_status)
        if message.config == self.config and self.result is not None and self.snapshot_path is None:
            return
        self.start_run(message.config)

    @on(ConfigRefused)
    def _config_refused(self, message: ConfigRefused) -> None:
        self._set_status(REFUSED_STATUS)
        if message.field == "memory_budget" and message.message != self.last_refusal:
            self.notify(message.message, severity="warning", timeout=8)
        self.last_refusal = message.message

    def _apply(self, cfg: Config) -> None:
        """Show `cfg` in the controls and run it."""
        self.query_one(ControlPane).set_config(cfg)
        self.start_run(cfg)

    def _change(self, **changes: Any) -> None:
        try:
            cfg = self.config.replace(**changes)
        except ConfigError as err:
            self.notify(str(err), severity="warning")
            return
        self._apply(cfg)

    def set_initializer(self, name: str) -> None:
        self._change(initializer=name, initializer_params={})

    def set_activation(self, name: str) -> None:
        self._change(activation=name, activation_params={})

    # ------------------------------------------------------------------ drawing
    def redraw(self) -> None:
        """Draw the current state on the visible tab and the summary (hidden tabs catch up when shown)."""
        ensemble, computing = (
            self.query_one(SeedEnsemble).bands_of(self.result.config) if self.result else (None, False)
        )
        self.state = ViewState(self.result, tuple(self.pins), self.layer, self.palette, Extras(ensemble, computing))
        active = self.query_one("#tabs", TabbedContent).active or "weights"
        self.query_one(f"#{active}-view", TabView).show(self.state)
        self.query_one(SummaryPane).show(self.result, self.layer)
        if self.result is not None:
            self.heap.after("result")
            title = short_config(self.result.config)
            if self.snapshot_path is not None:
                title = f"{title} · snapshot {self.snapshot_path.name}"
            self.query_one("#title", TextLine).set(title)

    def _tab_switched(self, active: str) -> None:
        """Called as the tab's `active` changes, not on the TabActivated message: the message arrives after
        the switch's first frame, so a summary resized or a tab drawn there would cost a second layout pass and
        frame of the whole right side (~50 ms here)."""
        pane = active or "weights"
        self.heap.after(pane)
        self._room_for_race(pane)
        # the Theory tab's views get more room (app.tcss); on the summary, not #main: a class on #main restyles
        # every widget below it (~0.5 s here), one on the summary only its three lines
        self.query_one(SummaryPane).set_class(pane == "theory", "-theory-tab")
        view = self.query_one(f"#{pane}-view", TabView)
        if view.shown_state is not self.state:
            view.show(self.state)

    def _room_for_race(self, pane: str, width: int | None = None) -> None:
        """On the Train and Audit tabs the summary (it describes the explored net, not the raced one nor the
        selected tensor) makes room; so do the controls on the Audit tab (it uses none) and, below 100 columns,
        on the Train tab (the race takes only the activation from them; `a` still cycles it). Inline `display`,
        not a class: a class restyles every widget below it (0.2 s for the controls)."""
        self.query_one(SummaryPane).display = pane not in ("train", "audit")
        narrow = (self.size.width if width is None else width) < self.HORIZONTAL_BREAKPOINTS[1][0]
        self.query_one(ControlPane).display = not (pane == "audit" or (pane == "train" and narrow))

    def on_resize(self, event: events.Resize) -> None:
        tabs = self.query("#tabs")
        if tabs:  # not before the screen is composed
            self._room_for_race(tabs.first(TabbedContent).active or "weights", event.size.width)

    def _set_status(self, text: str) -> None:
        self.status = text
        self.query_one("#status", TextLine).set(text)

    def on_extras_changed(self, message: ExtrasChanged) -> None:
        self.redraw()

    def on_status_changed(self, message: StatusChanged) -> None:
        self._set_status(message.text)

    def _show_snapshot(self, path: Path, result: Result) -> None:
        self.generation += 1  # drop any run in flight
        self.workers.cancel_group(self, "engine")
        self.config = result.config
        self.query_one(ControlPane).set_config(result.config)
        self.result = result
        self.shown_generation = self.generation
        self.snapshot_path = path
        self.layer = max(1, min(self.layer, result.depth))
        self.query_one("#progress", ProgressBar).update(total=2 * result.depth, progress=2 * result.depth)
        self._set_status("snapshot")
        self.result_status = self.status
        self.notify(f"opened {path} (r re-runs its config)")
        self.redraw()
