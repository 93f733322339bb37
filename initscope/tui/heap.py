"""Keeping the garbage collector's full collections short while the explorer runs.

A full collection walks every tracked object: with the modules, the widget tree, the stylesheet and the hidden
tabs' rendered lines (~150k objects) it stalls the event loop 100-250 ms every few tab switches. Objects alive
soon after the first result and after each tab's first showing are moved out of its reach (gc.freeze).
"""

from __future__ import annotations

import gc
from collections.abc import Callable

FREEZE_DELAY_S = 0.5
"""The heap is frozen this long after a first result or a tab's first showing (their frames are painted by then)."""


class HeapFreezer:
    """Freezes the heap at most once per reason (so the cyclic garbage frozen with it is bounded)."""

    def __init__(self, set_timer: Callable[[float, Callable[[], None]], object]) -> None:
        self.set_timer = set_timer
        self.frozen_after: set[str] = set()
        """What the heap was frozen after: "result" and the tabs shown so far."""

    def after(self, reason: str) -> None:
        """Freeze the heap FREEZE_DELAY_S from now, unless it was frozen for `reason` already."""
        if reason not in self.frozen_after:
            self.frozen_after.add(reason)
            self.set_timer(FREEZE_DELAY_S, gc.freeze)

    def release(self) -> None:
        """The app is gone and the process goes on (tests run many apps): its objects can be collected again."""
        if self.frozen_after:
            gc.unfreeze()
