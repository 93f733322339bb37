"""The title and legend rows of a plot: wrapped between words and entries, never cut mid-word."""

from __future__ import annotations

from textual.content import Content

from initscope.tui.legend import LegendRow, legend_rows
from initscope.tui.plots import Figure, Legend


def _text(rows: list[LegendRow]) -> str:
    return "\n".join("".join(text for text, _ in row.pieces) for row in rows)


def test_a_title_wider_than_the_plot_wraps_between_words() -> None:
    title = Content.from_markup("[b]W histogram[/b] layer 1/10 (256×256, 65536 values)  counts")
    fig = Figure(legend=[Legend("measured", (0, 120, 212), "■")])
    for width in (30, 40, 50):
        text = _text(legend_rows(fig, width, title))
        assert "…" not in text
        assert text.split() == [*title.plain.split(), "■", "measured"]  # every word, in order
        assert all(len(line) <= width for line in text.splitlines())
