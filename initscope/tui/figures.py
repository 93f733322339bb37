"""Figures the tabs draw (presentation of the engine's numbers, no statistic computed): per-layer plots with
their legend, pins named by what they change, histograms with log counts and zeros set apart, the phase
diagram as a heat map of the engine's chi1 grid.

The tabs (tui/tabs/, tui/theory/) call these and hand the Figure to a Plot (plot_widget.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from initscope.engine.arrays import FloatArray
from initscope.engine.config import Config
from initscope.engine.phase import PhaseGrid, chi1_at, edge
from initscope.engine.result import Histogram, Result
from initscope.tui.colors import blend
from initscope.tui.labels import initializer_text
from initscope.tui.plots import (
    RGB,
    Figure,
    Heat,
    Legend,
    Line,
    histogram_bars,
    histogram_notes,
    linear_series,
    log10_series,
)

if TYPE_CHECKING:
    from initscope.tui.state import Pin, ViewState


def hidden_words(hidden: int, total: int) -> list[str]:
    """The note under a legend saying how many points could not be drawn (none: no note)."""
    return [f"{hidden} of {total} points hidden (non-finite, ≤ 0 or not computed)"] if hidden else []


MEASURED_MARKS = ("●", "◆", "■")
"""Markers of the measured series of one plot, in legend order."""
PIN_MARKS = ("▲", "▼", "○", "◇")
"""Markers of pins 1, 2, 3, 4: apart from the measured ones and from each other (digits read as numbers
when two layers sit side by side)."""


def layers_of(r: Result) -> FloatArray:
    return np.arange(1, r.depth + 1, dtype=np.float64)


def histogram_figure(h: Histogram, color: RGB, x_label: str, log_counts: bool = False) -> tuple[Figure, list[str]]:
    """Bars of a pre-binned histogram; `log_counts` plots log10 of the counts (empty bins left out)."""
    bars, words = histogram_bars(h, color)
    if bars is None:
        return Figure(message=words), []
    if log_counts:
        bars.counts, _ = log10_series(bars.counts)
    fig = Figure(
        bars=[bars],
        x_is_layer=False,
        x_range=(float(h.edges[0]), float(h.edges[-1])),
        x_label=x_label,
        log_y=log_counts,
        y_floor=None if log_counts else 0.0,
    )
    return fig, histogram_notes(h)


def set_zeros_apart(fig: Figure, h: Histogram, dead_fraction: float) -> str:
    """Take the exact zeros (the engine's share of A entries exactly 0) out of the bin holding 0, so the rest of
    a relu-like histogram is not flattened by that spike. Only for a histogram that counted every value (not
    a strided subset) of finite values alone; returns the note saying how many were set apart ('' if none)."""
    if not fig.bars or h.note or h.nonfinite or not math.isfinite(dead_fraction) or dead_fraction <= 0:
        return ""
    zeros = round(dead_fraction * h.total)
    edges = np.asarray(h.edges, dtype=np.float64)
    inside = np.flatnonzero((edges[:-1] <= 0.0) & (edges[1:] >= 0.0))
    if zeros <= 0 or inside.size == 0 or h.counts[inside[0]] < zeros:
        return ""
    counts = np.asarray(h.counts, dtype=np.float64).copy()
    counts[inside[0]] -= zeros
    fig.bars[0].counts = counts
    return f"{zeros} exact zeros ({100 * dead_fraction:.3g} %) set apart, not in the bars"


def count_scale(log_counts: bool) -> str:
    return "log10 counts" if log_counts else "counts"


Series = tuple[str, FloatArray, RGB, Result]
"""(legend label, per-layer values, colour, the run they belong to)."""


def is_theory(label: str) -> bool:
    return label.startswith(("theory", "predicted"))


PIN_NAME_WIDTH = 30
"""A pin's legend name is cut to this many characters (with …)."""


def config_difference(pinned: Config, current: Config) -> str:
    """What the pinned config changes against the shown one: 'depth 30', 'xavier_normal, seed 3'."""
    parts = []
    if (pinned.initializer, dict(pinned.initializer_params)) != (current.initializer, dict(current.initializer_params)):
        parts.append(initializer_text(pinned))
    if (pinned.activation, dict(pinned.activation_params)) != (current.activation, dict(current.activation_params)):
        parts.append(pinned.activation)
    if pinned.n_layers != current.n_layers:
        parts.append(f"depth {pinned.n_layers}")
    for name, word in (
        ("fan_in", "fan-in"),
        ("batch", "batch"),
        ("dtype", ""),
        ("input", "input"),
        ("bias", "bias"),
        ("seed", "seed"),
        ("clip", "clip"),
    ):
        a, b = getattr(pinned, name), getattr(current, name)
        if a != b:
            parts.append(f"{word} {a}".strip())
    for name, shown_as in (
        ("arch", "{}"),
        ("branch_depth", "branch {}"),
        ("norm", "{}"),
        ("norm_placement", "{}-norm"),
        ("branch_scale", "scale {}"),
    ):
        a, b = getattr(pinned, name), getattr(current, name)
        if a != b:
            parts.append(shown_as.format(a))
    if pinned.widths != current.widths and pinned.n_layers == current.n_layers and pinned.fan_in == current.fan_in:
        parts.append("widths " + ",".join(str(w) for w in pinned.widths))
    text = ", ".join(parts) or "same config"
    return text if len(text) <= PIN_NAME_WIDTH else text[: PIN_NAME_WIDTH - 1] + "…"


def pin_name(state: ViewState, n: int, pin: Pin) -> str:
    """'pin 2: depth 30': the pin's number and what it changes against the shown run."""
    if state.result is None:
        return pin.label
    return f"pin {n}: {config_difference(pin.result.config, state.result.config)}"


def pin_series(state: ViewState, values: Callable[[Result], FloatArray]) -> list[Series]:
    return [
        (pin_name(state, n, pin), values(pin.result), pin.color, pin.result)
        for n, pin in enumerate(state.pins, start=1)
    ]


def per_layer_figure(state: ViewState, series: list[Series], log: bool, scale: float = 1.0) -> Figure:
    """A per-layer plot of several series: theory as thin lines, measured values and pins as markers drawn
    over them (dodged apart by a column so equal values all show), the selected layer marked, the hidden
    points counted in a note."""
    residual = state.result is not None and state.result.branch is not None
    fig = Figure(log_y=log, x_label="block" if residual else "layer", selected=float(state.layer))
    hidden = total = 0
    depth = 1
    marks = iter(MEASURED_MARKS)
    pins = {pin_name(state, n + 1, pin): PIN_MARKS[n % len(PIN_MARKS)] for n, pin in enumerate(state.pins)}
    for label, values, color, r in series:
        y, h = log10_series(values) if log else linear_series(values, scale)
        theory = is_theory(label)
        if theory and not np.isfinite(y).any():
            continue
        hidden += h
        total += y.size
        depth = max(depth, r.depth)
        if theory:
            fig.lines.append(Line(layers_of(r), y, color))
            fig.legend.append(Legend(label, color, "━"))
        else:
            mark = pins[label] if label in pins else next(marks, "•")
            fig.lines.append(Line(layers_of(r), y, color, marker=mark, points=True, dodge=True))
            fig.legend.append(Legend(label, color, mark))
    fig.depth = depth
    fig.notes = hidden_words(hidden, total)
    return fig


def log_lines(state: ViewState, series: list[Series]) -> Figure:
    """Log-decade figure of several per-layer series."""
    return per_layer_figure(state, series, log=True)


# ------------------------------------------------------------------------------------------ phase diagram
CHI_BOUNDS = (0.5, 0.8, 1.0, 1.25, 2.0)
"""The phase diagram's shades change at these chi1 (symmetric in log10 around the edge chi1 = 1)."""
CHI_LABELS = ("chi1 < 0.5", "0.5–0.8", "0.8–1", "1–1.25", "1.25–2", "≥ 2")
SHADE_SHARES = (0.85, 0.55, 0.3, 0.3, 0.55, 0.85)
"""How far each shade moves from the background to its phase's colour (deeper away from chi1 = 1)."""
CURSOR_MARK = "✚"


def chi_shades(chi: FloatArray) -> npt.NDArray[np.intp]:
    """The shade of every chi1 (an index into CHI_LABELS), -1 where chi1 is not finite."""
    with np.errstate(invalid="ignore"):
        index = np.searchsorted(np.asarray(CHI_BOUNDS), chi, side="right").astype(np.intp)
    return np.where(np.isfinite(chi), index, -1).astype(np.intp)


def phase_figure(
    grid: PhaseGrid,
    cursor: tuple[float, float] | None,
    marks: list[tuple[str, float, float, RGB]],
    ordered: RGB,
    chaotic: RGB,
    line: RGB,
    cursor_color: RGB,
    surface: RGB,
) -> Figure:
    """chi1 over sigma_w^2 (across) and sigma_b^2 (up): a shade per cell, read from the engine's grid at the
    cell's own (sigma_w^2, sigma_b^2), the chi1 = 1 line over it, the net as a cross and pins by number."""
    palette = [blend(surface, ordered if k < 3 else chaotic, share) for k, share in enumerate(SHADE_SHARES)]
    heat = Heat(lambda sw, sb: chi_shades(chi1_at(grid, sw, sb)), palette)
    present = set(np.unique(chi_shades(grid.chi1)).tolist())
    legend = [Legend(label, palette[k], "█") for k, label in enumerate(CHI_LABELS) if k in present]
    edge_w, edge_b = edge(grid)
    lines = [Line(edge_w, edge_b, line)]
    legend.append(Legend("chi1 = 1", line, "━"))
    for label, w, b, color in marks:
        lines.append(Line(np.array([w]), np.array([b]), color, marker=label, points=True))
        legend.append(Legend(f"pin {label}", color, label))
    if cursor is not None and 0.0 <= cursor[0] <= grid.w_max and 0.0 <= cursor[1] <= grid.b_max:
        lines.append(Line(np.array([cursor[0]]), np.array([cursor[1]]), cursor_color, marker=CURSOR_MARK, points=True))
        legend.append(Legend("this net", cursor_color, CURSOR_MARK))
    return Figure(
        lines=lines,
        heat=heat,
        legend=legend,
        x_is_layer=False,
        x_range=(0.0, grid.w_max),
        y_range=(0.0, grid.b_max),
        x_label="σw²",
    )
