"""GroupedSelect: a Select whose open list shows a family header above the first entry of each family.

The one module that leans on Textual's private Select API (it overrides `Select._setup_options_renderables`,
reads `Select._options`, and fills the `SelectOverlay` of `textual.widgets._select`): Textual has no public
hook for option renderables that differ from the closed Select's prompt. tests/tui/test_grouped_select.py
fails when Textual changes any of these, and pyproject.toml pins textual below the next minor release.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Select
from textual.widgets._select import SelectOverlay
from textual.widgets.option_list import Option


class GroupedSelect(Select[str]):
    """A Select of names whose open list shows each family's name as a dim first line of its first entry;
    the closed Select shows the name only."""

    def __init__(self, groups: list[tuple[str, str]], value: str, **kwargs: Any) -> None:
        """`groups`: (name, family) in the order to list them."""
        self._families = dict(groups)
        super().__init__([(name, name) for name, _ in groups], value=value, allow_blank=False, compact=True, **kwargs)

    def _setup_options_renderables(self) -> None:
        options: list[Option] = []
        previous = None
        for prompt, value in self._options:
            family = self._families.get(str(value), "")
            if family != previous:
                options.append(Option(Text.assemble((f"─ {family}\n", "dim italic"), str(prompt))))
                previous = family
            else:
                options.append(Option(str(prompt)))
        overlay = self.query_one(SelectOverlay)
        overlay.clear_options()
        overlay.add_options(options)
