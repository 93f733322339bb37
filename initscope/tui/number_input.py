"""NumberInput: an Input for a number that up/down step (×2 / ÷2, the seed by 1)."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input

from initscope.tui.messages import NumberStepped


class NumberInput(Input):
    """An Input for a number: up/down step it ×2 / ÷2 (the seed by 1).

    Every printable key is text, `+` and `-` included: a typed `-5` is the value -5, which the Config
    refuses with the field's allowed range, never a halving followed by a 5."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "step(1)", "×2", show=False),
        Binding("down", "step(-1)", "÷2", show=False),
    ]

    def __init__(
        self, value: str, *, integer: bool, low: float | None = None, high: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(value, compact=True, **kwargs)
        self.integer = integer
        self.low, self.high = low, high

    def action_step(self, direction: int) -> None:
        text = self.value.strip()
        try:
            number = float(text)
        except ValueError:
            return
        if not math.isfinite(number):
            return
        if self.id == "seed":
            number += direction
        elif number == 0:
            number = 1.0 if direction > 0 else 0.0
        else:
            number = number * 2 if direction > 0 else number / 2
        if self.integer:
            number = float(max(1 if self.id != "seed" else 0, round(number)))
        if self.low is not None:
            number = max(self.low, number)
        if self.high is not None:
            number = min(self.high, number)
        self.value = str(int(number)) if self.integer else f"{number:.6g}"
        self.cursor_position = len(self.value)
        self.post_message(NumberStepped())  # after the value's Changed message, so the pane has the new text
