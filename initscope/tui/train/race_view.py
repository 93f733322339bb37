"""How a race looks on the Train tab: the scoreboard, the race line and the figure cards of the shown view,
drawn from a `RaceResult` (the race so far, or its end), and the status line fitted to its width."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widget import Widget

from initscope.engine.training import RaceResult
from initscope.tui.plots import Figure
from initscope.tui.state import Palette
from initscope.tui.text import Paragraph
from initscope.tui.train.figures import (
    RaceCard,
    accuracy_figure,
    contender_colors,
    loss_figure,
    race_line,
    ratio_figure,
    units_line,
)
from initscope.tui.train.scoreboard import Scoreboard


class ShownText:
    """What each text widget shows now, so an update with the same text costs nothing (an update repaints)."""

    def __init__(self) -> None:
        self.markup: dict[str, str] = {}

    def set(self, root: Widget, selector: str, markup: str, **variables: str) -> None:
        """Set the markup of the Paragraph `selector` under `root`, unless it shows exactly that already."""
        key = markup + repr(sorted(variables.items()))
        if self.markup.get(selector) == key:
            return
        self.markup[selector] = key
        root.query_one(selector, Paragraph).set(Content.from_markup(markup, **variables))


def draw_race_view(
    root: Widget, race: RaceResult | None, racing: bool, view: str, palette: Palette, shown: ShownText
) -> None:
    """Draw `race` (None: no race yet, or one starting) into the tab `root`: the table, the race line and
    the cards of `view` ("curves" or "update")."""
    board = root.query_one(Scoreboard)
    if race is None:
        note = "starting…" if racing else "no race yet: t (or enter in a field) starts one"
        board.show_view(
            None,
            "every contender trains the same network on the same data in the same "
            "mini-batch order; only the initializer differs",
        )
        shown.set(root, "#race-line", "")
        for card in root.query(RaceCard):
            card.show(card.title, Figure(message=note if card.id in ("race-loss", "race-ratio") else " "))
        shown.set(root, "#race-units", "")
        return
    board.show_view(race, "racing…" if racing else "", contender_colors(palette, len(race.labels)))
    shown.set(root, "#race-line", "[dim]$line[/dim]", line=race_line(race))
    colors = contender_colors(palette, len(race.labels))
    if view == "curves":
        fig, caption = loss_figure(race, colors, palette)
        root.query_one("#race-loss", RaceCard).show(caption, fig)
        acc, acc_caption = accuracy_figure(race, colors)
        root.query_one("#race-accuracy", RaceCard).show(acc_caption, acc)
    else:
        fig, caption = ratio_figure(race, colors, palette)
        root.query_one("#race-ratio", RaceCard).show(caption, fig)
        shown.set(root, "#race-units", units_line(race))


def fit_status(pieces: Sequence[Content], width: int) -> Content:
    """The first piece, then the others joined by ' · ' while they fit in `width` cells (the first pieces
    matter most)."""
    line = pieces[0]
    for piece in pieces[1:]:
        if line.cell_length + 3 + piece.cell_length <= width:
            line = line + Content.from_markup("[dim] · [/dim]") + piece
    return line
