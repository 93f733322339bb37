"""On-demand extras: the phase-diagram grid, the Jacobian spectrum and the seed ensemble.

The app computes them in thread workers (`on_demand.py`) and hands them to the tabs inside the
`ViewState` as one frozen `Extras`; this module holds those states, the messages the workers post
(`post_message` is thread-safe) and the overlay of the ensemble's bands on the Forward and Backward std
plots (the phase grid itself is the engine's, `engine/phase.py`). It imports nothing from the tabs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from textual.color import Color
from textual.message import Message
from textual.widget import Widget

from initscope.engine.config import Config
from initscope.engine.ensemble import DEFAULT_K, Band, EnsembleResult
from initscope.engine.jacobian import JacobianResult
from initscope.engine.phase import PhaseGrid, PhaseKey
from initscope.tui.plots import RGB, Figure, Fill, Legend, Line, log10_series


# ---------------------------------------------------------------------------------------------- states
@dataclass(frozen=True)
class JacobianState:
    """The Jacobian the app computes or computed, for `config` (the latest request)."""

    config: Config
    status: str
    """running | done | refused | failed | cancelled (the config changed while it ran)"""
    result: JacobianResult | None = None
    message: str = ""
    """Why it was refused or failed, in one line."""
    done: int = 0
    total: int = 0
    previous: JacobianResult | None = None
    """The last finished spectrum (of another config), shown greyed while this one computes."""


@dataclass(frozen=True)
class EnsembleState:
    config: Config
    status: str
    """running | done"""
    result: EnsembleResult | None = None
    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class Extras:
    """What the tabs may draw besides the run: handed over in the ViewState."""

    ensemble: EnsembleResult | None = None
    """Only when it belongs to the shown result's config."""
    ensemble_running: bool = False
    jacobian: JacobianState | None = None
    jacobian_follow: bool = False
    """The user asked for the Jacobian: the visible Jacobian view keeps it up to date with the config."""
    jacobian_log: bool | None = None
    """Axis of the singular-value histogram: log10, linear, or None (log10 when they span > 1 decade)."""
    phase: PhaseGrid | None = None
    phase_key: PhaseKey | None = None


# ---------------------------------------------------------------------------------------------- messages
class PhaseGridWanted(Message):
    """The Theory tab needs the grid of `key` (posted from its draw; the app computes it once)."""

    def __init__(self, key: PhaseKey) -> None:
        super().__init__()
        self.key = key


class PhaseGridReady(Message):
    def __init__(self, key: PhaseKey, grid: PhaseGrid | None, error: str = "") -> None:
        super().__init__()
        self.key = key
        self.grid = grid
        self.error = error


class JacobianWanted(Message):
    """The visible Jacobian view holds a spectrum of another config: the app recomputes for its config."""


class ConfigProgress(Message):
    """Steps done by an on-demand computation for `config`. Coalesced: a newer one of the same kind replaces it."""

    def __init__(self, config: Config, done: int, total: int) -> None:
        super().__init__()
        self.config = config
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return type(message) is type(self)


class JacobianProgress(ConfigProgress):
    """Layers of the Jacobian product done (then the SVD)."""


class JacobianFinished(Message):
    def __init__(self, config: Config, result: JacobianResult | None, error: Exception | None = None) -> None:
        super().__init__()
        self.config = config
        self.result = result
        self.error = error


class EnsembleProgress(ConfigProgress):
    """Layers done over all the ensemble's runs."""


class EnsembleFinished(Message):
    def __init__(self, config: Config, result: EnsembleResult | None, error: Exception | None = None) -> None:
        super().__init__()
        self.config = config
        self.result = result
        self.error = error


def spans_decades(values: object) -> bool:
    """True when the singular values spread over more than one decade, or some are 0 (read them on log10)."""
    arr = np.asarray(values, dtype=np.float64)
    positive = arr[np.isfinite(arr) & (arr > 0)]
    if positive.size < 2:
        return False
    return bool(positive.max() / positive.min() > 10.0) or positive.size < arr.size


def one_line(err: BaseException) -> str:
    text = str(err)
    return text.splitlines()[0] if text else type(err).__name__


# ---------------------------------------------------------------------------------------------- colours
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


# ---------------------------------------------------------------------------------------------- bands
def band_label(k: int) -> str:
    return f"{k} seeds, 10–90 %"


def overlay_ensemble(fig: Figure, extras: Extras, kind: str, color: RGB, predicted: RGB, widget: Widget) -> None:
    """Add the seed ensemble's band of `kind` ('activation' or 'gradient') to a log-decade std figure: the
    shaded q10-q90 band (drawn under everything; the shown seed's markers sit in it), and (activation, relu-like)
    the finite-width prediction of the same band, with their legend entries and notes."""
    ensemble = extras.ensemble
    if ensemble is None or ensemble.k < 2:
        if extras.ensemble_running:
            fig.notes.append(f"computing {DEFAULT_K} seeds…")
        return
    surface = surface_of(widget)
    band: Band = ensemble.activation_std if kind == "activation" else ensemble.activation_grad_std
    x = np.arange(1, ensemble.config.n_layers + 1, dtype=np.float64)
    low, _ = log10_series(band.q10)
    high, _ = log10_series(band.q90)
    fill_color = blend(surface, color, 0.45)
    fig.fills.append(Fill(x, low, high, fill_color))
    fig.legend.append(Legend(band_label(ensemble.k), fill_color, "█"))
    p = ensemble.prediction
    # theory lines go first in the figure: the measured markers are drawn over them
    if kind == "activation" and p.applicable and p.log10_std_q10 is not None and p.log10_std_q90 is not None:
        fig.lines[:0] = [Line(x, np.asarray(p.log10_std_q10, dtype=np.float64), predicted),
                         Line(x, np.asarray(p.log10_std_q90, dtype=np.float64), predicted)]
        fig.legend.append(Legend(f"predicted 10–90 % (width {min(ensemble.config.widths)})", predicted, "┈"))
    short = int(band.count.min()) if band.count.size else ensemble.k
    if short < ensemble.k:
        fig.notes.append(f"({short} of {ensemble.k} seeds reach the last layers)")
    if ensemble.cancelled:
        fig.notes.append("(cancelled early)")
