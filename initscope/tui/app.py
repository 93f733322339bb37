"""InitScopeApp: the explorer (explorer.py) and what the user does with it: keys, palette commands, pins,
screenshots, and the files it exports and opens (snapshots, weights files to audit)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App
from textual.binding import BindingType
from textual.widgets import TabbedContent, TabPane

from initscope.blas import limit_blas_threads
from initscope.engine import activations
from initscope.engine.config import Config
from initscope.engine.result import Result
from initscope.engine.training import RaceResult
from initscope.tui.colors import palette_of
from initscope.tui.commands import InitScopeCommands, InitScopePalette
from initscope.tui.controls import catalogue_in_family_order
from initscope.tui.explorer import Explorer
from initscope.tui.files import export_snapshot, read_snapshot
from initscope.tui.keys import KEYS
from initscope.tui.labels import pin_label
from initscope.tui.messages import (
    JacobianWanted,
)
from initscope.tui.screens import HelpScreen, OpenScreen, is_weights_file, list_weights
from initscope.tui.seed_ensemble import SeedEnsemble
from initscope.tui.state import add_pin
from initscope.tui.tabs.base import TabView
from initscope.tui.tabs.forward import ForwardTab
from initscope.tui.text import one_line
from initscope.tui.theory.jacobian import JacobianView
from initscope.tui.train.tab import TrainTab

if TYPE_CHECKING:
    from initscope.engine.audit import AuditReport


class InitScopeApp(Explorer):
    """The explorer. `InitScopeApp(config=..., export_dir=...)` is the factory tests reuse."""

    CSS_PATH = "app.tcss"
    TITLE = "initscope"
    COMMANDS = App.COMMANDS | {InitScopeCommands}
    BINDINGS: ClassVar[list[BindingType]] = KEYS

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
        if self.result is None:
            self.notify("nothing to pin yet", severity="warning")
            return
        count = len(self.pins)
        text, warning = add_pin(self.pins, self.result, pin_label(self.result.config))
        self.notify(text, severity="warning" if warning else "information")
        if len(self.pins) > count:
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

        self.push_screen(
            OpenScreen(self.export_dir, snapshot.list_snapshots(self.export_dir), list_weights(self.export_dir)), chosen
        )

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
            self.call_from_thread(
                self.notify, f"its training race cannot be shown: {race_error}", severity="warning", timeout=8
            )


def main(cfg: Config, args: argparse.Namespace | None = None) -> int:
    """Entry point of `initscope` with no subcommand: run the explorer on `cfg`."""
    limit_blas_threads()
    export_dir = getattr(args, "export_dir", None) or "initscope-snapshots"
    open_path = getattr(args, "open", None)
    app = InitScopeApp(config=cfg, export_dir=export_dir, open_path=open_path)
    app.run()
    return int(app.return_code or 0)


__all__ = ["InitScopeApp", "main"]
