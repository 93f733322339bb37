"""Shared test settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("initscope", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("initscope")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/tui drives the explorer: mark it `tui`, so `-m "not tui and not slow"` is the
    quick inner loop."""
    tui_dir = Path(__file__).parent / "tui"
    for item in items:
        if tui_dir in Path(item.fspath).parents:
            item.add_marker(pytest.mark.tui)
