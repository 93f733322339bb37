"""Messages between the run worker (a thread) and the app. `post_message` is thread-safe."""

from __future__ import annotations

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
