"""The plot renderer: where a value lands in the cells, what the glyphs and colours say, and the axes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from rich.style import Style

from initscope.tui.canvas import QUADRANTS, Frame, Raster, render_figure, subcell_image
from initscope.tui.plots import Bars, Figure, Line, Ticks, decade_ticks, nice_ticks

BASE = Style()
RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)


def cells(fig: Figure, width: int = 40, height: int = 14) -> list[list[tuple[str, object, object]]]:
    """(glyph, colour, background) of every cell, rows top to bottom."""
    rows = []
    for strip in render_figure(fig, width, height, BASE):
        row = []
        for segment in strip:
            style = segment.style or BASE
            color = style.color.get_truecolor() if style.color else None
            back = style.bgcolor.get_truecolor() if style.bgcolor else None
            row += [(ch, tuple(color) if color else None, tuple(back) if back else None) for ch in segment.text]
        rows.append(row)
    return rows


def text(fig: Figure, width: int = 40, height: int = 14) -> list[str]:
    return ["".join(ch for ch, _, _ in row) for row in cells(fig, width, height)]


def test_every_row_is_as_wide_as_the_widget() -> None:
    fig = Figure(lines=[Line(np.arange(1.0, 11.0), np.linspace(0, 1, 10), RED)], depth=10, x_label="layer")
    for width, height in ((12, 4), (40, 14), (97, 31)):
        strips = render_figure(fig, width, height, BASE)
        assert len(strips) == height
        assert all(strip.cell_length == width for strip in strips)


def test_a_point_lands_in_the_subcell_of_its_value() -> None:
    frame = Frame(left=3, cols=10, rows=5, x0=0.0, x1=10.0, y0=0.0, y1=5.0)
    # x = 0.25 is in the first of 20 sub-columns (each 0.5 wide); y = 4.9 in the top sub-row
    image = subcell_image(frame, frame.sub_x(np.array([0.25, 9.99, 10.0])), frame.sub_y(np.array([4.9, 0.01, 0.0])))
    assert image[0, 0] and image[9, 19]
    assert image.sum() == 2  # (10, 0) is on the right edge: the last sub-column, the bottom sub-row
    raster = Raster(10, 5)
    raster.paint_subcells(image, RED)
    assert raster.glyph[0, 0] == QUADRANTS[1]  # upper left
    assert raster.glyph[4, 9] == QUADRANTS[8]  # lower right


def test_points_outside_the_limits_are_dropped() -> None:
    frame = Frame(left=3, cols=10, rows=5, x0=0.0, x1=10.0, y0=0.0, y1=5.0)
    image = subcell_image(frame, frame.sub_x(np.array([-0.1, 10.1, 5.0])), frame.sub_y(np.array([1.0, 1.0, 5.1])))
    assert not image.any()


class HalfTicks(Figure):
    def y_tick_marks(self) -> Ticks | None:
        return Ticks([0.0, 0.5, 1.0], ["0", "half", "1"])


@pytest.mark.parametrize("height", [8, 14, 21, 30])
def test_a_horizontal_line_sits_on_the_row_of_its_value_and_its_tick(height: int) -> None:
    fig = HalfTicks(lines=[Line(np.array([1.0, 10.0]), np.array([0.5, 0.5]), RED)], depth=10, y_range=(0.0, 1.0))
    rows = text(fig, height=height)
    line_rows = [r for r, row in enumerate(rows) if any(ch in QUADRANTS[1:] for ch in row)]
    assert len(line_rows) == 1
    assert "half┤" in rows[line_rows[0]]  # the tick of 0.5 is on the same row


def test_linear_ticks_are_evenly_spaced_from_the_bottom_row() -> None:
    fig = Figure(lines=[Line(np.arange(1.0, 11.0), np.linspace(0.03, 0.47, 10), RED)], depth=10)
    for height in (10, 11, 14, 20):
        rows = text(fig, height=height)
        tick_rows = [r for r, row in enumerate(rows) if "┤" in row]
        gaps = set(np.diff(tick_rows).tolist())
        assert len(tick_rows) >= 3 and len(gaps) == 1  # exactly even
        gap = gaps.pop()
        assert gap >= 2
        assert tick_rows[-1] == height - 3  # the bottom plot row
        assert tick_rows[0] - 1 < gap  # fewer spare rows above the top tick than a tick interval


def test_nan_splits_a_line() -> None:
    y = np.array([1.0, 1.0, np.nan, 1.0, 1.0, 1.0])
    fig = Figure(lines=[Line(np.arange(1.0, 7.0), y, RED)], depth=6, y_range=(0.0, 2.0))
    rows = text(fig, width=40)
    gutter = next(row for row in rows if "┤" in row).index("┤")
    row = next(r for r in rows if any(ch in QUADRANTS[1:] for ch in r))
    drawn = row[gutter + 1:-1]
    assert " " in drawn.strip()  # a gap around layer 3


def test_bars_fill_to_their_counts() -> None:
    # two bins over [0, 2]: counts 4 and 8 on a 0..8 axis; the plot is 8 rows high (16 sub-rows)
    fig = Figure(bars=[Bars(np.array([0.5, 1.5]), np.array([4.0, 8.0]), BLUE)], x_is_layer=False, x_range=(0.0, 2.0))
    height = 8 + 3  # frame top, frame bottom, tick labels
    rows = cells(fig, width=24, height=height)[1:9]
    gutter = text(fig, width=24, height=height)[1].index("┤")
    left = [row[gutter + 2] for row in rows]  # a column of the first bin
    right = [row[-3] for row in rows]  # a column of the second bin
    assert [ch for ch, _, _ in right] == ["█"] * 8
    assert [ch for ch, _, _ in left] == [" "] * 4 + ["█"] * 4
    assert {color for _, color, _ in left[4:]} == {BLUE}


def test_a_line_over_a_bar_keeps_the_bar_as_background() -> None:
    fig = Figure(bars=[Bars(np.array([0.5, 1.5]), np.array([8.0, 8.0]), BLUE)],
                 lines=[Line(np.array([0.0, 2.0]), np.array([4.0, 4.0]), RED)], x_is_layer=False, x_range=(0.0, 2.0))
    grid = cells(fig, width=24, height=11)
    crossing = [(ch, color, back) for row in grid for ch, color, back in row if color == RED]
    assert crossing
    assert all(back == BLUE for _, _, back in crossing)  # the bar shows around the line's sub-cells


def test_a_tiny_bin_still_shows() -> None:
    fig = Figure(bars=[Bars(np.array([0.5, 1.5]), np.array([1.0, 10_000.0]), BLUE)], x_is_layer=False,
                 x_range=(0.0, 2.0))
    bottom = cells(fig, width=24, height=11)[8]
    gutter = text(fig, width=24, height=11)[1].index("┤")
    assert bottom[gutter + 2][1] == BLUE


def test_dot_markers_and_sparse_points() -> None:
    fig = Figure(lines=[Line(np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.5, 0.8]), GREEN, points=True),
                        Line(np.array([1.0, 3.0]), np.array([0.9, 0.9]), RED, marker="dot")],
                 depth=3, y_range=(0.0, 1.0))
    grid = cells(fig)
    assert sum(ch == "●" and color == GREEN for row in grid for ch, color, _ in row) == 3
    assert any(ch == "•" and color == RED for row in grid for ch, color, _ in row)


def test_vertical_marker_lines_go_under_the_data() -> None:
    fig = Figure(bars=[Bars(np.array([0.5, 1.5]), np.array([8.0, 8.0]), BLUE)], vlines=[(0.5, RED)],
                 x_is_layer=False, x_range=(0.0, 2.0))
    grid = cells(fig, width=24, height=11)
    assert not any(color == RED for row in grid for _, color, _ in row)  # the full bars cover it
    fig.bars[0].counts[:] = [4.0, 8.0]
    grid = cells(fig, width=24, height=11)
    marks = [r for r, row in enumerate(grid) for ch, color, _ in row if ch == "│" and color == RED]
    assert marks == [1, 2, 3, 4]  # above the half-height bar only


def test_x_tick_labels_never_overlap() -> None:
    fig = Figure(lines=[Line(np.arange(1.0, 1001.0), np.ones(1000), RED)], depth=1000)
    for width in (14, 20, 33, 80):
        labels = text(fig, width=width)[-1]
        words = labels.split()
        assert labels.count(" ") >= len(words) - 1
        assert all(word.isdigit() for word in words)


@pytest.mark.parametrize(("lo", "hi", "room"), [(0.0, 1.0, 4), (-3.7, 12.2, 5), (1e-5, 3e-5, 3), (0, 100, 4)])
def test_nice_ticks_are_round_and_inside(lo: float, hi: float, room: int) -> None:
    ticks = nice_ticks(lo, hi, room)
    assert 2 <= len(ticks) <= room + 2
    assert all(lo - 1e-12 <= t <= hi + 1e-12 for t in ticks)
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5))


@pytest.mark.parametrize(("lo", "hi", "rows"), [(-4.8, 0.15, 6), (-0.2, 0.1, 4), (-300.0, 308.0, 10), (2.0, 2.0, 8),
                                                (-7.3, -2.1, 20)])
def test_decade_ticks_cover_the_data_in_few_whole_decades(lo: float, hi: float, rows: int) -> None:
    positions, labels, (bottom, top) = decade_ticks(lo, hi, rows)
    assert bottom <= lo and top >= hi and bottom == positions[0] and top == positions[-1]
    assert len(positions) - 1 <= max(2, rows // 2)
    assert all(p.is_integer() for p in positions) and len(set(np.diff(positions))) == 1
    assert labels == [f"1e{int(p)}" for p in positions]


def test_log_ticks_are_evenly_spaced() -> None:
    y = np.log10(np.geomspace(0.59, 1.58e-5, 30))
    fig = Figure(lines=[Line(np.arange(1.0, 31.0), y, RED)], depth=30, log_y=True)
    for height in (10, 11, 16, 24):
        rows = text(fig, height=height)
        tick_rows = [r for r, row in enumerate(rows) if "┤" in row]
        gaps = set(np.diff(tick_rows).tolist())
        assert len(tick_rows) >= 2 and len(gaps) == 1 and gaps.pop() >= 2


def test_a_point_on_a_line_keeps_the_line_as_its_background() -> None:
    x = np.arange(1.0, 11.0)
    fig = Figure(lines=[Line(x, np.full(10, 0.5), GREEN), Line(x, np.full(10, 0.5), RED, marker="dot")],
                 depth=10, y_range=(0.0, 1.0))
    dots = [(color, back) for row in cells(fig) for ch, color, back in row if ch == "•"]
    assert dots and all(color == RED and back == GREEN for color, back in dots)
