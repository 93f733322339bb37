"""The Train tab's figures and lines, drawn from the engine's `RaceResult` (the race so far while it runs):
loss on log decades, accuracy, the update:data ratio per layer against its healthy 1e-3, the distinct hidden
units, the line that says what was raced, and the progress bar."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from initscope.engine.text import call_text
from initscope.engine.training import STATUS_RUNNING, RaceResult
from initscope.tui.figures import hidden_words
from initscope.tui.plots import RGB, Figure, Legend, Line, Ticks, linear_series, log10_series, nice_ticks
from initscope.tui.state import PIN_COLORS, Palette
from initscope.tui.summary import num
from initscope.tui.tabs.base import PlotCard

HEALTHY_UPDATE_RATIO = -3.0
"""log10 of the update:data ratio people aim for (CS231n, "ratio of weights:updates": about 1e-3)."""


def widths_of(v: RaceResult) -> tuple[int, ...]:
    """The raced network's hidden widths."""
    return tuple(v.config.network.widths)


def contender_colors(p: Palette, n: int) -> list[RGB]:
    colors = [p.measured, p.second, *PIN_COLORS, p.theory, p.error]
    return [colors[k % len(colors)] for k in range(n)]


def step_label(x: float) -> str:
    """0, 250, 1.5k, 12k, 1.2M: an x tick in optimizer steps."""
    if x >= 1e6:
        return f"{x / 1e6:g}M"
    if x >= 1e3:
        return f"{x / 1e3:g}k"
    return f"{x:g}"


def step_ticks(total: int, columns: int) -> list[tuple[float, str]]:
    """Round tick positions 0 .. total (1, 2, 5 x 10^k apart, whole steps) that fit `columns` text columns."""
    if total <= 0:
        return [(0.0, "0")]
    room = min(max(2, columns // 7), total)  # a tick per step at most: no fractional steps
    return [(t, step_label(t)) for t in nice_ticks(0.0, float(total), room, mantissas=(1.0, 2.0, 5.0))]


@dataclass
class TickFigure(Figure):
    """A Figure whose x axis is optimizer steps (`step_total`) or named layers (`x_names`)."""

    step_total: int = 0
    x_names: tuple[str, ...] = ()

    def x_tick_marks(self, columns: int) -> Ticks | None:
        if self.x_names:
            return Ticks([float(i) for i in range(1, len(self.x_names) + 1)], list(self.x_names))
        if self.step_total:
            ticks = step_ticks(self.step_total, columns)
            return Ticks([t for t, _ in ticks], [label for _, label in ticks])
        return None


class RaceCard(PlotCard):
    """A PlotCard for the race's figures."""


def loss_figure(v: RaceResult, colors: list[RGB], p: Palette) -> tuple[TickFigure, str]:
    """Loss on the training set per contender, log decades, with the target loss as a line."""
    lines: list[Line] = []
    legend: list[Legend] = []  # the contenders' colours are the ■ of the table rows
    hidden = total = 0
    loss = v.loss_curves()
    for k in reversed(range(len(v.labels))):  # the first contender (the current initializer) drawn on top
        y, h = log10_series(loss[k])
        hidden, total = hidden + h, total + y.size
        lines.append(Line(v.epoch_steps.astype(np.float64), y, colors[k], marker="hd"))
    target = v.config.target_loss if v.running else v.target_loss  # while racing, only a target given
    if target is not None:
        ty, _ = log10_series([target, target])
        lines.insert(0, Line(np.array([0.0, float(max(v.total_steps, 1))]), ty, p.warning))
        legend.append(Legend(f"target {num(target)}", p.warning, "┈"))
    fig = TickFigure(
        lines=lines,
        log_y=True,
        x_is_layer=False,
        x_range=(0.0, float(max(v.total_steps, 1))),
        step_total=v.total_steps,
        legend=legend,
        notes=hidden_words(hidden, total),
    )
    return fig, "[b]loss[/b] [dim](log)[/dim]"


def accuracy_figure(v: RaceResult, colors: list[RGB]) -> tuple[Figure, str]:
    accuracy = v.accuracy_curves()
    if not np.isfinite(accuracy).any():
        regression = (
            (not v.running and v.dataset.get("task") == "regression")
            or v.config.data == "teacher"
            or v.config.task == "regression"
        )
        why = "regression: the loss is the mean squared error" if regression else "not measured yet"
        return Figure(message=f"no accuracy ({why})"), "[b]accuracy[/b]"
    lines = []
    for k in reversed(range(len(v.labels))):  # the first contender on top
        y, _ = linear_series(accuracy[k], 100.0)
        lines.append(Line(v.epoch_steps.astype(np.float64), y, colors[k], marker="hd"))
    fig = TickFigure(
        lines=lines,
        x_is_layer=False,
        x_range=(0.0, float(max(v.total_steps, 1))),
        y_floor=0.0,
        y_ceiling=100.0,
        step_total=v.total_steps,
    )
    return fig, "[b]accuracy[/b] [dim]%[/dim]"


def ratio_figure(v: RaceResult, colors: list[RGB], p: Palette) -> tuple[TickFigure, str]:
    """The latest update:data ratio per layer (the engine's log10 values) against its healthy 1e-3."""
    names = v.layer_names
    ratios = v.latest_update_ratios()
    x = np.arange(1, len(names) + 1, dtype=np.float64)
    lines = [Line(np.array([0.6, len(names) + 0.4]), np.array([HEALTHY_UPDATE_RATIO] * 2), p.warning)]
    legend = []
    hidden = total = 0
    for k, label in reversed(list(enumerate(v.labels))):  # the first contender on top
        y, h = linear_series(ratios[k])
        if not np.isfinite(y).any():  # said in the legend, not counted as hidden points
            why = "none yet" if v.running and v.statuses[k] == STATUS_RUNNING else "none: W or its update is 0"
            legend.append(Legend(f"{label}: {why}", colors[k], "●"))
            continue
        hidden, total = hidden + h, total + y.size
        lines.append(Line(x, y, colors[k], marker="●", points=True, dodge=True))
        legend.append(Legend(label, colors[k], "●"))
    legend.reverse()
    legend.insert(0, Legend("healthy 1e-3", p.warning, "┈"))
    fig = TickFigure(
        lines=lines, log_y=True, depth=len(names), x_names=names, legend=legend, notes=hidden_words(hidden, total)
    )
    return fig, "[b]update:data[/b] [dim](log) per weight layer, latest step[/dim]"


def units_line(v: RaceResult) -> str:
    """Distinct hidden units per layer for every contender, as markup."""
    widths = widths_of(v)
    same = len(set(widths)) == 1
    parts = []
    distinct = v.latest_distinct_units()
    for k, label in enumerate(v.labels):
        counts = [int(c) for c in distinct[k]] if k < len(distinct) else []
        if not counts or min(counts) < 0:
            parts.append(f"{label} –")
            continue
        text = (
            " ".join(str(c) for c in counts)
            if same
            else " ".join(f"{c}/{w}" for c, w in zip(counts, widths, strict=False))
        )
        symmetric = min(counts) == 1 and max(widths) > 1
        esc = label.replace("[", r"\[")
        parts.append(f"[b $error]{esc} {text} — symmetric[/]" if symmetric else f"{esc} {text}")
    of = f" (of {widths[0]})" if same else ""
    return f"[dim]distinct hidden units per layer{of}:[/dim] " + " · ".join(parts)


def race_line(v: RaceResult) -> str:
    """What the shown race is: data, network, optimizer, epochs, target."""
    tc = v.config
    net = tc.network
    widths = net.widths
    shape = f"{widths[0]}×{len(widths)}" if len(set(widths)) == 1 else ",".join(map(str, widths))
    act = call_text(net.activation, net.activation_params)
    opt = (
        f"sgd lr {tc.effective_lr:g} momentum {tc.momentum:g}"
        if tc.optimizer == "sgd"
        else f"adam lr {tc.effective_lr:g}"
    )
    clip = "" if tc.clip is None else f" · clip {tc.clip:g} {tc.clip_mode.replace('_', ' ')}"
    data = tc.data
    if not v.running:
        ds = v.dataset
        classes = f", {ds.get('classes')} classes" if ds.get("task") == "classification" else ""
        data = f"{ds.get('name', tc.data)} ({ds.get('task')}, {ds.get('samples')} samples{classes})"
        epochs = f"{v.epochs_done}/{tc.epochs} epochs × {v.steps_per_epoch} steps"
    else:
        epochs = f"{tc.epochs} epochs"
    return f"{data} · {act} {shape} + readout · {opt} · batch {tc.batch_size} · {epochs}{clip}"
