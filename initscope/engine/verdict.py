"""The doctor: read a Result and say, in sentences with their numbers, what happens to the signal.

Each finding is one sentence a person can read, the numbers behind it, and the fix it suggests.
The verdict's kind is the most serious finding (overflow > symmetric > exploding > vanishing > dead >
saturated), or `stable` when there is none.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from initscope.engine.kinds import VERDICT_KINDS, FindingKind, Phase, Severity
from initscope.engine.result import Finding, Verdict

if TYPE_CHECKING:
    from initscope.engine.result import Result

__all__ = ["Verdict", "diagnose", "per_layer_factor"]

PRIORITY = VERDICT_KINDS[1:]
WARN_DECADES = 1.0
"""A change of one decade or more of std over the depth is a finding."""
ERROR_DECADES = 3.0
TINY, HUGE = 1e-6, 1e6
SATURATED_WARN, SATURATED_ERROR = 0.05, 0.30
DEAD_UNITS_INFO, DEAD_UNITS_WARN, DEAD_UNITS_ERROR = 0.25, 0.50, 0.90
"""Share of a layer's units silent for the whole batch. Deep ReLU nets at init make inputs ever more
correlated, so some units go silent for a whole batch even with He init (about 13 % by layer 8 at width
256): a quarter is where it is worth a note, half where capacity is really lost."""
ILLUSION_FLAT_DECADES = 0.5


def per_layer_factor(values: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Least-squares slope of log10(values) over the layers: (factor per layer, decades over the span).

    Non-positive and non-finite values are left out; fewer than two usable values give (nan, 0).
    """
    layers = np.arange(len(values), dtype=np.float64)
    ok = np.isfinite(values) & (values > 0)
    if ok.sum() < 2:
        return math.nan, 0.0
    logs = np.log10(values[ok])
    slope = float(np.polyfit(layers[ok], logs, 1)[0])
    span = float(layers[ok][-1] - layers[ok][0])
    return 10.0**slope, slope * span


def _fmt(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else ("inf" if x > 0 else "-inf" if x < 0 else "nan")


def _crossing(values: npt.NDArray[np.float64], below: bool) -> int | None:
    hits = np.nonzero(values < TINY if below else values > HUGE)[0]
    return int(hits[0]) + 1 if hits.size else None


FIX_PENDING = "\0fix"
"""Stands for the fix text in findings until the fix is known (computed only for an unhealthy run)."""


def diagnose(r: Result, cancel: threading.Event | None = None, advise: bool = True) -> Verdict:
    """All findings for a result and the verdict they add up to.

    With `advise`, an unhealthy verdict gets a fix computed from theory and checked by one more run of the
    same size (engine/advice.py); its text is every finding's fix. A stable run costs nothing extra.
    """
    cfg = r.config
    n = r.layers_done
    findings = _overflow(r)
    sym = np.nonzero(r.forward.symmetric[:n])[0]
    findings += _symmetric(sym, n)
    act_std = r.forward.activation.std[:n]
    f_factor, f_decades = per_layer_factor(act_std)
    grads = r.backward.activation_grad_std
    # going down: layer L first
    b_factor, b_decades = per_layer_factor(grads[::-1])
    if not sym.size:
        unit = "block" if cfg.residual else "layer"
        _trend(findings, "Activations", act_std, f_factor, f_decades, FIX_PENDING, down=False, unit=unit)
        _trend(findings, "Activation gradients", grads[::-1], b_factor, b_decades, FIX_PENDING, down=True, unit=unit)
    if cfg.residual:
        from initscope.engine.residual_advice import findings as residual_findings

        findings.extend(residual_findings(r, FIX_PENDING))
    findings += _illusion(r, b_decades) + _saturated(r)
    if not sym.size:
        findings += _dead(r)
    findings += _phase(r)
    kinds = [f.kind for f in findings if f.severity in (Severity.WARNING, Severity.ERROR)]
    kind = next((k for k in PRIORITY if k in kinds), FindingKind.STABLE)
    proposal: dict[str, object] | None = None
    if kind != FindingKind.STABLE and advise and not r.cancelled:  # a cancelled run's numbers are partial
        from initscope.engine.advice import propose

        proposal = propose(r, cancel)
    _fill_fixes(findings, str(proposal["text"]) if proposal is not None else "")
    if kind == FindingKind.STABLE:
        text = _stable_text(r, f_factor, b_factor)
        findings.insert(
            0,
            Finding(
                FindingKind.STABLE, Severity.OK, text, "", {"forward_factor": f_factor, "backward_factor": b_factor}
            ),
        )
    else:
        text = next(f.text for f in findings if f.kind == kind)
    return Verdict(kind, text, findings, r.verdict.first_nonfinite_layer, f_factor, b_factor, proposal)


def _overflow(r: Result) -> list[Finding]:
    first_bad = r.verdict.first_nonfinite_layer
    if first_bad is None:
        return []
    dtype = r.config.dtype
    return [
        Finding(
            FindingKind.OVERFLOW,
            Severity.ERROR,
            f"Values overflow to inf/NaN at layer {first_bad} ({dtype}); propagation stops there.",
            f"{FIX_PENDING}; or compute in float32/float64" if dtype == "float16" else FIX_PENDING,
            {"first_nonfinite_layer": first_bad},
        )
    ]


def _symmetric(sym: npt.NDArray[np.intp], n: int) -> list[Finding]:
    """`sym`: the indices of the layers whose units all carry identical values."""
    if not sym.size:
        return []
    return [
        Finding(
            FindingKind.SYMMETRIC,
            Severity.ERROR,
            f"All units of layer {int(sym[0]) + 1} carry identical values ({sym.size} of {n} layers): "
            "they get identical gradients and stay identical, so the layer acts like one unit.",
            FIX_PENDING,
            {"first_symmetric_layer": int(sym[0]) + 1, "symmetric_layers": int(sym.size)},
        )
    ]


def _illusion(r: Result, b_decades: float) -> list[Finding]:
    """The activation gradient vanishes while ||dW|| stays flat over depth."""
    _, w_decades = per_layer_factor(r.backward.weight_grad_norm[::-1])
    if not (b_decades <= -WARN_DECADES and abs(w_decades) < ILLUSION_FLAT_DECADES):
        return []
    return [
        Finding(
            FindingKind.WEIGHT_GRADIENT_ILLUSION,
            Severity.WARNING,
            f"Weight-gradient illusion: ‖dW‖ changes only ×{_fmt(10 ** abs(w_decades))} over depth while the "
            f"activation gradient falls ×{_fmt(10**-b_decades)}; a tool that shows only ‖dW‖ hides this.",
            FIX_PENDING,
            {"weight_grad_decades": w_decades, "activation_grad_decades": b_decades},
        )
    ]


def _saturated(r: Result) -> list[Finding]:
    cfg = r.config
    sat = r.forward.saturated_fraction[: r.layers_done]
    if cfg.activation not in ("tanh", "sigmoid") or not np.isfinite(sat).any():
        return []
    mean_sat = float(np.nanmean(sat))
    worst = int(np.nanargmax(sat))
    if mean_sat <= SATURATED_WARN:
        return []
    return [
        Finding(
            FindingKind.SATURATED,
            Severity.ERROR if mean_sat > SATURATED_ERROR else Severity.WARNING,
            f"{100 * mean_sat:.1f} % of {cfg.activation} units are saturated on average "
            f"(worst: {100 * sat[worst]:.1f} % at layer {worst + 1}); their gradient is < 6 % of the peak.",
            FIX_PENDING,
            {"mean_saturated_fraction": mean_sat, "worst_layer": worst + 1},
        )
    ]


def _dead(r: Result) -> list[Finding]:
    dead_units = r.forward.dead_unit_fraction[: r.layers_done]
    if not np.isfinite(dead_units).any():
        return []
    worst = int(np.nanargmax(dead_units))
    share = float(dead_units[worst])
    if share <= DEAD_UNITS_INFO:
        return []
    severity = (
        Severity.ERROR if share > DEAD_UNITS_ERROR else Severity.WARNING if share > DEAD_UNITS_WARN else Severity.INFO
    )
    return [
        Finding(
            FindingKind.DEAD,
            severity,
            f"{100 * share:.1f} % of the units of layer {worst + 1} output 0 for the whole batch "
            "(dead: no gradient reaches their weights).",
            FIX_PENDING,
            {"dead_unit_fraction": share, "layer": worst + 1},
        )
    ]


def _phase(r: Result) -> list[Finding]:
    """A note when mean field puts the net deeper than its trainable depth (ordered or chaotic phase)."""
    th, depth = r.theory, r.config.n_layers
    if not (
        th.applicable
        and math.isfinite(th.trainable_depth)
        and depth > th.trainable_depth
        and th.phase in (Phase.ORDERED, Phase.CHAOTIC)
    ):
        return []
    what = (
        "correlations between inputs go to 1 and gradients shrink by e every "
        f"{_fmt(th.depth_scale)} layers (xi = -1/ln chi1)"
        if th.phase == Phase.ORDERED
        else f"inputs decorrelate toward c* = {_fmt(th.c_star)} with depth scale xi_c = {_fmt(th.depth_scale)} "
        f"(chi_c {_fmt(th.chi_c)})"
    )
    return [
        Finding(
            FindingKind(th.phase),
            Severity.INFO,
            f"Mean-field theory puts this config in the {th.phase} phase (chi1 {_fmt(th.chi1)}): {what}; "
            f"the trainable depth, about 6 depth scales (Schoenholz et al. 2017), is {_fmt(th.trainable_depth)} "
            f"layers, fewer than the depth {depth}.",
            FIX_PENDING,
            {"chi1": th.chi1, "trainable_depth": th.trainable_depth},
        )
    ]


def _fill_fixes(findings: list[Finding], fix_text: str) -> None:
    """Put the computed fix where the findings hold FIX_PENDING."""
    for finding in findings:
        if finding.fix == FIX_PENDING:
            finding.fix = fix_text
        elif finding.fix.startswith(FIX_PENDING):  # float16 overflow: the fix, then a word on the dtype
            finding.fix = (fix_text + finding.fix[len(FIX_PENDING) :]).lstrip("; ")


def _stable_text(r: Result, f_factor: float, b_factor: float) -> str:
    th = r.theory
    chi = f" (chi1 {_fmt(th.chi1)})" if th.applicable and math.isfinite(th.chi1) else ""
    if math.isfinite(f_factor) and math.isfinite(b_factor):
        return (
            f"The signal is stable: activation std ×{_fmt(f_factor)} per layer, "
            f"gradient std ×{_fmt(b_factor)} per layer going down{chi}."
        )
    # a trend over depth needs two layers with finite, non-zero stds
    why = "with one layer" if r.config.n_layers == 1 else "with fewer than two measurable layers"
    return f"The signal is stable{chi}; {why} there is no per-layer factor to measure."


def _trend(
    findings: list[Finding],
    what: str,
    values: npt.NDArray[np.float64],
    factor: float,
    decades: float,
    fix: str,
    down: bool,
    unit: str = "layer",
) -> None:
    """Append a vanishing/exploding finding when the std changes by a decade or more over depth."""
    if not math.isfinite(factor) or abs(decades) < WARN_DECADES:
        return
    kind = FindingKind.VANISHING if decades < 0 else FindingKind.EXPLODING
    order = " going down" if down else ""
    finite = values[np.isfinite(values)]
    cross = _crossing(values, below=decades < 0)
    cross_text = ""
    if cross is not None:
        layer = len(values) - cross + 1 if down else cross
        cross_text = f"; {'below 1e-6' if decades < 0 else 'above 1e6'} from {unit} {layer}"
    severe = abs(decades) >= ERROR_DECADES or cross is not None
    findings.append(
        Finding(
            kind,
            Severity.ERROR if severe else Severity.WARNING,
            f"{what} {'vanish' if kind == FindingKind.VANISHING else 'explode'}: "
            f"std ×{_fmt(factor)} per {unit}{order}, "
            f"{_fmt(finite[0])} to {_fmt(finite[-1])} ({abs(decades):.1f} decades){cross_text}.",
            fix,
            {
                "factor_per_layer": factor,
                "decades": decades,
                "first": float(finite[0]),
                "last": float(finite[-1]),
                "crossing_layer": cross,
            },
        )
    )
