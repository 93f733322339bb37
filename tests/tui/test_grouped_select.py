"""GroupedSelect leans on Textual's private Select API (see initscope/tui/grouped_select.py). These tests fail
when a Textual release changes what it relies on: the hook that fills the open list, `Select._options`, and
the overlay's place in `textual.widgets._select`."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Select
from textual.widgets._select import SelectOverlay

from initscope.tui.grouped_select import GroupedSelect

GROUPS = [("he_normal", "variance scaling"), ("xavier_normal", "variance scaling"), ("zeros", "constant")]


class OneSelect(App[None]):
    def compose(self) -> ComposeResult:
        yield GroupedSelect(GROUPS, "he_normal", id="pick")


def test_the_private_api_it_overrides_is_still_there() -> None:
    assert callable(getattr(Select, "_setup_options_renderables", None))
    select = GroupedSelect(GROUPS, "zeros")
    assert [value for _, value in select._options] == [name for name, _ in GROUPS]


async def test_the_open_list_has_family_headers_and_the_closed_select_the_name_only() -> None:
    app = OneSelect()
    async with app.run_test() as pilot:
        select = app.query_one(GroupedSelect)
        overlay = select.query_one(SelectOverlay)
        prompts = [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]
        assert prompts == ["─ variance scaling\nhe_normal", "xavier_normal", "─ constant\nzeros"]
        assert "variance scaling" not in str(select.query_one("SelectCurrent").render())
        select.value = "zeros"
        await pilot.pause()
        assert select.value == "zeros" and overlay.highlighted == 2
