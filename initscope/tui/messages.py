"""Every message the TUI's workers and widgets post (`post_message` is thread-safe), and the throttle that
posts a worker's progress.

Dataclasses, as Textual's own messages: `Message.__post_init__` sets up the message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from textual.message import Message

from initscope.engine.config import Config
from initscope.engine.ensemble import EnsembleResult
from initscope.engine.jacobian import JacobianResult
from initscope.engine.phase import PhaseGrid, PhaseKey
from initscope.engine.result import Result
from initscope.engine.training import RaceResult, TrainConfig


# ---------------------------------------------------------------------------------------------- the run
@dataclass
class RunProgress(Message):
    """Layers done so far (forward then backward: total is 2·depth). Coalesced: a newer one replaces it."""

    generation: int
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunProgress)


@dataclass
class RunFinished(Message):
    """A run completed; the app drops it unless `generation` is still the current one."""

    generation: int
    config: Config
    result: Result


@dataclass
class RunFailed(Message):
    """The engine raised: the app says so in one line and keeps going."""

    generation: int
    config: Config
    error: Exception


@dataclass
class ConfigEdited(Message):
    """The controls produced a valid Config (posted by the control pane)."""

    config: Config
    source: str


@dataclass
class ConfigRefused(Message):
    """The controls hold a value the Config refuses; the field is marked, the last result stays."""

    field: str
    message: str
    source: str


@dataclass
class StatusChanged(Message):
    """A widget's worker has news for the status line (the Jacobian's or the seed ensemble's progress)."""

    text: str


@dataclass
class ExtrasChanged(Message):
    """What the tabs draw besides the run changed (the seed ensemble): the app draws the visible tab again."""


@dataclass
class NumberStepped(Message):
    """A NumberInput's value was stepped by a key (applied at once, not after the typing pause)."""


# ---------------------------------------------------------------------------------------------- on demand
@dataclass
class PhaseGridReady(Message):
    """The phase view's worker computed the grid of `key` (or failed: `error`)."""

    key: PhaseKey
    grid: PhaseGrid | None
    error: str = ""


@dataclass
class JacobianWanted(Message):
    """The visible Jacobian view follows the config and holds a spectrum of another: the app asks it for the
    latest config's."""


@dataclass
class ConfigProgress(Message):
    """Steps done by an on-demand computation for `config`. Coalesced: a newer one of the same kind replaces it."""

    config: Config
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return type(message) is type(self)


@dataclass
class JacobianProgress(ConfigProgress):
    """Layers of the Jacobian product done (then the SVD)."""


@dataclass
class JacobianFinished(Message):
    config: Config
    result: JacobianResult | None
    error: Exception | None = None


@dataclass
class EnsembleProgress(ConfigProgress):
    """Layers done over all the ensemble's runs."""


@dataclass
class EnsembleFinished(Message):
    config: Config
    result: EnsembleResult | None
    error: Exception | None = None


# ---------------------------------------------------------------------------------------------- the race
@dataclass
class RaceChecked(Message):
    """The settings were validated in a thread: `config` when valid, else `error`."""

    generation: int
    config: TrainConfig | None
    error: Exception | None


@dataclass
class RaceStarted(Message):
    """The race worker built its TrainConfig and is training."""

    generation: int
    config: TrainConfig


@dataclass
class RaceTick(Message):
    """The race so far, from the engine. Coalesced: a newer one replaces a queued one."""

    generation: int
    race: RaceResult

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RaceTick)


@dataclass
class RaceDone(Message):
    """The race ended: finished, or cancelled (then `result.cancelled` and the curves so far)."""

    generation: int
    result: RaceResult


@dataclass
class RaceRefused(Message):
    """The race did not start: the settings are invalid (ConfigError) or the engine raised."""

    generation: int
    error: Exception


PROGRESS_INTERVAL_S = 0.05
"""Progress messages from a worker are posted at most this often (and always for the last step)."""


def throttled_progress(
    post: Callable[[Message], object], make: Callable[[int, int], Message], delay: float = 0.0
) -> Callable[[int, int], None]:
    """A progress callback for the engine that posts `make(done, total)` at most every PROGRESS_INTERVAL_S,
    and not at all before `delay` seconds: a quick computation should not compete with its own repaints."""
    started = time.monotonic()
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - started < delay:
            return
        if done == total or now - last >= PROGRESS_INTERVAL_S:
            last = now
            post(make(done, total))

    return progress
