"""Where the measured markers of a per-layer plot go, so that each legend series shows at every layer.

dodge_offsets sets series apart by a column; each marker's cell is computed with plotext's own rounding
(cell_index, the inverse of cell_values), and a marker whose cell an earlier one took moves to the nearest free
column of its row, at most a layer's width from its layer. When a plot has fewer columns than layers times
series, markers of one row would still cover each other: the plot then shows a window of layers around the
selected one, as many as give every series a column of its own at every layer (layer_window), and `,` `.` move
it. Whatever stays covered all the same is read back from the built matrix and said in words (hidden_notes).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from initscope.engine.arrays import FloatArray
from initscope.tui.axes import Axis, x_axis, y_axis
from initscope.tui.plots import Figure, Legend, marks_kept, thinned


def cell_values(axis: Axis, cells: int) -> FloatArray:
    """The value every cell of an axis names: plotext puts the axis's low end on the first cell and its high end
    on the last (the ticks land on the cells nearest their values)."""
    return axis.low + np.arange(cells) * (axis.high - axis.low) / max(1, cells - 1)


def cell_index(values: FloatArray, axis: Axis, cells: int) -> npt.NDArray[np.int64]:
    """The cell plotext puts each value in (its own rounding: floor(0.5 + (cells - 1) * share), cell_values'
    inverse)."""
    span = axis.high - axis.low
    if span <= 0:
        return np.zeros(values.shape, dtype=np.int64)
    share = np.round(0.5 + (cells - 1) * (values - axis.low) / span, 8)
    return np.floor(np.nan_to_num(share, nan=-1.0)).astype(np.int64)


class Placed(NamedTuple):
    """Where the dodged markers of a per-layer plot go: each series' x after moving off taken cells, and the
    cell each point was given (column, row; -1 where the point is not drawn)."""

    x: dict[int, FloatArray]
    cells: dict[int, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]


def place_points(fig: Figure, xa: Axis, ya: Axis, cols: int, rows: int, offsets: dict[int, float]) -> Placed:
    """Dodged markers, series by series in drawing order: a point whose cell an earlier marker took moves to the
    nearest free column of its row, at most a layer's width from its layer; with none free it covers the earlier
    marker at odd layers and is not drawn at even ones (its x is NaN), so no series loses every layer. Rows
    differ, cells differ: only points of one row can collide."""
    placed = Placed({}, {})
    dodged = [k for k, line in enumerate(fig.lines) if line.dodge and line.points]
    if not dodged or not fig.x_is_layer or any(thinned(fig.lines[k].x.size, cols - 1) for k in dodged):
        return placed  # thinned series (plot_line) have no cell per layer; `cols` is one more than the axis's
    first, last = fig.shown_layers()
    reach = max(1, math.ceil(cols / (last - first + 1)))
    centres = cell_values(xa, cols)
    taken: set[tuple[int, int]] = set()
    for k in dodged:
        line = fig.lines[k]
        x = line.x + offsets.get(k, 0.0)
        x[(x < xa.low) | (x > xa.high)] = math.nan  # plotext would round a point just outside onto the edge column
        ok = np.isfinite(line.y) & (line.y >= ya.low) & (line.y <= ya.high) & np.isfinite(x)
        col = np.where(ok, cell_index(x, xa, cols), -1)
        row = np.where(ok, cell_index(line.y, ya, rows), -1)
        home = cell_index(line.x, xa, cols).tolist()
        cells = col.tolist()
        for i, (c, r) in enumerate(zip(cells, row.tolist(), strict=True)):
            if c < 0:
                continue
            if (c, r) in taken:
                moved = free_column(c, r, home[i], reach, cols, taken)
                if moved >= 0:
                    c = cells[i] = moved
                    x[i] = centres[c]
                elif i % 2 == 0:  # no room: every other layer the earlier marker stays, so both series show
                    x[i] = math.nan
            taken.add((c, r))
        col = np.asarray(cells, dtype=np.int64)
        placed.x[k], placed.cells[k] = x, (col, row)
    return placed


def free_column(c: int, r: int, home: int, reach: int, cols: int, taken: set[tuple[int, int]]) -> int:
    """The free column of row `r` nearest column `c` (ties: the one nearer the layer's own column `home`), at
    most `reach` columns from `home`; -1 when there is none."""
    for d in range(1, 2 * reach + 1):
        pair = (c - d, c + d) if abs(c - d - home) <= abs(c + d - home) else (c + d, c - d)
        for c2 in pair:
            if 0 <= c2 < cols and abs(c2 - home) <= reach and (c2, r) not in taken:
                return c2
    return -1


def covered_words(name: str, hidden: int, total: int, under: str, width: int) -> str:
    """The note on a series covered at some layers, the longest wording that fits `width` cells."""
    words = [
        f"{name} hidden at {hidden} of {total} layers (under {under}): a wider terminal shows them",
        f"{name} hidden at {hidden} of {total} layers (under {under})",
        f"{name} hidden at {hidden}/{total} layers (under {under})",
        f"{name} hidden at {hidden}/{total} layers",
        f"{name.split(':')[0]} hidden at {hidden}/{total} layers",
    ]  # a pin's number without what it changes
    return next((w for w in words if len(w) <= width), words[-1])


CellShown = Callable[[int, int], tuple[str, object]]
"""The glyph and colour a plot shows in a data cell (column, row from the bottom)."""


def matrix_cells(matrix: Any, left: int, below: int) -> CellShown:
    """What a built plotext matrix shows (its data cells start at column `left`, row `below`, rows bottom-up)."""
    return lambda c, r: (matrix.marker[below + r][left + c], plain_color(matrix.fullground[below + r][left + c]))


def drawn_cells(fig: Figure, placed: Placed) -> CellShown:
    """What the placed markers will show before plotext builds them: in each cell the last one drawn (markers
    are drawn last, series after series, so only a later marker covers one)."""
    last: dict[tuple[int, int], tuple[str, object]] = {}
    for k, (col, row) in placed.cells.items():
        mark = (fig.lines[k].marker, plain_color(fig.lines[k].color))
        drawn = np.isfinite(placed.x[k]).tolist()
        for c, r, shown in zip(col.tolist(), row.tolist(), drawn, strict=True):
            if c >= 0 and shown:
                last[(c, r)] = mark
    return lambda c, r: last.get((c, r), ("", None))


def hidden_notes(shown_at: CellShown, fig: Figure, placed: Placed, width: int) -> tuple[str, ...]:
    """Per dodged series, the layers where its marker is not what the plot shows in its cell, and whose marker
    shows there instead (a second marker of one series in one cell counts as hidden too)."""
    owners = {(fig.lines[k].marker, plain_color(fig.lines[k].color)): k for k in placed.cells}
    names = {k: entry.label for k, entry in legend_of(fig).items()}
    notes: list[str] = []
    for k, (col, row) in placed.cells.items():
        line = fig.lines[k]
        own = (line.marker, plain_color(line.color))
        under: dict[str, int] = {}
        hidden = total = 0
        mine: set[tuple[int, int]] = set()
        for c, r in zip(col.tolist(), row.tolist(), strict=True):
            if c < 0:
                continue
            total += 1
            shown = shown_at(c, r)
            if shown == own and (c, r) not in mine:
                mine.add((c, r))
                continue
            hidden += 1
            other = owners.get(shown)
            name = (
                "its own neighbours"
                if other == k
                else names.get(other, "another series")
                if other is not None
                else "another series"
            )
            under[name] = under.get(name, 0) + 1
        if hidden and k in names:
            by = ", ".join(sorted(under, key=lambda n: -under[n]))
            notes.append(covered_words(names[k], hidden, total, by, width))
    return tuple(notes)


def plain_color(color: object) -> object:
    """A colour as plotext's matrix holds it, comparable (an RGB list or tuple becomes a tuple)."""
    return tuple(int(v) for v in color) if isinstance(color, (tuple, list)) else color


def legend_of(fig: Figure) -> dict[int, Legend]:
    """The legend entry of each marker series (matched by marker and colour)."""
    out: dict[int, Legend] = {}
    for k, line in enumerate(fig.lines):
        if line.points:
            for entry in fig.legend:
                if entry.mark == line.marker and plain_color(entry.color) == plain_color(line.color):
                    out[k] = entry
                    break
    return out


# ------------------------------------------------------------------------------------------ at a plot's size
class Frame(NamedTuple):
    """A plot's axes at its size: the rows and columns of data, the y labels' gutter, the x label shown."""

    x: Axis
    y: Axis
    gutter: int
    cols: int
    rows: int
    x_label: str


def plot_frame(fig: Figure, width: int, height: int) -> Frame:
    x_label = fig.x_label if height >= 12 else ""  # a short plot keeps its rows for the data
    rows = max(1, height - 2 - (1 if x_label else 0))
    ya = y_axis(fig, rows)
    gutter = max((len(s) for s in ya.labels), default=1) + 1
    cols = max(4, width - gutter - 1)
    return Frame(x_axis(fig, cols), ya, gutter, cols, rows, x_label)


def dodge_offsets(fig: Figure, cols: int) -> dict[int, float]:
    """x shift (in layers) of each dodged series: one column apart when a layer is wide enough, else as far
    apart as a layer's slot allows."""
    dodged = [k for k, line in enumerate(fig.lines) if line.dodge]
    n = len(dodged)
    if n < 2 or not fig.x_is_layer:
        return {}
    first, last = fig.shown_layers()
    per_layer = cols / (last - first + 1)  # columns per layer
    gap = 1.0 / per_layer if per_layer >= n else 0.8 / n  # one column apart, or spread over 80 % of a layer
    return {k: (i - (n - 1) / 2) * gap for i, k in enumerate(dodged)}


def placed_points(fig: Figure, frame: Frame, width: int) -> Placed:
    """The dodged markers' places (plotext's canvas runs to the right edge, as there is no right frame: a column
    more than the axis was ticked for)."""
    return place_points(fig, frame.x, frame.y, width - frame.gutter, frame.rows, dodge_offsets(fig, frame.cols))


def predicted_notes(fig: Figure, width: int, height: int) -> tuple[str, ...]:
    """The notes on covered markers that building the plot at this size will give (without building it)."""
    placed = placed_points(fig, plot_frame(fig, width, height), width)
    return hidden_notes(drawn_cells(fig, placed), fig, placed, width) if placed.cells else ()


WINDOW_TRIES = 4
"""How many times a window shrinks by a layer when plotext's rounding still lets a marker cover another."""


def window_size(fig: Figure, width: int, height: int) -> int | None:
    """How many layers a per-layer plot shows at this size: None for all of them (every series shows at every
    layer), else as many as give every dodged series a column of its own at each layer."""
    dodged = sum(1 for line in fig.lines if line.dodge and line.points)
    if not fig.x_is_layer or dodged == 0 or fig.window is not None or not predicted_notes(fig, width, height):
        return None
    size = plot_frame(fig, width, height).cols // dodged
    return size if 1 <= size < fig.depth else None


def layer_window(fig: Figure, width: int, height: int, most: int | None = None) -> Figure:
    """The figure as drawn at this size: unchanged when every series shows at every layer; else a window of
    window_size layers (at most `most`: the window of a plot beside it) around the selected one; a note and the
    x axis's label say which. The y axis stays fitted to every layer, so moving the window keeps each value's row."""
    if not fig.x_is_layer or fig.window is not None:
        return fig
    thinned = thinned_words(fig, plot_frame(fig, width, height).cols, width)
    if thinned:
        return replace(fig, notes=[*fig.notes, thinned])
    sizes = [s for s in (window_size(fig, width, height), most) if s is not None]
    size = min(sizes) if sizes else fig.depth
    windowed = fig
    for _ in range(WINDOW_TRIES):
        if size < 1 or size >= fig.depth:
            return fig
        centre = round(fig.selected) if fig.selected is not None and math.isfinite(fig.selected) else 1
        first = min(max(1, centre - (size - 1) // 2), fig.depth - size + 1)
        last = first + size - 1
        windowed = replace(
            fig,
            window=(first, last),
            notes=[*fig.notes, window_words(first, last, fig.depth)],
            x_label=f"{fig.x_label}s {first}–{last} of {fig.depth}" if fig.x_label else "",
        )
        if not predicted_notes(windowed, width, height):
            break
        size -= 1
    return windowed


def thinned_words(fig: Figure, cols: int, width: int) -> str:
    """What a per-layer plot of over twice as many layers as columns leaves out: plot_line keeps evenly spaced
    layers (a window of one column per layer would show too little of so deep a net), so the notes say how many."""
    layers = max((line.x.size for line in fig.lines if line.dodge and line.points), default=0)
    if not thinned(layers, cols):
        return ""
    kept = marks_kept(layers, cols)
    words = [f"{kept} of {layers} layers marked, evenly spaced ({cols} columns)", f"{kept}/{layers} layers marked"]
    return next((w for w in words if len(w) <= width), words[-1])


def window_words(first: int, last: int, depth: int) -> str:
    return f"layers {first}–{last} of {depth} (, . move)"
