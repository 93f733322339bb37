"""Plain-text report of a Result for `initscope run` (the table format)."""

from __future__ import annotations

import math

import numpy as np

from initscope.engine.result import Result


def _g(x: float, width: int = 9) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-".rjust(width)
    if math.isinf(x):
        return ("inf" if x > 0 else "-inf").rjust(width)
    return f"{x:.3g}".rjust(width)


def _scale(x: float) -> str:
    """A depth scale: NaN means the theory has none here (the note under the line says why)."""
    return "none" if math.isnan(x) else _g(x, 0)


def _pct(x: float, width: int = 6) -> str:
    return "-".rjust(width) if not np.isfinite(x) else f"{100 * x:.1f}".rjust(width)


def table(r: Result) -> str:
    """Per-layer forward/backward statistics with the theory prediction, then theory and verdict."""
    cfg = r.config
    lines = [f"initscope run  {cfg.to_string()}", "", _header(r)]
    lines += [_row(r, i, fi, fo) for i, (fi, fo) in enumerate(cfg.layer_fans)]
    lines += ["", *_theory_lines(r), *_verdict_lines(r)]
    if r.cancelled:
        lines.append(f"(cancelled after {r.layers_done} of {cfg.n_layers} layers)")
    return "\n".join(lines) + "\n"


def _header(r: Result) -> str:
    # A residual run: one row per block, the stream after it (x) and what its branch adds (alpha F).
    unit, added, out, grad = (
        ("block", "aF std", "x std", "dx std") if r.branch else ("layer", "Z std", "A std", "dA std")
    )
    header = (
        f"{unit:>5} {'fans':>11} {'W std':>9} {'expected':>9} {added:>9} {out:>9} "
        f"{'theory':>9} {'sat%':>6} {'dead%':>6} {grad:>9} {'th dA':>9} {'|dW|':>9} {'|dW|/|W|':>9}"
    )
    if r.backward.clipped_weight_grad_norm is not None:
        header += f" {'|dW| clip':>9}"
    if r.branch is not None:
        header += f" {'aF/x':>9}"
    return header


def _row(r: Result, i: int, fi: int, fo: int) -> str:
    f, b, w, t = r.forward, r.backward, r.weights, r.theory_layers
    row = (
        f"{i + 1:>5} {f'{fi}>{fo}':>11} {_g(w.summary.std[i])} {_g(w.expected_std[i])} "
        f"{_g(f.preactivation.std[i])} {_g(f.activation.std[i])} {_g(t.activation_std[i])} "
        f"{_pct(f.saturated_fraction[i])} {_pct(f.dead_fraction[i])} {_g(b.activation_grad_std[i])} "
        f"{_g(t.activation_grad_std[i])} {_g(b.weight_grad_norm[i])} {_g(b.grad_to_weight_ratio[i])}"
    )
    if b.clipped_weight_grad_norm is not None:
        row += f" {_g(b.clipped_weight_grad_norm[i])}"
    if r.branch is not None:
        row += f" {_g(r.branch.ratio[i])}"
    return row


def _theory_lines(r: Result) -> list[str]:
    th = r.theory
    if not th.applicable:
        return [f"theory   not applicable: {th.reason}"]
    if not r.config.plain:  # residual or normalized: the recursion's summary in words
        return [f"theory   {th.depth_note}"]
    lines = [
        f"theory   sigma_w^2 {th.sigma_w2:.4g}  sigma_b^2 {th.sigma_b2:.4g}  q* {_g(th.q_star, 0)}  "
        f"chi1 {_g(th.chi1, 0)}  phase {th.phase}  depth scale {_scale(th.depth_scale)}  "
        f"trainable depth ~{_scale(th.trainable_depth)}"
    ]
    if th.depth_note:
        lines.append(f"         {th.depth_note}")
    return lines


def _verdict_lines(r: Result) -> list[str]:
    v = r.verdict
    lines = [f"verdict  [{v.kind}] {v.text}"]
    lines += [
        f"  [{finding.severity}] {finding.text}"
        for finding in v.findings
        if not (finding.kind == v.kind and finding.text == v.text)
    ]
    if v.fix is not None:
        lines.append(f"  fix: {v.fix['text']}")
        if v.fix.get("config"):
            lines.append(f"  fix config: {v.fix['config']}")
    return lines


def diff_table(d: dict[str, object]) -> str:
    """Text form of snapshot.diff: config differences, per-layer ratios (B / A), verdicts."""
    a, b = d["a"], d["b"]
    assert isinstance(a, dict) and isinstance(b, dict)
    lines = [f"A  {a['config']}", f"B  {b['config']}", ""]
    config = d["config"]
    assert isinstance(config, dict)
    if config:
        lines.append("config differences")
        for key, (va, vb) in config.items():
            lines.append(f"  {key:<20} {va!s:>16}  ->  {vb!s}")
    else:
        lines.append("config: identical")
    depths = d["depths"]
    assert isinstance(depths, list)
    scope = "" if depths[0] == depths[1] else f", first {d['layers_compared']} layers"
    lines += [
        "",
        f"per layer (B / A){scope}",
        f"{'layer':>5} {'A act std':>10} {'B act std':>10} {'ratio':>8} {'A dA std':>10} {'B dA std':>10} "
        f"{'ratio':>8} {'sat% A/B':>13} {'dead% A/B':>13}",
    ]
    layers = d["layers"]
    assert isinstance(layers, list)

    def pair(values: list[float | None]) -> str:
        return "/".join("-" if v is None else f"{100 * v:.1f}" for v in values).rjust(13)

    for row in layers:
        sa, sb = row["activation_std"]
        ga, gb = row["gradient_std"]
        lines.append(
            f"{row['index']:>5} {_g(_f(sa), 10)} {_g(_f(sb), 10)} {_g(_f(row['activation_std_ratio']), 8)} "
            f"{_g(_f(ga), 10)} {_g(_f(gb), 10)} {_g(_f(row['gradient_std_ratio']), 8)} "
            f"{pair(row['saturated_fraction'])} {pair(row['dead_fraction'])}"
        )
    verdict = d["verdict"]
    assert isinstance(verdict, list)
    lines += [
        "",
        f"verdict A  [{verdict[0]['kind']}] {verdict[0]['text']}",
        f"verdict B  [{verdict[1]['kind']}] {verdict[1]['text']}",
    ]
    training = d.get("training")
    if isinstance(training, dict) and training.get("present") == [True, True]:
        lines += ["", "training race (A / B)"]
        for key, (va, vb) in training.get("config", {}).items():
            lines.append(f"  {key:<20} {va!s:>16}  ->  {vb!s}")
        lines.append(f"  {'contender':<24} {'final loss A/B':>22} {'steps to target A/B':>20}  status A/B")
        for label, row in training.get("contenders", {}).items():
            fa, fb = row["final_loss"]
            sa, sb = row["steps_to_target"]
            lines.append(
                f"  {label:<24} {_g(_f(fa), 10)} /{_g(_f(fb), 10)} {sa!s:>9} /{sb!s:>9}  "
                f"{row['status'][0]} / {row['status'][1]}"
            )
    elif isinstance(training, dict) and any(training.get("present", [])):
        which = "A" if training["present"][0] else "B"
        lines += ["", f"training race: only {which} holds one"]
    return "\n".join(lines) + "\n"


def _f(x: float | None) -> float:
    return math.nan if x is None else float(x)
