"""The race's cancel event, which also holds the race while the tab paints a frame of it."""

from __future__ import annotations

import threading

PAINT_GATE_TIMEOUT_S = 0.25
"""The race waits at most this long for a live frame to be painted (see RaceCancel)."""


class RaceCancel(threading.Event):
    """The `cancel` the engine gets: the worker's `cancelled_event` (set by `x`, an edit, or a new race), and a
    paint gate. The engine checks `is_set()` at every step; while the tab paints a frame of the live race the gate
    is closed and the race waits there (at most PAINT_GATE_TIMEOUT_S), so the frame has the interpreter to itself
    instead of sharing the GIL with the race (which would double its wall time and stall the event loop)."""

    def __init__(self, cancelled: threading.Event, gate: threading.Event) -> None:
        super().__init__()
        self.cancelled = cancelled
        self.gate = gate

    def is_set(self) -> bool:
        if not self.gate.is_set():
            self.gate.wait(PAINT_GATE_TIMEOUT_S)
        return self.cancelled.is_set()

    def set(self) -> None:
        self.cancelled.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.cancelled.wait(timeout)
