"""On-demand extras: the phase-diagram grid, the Jacobian spectrum and the seed ensemble.

The app computes them in thread workers (`on_demand.py`) and hands them to the tabs inside the
`ViewState` as one frozen `Extras`; this module holds those states, the messages the workers post
(`post_message` is thread-safe), the phase grid computation (pure, run in a worker) and the overlay of
the ensemble's bands on the Forward and Backward std plots. It imports nothing from the tabs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from textual.color import Color
from textual.message import Message
from textual.widget import Widget

from initscope.engine import activations, theory
from initscope.engine.config import Config
from initscope.engine.ensemble import DEFAULT_K, Band, EnsembleResult
from initscope.engine.jacobian import JacobianResult
from initscope.engine.result import Result
from initscope.tui.plots import RGB, Figure, Fill, FloatArray, Legend, Line, log10_series

# ---------------------------------------------------------------------------------------------- phase grid
PHASE_W_POINTS = 61
PHASE_B_POINTS = 41
W_SPANS = tuple(4.0 * 2.0**k for k in range(11))
"""sigma_w^2 axis ends: 4, 8, ..., 4096 (the smallest that holds the cursor and shows the chi_1 = 1 line)."""
B_SPANS = tuple(0.5 * 2.0**k for k in range(13))
"""sigma_b^2 axis ends: 0.5, 1, ..., 2048."""
CHAOS_SHOWN = 1.3
"""The sigma_w^2 axis reaches far enough that chi_1 >= this at sigma_b^2 = 0 (sigmoid needs ~256)."""
CURSOR_ROOM = 1.15
"""The axis ends at least this factor past the cursor, so it is never on the edge."""


@dataclass(frozen=True)
class PhaseKey:
    """What a phase grid depends on: the activation (with its parameters) and the axis ranges asked for."""

    activation: str
    params: tuple[tuple[str, float], ...]
    min_w: float
    """The sigma_w^2 axis reaches at least this (the cursor's bucket); the grid may reach further."""
    b_max: float


@dataclass(frozen=True)
class PhaseGrid:
    """chi_1 at the fixed point over a (sigma_b^2, sigma_w^2) grid: shape (len(sigma_b2), len(sigma_w2))."""

    key: PhaseKey
    sigma_w2: FloatArray
    sigma_b2: FloatArray
    chi1: FloatArray
    elapsed_s: float = 0.0

    @property
    def w_max(self) -> float:
        return float(self.sigma_w2[-1])

    @property
    def b_max(self) -> float:
        return float(self.sigma_b2[-1])


def _bucket(value: float, spans: tuple[float, ...]) -> float:
    for span in spans:
        if value * CURSOR_ROOM <= span:
            return span
    return spans[-1]


def phase_key(result: Result) -> PhaseKey:
    """The grid the Theory tab needs for this result (axes reach past its sigma_w^2 and sigma_b^2)."""
    cfg = result.config
    t = result.theory
    sw = t.sigma_w2 if t.applicable and math.isfinite(t.sigma_w2) else 0.0
    sb = t.sigma_b2 if t.applicable and math.isfinite(t.sigma_b2) else 0.0
    params = tuple(sorted((k, float(v)) for k, v in cfg.activation_params.items()))
    return PhaseKey(cfg.activation, params, _bucket(sw, W_SPANS), _bucket(sb, B_SPANS))


def compute_phase_grid(key: PhaseKey) -> PhaseGrid:
    """chi_1 over [0, w_max] x [0, b_max] (engine's `theory.phase_grid`); runs in a worker (~0.1-0.2 s)."""
    started = time.perf_counter()
    act = activations.make(key.activation, dict(key.params))
    with np.errstate(all="ignore"):
        scan = theory.phase_grid(act, np.array(W_SPANS), np.array([0.0]))[0]
    natural = next((w for w, chi in zip(W_SPANS, scan.tolist(), strict=True) if chi >= CHAOS_SHOWN), W_SPANS[0])
    w_max = max(key.min_w, natural)
    ws = np.linspace(0.0, w_max, PHASE_W_POINTS)
    bs = np.linspace(0.0, key.b_max, PHASE_B_POINTS)
    chi = theory.phase_grid(act, ws, bs)
    return PhaseGrid(key, ws, bs, chi, time.perf_counter() - started)


def interpolate(grid: PhaseGrid, sw2: FloatArray, sb2: FloatArray) -> FloatArray:
    """Bilinear chi_1 at the points (sb2[i], sw2[j]) of a pixel raster: shape (len(sb2), len(sw2))."""
    ws, bs, chi = grid.sigma_w2, grid.sigma_b2, grid.chi1

    def where(axis: FloatArray, v: FloatArray) -> tuple[np.ndarray, FloatArray]:
        i = np.clip(np.searchsorted(axis, v) - 1, 0, axis.size - 2)
        t = np.clip((v - axis[i]) / (axis[i + 1] - axis[i]), 0.0, 1.0)
        return i, t

    j, tw = where(ws, sw2)
    i, tb = where(bs, sb2)
    c00 = chi[np.ix_(i, j)]
    c01 = chi[np.ix_(i, j + 1)]
    c10 = chi[np.ix_(i + 1, j)]
    c11 = chi[np.ix_(i + 1, j + 1)]
    top = c00 * (1 - tw)[None, :] + c01 * tw[None, :]
    bottom = c10 * (1 - tw)[None, :] + c11 * tw[None, :]
    return np.asarray(top * (1 - tb)[:, None] + bottom * tb[:, None], dtype=np.float64)


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
