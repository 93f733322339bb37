"""The legend rows above a plot: its title, one entry per series (a mark in the series' colour and its name)
and dim notes, wrapped between entries and never inside one."""

from __future__ import annotations

from dataclasses import dataclass

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.content import Content
from textual.strip import Strip

from initscope.tui.plots import RGB, Figure, Legend

Ink = RGB | str | Style | None
"""How a piece of legend text is drawn: a colour, 'dim' (notes), a Rich style (the title), None (plain)."""


@dataclass(frozen=True)
class LegendRow:
    """One row of legend: pieces of text with how each is drawn."""

    pieces: tuple[tuple[str, Ink], ...]


def entry_pieces(entry: Legend, room: int) -> list[tuple[str, Ink]]:
    """The mark in the series' colour and its name, the name shortened with … when wider than `room`."""
    label = entry.label
    width = len(entry.mark) + 1 + len(label)
    if width > room:
        label = label[: max(1, room - len(entry.mark) - 2)] + "…"
    return [(entry.mark, entry.color), (" " + label, None)]


def title_pieces(title: Content | None, width: int) -> list[list[tuple[str, Ink]]]:
    """The plot's title as the legend's first items: one per line, wrapped between words when wider than the
    plot (a word wider than the plot is cut with …)."""
    if title is None or not title.plain:
        return []
    lines = title.wrap(width) if len(title.plain) > width else [title]
    cut = [line if len(line.plain) <= width else line[: width - 1] + "…" for line in lines]
    return [[(seg.text, seg.style or Style()) for seg in line.render_segments()] for line in cut]


def legend_rows(fig: Figure, width: int, title: Content | None = None) -> list[LegendRow]:
    """The title, legend and notes wrapped into rows of `width` cells, breaking only between entries."""
    items = title_pieces(title, width)
    items += [entry_pieces(e, width) for e in fig.legend]
    items += [[(note if len(note) <= width else note[: width - 1] + "…", "dim")] for note in fig.notes]
    rows: list[LegendRow] = []
    current: list[tuple[str, Ink]] = []
    used = 0
    for pieces in items:
        size = sum(len(text) for text, _ in pieces)
        if current and used + 2 + size > width:
            rows.append(LegendRow(tuple(current)))
            current, used = [], 0
        if current:
            current.append(("  ", None))
            used += 2
        current += pieces
        used += size
    if current:
        rows.append(LegendRow(tuple(current)))
    return rows


def legend_strips(rows: list[LegendRow], width: int, base: Style) -> list[Strip]:
    dim = base + Style(dim=True)
    strips = []
    for row in rows:
        segments_ = []
        for text, color in row.pieces:
            if color == "dim":
                style = dim
            elif color is None:
                style = base
            elif isinstance(color, Style):
                style = base + color
            else:
                style = base + Style(color=Color.parse(color) if isinstance(color, str) else Color.from_rgb(*color))
            segments_.append(Segment(text, style))
        strips.append(Strip(segments_).crop(0, width).adjust_cell_length(width, base))
    return strips
