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


def test_a_hidden_note_fits_a_narrow_plot_whole() -> None:
    """A pin's long name gives way to its number before the note would be cut."""
    from initscope.tui.placement import covered_words

    for width in (30, 40, 60, 120):
        words = covered_words("pin 1: layernorm, scale 1", 2, 24, "stream grad std", width)
        assert len(words) <= width and words.startswith("pin 1") and "2" in words and "24" in words
