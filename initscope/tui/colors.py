"""Colours: RGB as Content markup, mixed, and read from the current theme (the plots' Palette too)."""

from __future__ import annotations

from textual.color import Color
from textual.theme import Theme
from textual.widget import Widget

from initscope.tui.plots import RGB
from initscope.tui.state import Palette


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
        return _parsed(widget.app.theme_variables.get(name), fallback)
    except Exception:
        return fallback


def surface_of(widget: Widget) -> RGB:
    """The plot background of the current theme (the canvas paints with it)."""
    return theme_rgb(widget, "surface", (30, 30, 30))


def _parsed(value: str | None, fallback: RGB) -> RGB:
    try:
        return Color.parse(value).rgb if value else fallback
    except Exception:
        return fallback


def palette_of(theme: Theme) -> Palette:
    """The plots' colours from a Textual theme (each falls back to the default Palette's)."""
    base = Palette()
    return Palette(
        measured=_parsed(theme.primary, base.measured),
        second=_parsed(theme.accent or theme.secondary, base.second),
        theory=_parsed(theme.success, base.theory),
        warning=_parsed(theme.warning, base.warning),
        error=_parsed(theme.error, base.error),
        theory2=Color.parse(theme.success).lighten(0.25).rgb if theme.success else base.theory2,
    )
