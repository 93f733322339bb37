"""Paragraph: an update repaints only when the text or its styles changed, and re-lays out only when the
number of lines changed."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.content import Content

from initscope.tui.text import Paragraph


class One(App[None]):
    def compose(self) -> ComposeResult:
        yield Paragraph("start", id="p")


async def test_same_content_does_not_repaint_and_a_style_change_does() -> None:
    app = One()
    async with app.run_test(size=(40, 5)) as pilot:
        paragraph = app.query_one("#p", Paragraph)
        refreshes: list[dict[str, Any]] = []
        original = paragraph.refresh

        def counting(*args: Any, **kwargs: Any) -> Any:
            refreshes.append(kwargs)
            return original(*args, **kwargs)

        paragraph.refresh = counting  # type: ignore[method-assign]
        paragraph.set(Content.from_markup("[b]x[/b] $y", y="1"))
        assert len(refreshes) == 1
        paragraph.set(Content.from_markup("[b]x[/b] $y", y="1"))
        assert len(refreshes) == 1  # unchanged: nothing to repaint
        paragraph.set(Content.from_markup("[i]x[/i] 1"))  # same words, other style
        assert len(refreshes) == 2
        paragraph.set("a much longer text that cannot fit on one line of forty columns")
        await pilot.pause()
        assert paragraph.styles.height is not None and paragraph.styles.height.value == 2
