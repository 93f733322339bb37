"""The seed ensemble's 10-90 % bands on the Forward and Backward std plots (key k)."""

from __future__ import annotations

import numpy as np
from textual.widget import Widget

from initscope.engine.ensemble import DEFAULT_K, Band
from initscope.tui.colors import blend, surface_of
from initscope.tui.plots import RGB, Figure, Fill, Legend, Line, log10_series
from initscope.tui.state import Extras


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
        fig.lines[:0] = [
            Line(x, np.asarray(p.log10_std_q10, dtype=np.float64), predicted),
            Line(x, np.asarray(p.log10_std_q90, dtype=np.float64), predicted),
        ]
        fig.legend.append(Legend(f"predicted 10–90 % (width {min(ensemble.config.widths)})", predicted, "┈"))
    short = int(band.count.min()) if band.count.size else ensemble.k
    if short < ensemble.k:
        fig.notes.append(f"({short} of {ensemble.k} seeds reach the last layers)")
    if ensemble.cancelled:
        fig.notes.append("(cancelled early)")
