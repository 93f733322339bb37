"""Messages between the run worker (a thread) and the app. `post_message` is thread-safe."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.message import Message

from initscope.engine.config import Config
from initscope.engine.result import Result


class RunProgress(Message):
    """Layers done so far (forward then backward: total is 2·depth). Coalesced: a newer one replaces it."""

    def __init__(self, generation: int, done: int, total: int) -> None:
        super().__init__()
        self.generation = generation
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunProgress)


class RunFinished(Message):
    """A run completed; the app drops it unless `generation` is still the current one."""

    def __init__(self, generation: int, config: Config, result: Result) -> None:
        super().__init__()
        self.generation = generation
        self.config = config
        self.result = result


class RunFailed(Message):
    """The engine raised: the app says so in one line and keeps going."""

    def __init__(self, generation: int, config: Config, error: Exception) -> None:
        super().__init__()
        self.generation = generation
        self.config = config
        self.error = error


class ConfigEdited(Message):
    """The controls produced a valid Config (posted by the control pane)."""

    def __init__(self, config: Config, source: str) -> None:
        super().__init__()
        self.config = config
        self.source = source


class ConfigRefused(Message):
    """The controls hold a value the Config refuses; the field is marked, the last result stays."""

    def __init__(self, field: str, message: str, source: str) -> None:
        super().__init__()
        self.field = field
        self.message = message
        self.source = source


PROGRESS_INTERVAL_S = 0.05
"""Progress messages from a worker are posted at most this often (and always for the last step)."""


def throttled_progress(post: Callable[[Message], object], make: Callable[[int, int], Message],
                       delay: float = 0.0) -> Callable[[int, int], None]:
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
