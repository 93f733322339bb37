"""SVG snapshot tests (pytest-textual-snapshot): seeded configs, cursor blink frozen, no clock shown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot
from tui_helpers import freeze_cursors, settle

from initscope.engine.config import Config
from initscope.tui.app import InitScopeApp

SnapCompare = Callable[..., bool]


def prepare(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        assert isinstance(pilot.app, InitScopeApp)
        freeze_cursors(pilot.app)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await pilot.pause()

    return run_before


def test_default_weights_100x32(snap_compare: SnapCompare) -> None:
    app = InitScopeApp(config=Config(fan_in=128, batch=128), clock=False)
    assert snap_compare(app, terminal_size=(100, 32), run_before=prepare())


def test_forward_std_80x24(snap_compare: SnapCompare) -> None:
    app = InitScopeApp(config=Config(initializer="xavier_normal", fan_in=128, batch=128, depth=30), clock=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=prepare("2"))


def test_backward_illusion_100x32(snap_compare: SnapCompare) -> None:
    app = InitScopeApp(config=Config(initializer="xavier_normal", fan_in=128, batch=128, depth=30), clock=False)
    assert snap_compare(app, terminal_size=(100, 32), run_before=prepare("3"))


def test_zero_init_theory_80x24(snap_compare: SnapCompare) -> None:
    app = InitScopeApp(config=Config(initializer="zeros", fan_in=64, batch=64), clock=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=prepare("4"))
