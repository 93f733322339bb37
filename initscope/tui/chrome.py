"""The app's frame around the tabs: the top bar's one-line texts and the footer of keys."""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer


class TextLine(Widget):
    """One line of text in a fixed-size box: updating it repaints without a layout pass (Static.update
    re-lays out the whole screen, which costs tens of ms here on every progress message)."""

    def __init__(self, text: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = text

    def set(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> Text:
        return Text(self.text, no_wrap=True, overflow="ellipsis")


class QuietFooter(Footer):
    """The Footer, which does not rebuild its keys while its screen is covered (by the palette, help, the open
    dialog): Textual rebuilds them whenever the screen stack changes, and rebuilding the main screen's footer
    restyles and re-lays out ~80 widgets as the palette opens. Its screen's resume changes the stack again,
    so the keys are rebuilt then."""

    def bindings_changed(self, screen: Screen[object]) -> None:
        if screen.app.screen is screen:  # not `is_current`: that is also true under a translucent screen
            super().bindings_changed(screen)
