"""Colours: RGB as Content markup, mixed, and read from the current theme."""

from __future__ import annotations

from textual.color import Color
from textual.widget import Widget

from initscope.tui.plots import RGB


def hex_of(color: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def swatch(label: str, color: RGB, mark: str = "■") -> str:
    """Legend entry as Content markup (label escaped by the caller's template)."""
    safe = label.replace("[", r"\[")
    return f"[{hex_of(color)}]{mark}[/] {safe}"


def blend(a: RGB, b: RGB, t: float) -> RGB:
    """a moved a share t of the way to b."""
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def theme_rgb(widget: Widget, name: str, fallback: RGB) -> RGB:
    """A colour variable of the current theme ('surface', 'foreground' ...) as RGB."""
    try:
        value = widget.app.theme_variables.get(name)
        return Color.parse(value).rgb if value else fallback
    except Exception:
        return fallback


def surface_of(widget: Widget) -> RGB:
    """The plot background of the current theme (the canvas paints with it)."""
    return theme_rgb(widget, "surface", (30, 30, 30))
