"""The Theory tab's readouts: q*, chi1, the phase, the depth scale, and the chosen depth against the trainable
depth in one sentence (severity and words)."""

from __future__ import annotations

import math

from textual.content import Content

from initscope.engine.result import Result, TheorySummary
from initscope.engine.text import trim_exponent
from initscope.tui.summary import num


def big(x: float) -> str:
    """A depth-like number: whole numbers, '∞' for inf, '–' for NaN."""
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞"
    return f"{x:.0f}" if x >= 10 else num(x)


def factor_text(log10_factor: float) -> str:
    """×0.82, ×3.1e-12, ×1e-400 (beyond float range still said)."""
    if not math.isfinite(log10_factor):
        return "×0" if log10_factor < 0 else "×∞"
    if abs(log10_factor) < 300:
        return "×" + trim_exponent(num(10.0**log10_factor))
    return f"×1e{log10_factor:.0f}"


def depth_words(t: TheorySummary, depth: int, compact: bool = False) -> tuple[str, str]:
    """(severity, sentence): the chosen depth against the trainable depth (about 6 depth scales)."""
    chi = t.chi1
    if t.phase == "critical" and t.q_star == 0.0:
        return "info", (
            f"depth {depth}: edge of chaos at q* = 0, gradients decay as a power law"
            + ("" if compact else " of depth (not exponentially)")
        )
    if t.phase == "critical":
        return "ok", (
            f"depth {depth}: at the edge of chaos (chi1 ≈ 1) gradients keep their size"
            + ("" if compact else "; no depth scale limits training")
        )
    if t.phase not in ("ordered", "chaotic") or not math.isfinite(chi):
        return "info", f"chi1 = {num(chi)}: no phase (the fixed point is not finite)"
    if not math.isfinite(t.trainable_depth):
        return "warning", (
            "q* = ∞: no decorrelation depth scale; lower σw² toward chi1 = 1"
            if compact
            else f"depth {depth}: {t.depth_note}; lower σw² toward chi1 = 1"
        )
    log_factor = depth * math.log10(chi) if chi > 0 else -math.inf
    factor = factor_text(log_factor)
    fix = "raise σw² (or lower σb²) toward chi1 = 1" if t.phase == "ordered" else "lower σw² toward chi1 = 1"
    trainable = big(t.trainable_depth)
    if compact:
        if depth <= t.trainable_depth:
            return "ok", f"depth {depth} ≤ trainable depth ≈ {trainable} (6ξ): gradient variance {factor}"
        return "warning", f"depth {depth} > trainable depth ≈ {trainable} (6ξ): grad variance {factor}; {fix}"
    over = f"gradient variance {factor} over the net"
    words = f"the trainable depth ≈ {trainable} (6 depth scales ξ)"
    if depth <= t.trainable_depth:
        return "ok", f"depth {depth} is within {words}: {over}"
    times = f" ({depth / t.trainable_depth:.1f}×)" if t.trainable_depth > 0 else ""
    return "warning", f"depth {depth} is beyond{times} {words}: {over}; {fix}"


MARK = {"ok": "✔", "info": "•", "warning": "▲"}
STYLE = {"ok": "$success", "info": "$primary", "warning": "$warning"}


def readouts(r: Result, compact: bool = False) -> Content:
    """q*, chi1, phase, depth scale, sigma_w^2, sigma_b^2, and the depth sentence."""
    t = r.theory
    if not t.applicable:
        return Content.from_markup("[b]mean-field theory does not apply:[/b] $why", why=t.reason or "no reason given")
    if not r.config.plain:  # residual or normalized: no fixed point q* or chi1, the block recursion instead
        what = (
            "residual stream (Yang & Schoenholz 2017):" if r.config.residual else f"{r.config.norm} resets every layer:"
        )
        return Content.from_markup("[dim]$what[/dim] [b]$note[/b]", what=what, note=t.depth_note)
    severity, words = depth_words(t, r.depth, compact)
    xi = "ξ" if compact else "depth scale ξ"
    return Content.from_markup(
        f"[dim]q*[/dim] [b]$q[/b]  [dim]chi1[/dim] [b]$chi[/b] [b]$phase[/b]  [dim]{xi}[/dim] $xi  "
        + ("" if compact else "[dim]σw²[/dim] $sw [dim]σb²[/dim] $sb")
        + f"\n[{STYLE[severity]}]$mark $words[/]",
        q=num(t.q_star),
        chi=num(t.chi1),
        phase=t.phase or "–",
        xi=big(t.depth_scale),
        sw=num(t.sigma_w2),
        sb=num(t.sigma_b2),
        mark=MARK[severity],
        words=words,
    )
