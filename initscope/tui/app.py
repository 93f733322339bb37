"""InitScopeApp: composes the panes, owns the run worker, routes results to the visible tab.

Data flows one way: controls -> Config -> engine (an exclusive thread worker, cancelled through its
`cancelled_event`) -> RunFinished message -> the visible tab and the summary draw the Result. A result
whose generation is not the latest request is dropped, so ten quick edits show only the last one. The
header names the config of the result on screen (not the one requested), so it never describes a net
that is not drawn. docs/architecture.md describes the layers.
"""

from __future__ import annotations

import argparse
import gc
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import ProgressBar, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from initscope.blas import limit_blas_threads
from initscope.engine import activations
from initscope.engine.config import Config
from initscope.engine.errors import ConfigError
from initscope.engine.propagate import run
from initscope.engine.result import Result
from initscope.engine.training import RaceResult
from initscope.tui.chrome import QuietFooter, TextLine
from initscope.tui.colors import palette_of
from initscope.tui.commands import InitScopeCommands, InitScopePalette
from initscope.tui.controls import ControlPane, catalogue_in_family_order
from initscope.tui.files import export_snapshot, read_snapshot
from initscope.tui.labels import pin_label, short_config
from initscope.tui.messages import (
    ConfigEdited,
    ConfigRefused,
    ExtrasChanged,
    JacobianWanted,
    RunFailed,
    RunFinished,
    RunProgress,
    StatusChanged,
    throttled_progress,
)
from initscope.tui.screens import HelpScreen, OpenScreen, is_weights_file, list_weights
from initscope.tui.seed_ensemble import SeedEnsemble
from initscope.tui.state import PIN_COLORS, Extras, Palette, Pin, ViewState
from initscope.tui.summary import SummaryPane
from initscope.tui.tabs.backward import BackwardTab
from initscope.tui.tabs.base import TabView
from initscope.tui.tabs.forward import ForwardTab
from initscope.tui.tabs.weights import WeightsTab
from initscope.tui.text import one_line
from initscope.tui.theory.jacobian import JacobianView
from initscope.tui.theory.views import TheoryTab
from initscope.tui.train.tab import TrainTab

if TYPE_CHECKING:
    from initscope.engine.audit import AuditReport

TABS = ("weights", "forward", "backward", "theory", "train")
MAX_PINS = 4
PROGRESS_DELAY_S = 0.15
"""No progress is shown for runs quicker than this (the result itself says it is done)."""
REFUSED_STATUS = "invalid · kept"
"""The status while a field is refused: the result on screen is the last valid one."""
FREEZE_DELAY_S = 0.5
"""The heap is frozen this long after a first result or a tab's first showing (their frames are painted by then)."""


class InitScopeApp(App[int]):
    """The explorer. `InitScopeApp(config=..., export_dir=...)` is the factory tests reuse.

    The on-demand computations are owned by what shows them: the Jacobian (j) by the Theory tab's
    JacobianView, the phase grid by its PhaseView, the seed ensemble (k) by the SeedEnsemble component."""

    CSS_PATH = "app.tcss"
    TITLE = "initscope"
    COMMANDS = App.COMMANDS | {InitScopeCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 (Textual's declaration)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "help"),
        Binding("left_square_bracket", "cycle_init(-1)", "init", show=False),
        Binding("right_square_bracket", "cycle_init(1)", "init", key_display="[ ]"),
        Binding("a", "next_activation", "act"),
        Binding("j", "jacobian", "Jacobian", show=False),
        Binding("k", "ensemble", "seed bands", show=False),
        Binding("1", "tab('weights')", "weights", show=False),
        Binding("2", "tab('forward')", "forward", show=False),
        Binding("3", "tab('backward')", "backward", show=False),
        Binding("4", "tab('theory')", "theory", show=False),
        Binding("5", "tab('train')", "train", show=False),
        Binding("6", "tab('audit')", "audit", show=False),
        Binding("t", "race", "race", show=False),
        Binding("x", "stop_race", "stop race", show=False),
        Binding("v", "next_view", "view", show=False),
        Binding("g", "log_counts", "log counts", show=False),
        Binding("z", "zeros_apart", "zeros apart", show=False),
        Binding("comma", "layer(-1)", "layer", show=False),
        Binding("full_stop", "layer(1)", "layer", show=False),
        Binding("p", "pin", "pin"),
        Binding("P", "clear_pins", "clear pins", show=False),
        Binding("e", "export", "export"),
        Binding("o", "open", "open"),
        Binding("r", "rerun", "re-run", show=False),
        Binding("s", "save_svg", "shot"),
        Binding("escape", "leave_field", "leave field", show=False),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, config: Config | None = None, export_dir: Path | str = "initscope-snapshots",
                 open_path: Path | str | None = None, run_on_start: bool = True, clock: bool = True,
                 audit: AuditReport | None = None) -> None:
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
        self.frozen_after: set[str] = set()
        """What the heap was frozen after (`_freeze_after`): "result" and the tabs shown so far."""

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

    def on_mount(self) -> None:
        self.query_one("#controls").border_title = "controls"
        self.query_one("#summary").border_title = "summary"
        self.palette = palette_of(self.current_theme)
        self.theme_changed_signal.subscribe(self, lambda _theme: self._on_theme())
        self.watch(self.query_one("#tabs", TabbedContent), "active", self._tab_switched, init=False)
        if self.open_path is not None:
            self.load_snapshot(Path(self.open_path))
        elif self.audit is not None and self.audit.signal is not None:  # the file's own MLP, as a snapshot
            self._show_snapshot(self.audit.path, self.audit.signal)
        elif self.run_on_start:
            self.start_run(self.config)

    def on_unmount(self) -> None:
        if self.frozen_after:
            gc.unfreeze()  # the process goes on without the app (tests run many): its objects can be collected

    def _freeze_after(self, reason: str) -> None:
        """Soon after the first result and after each tab's first showing, move the objects alive then out of
        the garbage collector's full collections (gc.freeze): the modules, the widget tree, the stylesheet and
        the hidden tabs' rendered lines, ~150k objects, which a full collection walked every few tab switches,
        stalling the event loop 100-250 ms (now ~40 ms). At most once per reason, so the cyclic garbage frozen
        with them is bounded; undone when the app unmounts."""
        if reason not in self.frozen_after:
            self.frozen_after.add(reason)
            self.set_timer(FREEZE_DELAY_S, gc.freeze)

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
        # not compete with the worker for the GIL by repainting them (it doubled the run time). The title
        # changes with the result (redraw): it names what is drawn.
        self.set_timer(PROGRESS_DELAY_S, partial(self._still_running, self.generation))
        self._compute(self.generation, cfg)

    def _still_running(self, generation: int) -> None:
        """The run has taken PROGRESS_DELAY_S: without a layer count yet, say so with a moving bar."""
        if generation == self.generation and self.shown_generation != generation and \
                not self.status.startswith("running"):
            self.query_one("#progress", ProgressBar).update(total=None)
            self._set_status("running")

    @work(thread=True, exclusive=True, group="engine", exit_on_error=False)
    def _compute(self, generation: int, cfg: Config) -> None:
        """Runs in a thread: the engine gets the worker's cancel event; results go back as messages."""
        worker = get_current_worker()
        progress = throttled_progress(self.post_message, lambda done, total: RunProgress(generation, done, total),
                                      delay=PROGRESS_DELAY_S)
        try:
            result = run(cfg, cancel=worker.cancelled_event, progress=progress)
        except Exception as err:  # the app goes on; the message says what failed
            self.post_message(RunFailed(generation, cfg, err))
            return
        if worker.is_cancelled or result.cancelled:
            return
        self.post_message(RunFinished(generation, cfg, result))

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
        ensemble, computing = self.query_one(SeedEnsemble).bands_of(self.result.config) if self.result else (None,
                                                                                                             False)
        self.state = ViewState(self.result, tuple(self.pins), self.layer, self.palette, Extras(ensemble, computing))
        active = self.query_one("#tabs", TabbedContent).active or "weights"
        self.query_one(f"#{active}-view", TabView).show(self.state)
        self.query_one(SummaryPane).show(self.result, self.layer)
        if self.result is not None:
            self._freeze_after("result")
            title = short_config(self.result.config)
            if self.snapshot_path is not None:
                title = f"{title} · snapshot {self.snapshot_path.name}"
            self.query_one("#title", TextLine).set(title)

    def _tab_switched(self, active: str) -> None:
        """Called as the tab's `active` changes, not on the TabActivated message: the message arrives after
        the switch's first frame, so a summary resized or a tab drawn there cost a second layout pass and
        frame of the whole right side (~50 ms here)."""
        pane = active or "weights"
        self._freeze_after(pane)
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

    # ------------------------------------------------------------------ actions
    def action_command_palette(self) -> None:
        """ctrl+p: the palette (commands.py), opaque and keeping the keys typed while it opens."""
        if self.use_command_palette and not any(isinstance(s, InitScopePalette) for s in self.screen_stack):
            self.push_screen(InitScopePalette())

    def action_help_quit(self) -> None:
        """ctrl+c: Textual binds it to copy the selected text; with nothing selected (the copy skipped) it quits."""
        self.exit()

    def action_rerun(self) -> None:
        """Run the shown config live: after opening a snapshot, its numbers are recomputed by this engine."""
        self.start_run(self.config)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_leave_field(self) -> None:
        self.set_focus(None)

    def action_tab(self, tab: str) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        if tab == "audit" and not tabs.query(f"#{tab}-view"):
            self.notify("no weights file audited yet: o opens one", severity="warning")
            return
        tabs.active = tab

    def action_race(self) -> None:
        """Start the race of the Train tab's settings (and show that tab)."""
        self.action_tab("train")
        self.query_one(TrainTab).start_race()

    def action_stop_race(self) -> None:
        self.query_one(TrainTab).stop_race()

    def add_contender(self, name: str) -> None:
        self.action_tab("train")
        self.query_one(TrainTab).add_contender(name)

    def action_next_view(self) -> None:
        active = self.query_one("#tabs", TabbedContent).active or "weights"
        self.query_one(f"#{active}-view", TabView).next_view()

    def action_log_counts(self) -> None:
        """Histogram counts on a log10 axis or back (Weights and Forward histograms)."""
        active = self.query_one("#tabs", TabbedContent).active or "weights"
        self.query_one(f"#{active}-view", TabView).toggle_log_counts()

    def action_zeros_apart(self) -> None:
        """The Forward histograms set the exact zeros of a relu-like layer apart from the bars, or back."""
        self.query_one("#forward-view", ForwardTab).toggle_zeros_apart()

    def action_set_view(self, tab: str, view: str) -> None:
        self.query_one(f"#{tab}-view", TabView).set_view(view)

    def show_view(self, tab: str, view: str) -> None:
        """Show `tab` at its view `view` (palette commands)."""
        self.query_one("#tabs", TabbedContent).active = tab
        self.query_one(f"#{tab}-view", TabView).set_view(view)

    def action_jacobian(self) -> None:
        """Show the Theory tab's Jacobian view and compute the spectrum of the current config."""
        jacobian = self.query_one(JacobianView)
        jacobian.follow = True
        self.show_view("theory", "jacobian")
        jacobian.request(self.config, explicit=True)

    def action_jacobian_axis(self) -> None:
        """Switch the singular-value histogram between a log10 and a linear axis."""
        self.query_one(JacobianView).toggle_axis()

    def on_jacobian_wanted(self, message: JacobianWanted) -> None:
        message.stop()
        self.query_one(JacobianView).request(self.config)

    def action_ensemble(self) -> None:
        """Seed bands on the Forward and Backward plots: compute them for the current config, or hide them."""
        tabs = self.query_one("#tabs", TabbedContent)
        if tabs.active not in ("forward", "backward"):
            tabs.active = "forward"
        self.query_one(SeedEnsemble).toggle(self.config)

    def on_extras_changed(self, message: ExtrasChanged) -> None:
        self.redraw()

    def on_status_changed(self, message: StatusChanged) -> None:
        self._set_status(message.text)

    def action_layer(self, step: int) -> None:
        if self.result is None:
            return
        self.layer = max(1, min(self.result.depth, self.layer + step))
        self.redraw()

    def action_cycle_init(self, step: int) -> None:
        names = [e.name for e in catalogue_in_family_order()]
        current = names.index(self.config.initializer) if self.config.initializer in names else 0
        self.set_initializer(names[(current + step) % len(names)])

    def action_next_activation(self) -> None:
        names = list(activations.NAMES)
        current = names.index(self.config.activation)
        self.set_activation(names[(current + 1) % len(names)])

    def action_pin(self) -> None:
        r = self.result
        if r is None:
            self.notify("nothing to pin yet", severity="warning")
            return
        same = next((i for i, p in enumerate(self.pins) if p.result.config == r.config), None)
        if same is not None:  # the same config and seed draws the same numbers: a second pin adds nothing
            self.notify(f"this config is pinned already (pin {same + 1})")
            return
        if len(self.pins) >= MAX_PINS:
            self.notify(f"{MAX_PINS} runs pinned already: P clears them", severity="warning")
            return
        used = {p.color for p in self.pins}
        color = next(c for c in PIN_COLORS if c not in used)
        label = f"pin {len(self.pins) + 1}: {pin_label(r.config)}"
        self.pins.append(Pin(label, r, color))
        self.notify(f"pinned {label}")
        self.redraw()

    def action_clear_pins(self) -> None:
        count = len(self.pins)
        self.pins.clear()
        self.notify(f"cleared {count} pin{'s' if count != 1 else ''}" if count else "no pins to clear")
        self.redraw()

    def action_save_svg(self) -> None:
        try:
            self.export_dir.mkdir(parents=True, exist_ok=True)
            path = self.save_screenshot(path=str(self.export_dir))
        except OSError as err:
            self.notify(f"screenshot failed: {err.strerror or err}", severity="error")
            return
        self.notify(f"screenshot saved: {path}")

    def action_export(self) -> None:
        if self.result is None:
            self.notify("nothing to export yet", severity="warning")
            return
        self._export(self.result, self.query_one(TrainTab).race)

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, result: Result, race: RaceResult | None = None) -> None:
        """Write the snapshot in a thread; the Train tab's race, when there is one, is its `training` block."""
        for text, severity in export_snapshot(result, race, self.export_dir):
            self.call_from_thread(self.notify, text, severity=severity, timeout=8)

    def action_open(self) -> None:
        from initscope import snapshot

        def chosen(path: Path | None) -> None:
            if path is not None:
                (self.load_audit if is_weights_file(path) else self.load_snapshot)(path)

        self.push_screen(OpenScreen(self.export_dir, snapshot.list_snapshots(self.export_dir),
                                    list_weights(self.export_dir)), chosen)

    @work(thread=True, group="open", exit_on_error=False)
    def load_audit(self, path: Path) -> None:
        """Audit a weights file in a thread (as `initscope audit FILE --open`: layout auto, relu) and show it in
        the Audit tab; a bad file is its one-line error and the screen stays as it was."""
        from initscope.engine.audit import WeightsFileError, audit_file

        self.call_from_thread(self._set_status, f"auditing {path.name}")
        try:
            report = audit_file(path)
        except Exception as err:  # a bad file (WeightsFileError, one line) or a fault: said, and the app goes on
            text = one_line(err) if isinstance(err, WeightsFileError) else f"{type(err).__name__}: {err}"
            self.call_from_thread(self._audited, path)
            self.call_from_thread(self.notify, f"cannot audit: {text}", severity="error", timeout=8)
            if self.result is None and self.run_on_start:
                self.call_from_thread(self.start_run, self.config)
            return
        self.call_from_thread(self.call_later, self.show_audit, report)  # call_later awaits it on the app loop

    async def show_audit(self, report: AuditReport) -> None:
        """Show `report` in the Audit tab (composed the first time) and its MLP, when it has one, as the run."""
        from initscope.tui.tabs.audit import AuditTab

        self.audit = report
        tabs = self.query_one("#tabs", TabbedContent)
        if tabs.query("#audit-view"):
            tabs.query_one(AuditTab).set_report(report)
        else:
            await tabs.add_pane(TabPane("6 Audit", AuditTab(report, id="audit-view"), id="audit"))
        tabs.active = "audit"
        if report.signal is not None:
            self._show_snapshot(report.path, report.signal)
        else:
            self._audited(report.path)
            self.notify(f"audited {report.path} ({report.signal_note})")

    def _audited(self, path: Path) -> None:
        """The status said `auditing NAME`: back to what it said with the shown result (unless a run changed it)."""
        if self.status == f"auditing {path.name}":
            self._set_status(self.result_status)

    @work(thread=True, group="open", exit_on_error=False)
    def load_snapshot(self, path: Path) -> None:
        """Read a snapshot in a thread and show exactly what it holds (no re-run)."""
        opened = read_snapshot(path)
        if isinstance(opened, str):
            self.call_from_thread(self.notify, opened, severity="error", timeout=8)
            if self.result is None and self.run_on_start:
                self.call_from_thread(self.start_run, self.config)
            return
        result, race, race_error = opened
        self.call_from_thread(self._show_snapshot, path, result)
        if race is not None:
            self.call_from_thread(self.query_one(TrainTab).show_race, race, path.name)
        elif race_error:
            self.call_from_thread(self.notify, f"its training race cannot be shown: {race_error}",
                                  severity="warning", timeout=8)

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


def main(cfg: Config, args: argparse.Namespace | None = None) -> int:
    """Entry point of `initscope` with no subcommand: run the explorer on `cfg`."""
    limit_blas_threads()
    export_dir = getattr(args, "export_dir", None) or "initscope-snapshots"
    open_path = getattr(args, "open", None)
    app = InitScopeApp(config=cfg, export_dir=export_dir, open_path=open_path)
    app.run()
    return int(app.return_code or 0)


__all__ = ["InitScopeApp", "main"]
