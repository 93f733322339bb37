"""A built plotext matrix as Textual strips: one segment per run of one colour, and what a marker covers (a theory
line, a band) left as the cell's background so it still shows."""

from __future__ import annotations

from typing import Any

from plotext._dict import color_codes
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from initscope.tui.plots import RGB

TINT = 0.35
"""Share of a line's colour in the background tint it leaves under a marker (the rest is the background)."""


def rgb_of(color: RGB | str) -> RGB:
    if isinstance(color, str):
        t = Color.parse(color).get_truecolor()
        return (t.red, t.green, t.blue)
    return color


def plotext_color(value: object) -> Color | None:
    """A plotext colour (a name, a 0-255 code or an RGB triple) as a Rich colour."""
    if isinstance(value, str):
        name = value.strip()
        code = color_codes.get(name)
        return Color.from_ansi(code) if isinstance(code, int) and 0 <= code <= 255 else None
    if isinstance(value, int) and 0 <= value <= 255:
        return Color.from_ansi(value)
    if isinstance(value, (tuple, list)) and len(value) == 3:
        return Color.from_rgb(*value)
    return None


Underlay = list[list[tuple[RGB, RGB] | None]]
"""Per cell (rows bottom-up, as plotext stores them): the colour painted there and the background it leaves
under whatever covers it; None where nothing is."""


def underlay(matrix: Any, skip: set[RGB] | None = None, toward: RGB | None = None) -> Underlay:
    """What every painted cell of a built matrix shows (None where it is blank, frame or a `skip` colour); its
    background is that colour mixed with `toward` when given (a line under a marker shows as a tint, the marker
    stays readable)."""
    skip = skip or set()
    seen: dict[object, tuple[RGB, RGB] | None] = {}

    def entry(color: object) -> tuple[RGB, RGB] | None:
        key = tuple(color) if isinstance(color, list) else color
        if key in seen:
            return seen[key]
        out: tuple[RGB, RGB] | None = None
        if isinstance(color, (tuple, list)):
            rgb = (int(color[0]), int(color[1]), int(color[2]))
            if rgb not in skip:
                back = (
                    rgb
                    if toward is None
                    else (
                        int(TINT * rgb[0] + (1 - TINT) * toward[0]),
                        int(TINT * rgb[1] + (1 - TINT) * toward[1]),
                        int(TINT * rgb[2] + (1 - TINT) * toward[2]),
                    )
                )
                out = (rgb, back)
        seen[key] = out
        return out

    return [
        [entry(color) if ch.strip() else None for ch, color in zip(chars, fgs, strict=True)]
        for chars, fgs in zip(matrix.marker, matrix.fullground, strict=True)
    ]


def backgrounds(chars: list[str], fg: list[object], unders: list[list[tuple[RGB, RGB] | None]]) -> list[object]:
    """Per cell that shows a glyph, the background left by the first of `unders` (topmost first) whose colour
    differs from the glyph's."""
    out: list[object] = [None] * len(fg)
    shown = [tuple(f) if isinstance(f, (tuple, list)) else f for f in fg]
    for under in reversed(unders):
        out = [
            u[1] if u is not None and u[0] != f and c != " " else o
            for u, f, o, c in zip(under, shown, out, chars, strict=True)
        ]
    return out


def matrix_strips(
    matrix: Any,
    width: int,
    base: Style,
    cache: dict[object, Style],
    unders: list[Underlay] | None = None,
    heat: Underlay | None = None,
) -> list[Strip]:
    """Strips of a built plotext matrix (its rows are stored bottom-up), one segment per colour run. A cell
    that covers what an underlay painted (a marker over a theory line, a line over a band) gets that colour
    as its background, so what it covers still shows; `unders` go topmost first. `heat` colours the
    background of every cell it paints, blank ones too, under all else."""
    markers: list[list[str]] = matrix.marker
    fgs: list[list[object]] = matrix.fullground
    strips: list[Strip] = []
    for row in range(len(markers) - 1, -1, -1):
        chars, fg = markers[row], fgs[row]
        bg = backgrounds(chars, fg, [u[row] for u in unders]) if unders else [None] * len(chars)
        if heat is not None:
            bg = [h[1] if b is None and h is not None else b for b, h in zip(bg, heat[row], strict=True)]
        out: list[Segment] = []
        start, n = 0, len(chars)
        while start < n:
            color, back = fg[start], bg[start]
            end = start + 1
            while end < n and fg[end] == color and bg[end] == back:
                end += 1
            key = (tuple(color) if isinstance(color, list) else color, tuple(back) if isinstance(back, list) else back)
            style = cache.get(key)
            if style is None:
                style = cache[key] = base + Style(color=plotext_color(color), bgcolor=plotext_color(back))
            out.append(Segment("".join(chars[start:end]), style))
            start = end
        strips.append(Strip(out, n).adjust_cell_length(width, base))
    return strips
