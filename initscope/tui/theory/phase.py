"""The Theory tab's phase diagram: chi1 at the fixed point over (sigma_w^2, sigma_b^2) for the chosen
activation, with its ordered and chaotic regions, the chi1 = 1 line, this net as a cursor and the pins.

The grid is the engine's (`engine/phase.py`): this view computes it in a thread worker the first time it
shows an activation, and keeps the last MAX_PHASE_GRIDS grids."""

from __future__ import annotations

import math

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.events import Show

from initscope.engine.phase import PhaseGrid, PhaseKey, compute_phase_grid, phase_key
from initscope.engine.result import Result
from initscope.engine.text import call_text
from initscope.tui.colors import surface_of, swatch, theme_rgb
from initscope.tui.figures import CURSOR_MARK, phase_figure
from initscope.tui.messages import PhaseGridReady
from initscope.tui.plot_widget import Plot
from initscope.tui.plots import Figure
from initscope.tui.state import ViewState
from initscope.tui.summary import num
from initscope.tui.tabs.base import displayed
from initscope.tui.text import Paragraph, one_line

MAX_PHASE_GRIDS = 32


class PhaseView(Vertical):
    """The phase view: a caption (the activation, where this net is) above the map; owns the grids' worker."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.grids: dict[PhaseKey, PhaseGrid] = {}
        self.pending: set[PhaseKey] = set()
        self.last_drawn: tuple[ViewState, Result, bool] | None = None
        """What was drawn last: drawn again when the grid it waited for arrives."""
        self.stale = False
        """A grid it waited for came while it was hidden: it draws again when shown."""

    def compose(self) -> ComposeResult:
        yield Paragraph("", max_lines=3, id="phase-caption", classes="caption")
        yield Plot(id="phase-map")

    def draw(self, state: ViewState, r: Result, compact: bool) -> bool:
        """Draw the map of `r`'s activation; False while its grid is being computed (started here): the view
        draws itself when the grid arrives, and the tab draws it again when it is shown."""
        p = state.palette
        self.last_drawn = (state, r, compact)
        caption = self.query_one("#phase-caption", Paragraph)
        pmap = self.query_one("#phase-map", Plot)
        t = r.theory
        cursor = (
            (t.sigma_w2, t.sigma_b2)
            if t.applicable and math.isfinite(t.sigma_w2) and math.isfinite(t.sigma_b2)
            else None
        )
        act = call_text(r.config.activation, r.config.activation_params, sep=", ")
        key = phase_key(r)
        grid = self.grids.get(key)
        if grid is None:
            if key not in self.pending:
                self.pending.add(key)
                self._compute(key)
            caption.set(
                Content.from_markup("[b]phase diagram[/b] $act  [dim]computing chi1 over (σw², σb²)…[/dim]", act=act)
            )
            pmap.show(Figure(message=f"computing the phase diagram of {act}…"))
            return False
        marks = []
        for n, pin in enumerate(state.pins, start=1):
            pt = pin.result.theory
            same = (pin.result.config.activation, pin.result.config.activation_params) == (
                r.config.activation,
                r.config.activation_params,
            )
            if same and pt.applicable and math.isfinite(pt.sigma_w2) and math.isfinite(pt.sigma_b2):
                marks.append((str(n), pt.sigma_w2, pt.sigma_b2, pin.color))
        line = theme_rgb(self, "foreground", (235, 235, 235))
        fig = phase_figure(grid, cursor, marks, p.measured, p.error, line, p.warning, surface_of(self))
        # both axes named in the title: a plot under 12 rows has no room for the x label
        pmap.show(fig, Content.from_markup("[b]σb²[/b] ↑ [dim]over[/dim] [b]σw²[/b] →  [dim]chi1:[/dim]"))
        about = "" if compact else "[dim]chi1 at the fixed point over σw² (across) and σb² (up)[/dim]"
        if cursor is None and (r.config.arch != "mlp" or r.config.norm != "none"):
            here = (
                "[$warning]the map of a plain MLP: this net's residual or normalized stream has no such fixed "
                "point (its recursion is above)[/]"
            )
        elif cursor is None:
            here = f"[dim]no cursor: {t.reason.replace('[', '(')}[/dim]"
        elif any(lg.mark == CURSOR_MARK for lg in fig.legend):
            here = swatch(f"this net (σw² {num(t.sigma_w2)}, σb² {num(t.sigma_b2)})", p.warning, CURSOR_MARK)
        else:
            here = f"[$warning]this net (σw² {num(t.sigma_w2)}, σb² {num(t.sigma_b2)}) is off the map[/]"
        caption.set(
            Content.from_markup(f"[b]$act[/b]  {here}  {about}", act=act)
        )  # the net first: a narrow caption wraps the prose
        return True

    @work(thread=True, group="phase", exit_on_error=False)
    def _compute(self, key: PhaseKey) -> None:
        try:
            grid = compute_phase_grid(key)
        except Exception as err:  # the app goes on; a notification says what failed
            self.post_message(PhaseGridReady(key, None, one_line(err)))
            return
        self.post_message(PhaseGridReady(key, grid))

    def on_phase_grid_ready(self, message: PhaseGridReady) -> None:
        message.stop()
        self.pending.discard(message.key)
        if message.grid is None:
            self.notify(f"phase diagram failed: {message.error}", severity="error", timeout=8)
            return
        while len(self.grids) >= MAX_PHASE_GRIDS:
            self.grids.pop(next(iter(self.grids)))
        self.grids[message.key] = message.grid
        if self.last_drawn is not None and phase_key(self.last_drawn[1]) == message.key:
            self.stale = not displayed(self)
            if not self.stale:
                self.draw(*self.last_drawn)

    def on_show(self, event: Show) -> None:
        if self.stale and self.last_drawn is not None:
            self.stale = False
            self.draw(*self.last_drawn)
