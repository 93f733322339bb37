"""What the tabs are handed to draw: the `ViewState` (the shown Result, the pinned runs, the selected layer,
the colours) and the on-demand `Extras` that belong to it (the seed ensemble); and the states of the
on-demand computations (the Jacobian spectrum, the seed ensemble).

Frozen dataclasses: a tab compares the state it drew with the current one by identity to skip redrawing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from initscope.engine.config import Config
from initscope.engine.ensemble import EnsembleResult
from initscope.engine.jacobian import JacobianResult
from initscope.engine.result import Result
from initscope.tui.plots import RGB

PIN_COLORS: tuple[RGB, ...] = ((214, 112, 255), (0, 210, 210), (240, 220, 80), (160, 160, 160))
"""Pinned runs: chosen to differ from the theme's primary/accent/success used by the current run."""

JacobianStatus = Literal["running", "done", "refused", "failed", "cancelled"]
EnsembleStatus = Literal["running", "done"]


@dataclass(frozen=True)
class Palette:
    measured: RGB = (0, 150, 255)
    second: RGB = (255, 120, 200)
    theory: RGB = (80, 200, 120)
    warning: RGB = (255, 180, 0)
    error: RGB = (230, 60, 60)
    theory2: RGB = (160, 230, 170)


@dataclass(frozen=True)
class Pin:
    label: str
    result: Result
    color: RGB


MAX_PINS = 4


def add_pin(pins: list[Pin], result: Result, label: str) -> tuple[str, bool]:
    """Pin `result` (as `pin N: label`) unless it cannot be: (what to say, whether it is a warning)."""
    same = next((i for i, p in enumerate(pins) if p.result.config == result.config), None)
    if same is not None:  # the same config and seed draws the same numbers: a second pin adds nothing
        return f"this config is pinned already (pin {same + 1})", False
    if len(pins) >= MAX_PINS:
        return f"{MAX_PINS} runs pinned already: P clears them", True
    used = {p.color for p in pins}
    color = next(c for c in PIN_COLORS if c not in used)
    label = f"pin {len(pins) + 1}: {label}"
    pins.append(Pin(label, result, color))
    return f"pinned {label}", False


@dataclass(frozen=True)
class JacobianState:
    """The Jacobian the app computes or computed, for `config` (the latest request)."""

    config: Config
    status: JacobianStatus
    """cancelled: the config changed while it ran."""
    result: JacobianResult | None = None
    message: str = ""
    """Why it was refused or failed, in one line."""
    done: int = 0
    total: int = 0
    previous: JacobianResult | None = None
    """The last finished spectrum (of another config), shown greyed while this one computes."""


@dataclass(frozen=True)
class EnsembleState:
    config: Config
    status: EnsembleStatus
    result: EnsembleResult | None = None
    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class Extras:
    """What the tabs may draw besides the run: handed over in the ViewState."""

    ensemble: EnsembleResult | None = None
    """Only when it belongs to the shown result's config."""
    ensemble_running: bool = False


@dataclass(frozen=True)
class ViewState:
    result: Result | None
    pins: tuple[Pin, ...] = ()
    layer: int = 1
    palette: Palette = field(default_factory=Palette)
    extras: Extras = field(default_factory=Extras)
    """On-demand results (the seed ensemble) that belong to `result`."""
