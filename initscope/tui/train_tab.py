"""The Train tab: race initializers on a small training task and watch it happen.

The user edits the race settings in a compact form (contenders, data, epochs, batch, optimizer, learning
rate, target loss, clipping, the network's width and depth; the activation comes from the controls). Every
edit is validated in a thread (a data file is read there, never on the UI thread) by building the engine's
`TrainConfig`; a refused value marks its field and the status line says why in one line, and the last
race stays on screen. `t` (or enter in a field) starts the race in its own exclusive thread worker (group
"race", owned by this tab, so it never cancels the forward/backward run and is never cancelled by it); `x`
or any edit of the settings stops it, and the partial race is shown as cancelled.

What is drawn comes from the engine only: the `RaceProgress` snapshots while racing (coalesced, drawn at
most every LIVE_PLOT_INTERVAL_S, the progress line every LIVE_STATUS_INTERVAL_S, and only while the tab is
visible) and the `RaceResult` at the end (or from
an opened snapshot's `training` block): loss on log decades (the one helper of plots.py), accuracy, the
update:data ratio per layer against its healthy 1e-3, distinct hidden units (the symmetry indicator), and
the result table with the engine's conclusion.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

import numpy as np
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.content import Content
from textual.events import Resize, Show
from textual.message import Message
from textual.suggester import Suggester, SuggestFromList
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, Label, Select
from textual.worker import get_current_worker

from initscope.engine.config import Config, build, widths_text
from initscope.engine.errors import ConfigError
from initscope.engine.training import (
    DEFAULT_CONTENDERS,
    DEFAULT_LR,
    DEFAULT_NETWORK,
    GENERATED,
    MAX_CONTENDERS,
    STATUS_CANCELLED,
    STATUS_FINISHED,
    STATUS_NONFINITE,
    STATUS_RUNNING,
    Contender,
    IntArray,
    RaceProgress,
    RaceResult,
    TrainConfig,
    run_race,
    split_top_level,
)
from initscope.tui.controls import NumberInput, catalogue_in_family_order
from initscope.tui.figures import hidden_words
from initscope.tui.plots import RGB, Figure, FloatArray, Legend, Line, Ticks, linear_series, log10_series, nice_ticks
from initscope.tui.summary import num
from initscope.tui.tabs import PIN_COLORS, Palette, Pin, PlotCard, TabView, ViewState, hex_of
from initscope.tui.text import Paragraph

if TYPE_CHECKING:
    from initscope.engine.result import Result

PROGRESS_INTERVAL_S = 0.1
"""The engine posts a RaceProgress at most this often (a newer message replaces a queued one)."""
LIVE_STATUS_INTERVAL_S = 0.1
"""While racing, the status line (progress) is redrawn at most this often (~10 a second)."""
LIVE_PLOT_INTERVAL_S = 0.3
"""While racing, the plots and the table are redrawn at most this often: every ms of a frame of the tab is
taken from the race (one GIL)."""
PAINT_GATE_TIMEOUT_S = 0.25
"""The race waits at most this long for a live frame to be painted (see RaceCancel)."""
HEALTHY_UPDATE_RATIO = -3.0
"""log10 of the update:data ratio people aim for (CS231n, "ratio of weights:updates": about 1e-3)."""

FORM_FIELDS: tuple[tuple[str, str], ...] = (
    ("contenders", "race"), ("data", "data"), ("epochs", "epochs"), ("batch", "batch"), ("optimizer", "opt"),
    ("lr", "lr"), ("target", "target"), ("clip", "clip"), ("clip_mode", "clip on"), ("width", "width"),
    ("depth", "depth"),
)
"""(key, label) of the form's cells, in grid order; the widget id is `race-<key>`."""
FIELD_FOR_ERROR = {
    "contenders": "contenders", "data": "data", "samples": "data", "task": "data", "epochs": "epochs",
    "work_budget": "epochs", "batch_size": "batch", "batch": "batch", "optimizer": "optimizer", "lr": "lr",
    "momentum": "lr", "target_loss": "target", "clip": "clip", "clip_mode": "clip_mode", "width": "width",
    "network": "width", "memory_budget": "width", "depth": "depth", "seed": "data",
}
"""ConfigError.field -> the form field that gets the mark."""


# ---------------------------------------------------------------------------------------------- messages
class RaceChecked(Message):
    """The settings were validated in a thread: `config` when valid, else `error`."""

    def __init__(self, generation: int, config: TrainConfig | None, error: Exception | None) -> None:
        super().__init__()
        self.generation = generation
        self.config = config
        self.error = error


class RaceStarted(Message):
    """The race worker built its TrainConfig and is training."""

    def __init__(self, generation: int, config: TrainConfig) -> None:
        super().__init__()
        self.generation = generation
        self.config = config


class RaceTick(Message):
    """A RaceProgress from the engine. Coalesced: a newer one replaces a queued one."""

    def __init__(self, generation: int, progress: RaceProgress) -> None:
        super().__init__()
        self.generation = generation
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RaceTick)


class RaceDone(Message):
    """The race ended: finished, or cancelled (then `result.cancelled` and the curves so far)."""

    def __init__(self, generation: int, result: RaceResult) -> None:
        super().__init__()
        self.generation = generation
        self.result = result


class RaceRefused(Message):
    """The race did not start: the settings are invalid (ConfigError) or the engine raised."""

    def __init__(self, generation: int, error: Exception) -> None:
        super().__init__()
        self.generation = generation
        self.error = error


class RaceCancel(threading.Event):
    """The `cancel` the engine gets: the worker's `cancelled_event` (set by `x`, an edit, or a new race), and a
    paint gate. The engine checks `is_set()` at every step; while the tab paints a frame of the live race the gate
    is closed and the race waits there (at most PAINT_GATE_TIMEOUT_S), so the frame has the interpreter to itself
    instead of sharing the GIL with the race, which doubled its wall time and stalled the event loop."""

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


# ---------------------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class RaceSpec:
    """The form's text, as typed, plus the activation taken from the controls. `build()` validates."""

    contenders: str
    data: str = "spirals"
    epochs: str = "200"
    batch: str = "64"
    optimizer: str = "sgd"
    lr: str = ""
    target: str = ""
    clip: str = "off"
    clip_mode: str = "global"
    width: str = "64"
    depth: str = "3"
    activation: str = "relu"
    activation_params: tuple[tuple[str, float], ...] = ()

    def build(self) -> TrainConfig:
        """The engine's TrainConfig (raises ConfigError naming the field). May read a data file: call it in
        a thread."""
        network = DEFAULT_NETWORK.replace(activation=self.activation, activation_params=dict(self.activation_params))
        shape: dict[str, str] = {"width": self.width.strip()}
        if "," not in self.width:  # a width list gives the depth itself
            shape["depth"] = self.depth.strip()
        network = build(shape, network)
        clip = self.clip.strip().lower()
        target = self.target.strip().lower()
        race: dict[str, Any] = {  # text, as the CLI passes it: the engine parses and validates it
            "contenders": self.contenders, "data": self.data.strip(), "epochs": self.epochs.strip(),
            "batch_size": self.batch.strip(), "optimizer": self.optimizer, "lr": self.lr.strip() or None,
            "target_loss": None if target in ("", "auto") else self.target.strip(),
            "clip": None if clip in ("", "off", "none") else self.clip.strip(), "clip_mode": self.clip_mode,
        }
        return TrainConfig(network=network, **race)


def contender_label(cfg: Config) -> str:
    """How the race writes the initializer of `cfg` (name, or name(k=v) with the changed parameters); a residual
    or normalized `cfg` is a config contender with its architecture fields (`arch=residual norm=layernorm`)."""
    plain = Config()
    arch = {key: str(getattr(cfg, key)) for key in ("arch", "branch_depth", "norm", "norm_placement",
                                                     "branch_scale")
            if getattr(cfg, key) != getattr(plain, key) and (key != "norm_placement" or cfg.norm != "none")}
    return Contender(cfg.initializer, cfg.initializer_params, arch).label


def default_contenders(cfg: Config, pins: Sequence[Pin]) -> str:
    """The current initializer, then the pinned runs' initializers; with nothing pinned, the engine's default
    contenders join so that there is a race to see."""
    labels = list(dict.fromkeys([contender_label(cfg)] + [contender_label(p.result.config) for p in pins]))
    if len(labels) == 1:
        labels = list(dict.fromkeys(labels + split_top_level(DEFAULT_CONTENDERS)))
    return ",".join(labels[:MAX_CONTENDERS])


class ContenderSuggester(Suggester):
    """Completes the last name of a comma list from the catalogue (`he_normal,xav` -> `...xavier_normal`)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        entries = catalogue_in_family_order()
        self.names = [e.name for e in entries] + [a for e in entries for a in e.aliases]

    async def get_suggestion(self, value: str) -> str | None:
        stem = value.rpartition(",")[2].lstrip()
        if not stem or "(" in stem:
            return None
        for name in self.names:
            if name.startswith(stem.lower()) and name != stem:
                return value + name[len(stem):]
        return None


# ---------------------------------------------------------------------------------------------- what is drawn
@dataclass(frozen=True)
class RaceView:
    """One race as the tab draws it, from a RaceProgress (live) or a RaceResult (done or opened)."""

    config: TrainConfig
    labels: tuple[str, ...]
    status: tuple[str, ...]
    steps: FloatArray
    """x of `loss` and `accuracy`."""
    total_steps: int
    loss: FloatArray
    accuracy: FloatArray
    update_ratio: FloatArray
    """(contenders, layers) log10 update:data at the latest recorded step (NaN: not recorded / undefined)."""
    distinct: IntArray
    """(contenders, hidden layers) distinct hidden units at the latest record."""
    result: RaceResult | None = None
    progress: RaceProgress | None = None

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(self.config.network.widths)

    @property
    def layer_names(self) -> tuple[str, ...]:
        if self.result is not None and self.result.layer_names:
            return self.result.layer_names
        return (*(str(i) for i in range(1, len(self.widths) + 1)), "out")

    @property
    def target(self) -> float | None:
        if self.result is not None:
            return self.result.target_loss
        return self.config.target_loss


def view_of_progress(p: RaceProgress, tc: TrainConfig) -> RaceView:
    return RaceView(tc, p.labels, p.status, p.epoch_steps.astype(np.float64), p.total_steps, p.loss, p.accuracy,
                    p.update_ratio, p.distinct_units, progress=p)


def view_of_result(r: RaceResult) -> RaceView:
    ratios, distinct = [], []
    for c in r.contenders:
        rows = np.flatnonzero(np.isfinite(c.update_ratio).any(axis=1)) if c.update_ratio.size else np.array([])
        ratios.append(c.update_ratio[rows[-1]] if rows.size else np.full(len(r.layer_names) or 1, np.nan))
        distinct.append(c.final_distinct_units)
    loss = np.array([c.loss for c in r.contenders]) if r.contenders else np.zeros((0, 0))
    acc = np.array([c.accuracy for c in r.contenders]) if r.contenders else np.zeros((0, 0))
    return RaceView(r.config, tuple(c.label for c in r.contenders), tuple(c.status for c in r.contenders),
                    r.epoch_steps.astype(np.float64), r.total_steps, loss, acc, np.array(ratios),
                    np.array(distinct), result=r)


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


def loss_figure(v: RaceView, colors: list[RGB], p: Palette) -> tuple[TickFigure, str]:
    """Loss on the training set per contender, log decades, with the target loss as a line."""
    lines: list[Line] = []
    legend: list[Legend] = []  # the contenders' colours are the ■ of the table rows
    hidden = total = 0
    for k in reversed(range(len(v.labels))):  # the first contender (the current initializer) drawn on top
        y, h = log10_series(v.loss[k])
        hidden, total = hidden + h, total + y.size
        lines.append(Line(v.steps, y, colors[k], marker="hd"))
    target = v.target
    if target is not None:
        ty, _ = log10_series([target, target])
        lines.insert(0, Line(np.array([0.0, float(max(v.total_steps, 1))]), ty, p.warning))
        legend.append(Legend(f"target {num(target)}", p.warning, "┈"))
    fig = TickFigure(lines=lines, log_y=True, x_is_layer=False, x_range=(0.0, float(max(v.total_steps, 1))),
                     step_total=v.total_steps, legend=legend, notes=hidden_words(hidden, total))
    return fig, "[b]loss[/b] [dim](log)[/dim]"


def accuracy_figure(v: RaceView, colors: list[RGB]) -> tuple[Figure, str]:
    if not np.isfinite(v.accuracy).any():
        regression = (v.result is not None and v.result.dataset.get("task") == "regression") or \
            v.config.data == "teacher" or v.config.task == "regression"
        why = "regression: the loss is the mean squared error" if regression else "not measured yet"
        return Figure(message=f"no accuracy ({why})"), "[b]accuracy[/b]"
    lines = []
    for k in reversed(range(len(v.labels))):  # the first contender on top
        y, _ = linear_series(v.accuracy[k], 100.0)
        lines.append(Line(v.steps, y, colors[k], marker="hd"))
    fig = TickFigure(lines=lines, x_is_layer=False, x_range=(0.0, float(max(v.total_steps, 1))), y_floor=0.0,
                     y_ceiling=100.0, step_total=v.total_steps)
    return fig, "[b]accuracy[/b] [dim]%[/dim]"


def ratio_figure(v: RaceView, colors: list[RGB], p: Palette) -> tuple[TickFigure, str]:
    """The latest update:data ratio per layer (the engine's log10 values) against its healthy 1e-3."""
    names = v.layer_names
    x = np.arange(1, len(names) + 1, dtype=np.float64)
    lines = [Line(np.array([0.6, len(names) + 0.4]), np.array([HEALTHY_UPDATE_RATIO] * 2), p.warning)]
    legend = []
    hidden = total = 0
    for k, label in reversed(list(enumerate(v.labels))):  # the first contender on top
        y, h = linear_series(v.update_ratio[k])
        if not np.isfinite(y).any():  # said in the legend, not counted as hidden points
            why = "none yet" if v.result is None and v.status[k] == STATUS_RUNNING else "none: W or its update is 0"
            legend.append(Legend(f"{label}: {why}", colors[k], "●"))
            continue
        hidden, total = hidden + h, total + y.size
        lines.append(Line(x, y, colors[k], marker="●", points=True, dodge=True))
        legend.append(Legend(label, colors[k], "●"))
    legend.reverse()
    legend.insert(0, Legend("healthy 1e-3", p.warning, "┈"))
    fig = TickFigure(lines=lines, log_y=True, depth=len(names), x_names=names, legend=legend,
                     notes=hidden_words(hidden, total))
    return fig, "[b]update:data[/b] [dim](log) per weight layer, latest step[/dim]"


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


def units_line(v: RaceView) -> str:
    """Distinct hidden units per layer for every contender, as markup."""
    widths = v.widths
    same = len(set(widths)) == 1
    parts = []
    for k, label in enumerate(v.labels):
        counts = [int(c) for c in v.distinct[k]] if k < len(v.distinct) else []
        if not counts or min(counts) < 0:
            parts.append(f"{label} –")
            continue
        text = " ".join(str(c) for c in counts) if same else " ".join(f"{c}/{w}" for c, w in zip(counts, widths,
                                                                                              strict=False))
        symmetric = min(counts) == 1 and max(widths) > 1
        esc = label.replace("[", r"\[")
        parts.append(f"[b $error]{esc} {text} — symmetric[/]" if symmetric else f"{esc} {text}")
    of = f" (of {widths[0]})" if same else ""
    return f"[dim]distinct hidden units per layer{of}:[/dim] " + " · ".join(parts)


def cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size - 1] + "…"


STATUS_SHORT = {STATUS_FINISHED: "finished", STATUS_NONFINITE: "non-finite", STATUS_CANCELLED: "cancelled",
                STATUS_RUNNING: "running"}


def table_rows(v: RaceView) -> list[dict[str, tuple[str, ...]]]:
    """Per contender: column -> renderings, longest first (the table drops to shorter ones to fit)."""
    rows = []
    racing = v.result is None
    for k, label in enumerate(v.labels):
        c = v.result.contenders[k] if v.result is not None else None
        if c is not None:
            target = "—" if c.steps_to_target is None else str(c.steps_to_target)
            loss, acc = c.final_loss, c.final_accuracy
            stopped: tuple[str, ...] = (c.reason or STATUS_SHORT.get(c.status, c.status),
                       STATUS_SHORT.get(c.status, c.status) + (f" @{c.stopped_step}" if c.stopped_step is not None
                                                               and c.status != STATUS_FINISHED else ""))
        else:
            target = "…"
            written = v.loss[k][np.isfinite(v.loss[k])] if v.loss.size else np.array([])
            loss = float(written[-1]) if written.size else math.nan
            accs = v.accuracy[k][np.isfinite(v.accuracy[k])] if v.accuracy.size else np.array([])
            acc = float(accs[-1]) if accs.size else math.nan
            stopped = (STATUS_SHORT.get(v.status[k], v.status[k]),) if not racing or v.status[k] != STATUS_RUNNING \
                else ("racing…",)
        distinct = v.distinct[k] if k < len(v.distinct) else []
        rows.append({
            "contender": (cut(label, 22), cut(label, 14)),
            "target": (target,),
            "loss": (num(loss),),
            "acc": (f"{100 * acc:.1f} %", f"{100 * acc:.0f}%") if math.isfinite(acc) else ("–",),
            "units": (units_cell(distinct, v.widths, False), units_cell(distinct, v.widths, True)),
            "stopped": stopped,
        })
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
        out.append(text if len(text) <= width else text[:max(0, width - 1)] + "…")
    return out


def race_line(v: RaceView) -> str:
    """What the shown race is: data, network, optimizer, epochs, target."""
    tc = v.config
    net = tc.network
    widths = net.widths
    shape = f"{widths[0]}×{len(widths)}" if len(set(widths)) == 1 else ",".join(map(str, widths))
    act = net.activation + ("(" + ",".join(f"{k}={x:g}" for k, x in net.activation_params.items()) + ")"
                            if net.activation_params else "")
    opt = f"sgd lr {tc.effective_lr:g} momentum {tc.momentum:g}" if tc.optimizer == "sgd" \
        else f"adam lr {tc.effective_lr:g}"
    clip = "" if tc.clip is None else f" · clip {tc.clip:g} {tc.clip_mode.replace('_', ' ')}"
    data = tc.data
    if v.result is not None:
        ds = v.result.dataset
        classes = f", {ds.get('classes')} classes" if ds.get("task") == "classification" else ""
        data = f"{ds.get('name', tc.data)} ({ds.get('task')}, {ds.get('samples')} samples{classes})"
        epochs = f"{v.result.epochs_done}/{tc.epochs} epochs × {v.result.steps_per_epoch} steps"
    else:
        epochs = f"{tc.epochs} epochs"
    return f"{data} · {act} {shape} + readout · {opt} · batch {tc.batch_size} · {epochs}{clip}"


def bar(fraction: float, cells: int = 12) -> str:
    """A text progress bar of `cells` characters."""
    eighths = max(0, min(cells * 8, round(fraction * cells * 8)))
    full, part = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "") + " " * (cells - full - (1 if part else 0))


# ---------------------------------------------------------------------------------------------- the tab
class Scoreboard(Paragraph):
    """The race table: one line per contender cut to the width it has, then the conclusion."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view: RaceView | None = None
        self.note = ""
        self.row_colors: list[RGB] = []

    def show_view(self, view: RaceView | None, note: str = "", colors: list[RGB] | None = None) -> None:
        self.view, self.note, self.row_colors = view, note, colors or []
        self._compose_text()

    def _compose_text(self) -> None:
        width = self.content_region.width or 80
        v = self.view
        if v is None:
            self.set(Content.from_markup("[dim]$note[/dim]", note=self.note or "no race yet: t starts one"))
            return
        rows = table_rows(v)
        lines = fit_table(rows, width - 2, live=v.result is None)
        text = Content.from_markup("[dim]  $h[/dim]", h=lines[0][:max(0, width - 2)])
        colors = self.row_colors or contender_colors(Palette(), len(v.labels))
        for k, line in enumerate(lines[1:]):
            mark = Content.from_markup(f"[{hex_of(colors[k % len(colors)])}]■[/] ")
            text += Content("\n") + mark + Content(line[:max(0, width - 2)])
        conclusion = v.result.conclusion() if v.result is not None else ""
        if v.result is not None and v.result.cancelled:
            conclusion = "cancelled: " + conclusion
        if conclusion:
            text += Content.from_markup("\n[b]$c[/b]", c=conclusion)
        elif self.note:
            text += Content.from_markup("\n[dim]$n[/dim]", n=self.note)
        self.set(text)

    def on_resize(self, event: Resize) -> None:
        self._compose_text()


class TrainTab(TabView):
    """Tab 5: the race form, its live plots, the symmetry indicator and the result table."""

    NAME = "train"
    VIEWS: ClassVar[list[tuple[str, str]]] = [("curves", "loss & accuracy"), ("update", "update:data · units")]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.values: dict[str, str] = {"contenders": DEFAULT_CONTENDERS, "data": "spirals", "epochs": "200",
                                       "batch": "64", "optimizer": "sgd", "lr": "", "target": "", "clip": "off",
                                       "clip_mode": "global", "width": str(DEFAULT_NETWORK.widths[0]),
                                       "depth": str(DEFAULT_NETWORK.depth)}
        self.auto_contenders = DEFAULT_CONTENDERS
        """The default the contenders field was last filled with: while it shows it, it follows the controls."""
        self.palette = Palette()
        self.race: RaceResult | None = None
        """The race on screen when none is running: the last finished or cancelled race, or an opened one."""
        self.race_source = ""
        self.live: RaceView | None = None
        self.live_config: TrainConfig | None = None
        self.racing = False
        self.generation = 0
        self.check_generation = 0
        self.checked: TrainConfig | None = None
        self.checked_generation = 0
        """The edit whose validation is shown (tests wait for it to reach check_generation)."""
        self.invalid_field: str | None = None
        self.error_text = ""
        self.last_draw = 0.0
        self.last_status = 0.0
        self.paint_gate = threading.Event()
        """Open (set) except while a frame of the live race is painted: the race waits at it (RaceCancel)."""
        self.paint_gate.set()
        self.shown_markup: dict[str, str] = {}
        """What each text widget shows now, so an update with the same text costs nothing."""
        self.draw_pending = False
        self.dirty = True
        self.race_draws = 0
        """How many times the race was drawn (tests and the benchmark read it)."""
        self.started = 0.0

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with Grid(id="race-form"):
            for key, label in FORM_FIELDS:
                yield Horizontal(Label(label, classes="field-label"), self._field(key), classes="race-cell",
                                 id=f"race-cell-{key}")
        yield Paragraph("", max_lines=3, id="race-status")
        yield self.compose_view_bar()
        with ContentSwitcher(initial="curves", id="race-views"):
            with Horizontal(id="curves", classes="side-by-side"):
                yield RaceCard("loss", id="race-loss")
                yield RaceCard("accuracy", id="race-accuracy")
            with Vertical(id="update"):
                yield RaceCard("update:data", id="race-ratio")
                yield Paragraph("", max_lines=3, id="race-units", classes="note")
        yield Paragraph("", max_lines=2, id="race-line")
        yield Scoreboard(max_lines=14, id="race-table")

    def _field(self, key: str) -> Widget:
        wid = f"race-{key}"
        value = self.values[key]
        if key == "optimizer":
            return Select([("sgd", "sgd"), ("adam", "adam")], value=value, allow_blank=False, compact=True, id=wid)
        if key == "clip_mode":
            return Select([("global", "global"), ("layer", "per_layer")], value=value, allow_blank=False,
                          compact=True, id=wid)
        if key == "contenders":
            return Input(value, compact=True, id=wid, suggester=ContenderSuggester(),
                         placeholder="current init + pins", tooltip="comma-separated initializers, e.g. "
                         f"{DEFAULT_CONTENDERS} (any from the catalogue; empty: the current one and the pins)")
        if key == "data":
            return Input(value, compact=True, id=wid, suggester=SuggestFromList(list(GENERATED)),
                         tooltip="spirals, circles, teacher, or a .csv/.npy file (features, then the label or "
                         "target last)")
        if key in ("epochs", "batch", "width", "depth"):
            return NumberInput(value, integer=key != "width", low=1, id=wid)
        placeholder = {"lr": f"{DEFAULT_LR['sgd']:g}", "target": "auto", "clip": "off"}[key]
        tips = {"lr": "learning rate > 0 (empty: the optimizer's default)",
                "target": "the loss to reach (empty: 10 % of the best constant prediction's loss)",
                "clip": "clip the gradient's L2 norm to this (off: no clipping)"}
        return NumberInput(value, integer=False, id=wid, placeholder=placeholder, tooltip=tips[key])

    def on_mount(self) -> None:
        self._follow_controls()
        self._show_status()
        self.query_one(Scoreboard).show_view(None)
        self._check()

    # ------------------------------------------------------------------ the app's hooks
    def show(self, state: ViewState) -> None:
        """The app calls this while the tab is visible: take the colours and the defaults, then draw."""
        self.palette = state.palette
        self._follow_controls()
        super().show(state)

    def draw(self, state: ViewState) -> None:
        self._draw_race()

    def view_key(self) -> object:
        """The race changes without the state: a view is drawn again whenever it is shown."""
        return object()

    def on_show(self, event: Show) -> None:
        if self.dirty:
            self._draw_race()

    def _app_config(self) -> Config:
        return cast(Config, getattr(self.app, "config", Config()))

    def _clock(self) -> bool:
        """Show times (the app turns them off for deterministic screenshots and snapshot tests)."""
        return bool(getattr(self.app, "clock", True))

    def _app_pins(self) -> list[Pin]:
        return list(getattr(self.app, "pins", []))

    def _follow_controls(self) -> None:
        """Keep the contenders default (current initializer + pins) while the user has not changed it."""
        default = default_contenders(self._app_config(), self._app_pins())
        box = self.query_one("#race-contenders", Input)
        box.placeholder = default
        if self.values["contenders"] == self.auto_contenders and default != self.auto_contenders:
            self.auto_contenders = default
            self.values["contenders"] = default
            with self.prevent(Input.Changed):
                box.value = default
            self._check()

    def spec(self) -> RaceSpec:
        cfg = self._app_config()
        v = self.values
        contenders = v["contenders"].strip() or default_contenders(cfg, self._app_pins())
        return RaceSpec(contenders=contenders, data=v["data"], epochs=v["epochs"], batch=v["batch"],
                        optimizer=v["optimizer"], lr=v["lr"], target=v["target"], clip=v["clip"],
                        clip_mode=v["clip_mode"], width=v["width"], depth=v["depth"], activation=cfg.activation,
                        activation_params=tuple(cfg.activation_params.items()))

    # ------------------------------------------------------------------ form events
    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != event.input.value:
            return  # stale (e.g. the mount's Changed arriving after the field was filled from the controls)
        self._store((event.input.id or "").removeprefix("race-"), event.value)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.NULL:
            return
        key = (event.select.id or "").removeprefix("race-")
        if key == "optimizer":
            self.query_one("#race-lr", Input).placeholder = f"{DEFAULT_LR.get(str(event.value), 0.02):g}"
        self._store(key, str(event.value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.start_race()

    def _store(self, key: str, text: str) -> None:
        if key not in self.values or self.values[key] == text:
            return
        self.values[key] = text
        if self.racing:
            self.stop_race(quiet=True)
        self._check()

    def set_contenders(self, text: str) -> None:
        """Fill the contenders field (palette commands): the user's choice, no longer following the controls."""
        self.query_one("#race-contenders", Input).value = text

    def add_contender(self, name: str) -> None:
        current = split_top_level(self.values["contenders"] or self.auto_contenders)
        if name in current:
            self.app.notify(f"{name} is already in the race")
            return
        self.set_contenders(",".join([*current, name]))

    # ------------------------------------------------------------------ validation (in a thread)
    def _check(self) -> None:
        self.check_generation += 1
        self._validate(self.check_generation, self.spec())

    @work(thread=True, exclusive=True, group="race-check", exit_on_error=False)
    def _validate(self, generation: int, spec: RaceSpec) -> None:
        try:
            tc = spec.build()
        except ConfigError as err:
            self.post_message(RaceChecked(generation, None, err))
            return
        except Exception as err:  # an engine bug must not take the app down: say it in one line
            self.post_message(RaceChecked(generation, None, err))
            return
        self.post_message(RaceChecked(generation, tc, None))

    def on_race_checked(self, message: RaceChecked) -> None:
        if message.generation != self.check_generation:
            return
        self.checked = message.config
        self.checked_generation = message.generation
        if message.error is None:
            self.mark(None, "")
        else:
            self._refuse(message.error)
        self._show_status()

    def _refuse(self, err: Exception) -> None:
        text = one_line(err)
        key = FIELD_FOR_ERROR.get(err.field, "contenders") if isinstance(err, ConfigError) else None
        self.mark(key, text)

    def mark(self, key: str | None, message: str) -> None:
        """Mark one field invalid (or none); the status line says why."""
        if key == self.invalid_field and message == self.error_text:
            return
        for widget in self.query(".-invalid-field"):
            widget.remove_class("-invalid-field")
        self.invalid_field, self.error_text = key, message
        if key is not None:
            self.query_one(f"#race-{key}").add_class("-invalid-field")
            self.query_one(f"#race-cell-{key}").add_class("-invalid-field")

    # ------------------------------------------------------------------ the race (in a thread)
    def start_race(self) -> None:
        """Start a race of the form's settings (cancels a running one; the last race stays until it starts)."""
        self.generation += 1
        self.racing = True
        self.live = None
        self.live_config = None
        self.started = time.monotonic()
        self._show_status()
        self._race(self.generation, self.spec())

    def stop_race(self, quiet: bool = False) -> None:
        """Cancel the running race: the engine returns what it has, shown as cancelled."""
        if not self.racing:
            if not quiet:
                self.app.notify("no race is running (t starts one)")
            return
        self.app.workers.cancel_group(self, "race")

    @work(thread=True, exclusive=True, group="race", exit_on_error=False)
    def _race(self, generation: int, spec: RaceSpec) -> None:
        """Runs in a thread: the engine gets the worker's cancel event; progress and result come back as messages."""
        worker = get_current_worker()
        try:
            tc = spec.build()
        except Exception as err:
            self.post_message(RaceRefused(generation, err))
            return
        self.post_message(RaceStarted(generation, tc))

        def progress(p: RaceProgress) -> None:
            self.post_message(RaceTick(generation, p))

        try:
            result = run_race(tc, cancel=RaceCancel(worker.cancelled_event, self.paint_gate), progress=progress,
                              progress_interval=PROGRESS_INTERVAL_S)
        except Exception as err:  # the app goes on; the status line says what failed
            self.post_message(RaceRefused(generation, err))
            return
        self.post_message(RaceDone(generation, result))

    def on_race_started(self, message: RaceStarted) -> None:
        if message.generation != self.generation:
            return
        self.live_config = message.config
        self.mark(None, "")
        self._show_status()

    def on_race_tick(self, message: RaceTick) -> None:
        if message.generation != self.generation or not self.racing or self.live_config is None:
            return
        self.live = view_of_progress(message.progress, self.live_config)
        self._request_draw()

    def on_race_done(self, message: RaceDone) -> None:
        if message.generation != self.generation:
            return
        self.racing = False
        self.live = None
        self.race = message.result
        self.race_source = ""
        if not self._visible():
            first = message.result.conclusion()
            self.app.notify(("race cancelled: " if message.result.cancelled else "race done: ") + first, timeout=8)
        self._request_draw(now=True)

    def on_race_refused(self, message: RaceRefused) -> None:
        if message.generation != self.generation:
            return
        self.racing = False
        self.live = None
        self._refuse(message.error)
        if not isinstance(message.error, ConfigError):
            self.app.notify(f"race failed: {one_line(message.error)}", severity="error", timeout=8)
        self._request_draw(now=True)

    def show_race(self, race: RaceResult, source: str) -> None:
        """Show a race read from a snapshot and put its settings in the form (t reruns it)."""
        self.generation += 1  # a race in flight is dropped
        self.app.workers.cancel_group(self, "race")
        self.racing = False
        self.live = None
        self.race = race
        self.race_source = source
        tc = race.config
        widths = tc.network.widths
        values = {
            "contenders": ",".join(c.label for c in tc.contender_list), "data": tc.data, "epochs": str(tc.epochs),
            "batch": str(tc.batch_size), "optimizer": tc.optimizer, "lr": f"{tc.effective_lr:g}",
            "target": "" if tc.target_loss is None else f"{tc.target_loss:g}",
            "clip": "off" if tc.clip is None else f"{tc.clip:g}", "clip_mode": tc.clip_mode,
            "width": widths_text(widths) if len(set(widths)) > 1 else str(widths[0]), "depth": str(len(widths)),
        }
        with self.prevent(Input.Changed, Select.Changed):
            for key, value in values.items():
                widget = self.query_one(f"#race-{key}")
                if isinstance(widget, (Select, Input)):
                    widget.value = value
        self.values.update(values)
        self.query_one("#race-lr", Input).placeholder = f"{DEFAULT_LR[tc.optimizer]:g}"
        self._check()
        self._request_draw(now=True)

    # ------------------------------------------------------------------ drawing
    def _visible(self) -> bool:
        node: Any = self
        while node is not None and node is not self.screen:
            if not node.display:
                return False
            node = node.parent
        return self.is_attached

    def _request_draw(self, now: bool = False) -> None:
        """Draw soon: the progress line at most every LIVE_STATUS_INTERVAL_S, the plots and the table at most
        every LIVE_PLOT_INTERVAL_S, and nothing while hidden (on_show catches up)."""
        self.dirty = True
        if not self._visible():
            return
        if now:
            self._draw_race()
            return
        t = time.monotonic()
        wait = self.last_draw + LIVE_PLOT_INTERVAL_S - t
        if wait <= 0:
            self._draw_race()
            return
        if t - self.last_status >= LIVE_STATUS_INTERVAL_S:
            self._show_status()
        if not self.draw_pending:
            self.draw_pending = True
            self.set_timer(wait, self._timer_draw)

    def _timer_draw(self) -> None:
        self.draw_pending = False
        if self.dirty and self._visible():
            self._draw_race()

    def current_view(self) -> RaceView | None:
        if self.racing:
            return self.live
        return view_of_result(self.race) if self.race is not None else None

    def _draw_race(self) -> None:
        self.dirty = False
        self.last_draw = time.monotonic()
        self.race_draws += 1
        if self.racing:  # the race waits while this frame is painted (RaceCancel)
            self.paint_gate.clear()
            self.call_after_refresh(self.paint_gate.set)
        self._show_status()
        v = self.current_view()
        board = self.query_one(Scoreboard)
        if v is None:
            note = "starting…" if self.racing else "no race yet: t (or enter in a field) starts one"
            board.show_view(None, "every contender trains the same network on the same data in the same "
                                  "mini-batch order; only the initializer differs")
            self._set_text("#race-line", "")
            for card in self.query(RaceCard):
                card.show(card.title, Figure(message=note if card.id in ("race-loss", "race-ratio") else " "))
            self._set_text("#race-units", "")
            return
        board.show_view(v, "racing…" if self.racing else "", contender_colors(self.palette, len(v.labels)))
        self._set_text("#race-line", "[dim]$line[/dim]", line=race_line(v))
        colors = contender_colors(self.palette, len(v.labels))
        if self.view == "curves":
            fig, caption = loss_figure(v, colors, self.palette)
            self.query_one("#race-loss", RaceCard).show(caption, fig)
            acc, acc_caption = accuracy_figure(v, colors)
            self.query_one("#race-accuracy", RaceCard).show(acc_caption, acc)
        else:
            fig, caption = ratio_figure(v, colors, self.palette)
            self.query_one("#race-ratio", RaceCard).show(caption, fig)
            self._set_text("#race-units", units_line(v))

    def _set_text(self, selector: str, markup: str, **variables: str) -> None:
        """Set a Paragraph's markup, unless it shows exactly that already (an update repaints it)."""
        key = markup + repr(sorted(variables.items()))
        if self.shown_markup.get(selector) == key:
            return
        self.shown_markup[selector] = key
        self.query_one(selector, Paragraph).set(Content.from_markup(markup, **variables))

    def _show_status(self) -> None:
        """One line: what t will race, the progress of the running race, or why the settings are refused
        (only a refusal may take more lines: it must be read whole)."""
        status = self.query_one("#race-status", Paragraph)
        self.last_status = time.monotonic()
        width = status.size.width - 2 if status.size.width > 2 else 80
        if self.error_text:
            status.set(Content.from_markup("[b $error]✖ $text[/]", text=self.error_text))
            return
        pieces: list[Content]
        if self.racing:
            v = self.live
            if v is None or v.progress is None:
                pieces = [Content.from_markup("[b]starting the race…[/b]"), Content.from_markup("[dim]x stops[/dim]")]
            else:
                p = v.progress
                pieces = [
                    Content.from_markup("[b]racing[/b] [$primary on $boost]$bar[/] $pct", bar=bar(p.fraction),
                                        pct=f"{100 * p.fraction:3.0f} %"),
                    Content.from_markup("[dim]x stops[/dim]"),
                    Content.from_markup("[dim]epoch[/dim] $e/$n", e=str(p.epoch), n=str(p.epochs)),
                    Content.from_markup("[dim]step[/dim] $s/$t", s=str(p.step), t=str(p.total_steps)),
                ]
                if self._clock():
                    pieces.append(Content.from_markup("[dim]$el s[/dim]", el=f"{p.elapsed_s:.1f}"))
        else:
            cfg = self._app_config()
            spec = self.spec()
            shape = f"{spec.width.strip()}" + ("" if "," in spec.width else f"×{spec.depth.strip()}")
            pieces = [Content.from_markup("[b]t[/b] [dim]or enter: race[/dim] $act $shape", act=cfg.activation,
                                          shape=shape)]
            if self.race is not None:
                r = self.race
                ended = "cancelled" if r.cancelled else "done"
                timing = f" in {r.elapsed_s:.1f} s, {num(r.steps_per_second)} steps/s" if self._clock() else ""
                pieces.append(Content.from_markup("[dim]shown: from $what[/dim]", what=self.race_source)
                              if self.race_source else Content.from_markup("[dim]last race $ended$timing[/dim]",
                                                                           ended=ended, timing=timing))
            pieces.append(Content.from_markup("[dim]a: activation · v: view[/dim]"))
        line = pieces[0]
        for piece in pieces[1:]:  # the first pieces matter most: add the others while they fit
            if line.cell_length + 3 + piece.cell_length <= width:
                line = line + Content.from_markup("[dim] · [/dim]") + piece
        status.set(line)


def one_line(err: Exception) -> str:
    text = str(err)
    return text.splitlines()[0] if text else type(err).__name__


def race_of_snapshot(result: Result) -> tuple[RaceResult | None, str]:
    """The race a snapshot's `training` block holds (call in a thread: it validates, and may read the data
    file): (race, "") or (None, why it cannot be shown) or (None, "") without a block."""
    block = result.training
    if not block:
        return None, ""
    try:
        return RaceResult.from_dict(block), ""
    except (ConfigError, ValueError, TypeError, KeyError, ArithmeticError, OSError) as err:
        return None, one_line(err)[:300]


__all__ = ["RaceSpec", "TrainTab", "default_contenders", "race_of_snapshot"]
