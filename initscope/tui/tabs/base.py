"""What every tab shares: `TabView` (views, `v`, the pair of plots of a narrow pane) and `PlotCard`.

Each tab turns a `ViewState` (the current Result, the pinned runs, the selected layer, the colours) into
`Figure`s for its canvases and a caption per plot (legend and how many points were hidden). The app
calls `show(state)` on the visible tab only; a tab shown later catches up when it becomes visible.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static

from initscope.tui.plot_widget import Plot
from initscope.tui.plots import Figure
from initscope.tui.state import ViewState
from initscope.tui.text import Paragraph


def displayed(widget: Widget) -> bool:
    """The widget and every widget above it are displayed (in a hidden tab it is not)."""
    node: Any = widget
    while node is not None and node is not widget.screen:
        if not node.display:
            return False
        node = node.parent
    return widget.is_attached


class PlotCard(Vertical):
    """A one-line title above a plot (the legend and notes are the plot's own top rows)."""

    def __init__(self, title: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title

    def compose(self) -> ComposeResult:
        yield Paragraph(self.title, max_lines=1, classes="caption")
        yield Plot()

    def show(self, caption: str, figure: Figure | None) -> None:
        """A plot gets the caption as the first item of its legend rows (one row more for the plot); words
        instead of a plot have it above them."""
        title = Content.from_markup(caption)
        plot = self.query_one(Plot)
        is_plot = figure is not None and not figure.message and not figure.empty()
        paragraph = self.query_one(".caption", Paragraph)
        paragraph.set(Content("") if is_plot else title)
        if paragraph.display == is_plot:
            paragraph.display = not is_plot
        plot.show(figure, title if is_plot else None)


def pair_plots(left: PlotCard, right: PlotCard) -> None:
    """Two plots side by side: their legends take the same rows, so their frames line up. In a narrow pane
    only one of them shows (`v` turns to the other: TabView.next_view)."""
    a, b = left.query_one(Plot), right.query_one(Plot)
    a.partner, b.partner = b, a
    left.add_class("first")
    right.add_class("second")


PAIR_MIN_WIDTH = 70
"""A tab narrower than this shows one plot of a side-by-side pair at a time (each keeps its width)."""


def view_bar(views: list[tuple[str, str]], current: str, tab: str) -> str:
    """One-line clickable list of a tab's views, the current one bold."""
    parts = []
    for key, label in views:
        if key == current:
            parts.append(f"[b reverse] {label} [/]")
        else:
            parts.append(f"[@click=app.set_view('{tab}','{key}')] {label} [/]")
    return "".join(parts) + "  [dim]v: next view[/dim]"


class TabView(Vertical):
    """Base of a tab's content: remembers which state it showed last, and which state each view was drawn with."""

    DEFAULT_CSS = """
    TabView.-one-plot .side-by-side PlotCard.second { display: none; }
    TabView.-one-plot .side-by-side.-second PlotCard.first { display: none; }
    TabView.-one-plot .side-by-side.-second PlotCard.second { display: block; }
    """
    VIEWS: ClassVar[list[tuple[str, str]]] = []
    NAME = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shown_state: ViewState | None = None
        self.view = self.VIEWS[0][0] if self.VIEWS else ""
        self.drawn: dict[str, tuple[ViewState, object]] = {}
        """view -> (state, view_key()) it was last drawn with: a view shown again unchanged keeps its widgets as
        they are (drawing it again would rasterize its plots at every `v`, tens of ms)."""

    def on_resize(self, event: Resize) -> None:
        one = event.size.width < PAIR_MIN_WIDTH
        if one != self.has_class("-one-plot"):
            self.set_class(one, "-one-plot")
            if self.shown_state is not None and self.query(".side-by-side"):
                self.draw_view(self.shown_state)  # the pair's titles say how to reach the other plot

    def pair_hint(self, words: str) -> str:
        """'  v: words' after the title of a plot of a pair, when the pane shows one plot at a time."""
        return f"  [dim]v: {words}[/dim]" if self.has_class("-one-plot") else ""

    def shown_pair(self) -> Widget | None:
        """The side-by-side pair of the current view, when the pane shows one plot of it at a time."""
        if not self.has_class("-one-plot"):
            return None
        for pair in self.query(".side-by-side"):
            if pair.display and pair.region.area:
                return pair
        return None

    def next_view(self) -> None:
        pair = self.shown_pair()
        if pair is not None and not pair.has_class("-second"):  # the pair's other plot first
            pair.add_class("-second")
            return
        if pair is not None:
            pair.remove_class("-second")
        if not self.VIEWS:
            return
        keys = [k for k, _ in self.VIEWS]
        self.set_view(keys[(keys.index(self.view) + 1) % len(keys)])

    def set_view(self, view: str) -> None:
        if view not in [k for k, _ in self.VIEWS]:
            return
        self.view = view
        try:
            self.query_one(ContentSwitcher).current = view
            self.query_one(".view-bar", Static).update(Content.from_markup(view_bar(self.VIEWS, view, self.NAME)))
        except Exception:
            return
        state = self.shown_state
        drawn = self.drawn.get(view)
        if state is not None and (drawn is None or drawn[0] is not state or drawn[1] != self.view_key()):
            self.draw_view(state)

    def show(self, state: ViewState) -> None:
        """Draw `state` (the app calls this only while the tab is visible)."""
        self.shown_state = state
        self.draw_view(state)

    def draw_view(self, state: ViewState) -> None:
        """Draw the current view and remember what it was drawn with."""
        self.drawn[self.view] = (state, self.view_key())
        self.draw(state)

    def view_key(self) -> object:
        """Besides the state, what the drawing of a view depends on (here nothing)."""
        return None

    log_counts = False
    """Histogram counts on a log10 axis (key g; tabs without histograms ignore it)."""

    def toggle_log_counts(self) -> None:
        self.log_counts = not self.log_counts
        if self.shown_state is not None:
            self.draw_view(self.shown_state)

    def draw_again(self) -> None:
        """The current view waits for something it asked for (a phase grid): draw it whenever it is shown."""
        self.drawn.pop(self.view, None)

    def draw(self, state: ViewState) -> None:
        raise NotImplementedError

    def compose_view_bar(self) -> Widget:
        return Static(Content.from_markup(view_bar(self.VIEWS, self.view, self.NAME)), classes="view-bar")


def views_of(tabs: Iterable[type[TabView]]) -> list[tuple[str, str]]:
    """(tab name, view key) of every view of `tabs`, in order; (name, "") for a tab with one view."""
    return [(tab.NAME, view) for tab in tabs for view in ([key for key, _ in tab.VIEWS] or [""])]
