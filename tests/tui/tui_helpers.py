"""Shared helpers for the TUI tests: an app factory and a way to wait for the shown result."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from initscope.tui.app import InitScopeApp
from initscope.tui.controls import ControlPane
from initscope.tui.text import Paragraph


def text_of(app: InitScopeApp, selector: str) -> str:
    """Plain text a Static shows (Static.content)."""
    widget = app.screen.query_one(selector)
    assert isinstance(widget, (Static, Paragraph)), widget
    content: Any = widget.content
    return content.plain if hasattr(content, "plain") else str(content)


async def settle(pilot: Pilot[Any], timeout: float = 20.0) -> None:
    """Wait until typed text is applied (the controls wait for a pause in typing) and the latest requested
    run is the one on screen."""
    app = pilot.app
    assert isinstance(app, InitScopeApp)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.query_one(ControlPane).edit_pending:
            await asyncio.sleep(0.05)
        elif app.shown_generation == app.generation:
            return
        if loop.time() > deadline:
            raise AssertionError(f"run {app.generation} not shown (shown {app.shown_generation}): {app.status}")
        await asyncio.sleep(0.01)


def freeze_cursors(app: InitScopeApp) -> None:
    for widget in app.query(Input):
        widget.cursor_blink = False


def count_calls(obj: object, name: str) -> list[int]:
    """Wrap the method `name` of `obj` (this instance only) to count its calls: the counter lives in the test,
    not in the widget. Returns a one-item list that holds the count."""
    calls = [0]
    original = getattr(obj, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    setattr(obj, name, counted)
    return calls
