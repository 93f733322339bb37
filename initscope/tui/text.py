"""Paragraph: text whose updates repaint without re-laying out the screen.

`Static.update` asks for a layout pass every time; with ~100 widgets that costs tens of ms per result.
A Paragraph measures how many lines its text wraps to and changes its height (a layout) only when that
number changes; otherwise an update is a repaint of its own region.
"""

from __future__ import annotations

from textual.content import Content
from textual.events import Resize
from textual.widget import Widget


class Paragraph(Widget):
    """Wrapped rich text with a height that follows the text, at most `max_lines` (0: no limit)."""

    DEFAULT_CSS = """
    Paragraph { height: 1; }
    """

    def __init__(
        self, content: Content | str = "", *, max_lines: int = 0, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.content = content if isinstance(content, Content) else Content(content)
        self.max_lines = max_lines

    def set(self, content: Content | str) -> None:
        """Show `content`; lays out again only if the number of lines changes, repaints only if it changed
        (a repaint of one widget makes the compositor redraw everything between it and the others)."""
        new = content if isinstance(content, Content) else Content(content)
        if new.plain == self.content.plain and new.spans == self.content.spans:  # Content == ignores styles
            return
        self.content = new
        self._fit()
        self.refresh()

    def _fit(self) -> None:
        width = self.content_region.width or (self.parent.size.width if isinstance(self.parent, Widget) else 0)
        if width <= 0:
            return
        lines = max(1, len(self.content.wrap(width))) if self.content.plain else 1
        if self.max_lines:
            lines = min(lines, self.max_lines)
        if self.styles.height is None or self.styles.height.value != lines:
            self.styles.height = lines

    def on_resize(self, event: Resize) -> None:
        self._fit()

    def render(self) -> Content:
        return self.content


def one_line(err: BaseException) -> str:
    """An error in one line: its message's first line, or its type's name when it has no message."""
    text = str(err)
    return text.splitlines()[0] if text else type(err).__name__
