"""What `initscope theory` prints: the readouts in words, and the readouts, Jacobian spectrum and seed
ensemble as JSON documents and as text tables."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from initscope.engine import theory
from initscope.engine.config import Config
from initscope.engine.ensemble import Band, EnsembleResult
from initscope.engine.jacobian import JacobianResult
from initscope.engine.kinds import Phase
from initscope.engine.result import TheorySummary

MAX_TABLE_ROWS = 12
"""Per-layer tables print at most this many layers (first, last and evenly spaced); JSON has them all."""


# ------------------------------------------------------------------------------------------ readouts
def explain(summary: TheorySummary, depth: int, gradient_ratio: float = math.nan) -> str:
    """One line on what the readouts mean for this depth, and what to change.

    `gradient_ratio`: the per-layer prediction's gradient std at layer 1 over the top's (said where no
    exponential scale applies: a power law at q* = 0, or growth without a finite q*).
    """
    if not summary.applicable:
        return f"theory does not apply: {summary.reason}"
    chi, xi, trainable = summary.chi1, summary.depth_scale, summary.trainable_depth
    over = (
        f"; the per-layer prediction has the gradient std x{gradient_ratio:.3g} from the top to layer 1"
        if math.isfinite(gradient_ratio)
        else ""
    )
    if summary.phase == Phase.CRITICAL:
        if summary.q_star == 0.0:
            return (
                f"edge of chaos at q* = 0: chi_1 = {chi:.4f} only in the limit; the variance shrinks toward 0 "
                f"and gradients decay as a power law of depth, not exponentially{over}"
            )
        return (
            f"edge of chaos: chi_1 = {chi:.4f}, so gradients keep their size layer after layer; no depth "
            f"scale limits training at init (depth {depth} is fine)"
        )
    if summary.phase not in (Phase.ORDERED, Phase.CHAOTIC):
        return f"chi_1 = {chi:.4g}: no phase (the fixed point is not finite)"
    ordered = summary.phase == Phase.ORDERED
    fix = (
        "raise sigma_w^2 (or lower sigma_b^2) toward the chi_1 = 1 line"
        if ordered
        else "lower sigma_w^2 toward the chi_1 = 1 line"
    )
    if not math.isfinite(trainable):
        return (
            f"chaotic: chi_1 = {chi:.4g} > 1 with q* = inf: the variance grows without bound and inputs never "
            f"decorrelate (correlations approach 1), so there is no decorrelation depth scale{over}; {fix}"
        )
    where = "within" if depth <= trainable else "beyond"
    if ordered:
        text = (
            f"ordered: chi_1 = {chi:.4g} < 1, so correlations go to 1 and the gradient variance shrinks by a "
            f"factor e every {xi:.3g} layers"
        )
    else:
        c_star = f"{summary.c_star:.3g}" if abs(summary.c_star) > 1e-12 else "0"
        text = (
            f"chaotic: chi_1 = {chi:.4g} > 1, so the gradient variance grows by {chi:.4g} per layer, and "
            f"inputs decorrelate toward c* = {c_star} with depth scale xi_c = {xi:.4g} (chi_c = "
            f"{summary.chi_c:.4g})"
        )
    text += f"; depth {depth} is {where} the trainable depth of about {trainable:.3g} layers"
    return text + (f"; {fix}" if where == "beyond" else "")


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _nums(values: npt.NDArray[Any]) -> list[float | None]:
    return [_num(float(v)) for v in np.asarray(values, dtype=np.float64)]


def theory_doc(cfg: Config, weights: str) -> dict[str, Any]:
    """The readouts as a dict (JSON field names as the snapshot's `theory` block, plus more)."""
    layers, s = theory.predict(cfg)
    depth = cfg.n_layers
    within = None if not s.applicable or math.isnan(s.trainable_depth) else bool(depth <= s.trainable_depth)
    ratio = float(layers.activation_grad_std[0]) if depth else math.nan
    return {
        "applicable": s.applicable,
        "reason": s.reason,
        "weights": weights,
        "sigma_w2": _num(s.sigma_w2),
        "sigma_b2": _num(s.sigma_b2),
        "q_star": _num(s.q_star),
        "chi1": _num(s.chi1),
        "phase": s.phase,
        "c_star": _num(s.c_star),
        "chi_c": _num(s.chi_c),
        "depth_scale": _num(s.depth_scale),
        "depth_note": s.depth_note,
        "trainable_depth": _num(s.trainable_depth),
        "depth": depth,
        "within_trainable_depth": within,
        "explanation": explain(s, depth, ratio),
    }


def jacobian_doc(r: JacobianResult) -> dict[str, Any]:
    p = r.prediction
    sv = r.singular_values

    resolved = r.resolved

    def quant(q: float) -> float | None:
        return _num(float(np.quantile(resolved, q))) if resolved.size else None

    return {
        "sample_index": r.sample_index,
        "shape": [r.config.fan_in, r.config.widths[-1]],
        "depth": r.config.n_layers,
        # min/median/max over the values above round-off; the numerically zero ones are counted apart
        "singular_values": {
            "count": int(sv.size),
            "numerically_zero": r.numerically_zero,
            "zero_tolerance": _num(r.zero_tolerance),
            "min": quant(0.0),
            "median": quant(0.5),
            "max": quant(1.0),
            "values": _nums(sv),
        },
        "histogram": {
            "edges": _nums(r.histogram.edges),
            "counts": [int(c) for c in r.histogram.counts],
            "collapsed": r.histogram.collapsed,
        },
        "eig_mean": _num(r.eig_mean),
        "eig_var": _num(r.eig_var),
        "eig_normalized_var": _num(r.eig_normalized_var),
        "log10_eig_mean": _num(r.log10_eig_mean),
        "prediction": {
            "applicable": p.applicable,
            "reason": p.reason,
            "s1": _num(p.s1),
            "q_star": _num(p.q_star),
            "chi1": _num(p.chi1),
            "mu1": _num(p.mu1),
            "mu2": _num(p.mu2),
            "critical_var": _num(p.critical_var),
            "mean": _num(p.mean),
            "log10_mean": _num(p.log10_mean),
            "normalized_var": _num(p.normalized_var),
            "var": _num(p.var),
        },
        "first_nonfinite_layer": r.first_nonfinite_layer,
        "note": r.note,
        "seconds": round(r.elapsed_s, 4),
        "chain_seconds": round(r.chain_s, 4),
        "svd_seconds": round(r.svd_s, 4),
    }


def _band_doc(band: Band, i: int) -> dict[str, float | None]:
    return {
        "min": _num(band.min[i]),
        "q10": _num(band.q10[i]),
        "median": _num(band.median[i]),
        "q90": _num(band.q90[i]),
        "max": _num(band.max[i]),
    }


def ensemble_doc(r: EnsembleResult) -> dict[str, Any]:
    p = r.prediction
    layers = []
    for i in range(r.config.n_layers):
        layer: dict[str, Any] = {
            "index": i + 1,
            "activation_std": _band_doc(r.activation_std, i),
            "preactivation_std": _band_doc(r.preactivation_std, i),
            "activation_grad_std": _band_doc(r.activation_grad_std, i),
            "log_sq_norm_var": _num(r.log_sq_norm_var[i]),
        }
        if p.applicable and p.log_sq_norm_var is not None and p.hanin_rolnick is not None:
            layer["predicted_log_sq_norm_var"] = _num(p.log_sq_norm_var[i])
            layer["hanin_rolnick"] = _num(p.hanin_rolnick[i])
            layer["interval_90"] = [_num(r.log_sq_norm_var_low[i]), _num(r.log_sq_norm_var_high[i])]
        layers.append(layer)
    return {
        "k": r.k,
        "seeds": list(r.seeds),
        "batch": r.config.batch,
        "cancelled": r.cancelled,
        "prediction": {"applicable": p.applicable, "reason": p.reason, "coefficient": _num(p.coefficient)},
        "layers": layers,
        "seconds": round(r.elapsed_s, 4),
    }


# ------------------------------------------------------------------------------------------ tables
def _g(x: float | None, width: int = 10) -> str:
    return f"{'-':>{width}}" if x is None else f"{x:>{width}.4g}"


def _rows(depth: int) -> list[int]:
    if depth <= MAX_TABLE_ROWS:
        return list(range(depth))
    picks = np.unique(np.round(np.linspace(0, depth - 1, MAX_TABLE_ROWS)).astype(int))
    return [int(i) for i in picks]


def _scale(value: float | None, phase: str) -> str:
    """A depth scale: a number, inf at criticality, 'none' where the theory has none."""
    if value is not None:
        return _g(value, 12)
    return f"{'inf' if phase == 'critical' else 'none':>12}"


def _scale_note(doc: dict[str, Any]) -> str:
    if doc["phase"] == Phase.CHAOTIC and doc["chi_c"] is not None:
        c_star = f"{doc['c_star']:.3g}" if abs(doc["c_star"]) > 1e-12 else "0"
        return f"xi_c = -1/ln chi_c, chi_c {doc['chi_c']:.4g} at the stable correlation c* {c_star}"
    if doc["phase"] == Phase.CHAOTIC:
        return "q* = inf: correlations never decorrelate (relu-like), no decorrelation scale"
    if doc["phase"] == Phase.CRITICAL:
        return "chi_1 = 1: no exponential scale" + (" (q* = 0: power-law decay)" if doc["q_star"] == 0 else "")
    return "xi = -1/ln chi_1: layers per factor e of the gradient variance"


def theory_table(cfg: Config, doc: dict[str, Any]) -> str:
    bias = "zeros" if cfg.bias == "zeros" else f"N(0, {float(cfg.bias_params.get('std', 0.0)):.4g}^2)"
    lines = [
        f"theory  {cfg.activation}  weights {doc['weights']}  bias {bias}  fan_in {cfg.fan_in}  depth {cfg.n_layers}"
    ]
    if not doc["applicable"]:
        lines.append(f"  {doc['explanation']}")
        return "\n".join(lines)
    trainable = doc["trainable_depth"]
    rows = [
        ("sigma_w^2", _g(doc["sigma_w2"], 12), "fan_in * Var(W)"),
        ("sigma_b^2", _g(doc["sigma_b2"], 12), "Var(b) (+ mean(b)^2)"),
        ("q*", _g(doc["q_star"], 12), "where the pre-activation variance settles"),
        ("chi_1", _g(doc["chi1"], 12), "factor on the gradient variance per layer at q*"),
        ("phase", f"{doc['phase']:>12}", "ordered < 1 = critical < chaotic"),
        ("depth scale", _scale(doc["depth_scale"], doc["phase"]), _scale_note(doc)),
        ("trainable depth", _scale(trainable, doc["phase"]), f"about 6 depth scales; chosen depth {doc['depth']}"),
    ]
    lines += [f"  {name:<16}{value}  {note}" for name, value, note in rows]
    lines.append(f"  => {doc['explanation']}")
    return "\n".join(lines)


def jacobian_table(doc: dict[str, Any]) -> str:
    rows, cols = doc["shape"]
    sv = doc["singular_values"]
    lines = [
        f"Jacobian d a_L / d x at input row {doc['sample_index']}  ({rows} x {cols}, depth {doc['depth']}, "
        f"{doc['seconds']:.2f} s: chain {doc['chain_seconds']:.2f} s, SVD {doc['svd_seconds']:.2f} s)"
    ]
    if doc["note"]:
        lines.append(f"  note             {doc['note']}")
    if sv["count"]:
        zeros = sv["numerically_zero"]
        above = f"{sv['count'] - zeros} above round-off: " if zeros else ""
        lines.append(
            f"  singular values  {above}min {_g(sv['min'], 0)}  median {_g(sv['median'], 0)}  max {_g(sv['max'], 0)}"
        )
        if zeros:
            lines.append(
                f"  round-off        {zeros} of {sv['count']} singular values numerically zero "
                f"(<= {sv['zero_tolerance']:.3g} = max x n x eps of the dtype)"
            )
        lines.append(
            f"  eig of J J^T     mean {_g(doc['eig_mean'], 0)}  var {_g(doc['eig_var'], 0)}  "
            f"var/mean^2 {_g(doc['eig_normalized_var'], 0)}"
        )
    p = doc["prediction"]
    if not p["applicable"]:
        lines.append(f"  prediction       not applicable: {p['reason']}")
        return "\n".join(lines)
    kind = "orthogonal" if p["s1"] == 0 else "i.i.d."
    lines.append(
        f"  prediction       mean {_g(p['mean'], 0)}  var/mean^2 {_g(p['normalized_var'], 0)}  "
        "(free probability over this input's q_l)"
    )
    lines.append(
        f"  at q*            L (mu2/mu1^2 - 1 - s1) = {_g(p['critical_var'], 0)}  "
        f"(mu1 {_g(p['mu1'], 0)}, mu2 {_g(p['mu2'], 0)}, s1 = {p['s1']:g}: {kind} weights; "
        "the variance at chi_1 = 1, Pennington et al. 2017)"
    )
    spread = doc["eig_normalized_var"] if doc["eig_normalized_var"] is not None else p["normalized_var"]
    if spread is not None:
        verdict = (
            "near dynamical isometry: the singular values concentrate"
            if spread < 0.1
            else "far from isometry: a few directions carry most of the gradient"
            if spread > 1.0
            else "moderately spread"
        )
        lines.append(f"  => {verdict} (var/mean^2 = {spread:.3g}; 0 is perfect isometry)")
    return "\n".join(lines)


def ensemble_table(doc: dict[str, Any]) -> str:
    seeds = doc["seeds"]
    span = f"{seeds[0]}..{seeds[-1]}" if seeds else "none"
    lines = [
        f"seed ensemble  K = {doc['k']} (seeds {span}), batch {doc['batch']}, {doc['seconds']:.2f} s"
        + ("  [cancelled]" if doc["cancelled"] else "")
    ]
    p = doc["prediction"]
    lines.append(
        f"  {'layer':>5} {'act std q10':>11} {'median':>10} {'q90':>10} {'grad std':>10}   "
        f"{'Var ln S':>9} {'predicted':>9} {'90% band':>19} {'C sum 1/n':>9}"
    )
    for i in _rows(len(doc["layers"])):
        layer = doc["layers"][i]
        a, g = layer["activation_std"], layer["activation_grad_std"]
        line = (
            f"  {layer['index']:>5} {_g(a['q10'], 11)} {_g(a['median'])} {_g(a['q90'])} {_g(g['median'])}   "
            f"{_g(layer['log_sq_norm_var'], 9)}"
        )
        if "predicted_log_sq_norm_var" in layer:
            lo, hi = layer["interval_90"]
            band = f"{_g(lo, 0)}..{_g(hi, 0)}" if lo is not None and hi is not None else "-"
            line += f" {_g(layer['predicted_log_sq_norm_var'], 9)} {band:>19} {_g(layer['hanin_rolnick'], 9)}"
        lines.append(line)
    lines.append("  S = mean of A^2 over batch and units; Var over seeds of ln S measures the finite-width spread")
    if p["applicable"]:
        lines.append(
            "  predicted: input term + sum_l Var(one layer's log-ratio) x batch factor; "
            f"C = {p['coefficient']:g} (Hanin & Rolnick 2018: 5 for relu with one input)"
        )
    else:
        lines.append(f"  no spread prediction: {p['reason']}")
    return "\n".join(lines)
