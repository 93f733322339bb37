"""The race table: one line per contender (steps to target, loss, accuracy, distinct units, what stopped it)
cut to the width it has, then the engine's conclusion."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from textual.content import Content
from textual.events import Resize

from initscope.engine.arrays import FloatArray
from initscope.engine.training import (
    STATUS_CANCELLED,
    STATUS_FINISHED,
    STATUS_NONFINITE,
    STATUS_RUNNING,
    RaceResult,
)
from initscope.tui.colors import hex_of
from initscope.tui.plots import RGB
from initscope.tui.state import Palette
from initscope.tui.summary import num
from initscope.tui.text import Paragraph
from initscope.tui.train.figures import contender_colors, widths_of


def units_cell(distinct: Sequence[int], widths: Sequence[int], short: bool) -> str:
    """The symmetry indicator of one contender: `1 of 64 — symmetric`, `64 of 64`, `37 of 64 (layer 2)`."""
    counts = [int(c) for c in distinct]
    if not counts or min(counts) < 0:
        return "–"
    low = int(np.argmin(counts))
    c, w = counts[low], int(widths[low]) if low < len(widths) else 0
    where = f" (layer {low + 1})" if len(set(counts)) > 1 and not short else ""
    text = f"{c}/{w}" if short else f"{c} of {w}{where}"
    if c == 1 and w > 1:
        text += " sym." if short else " — symmetric"
    return text


def cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


STATUS_SHORT = {
    STATUS_FINISHED: "finished",
    STATUS_NONFINITE: "non-finite",
    STATUS_CANCELLED: "cancelled",
    STATUS_RUNNING: "running",
}


def _finished_cells(v: RaceResult, k: int) -> tuple[str, float, float, tuple[str, ...]]:
    """(steps to target, loss, accuracy, stopped renderings) of contender k of an ended race."""
    c = v.contenders[k]
    target = "—" if c.steps_to_target is None else str(c.steps_to_target)
    short = STATUS_SHORT.get(c.status, c.status)
    at = f" @{c.stopped_step}" if c.stopped_step is not None and c.status != STATUS_FINISHED else ""
    return target, c.final_loss, c.final_accuracy, (c.reason or short, short + at)


def _racing_cells(
    v: RaceResult, k: int, loss: FloatArray, accuracy: FloatArray
) -> tuple[str, float, float, tuple[str, ...]]:
    """The same for a race under way: the latest loss and accuracy written, the target still ahead."""
    written = loss[k][np.isfinite(loss[k])] if loss.size else np.array([])
    accs = accuracy[k][np.isfinite(accuracy[k])] if accuracy.size else np.array([])
    status = v.statuses[k]
    stopped = ("racing…",) if status == STATUS_RUNNING else (STATUS_SHORT.get(status, status),)
    return ("…", float(written[-1]) if written.size else math.nan, float(accs[-1]) if accs.size else math.nan, stopped)


def table_rows(v: RaceResult) -> list[dict[str, tuple[str, ...]]]:
    """Per contender: column -> renderings, longest first (the table drops to shorter ones to fit)."""
    rows = []
    loss_curves, accuracy_curves, latest_distinct = v.loss_curves(), v.accuracy_curves(), v.latest_distinct_units()
    widths = widths_of(v)
    for k, label in enumerate(v.labels):
        target, loss, acc, stopped = (
            _racing_cells(v, k, loss_curves, accuracy_curves) if v.running else _finished_cells(v, k)
        )
        distinct = latest_distinct[k] if k < len(latest_distinct) else []
        rows.append(
            {
                "contender": (cut(label, 22), cut(label, 14)),
                "target": (target,),
                "loss": (num(loss),),
                "acc": (f"{100 * acc:.1f} %", f"{100 * acc:.0f}%") if math.isfinite(acc) else ("–",),
                "units": (units_cell(distinct, widths, False), units_cell(distinct, widths, True)),
                "stopped": stopped,
            }
        )
    return rows


COLUMNS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("contender", ("contender",), False),
    ("target", ("steps to target", "to target", "target"), True),
    ("loss", ("final loss", "loss"), True),
    ("acc", ("accuracy", "acc"), True),
    ("units", ("distinct units", "units"), False),
    ("stopped", ("stopped",), False),
)
SHRINK_ORDER = ("target", "acc", "loss", "stopped", "units", "contender")


def fit_table(rows: list[dict[str, tuple[str, ...]]], width: int, live: bool) -> list[str]:
    """Header and rows cut to `width` columns: columns fall back to shorter renderings until the line fits."""
    choice = {key: 0 for key, _, _ in COLUMNS}
    headers = {key: h for key, h, _ in COLUMNS}
    if live:
        headers = {**headers, "loss": ("loss now", "loss"), "acc": ("accuracy", "acc")}

    def cell(key: str, row: dict[str, tuple[str, ...]] | None) -> str:
        options = headers[key] if row is None else row[key]
        return options[min(choice[key], len(options) - 1)]

    def sizes() -> dict[str, int]:
        return {key: max(len(cell(key, r)) for r in [None, *rows]) for key, _, _ in COLUMNS}

    def line_width() -> int:
        return sum(sizes().values()) + 2 * (len(COLUMNS) - 1)

    shrunk = True
    while shrunk and line_width() > width:  # one step at a time, the first column in SHRINK_ORDER first
        shrunk = False
        for key in SHRINK_ORDER:
            most = max(len(headers[key]), *(len(r[key]) for r in rows)) - 1 if rows else len(headers[key]) - 1
            if choice[key] < most:
                choice[key] += 1
                shrunk = True
                break
    size = sizes()
    out = []
    for r in [None, *rows]:
        parts = []
        for key, _, right in COLUMNS:
            text = cell(key, r)
            parts.append(text.rjust(size[key]) if right else text.ljust(size[key]))
        text = "  ".join(parts).rstrip()
        out.append(text if len(text) <= width else text[: max(0, width - 1)] + "…")
    return out


class Scoreboard(Paragraph):
    """The race table: one line per contender cut to the width it has, then the conclusion."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view: RaceResult | None = None
        self.note = ""
        self.row_colors: list[RGB] = []

    def show_view(self, view: RaceResult | None, note: str = "", colors: list[RGB] | None = None) -> None:
        self.view, self.note, self.row_colors = view, note, colors or []
        self._compose_text()

    def _compose_text(self) -> None:
        width = self.content_region.width or 80
        v = self.view
        if v is None:
            self.set(Content.from_markup("[dim]$note[/dim]", note=self.note or "no race yet: t starts one"))
            return
        rows = table_rows(v)
        lines = fit_table(rows, width - 2, live=v.running)
        text = Content.from_markup("[dim]  $h[/dim]", h=lines[0][: max(0, width - 2)])
        colors = self.row_colors or contender_colors(Palette(), len(v.labels))
        for k, line in enumerate(lines[1:]):
            mark = Content.from_markup(f"[{hex_of(colors[k % len(colors)])}]■[/] ")
            text += Content("\n") + mark + Content(line[: max(0, width - 2)])
        conclusion = "" if v.running else v.conclusion()
        if not v.running and v.cancelled:
            conclusion = "cancelled: " + conclusion
        if conclusion:
            text += Content.from_markup("\n[b]$c[/b]", c=conclusion)
        elif self.note:
            text += Content.from_markup("\n[dim]$n[/dim]", n=self.note)
        self.set(text)

    def on_resize(self, event: Resize) -> None:
        self._compose_text()
