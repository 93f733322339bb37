"""The Train tab: race initializers on a small training task and watch it happen.

The user edits the race settings in a compact form (`form.py`: contenders, data, epochs, batch, optimizer,
learning rate, target loss, clipping, the network's width and depth; the activation comes from the controls).
Every edit is validated in a thread (a data file is read there, never on the UI thread) by building the
engine's `TrainConfig`; a refused value marks its field and the status line says why in one line, and the
last race stays on screen. `t` (or enter in a field) starts the race in its own exclusive thread worker
(group "race", owned by this tab, so it never cancels the forward/backward run and is never cancelled by it);
`x` or any edit of the settings stops it, and the partial race is shown as cancelled.

What is drawn comes from the engine only: the race so far while racing (a `RaceResult` with `running` set,
coalesced, drawn at most every LIVE_PLOT_INTERVAL_S, the progress line every LIVE_STATUS_INTERVAL_S, and only
while the tab is visible) and the `RaceResult` at the end (or from an opened snapshot's `training` block):
the figures of `figures.py` and the table of `scoreboard.py`, put on screen by `race_view.py`.
"""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.content import Content
from textual.events import Show
from textual.widgets import ContentSwitcher, Input, Label, Select
from textual.worker import get_current_worker

from initscope.engine.config import Config
from initscope.engine.errors import ConfigError
from initscope.engine.training import (
    DEFAULT_CONTENDERS,
    DEFAULT_LR,
    RaceResult,
    TrainConfig,
    run_race,
    split_top_level,
)
from initscope.tui.messages import RaceChecked, RaceDone, RaceRefused, RaceStarted, RaceTick
from initscope.tui.state import Palette, Pin, ViewState
from initscope.tui.tabs.base import TabView, displayed
from initscope.tui.text import Paragraph, one_line
from initscope.tui.train.figures import RaceCard
from initscope.tui.train.form import (
    DEFAULT_VALUES,
    FIELD_FOR_ERROR,
    FORM_FIELDS,
    RaceSpec,
    default_contenders,
    form_field,
    form_values,
)
from initscope.tui.train.paint_gate import RaceCancel
from initscope.tui.train.race_view import ShownText, draw_race_view, fit_status
from initscope.tui.train.scoreboard import Scoreboard
from initscope.tui.train.status import idle_status, racing_status

PROGRESS_INTERVAL_S = 0.1
"""The engine reports the race so far at most this often (a newer message replaces a queued one)."""
LIVE_STATUS_INTERVAL_S = 0.1
"""While racing, the status line (progress) is redrawn at most this often (~10 a second)."""
LIVE_PLOT_INTERVAL_S = 0.3
"""While racing, the plots and the table are redrawn at most this often: every ms of a frame of the tab is
taken from the race (one GIL)."""


class TrainTab(TabView):
    """Tab 5: the race form, its live plots, the symmetry indicator and the result table."""

    NAME = "train"
    VIEWS: ClassVar[list[tuple[str, str]]] = [("curves", "loss & accuracy"), ("update", "update:data · units")]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.values: dict[str, str] = dict(DEFAULT_VALUES)
        self.auto_contenders = DEFAULT_CONTENDERS
        """The default the contenders field was last filled with: while it shows it, it follows the controls."""
        self.palette = Palette()
        self.race: RaceResult | None = None
        """The race on screen when none is running: the last finished or cancelled race, or an opened one."""
        self.race_source = ""
        self.live: RaceResult | None = None
        """The race so far while it runs (the engine's live copy)."""
        self.live_config: TrainConfig | None = None
        self.racing = False
        self.generation = 0
        self.check_generation = 0
        self.checked: TrainConfig | None = None
        self.checked_generation = 0
        """The edit whose validation is shown (tests wait for it to reach check_generation)."""
        self.invalid_field: str | None = None
        self.error_text = ""
        self.last_draw = 0.0
        self.last_status = 0.0
        self.paint_gate = threading.Event()
        """Open (set) except while a frame of the live race is painted: the race waits at it (RaceCancel)."""
        self.paint_gate.set()
        self.shown_text = ShownText()
        self.draw_pending = False
        self.dirty = True
        self.started = 0.0

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with Grid(id="race-form"):
            for key, label in FORM_FIELDS:
                yield Horizontal(
                    Label(label, classes="field-label"),
                    form_field(key, self.values[key]),
                    classes="race-cell",
                    id=f"race-cell-{key}",
                )
        yield Paragraph("", max_lines=3, id="race-status")
        yield self.compose_view_bar()
        with ContentSwitcher(initial="curves", id="race-views"):
            with Horizontal(id="curves", classes="side-by-side"):
                yield RaceCard("loss", id="race-loss")
                yield RaceCard("accuracy", id="race-accuracy")
            with Vertical(id="update"):
                yield RaceCard("update:data", id="race-ratio")
                yield Paragraph("", max_lines=3, id="race-units", classes="note")
        yield Paragraph("", max_lines=2, id="race-line")
        yield Scoreboard(max_lines=14, id="race-table")

    def on_mount(self) -> None:
        self._follow_controls()
        self._show_status()
        self.query_one(Scoreboard).show_view(None)
        self._check()

    # ------------------------------------------------------------------ the app's hooks
    def show(self, state: ViewState) -> None:
        """The app calls this while the tab is visible: take the colours and the defaults, then draw."""
        self.palette = state.palette
        self._follow_controls()
        super().show(state)

    def draw(self, state: ViewState) -> None:
        self._draw_race()

    def view_key(self) -> object:
        """The race changes without the state: a view is drawn again whenever it is shown."""
        return object()

    def on_show(self, event: Show) -> None:
        if self.dirty:
            self._draw_race()

    def _app_config(self) -> Config:
        return cast(Config, getattr(self.app, "config", Config()))

    def _clock(self) -> bool:
        """Show times (the app turns them off for deterministic screenshots and snapshot tests)."""
        return bool(getattr(self.app, "clock", True))

    def _app_pins(self) -> list[Pin]:
        return list(getattr(self.app, "pins", []))

    def _follow_controls(self) -> None:
        """Keep the contenders default (current initializer + pins) while the user has not changed it."""
        default = default_contenders(self._app_config(), self._app_pins())
        box = self.query_one("#race-contenders", Input)
        box.placeholder = default
        if self.values["contenders"] == self.auto_contenders and default != self.auto_contenders:
            self.auto_contenders = default
            self.values["contenders"] = default
            with self.prevent(Input.Changed):
                box.value = default
            self._check()

    def spec(self) -> RaceSpec:
        cfg = self._app_config()
        v = self.values
        contenders = v["contenders"].strip() or default_contenders(cfg, self._app_pins())
        return RaceSpec(
            contenders=contenders,
            data=v["data"],
            epochs=v["epochs"],
            batch=v["batch"],
            optimizer=v["optimizer"],
            lr=v["lr"],
            target=v["target"],
            clip=v["clip"],
            clip_mode=v["clip_mode"],
            width=v["width"],
            depth=v["depth"],
            activation=cfg.activation,
            activation_params=tuple(cfg.activation_params.items()),
        )

    # ------------------------------------------------------------------ form events
    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != event.input.value:
            return  # stale (e.g. the mount's Changed arriving after the field was filled from the controls)
        self._store((event.input.id or "").removeprefix("race-"), event.value)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.NULL:
            return
        key = (event.select.id or "").removeprefix("race-")
        if key == "optimizer":
            self.query_one("#race-lr", Input).placeholder = f"{DEFAULT_LR.get(str(event.value), 0.02):g}"
        self._store(key, str(event.value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.start_race()

    def _store(self, key: str, text: str) -> None:
        if key not in self.values or self.values[key] == text:
            return
        self.values[key] = text
        if self.racing:
            self.stop_race(quiet=True)
        self._check()

    def set_contenders(self, text: str) -> None:
        """Fill the contenders field (palette commands): the user's choice, no longer following the controls."""
        self.query_one("#race-contenders", Input).value = text

    def add_contender(self, name: str) -> None:
        current = split_top_level(self.values["contenders"] or self.auto_contenders)
        if name in current:
            self.app.notify(f"{name} is already in the race")
            return
        self.set_contenders(",".join([*current, name]))

    # ------------------------------------------------------------------ validation (in a thread)
    def _check(self) -> None:
        self.check_generation += 1
        self._validate(self.check_generation, self.spec())

    @work(thread=True, exclusive=True, group="race-check", exit_on_error=False)
    def _validate(self, generation: int, spec: RaceSpec) -> None:
        try:
            tc = spec.build()
        except ConfigError as err:
            self.post_message(RaceChecked(generation, None, err))
            return
        except Exception as err:  # an engine bug must not take the app down: say it in one line
            self.post_message(RaceChecked(generation, None, err))
            return
        self.post_message(RaceChecked(generation, tc, None))

    def on_race_checked(self, message: RaceChecked) -> None:
        if message.generation != self.check_generation:
            return
        self.checked = message.config
        self.checked_generation = message.generation
        if message.error is None:
            self.mark(None, "")
        else:
            self._refuse(message.error)
        self._show_status()

    def _refuse(self, err: Exception) -> None:
        text = one_line(err)
        key = FIELD_FOR_ERROR.get(err.field, "contenders") if isinstance(err, ConfigError) else None
        self.mark(key, text)

    def mark(self, key: str | None, message: str) -> None:
        """Mark one field invalid (or none); the status line says why."""
        if key == self.invalid_field and message == self.error_text:
            return
        for widget in self.query(".-invalid-field"):
            widget.remove_class("-invalid-field")
        self.invalid_field, self.error_text = key, message
        if key is not None:
            self.query_one(f"#race-{key}").add_class("-invalid-field")
            self.query_one(f"#race-cell-{key}").add_class("-invalid-field")

    # ------------------------------------------------------------------ the race (in a thread)
    def start_race(self) -> None:
        """Start a race of the form's settings (cancels a running one; the last race stays until it starts)."""
        self.generation += 1
        self.racing = True
        self.live = None
        self.live_config = None
        self.started = time.monotonic()
        self._show_status()
        self._race(self.generation, self.spec())

    def stop_race(self, quiet: bool = False) -> None:
        """Cancel the running race: the engine returns what it has, shown as cancelled."""
        if not self.racing:
            if not quiet:
                self.app.notify("no race is running (t starts one)")
            return
        self.app.workers.cancel_group(self, "race")

    @work(thread=True, exclusive=True, group="race", exit_on_error=False)
    def _race(self, generation: int, spec: RaceSpec) -> None:
        """Runs in a thread: the engine gets the worker's cancel event; progress and result come back as messages."""
        worker = get_current_worker()
        try:
            tc = spec.build()
        except Exception as err:
            self.post_message(RaceRefused(generation, err))
            return
        self.post_message(RaceStarted(generation, tc))

        def progress(race: RaceResult) -> None:
            self.post_message(RaceTick(generation, race))

        try:
            result = run_race(
                tc,
                cancel=RaceCancel(worker.cancelled_event, self.paint_gate),
                progress=progress,
                progress_interval=PROGRESS_INTERVAL_S,
            )
        except Exception as err:  # the app goes on; the status line says what failed
            self.post_message(RaceRefused(generation, err))
            return
        self.post_message(RaceDone(generation, result))

    def on_race_started(self, message: RaceStarted) -> None:
        if message.generation != self.generation:
            return
        self.live_config = message.config
        self.mark(None, "")
        self._show_status()

    def on_race_tick(self, message: RaceTick) -> None:
        if message.generation != self.generation or not self.racing or self.live_config is None:
            return
        self.live = message.race
        self._request_draw()

    def on_race_done(self, message: RaceDone) -> None:
        if message.generation != self.generation:
            return
        self.racing = False
        self.live = None
        self.race = message.result
        self.race_source = ""
        if not displayed(self):
            first = message.result.conclusion()
            self.app.notify(("race cancelled: " if message.result.cancelled else "race done: ") + first, timeout=8)
        self._request_draw(now=True)

    def on_race_refused(self, message: RaceRefused) -> None:
        if message.generation != self.generation:
            return
        self.racing = False
        self.live = None
        self._refuse(message.error)
        if not isinstance(message.error, ConfigError):
            self.app.notify(f"race failed: {one_line(message.error)}", severity="error", timeout=8)
        self._request_draw(now=True)

    def show_race(self, race: RaceResult, source: str) -> None:
        """Show a race read from a snapshot and put its settings in the form (t reruns it)."""
        self.generation += 1  # a race in flight is dropped
        self.app.workers.cancel_group(self, "race")
        self.racing = False
        self.live = None
        self.race = race
        self.race_source = source
        tc = race.config
        values = form_values(tc)
        with self.prevent(Input.Changed, Select.Changed):
            for key, value in values.items():
                widget = self.query_one(f"#race-{key}")
                if isinstance(widget, (Select, Input)):
                    widget.value = value
        self.values.update(values)
        self.query_one("#race-lr", Input).placeholder = f"{DEFAULT_LR[tc.optimizer]:g}"
        self._check()
        self._request_draw(now=True)

    # ------------------------------------------------------------------ drawing
    def _request_draw(self, now: bool = False) -> None:
        """Draw soon: the progress line at most every LIVE_STATUS_INTERVAL_S, the plots and the table at most
        every LIVE_PLOT_INTERVAL_S, and nothing while hidden (on_show catches up)."""
        self.dirty = True
        if not displayed(self):
            return
        if now:
            self._draw_race()
            return
        t = time.monotonic()
        wait = self.last_draw + LIVE_PLOT_INTERVAL_S - t
        if wait <= 0:
            self._draw_race()
            return
        if t - self.last_status >= LIVE_STATUS_INTERVAL_S:
            self._show_status()
        if not self.draw_pending:
            self.draw_pending = True
            self.set_timer(wait, self._timer_draw)

    def _timer_draw(self) -> None:
        self.draw_pending = False
        if self.dirty and displayed(self):
            self._draw_race()

    def current_view(self) -> RaceResult | None:
        return self.live if self.racing else self.race

    def _draw_race(self) -> None:
        self.dirty = False
        self.last_draw = time.monotonic()
        if self.racing:  # the race waits while this frame is painted (RaceCancel)
            self.paint_gate.clear()
            self.call_after_refresh(self.paint_gate.set)
        self._show_status()
        draw_race_view(self, self.current_view(), self.racing, self.view, self.palette, self.shown_text)

    def _show_status(self) -> None:
        """One line: what t will race, the progress of the running race, or why the settings are refused
        (only a refusal may take more lines: it must be read whole)."""
        status = self.query_one("#race-status", Paragraph)
        self.last_status = time.monotonic()
        width = status.size.width - 2 if status.size.width > 2 else 80
        if self.error_text:
            status.set(Content.from_markup("[b $error]✖ $text[/]", text=self.error_text))
            return
        pieces = (
            racing_status(self.live, self._clock())
            if self.racing
            else idle_status(self.spec(), self.race, self.race_source, self._clock())
        )
        status.set(fit_status(pieces, width))


__all__ = ["TrainTab"]
