"""What the Theory tab's Jacobian view shows, worded and drawn from the engine's `JacobianResult`: the
histogram of the singular values, the eigenvalues' mean and variance next to the free-probability
prediction, and whether the spectrum is (or can be) isometric, and why. No widgets here (jacobian.py)."""

from __future__ import annotations

import math

import numpy as np
from textual.content import Content

from initscope.engine.arrays import FloatArray
from initscope.engine.jacobian import JacobianResult
from initscope.engine.jacobian_prediction import SpectrumPrediction
from initscope.tui.axes import log_axis
from initscope.tui.plots import RGB, Figure, Legend, histogram_bars, histogram_notes
from initscope.tui.summary import num
from initscope.tui.theory.readouts import MARK, STYLE

ISOMETRY_NEAR = 0.1
"""var/mean^2 of the eigenvalues of J J^T below this: near dynamical isometry (as `initscope theory`)."""
ISOMETRY_FAR = 1.0
"""Above this: far from isometry."""
FLAT_SPECTRUM = 1e-3
"""Singular values whose spread is below this share of their median are said to be equal, not binned."""


def spans_decades(values: object) -> bool:
    """True when the singular values spread over more than one decade, or some are 0 (read them on log10)."""
    arr = np.asarray(values, dtype=np.float64)
    positive = arr[np.isfinite(arr) & (arr > 0)]
    if positive.size < 2:
        return False
    return bool(positive.max() / positive.min() > 10.0) or positive.size < arr.size


def flat_spectrum(sv: FloatArray) -> bool:
    """All singular values equal to within FLAT_SPECTRUM of their median (a histogram would only show noise)."""
    if sv.size == 0 or not np.isfinite(sv).all():
        return False
    median = float(np.median(sv))
    return median > 0 and float(sv.max() - sv.min()) <= FLAT_SPECTRUM * median


def spread_words(spread: float, compact: bool = False) -> tuple[str, str]:
    """(severity, words) for var/mean^2 of the eigenvalues of J J^T (0 is perfect isometry)."""
    if not math.isfinite(spread):
        return "info", "no spread to judge"
    if spread < ISOMETRY_NEAR:
        return "ok", "near dynamical isometry" + ("" if compact else ": the singular values concentrate")
    if spread > ISOMETRY_FAR:
        return "warning", "far from isometry" + ("" if compact else ": a few directions carry most of the gradient")
    return "info", "moderately spread"


def roundoff(j: JacobianResult) -> float:
    """numpy's matrix_rank tolerance: max sigma * max(shape) * eps of the chain's dtype (0: no finite sigma)."""
    sv = j.singular_values
    if sv.size == 0 or not np.isfinite(sv).all():
        return 0.0
    eps = float(np.finfo(np.float64 if j.config.dtype == "float64" else np.float32).eps)
    return float(sv.max()) * max(j.config.fan_in, j.config.widths[-1]) * eps


def numerical_rank(j: JacobianResult) -> int:
    """Singular values above round-off (numpy's matrix_rank tolerance)."""
    sv = j.singular_values
    if sv.size == 0 or not np.isfinite(sv).all():
        return int(sv.size)
    return int(np.count_nonzero(sv > roundoff(j)))


def why_short(p: SpectrumPrediction) -> str:
    """The reason in three words or so, for the shortest form of the Jacobian's numbers."""
    act = p.mu2 / (p.mu1 * p.mu1) - 1.0 if p.mu1 > 0 else math.nan
    transient = math.isfinite(p.normalized_var) and p.normalized_var > 2.0 * p.critical_var + 0.1
    if math.isfinite(act) and act > 0.5:
        return "never isometric"
    if p.s1 != 0:
        return "needs orthogonal weights"
    return "isometric near q*" + ("; the input starts far from it" if transient else "")


def why_words(p: SpectrumPrediction, activation: str, compact: bool = False) -> str:
    """Why the spectrum can or cannot be isometric: the two per-layer terms of L(mu2/mu1^2 - 1 - s1), and
    whether the layers before q settles at q* (the transient from the input) add most of the spread."""
    act = p.mu2 / (p.mu1 * p.mu1) - 1.0 if p.mu1 > 0 else math.nan
    if math.isfinite(act) and act > 0.5:
        verdict = f"{activation} can never be isometric"
        if activation == "relu" and not compact:
            verdict += " (φ′² is 0 or 1, so μ2/μ1² = 2 at every q*)"
    elif p.s1 != 0:
        verdict = "only orthogonal weights can make it isometric"
    else:
        verdict = "isometry is within reach" + ("" if compact else " (chi1 = 1 with a small q*)")
    transient = math.isfinite(p.normalized_var) and p.normalized_var > 2.0 * p.critical_var + 0.1
    if compact:
        return f"per layer {activation} +{num(act)}, weights +{num(-p.s1)}: {why_short(p)}"
    weights = "orthogonal weights 0" if p.s1 == 0 else "i.i.d. weights 1"
    text = f"per layer {activation} adds μ2/μ1² − 1 = {num(act)} at q* {num(p.q_star)}, {weights}: {verdict}"
    if transient:
        text += (
            f"; here the first layers, before q settles at q*, add most of the {num(p.normalized_var)} "
            "(the input starts far from q*)"
        )
    return text


def jacobian_figure(j: JacobianResult, log: bool, measured: RGB, isometry: RGB) -> tuple[Figure, list[str]]:
    """Bars of the singular values (or their log10), the isometry line sigma = 1 in view."""
    sv = j.singular_values
    if flat_spectrum(sv):
        median = float(np.median(sv))
        words = f"all {sv.size} singular values equal {num(median)} (spread {num(float(sv.max() - sv.min()))})" + (
            ": J is an isometry" if abs(median - 1.0) <= FLAT_SPECTRUM else ""
        )
        return Figure(message=words), []
    h = j.log10_histogram if log else j.histogram
    bars, words = histogram_bars(h, measured)
    if bars is None:
        return Figure(message=j.note or words), []
    left, right = float(h.edges[0]), float(h.edges[-1])
    iso = 0.0 if log else 1.0
    notes: list[str] = []
    if log:
        floor = roundoff(j)
        below = int(np.count_nonzero(sv <= floor)) if floor > 0 else 0
        if below and math.log10(floor) > left:  # numerically zero: round-off, not a spread of J
            left = math.log10(floor)
            notes.append(f"{below} below round-off (σ ≤ {num(floor)}) left out")
        left, right = min(left, iso), max(right, iso)
        pad = 0.03 * (right - left)
        left, right = left - pad, right + pad
    else:  # singular values are >= 0: the axis runs from 0 to the largest (or to the isometry line)
        left, right = 0.0, max(right, iso)
    fig = Figure(
        bars=[bars],
        x_is_layer=False,
        x_range=(left, right),
        y_floor=0.0,
        x_label="singular value σ (log10 axis)" if log else "singular value σ",
        legend=[Legend("singular values", measured), Legend("σ = 1 (isometry)", isometry, "│")],
    )
    fig.vlines.append((iso, isometry))
    if log:
        axis = log_axis(left, right, 6)
        inside = [(t, lab) for t, lab in zip(axis.ticks, axis.labels, strict=True) if left <= t <= right]
        if len(inside) >= 2:
            fig.x_ticks = inside
    notes += histogram_notes(h)
    if log and h.nonfinite:
        notes = [n for n in notes if "non-finite" not in n] + [f"{h.nonfinite} exactly 0 (no log)"]
    return fig, notes


def jacobian_numbers(
    j: JacobianResult, activation: str, compact: bool = False, notes: tuple[str, ...] = (), tight: bool = False
) -> Content:
    """The spectrum's numbers next to the prediction, the verdict and why (`compact`: 80 columns; `tight`: a short
    pane, where the verdict and the reason share one line so the histogram keeps its rows); `notes` about the
    histogram go on the singular values' line."""
    p = j.prediction
    pred = p.applicable
    values = _numbers(j)
    lines = _measured_lines(j, values, compact, notes)
    if j.note:
        lines.append(Content.from_markup("[dim]note:[/dim] $note", note=j.note))
    if pred and not compact:
        lines.append(
            Content.from_markup(
                "[dim]predicted at chi1 = 1:[/dim] var = L(μ2/μ1² − 1 − s1) = $L × $term = [b]$crit[/b]  "
                "[dim](s1 = 0 orthogonal, −1 i.i.d.)[/dim]",
                **values,
            )
        )
    elif not pred:
        lines.append(Content.from_markup("[dim]prediction not applicable:[/dim] $why", why=p.reason))
    reason = pred and math.isfinite(p.mu1)
    if j.singular_values.size or pred:
        lines.append(_verdict_line(j, compact, tight, reason))
        if tight:
            return Content("\n").join(lines)
    if reason:
        lines.append(Content.from_markup("[dim]why:[/dim] $why", why=why_words(p, activation, compact)))
    return Content("\n").join(lines)


def _numbers(j: JacobianResult) -> dict[str, str]:
    """The measured and predicted numbers the lines name, shown ('–' where the prediction does not apply)."""
    p = j.prediction
    pred = p.applicable
    return {
        "mean": num(j.eig_mean),
        "pmean": num(p.mean) if pred else "–",
        "var": num(j.eig_var),
        "nv": num(j.eig_normalized_var),
        "pnv": num(p.normalized_var) if pred else "–",
        "crit": num(p.critical_var),
        "L": str(j.config.n_layers),
        "mu1": num(p.mu1),
        "mu2": num(p.mu2),
        "term": num(p.critical_var / j.config.n_layers) if pred else "–",
    }


def _measured_lines(j: JacobianResult, values: dict[str, str], compact: bool, notes: tuple[str, ...]) -> list[Content]:
    """The eigenvalues' mean and spread next to the prediction, and (not compact) the singular values' range
    with how many are numerically 0; none without a spectrum."""
    sv = j.singular_values
    pred = j.prediction.applicable
    if not sv.size:
        return []
    if compact:
        return [
            Content.from_markup("[dim]eig of JJᵀ[/dim] mean [b]$mean[/b] [dim](pred $pmean)[/dim]  var $var", **values),
            Content.from_markup(
                "var/mean² [b]$nv[/b] [dim](pred $pnv" + ("; at chi1 = 1: $crit" if pred else "") + ")[/dim]", **values
            ),
        ]
    rank = numerical_rank(j)
    zeros = (
        f" · [$warning]{sv.size - rank} of {sv.size} numerically 0: J has rank ≈ {rank}, those directions "
        "get no gradient[/]"
        if 0 < rank < sv.size
        else ""
    )
    return [
        Content.from_markup(
            "[dim]eig of JJᵀ[/dim]  mean [b]$mean[/b] [dim](predicted $pmean)[/dim] · var $var · "
            "var/mean² [b]$nv[/b] [dim](predicted $pnv)[/dim]",
            **values,
        ),
        Content.from_markup(
            "[dim]σ[/dim]  min $lo · median $mid · max $hi"
            + zeros
            + ("  [dim]histogram: $notes[/dim]" if notes else ""),
            lo=num(float(sv.min())),
            mid=num(float(np.median(sv))),
            hi=num(float(sv.max())),
            notes=" · ".join(notes),
        ),
    ]


def _verdict_line(j: JacobianResult, compact: bool, tight: bool, reason: bool) -> Content:
    """Near or far from isometry, by the measured spread (the predicted one without a spectrum); `tight` adds
    the short reason on the same line."""
    p = j.prediction
    spread = j.eig_normalized_var if math.isfinite(j.eig_normalized_var) else p.normalized_var
    severity, words = spread_words(spread, compact)
    tail = "" if compact else " [dim](0 is isometry)[/dim]"
    if tight and reason:
        tail = "[dim]:[/dim] $short"
    return Content.from_markup(
        f"[b {STYLE[severity]}]$mark $words[/]{tail}",
        mark=MARK[severity],
        words=words,
        s=num(spread),
        short=why_short(p) if reason else "",
    )
