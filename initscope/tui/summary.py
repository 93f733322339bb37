"""The summary pane: the selected layer's weights (measured next to the formula), its activations, and
the verdict in one sentence coloured by severity, with its numbers and the fix.

Every number is one the engine returned, formatted by `num`/`pct` (the tests format the engine's
numbers with the same functions and look for them on screen).
"""

from __future__ import annotations

import math
from typing import Any

from textual.containers import VerticalScroll
from textual.content import Content

from initscope.engine.result import Finding, Result
from initscope.tui.text import Paragraph

SEVERITY_STYLE = {"ok": "$success", "info": "$primary", "warning": "$warning", "error": "$error"}
SEVERITY_MARK = {"ok": "✔", "info": "•", "warning": "▲", "error": "✖"}


def num(x: float | int | None) -> str:
    """A measured number, 3 significant digits; '–' when not computed."""
    if x is None:
        return "–"
    value = float(x)
    if math.isnan(value):
        return "–"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    return f"{value:.3g}"


def pct(x: float | None) -> str:
    """A fraction as a percentage with one decimal; '–' when undefined."""
    if x is None or not math.isfinite(float(x)):
        return "–"
    return f"{100 * float(x):.1f} %"


def finding_numbers(f: Finding, limit: int = 4) -> str:
    """'factor_per_layer 0.5 · decades -3.1' from a finding's numbers."""
    parts = []
    for key, value in list(f.numbers.items())[:limit]:
        if value is None:
            continue
        shown = str(value) if isinstance(value, int) and not isinstance(value, bool) else num(value)
        parts.append(f"{key.replace('_', ' ')} {shown}")
    return " · ".join(parts)


def weight_line(r: Result, layer: int) -> Content:
    i = layer - 1
    w = r.weights
    s = w.summary
    fi, fo = r.config.layer_fans[i]
    lo, hi = w.bound_low[i], w.bound_high[i]
    bounds = f"[{num(lo)}, {num(hi)}]" if math.isfinite(lo) and math.isfinite(hi) else "unbounded"
    return Content.from_markup(
        "[b]W[/b] [dim]layer[/dim] $layer/$depth [dim]($fi×$fo)[/dim]  "
        "[dim]min[/dim] $min  [dim]max[/dim] $max  "
        "[dim]mean[/dim] $mean [dim](exp $emean)[/dim]  "
        "[dim]std[/dim] [b]$std[/b] [dim](exp[/dim] [b]$estd[/b][dim])[/dim]  "
        "[dim]bounds[/dim] $bounds  [dim]zeros[/dim] $zeros",
        layer=str(layer),
        depth=str(r.depth),
        fi=str(fi),
        fo=str(fo),
        min=num(s.min[i]),
        max=num(s.max[i]),
        mean=num(s.mean[i]),
        emean=num(w.expected_mean[i]),
        std=num(s.std[i]),
        estd=num(w.expected_std[i]),
        bounds=bounds,
        zeros=pct(w.zero_fraction[i]),
    )


def activation_line(r: Result, layer: int) -> Content:
    i = layer - 1
    f = r.forward
    a = f.activation
    theory = r.theory_layers.activation_std[i]
    theory_text = f" (theory {num(theory)})" if math.isfinite(theory) else ""
    extras = []
    if math.isfinite(f.saturated_fraction[i]):
        extras.append(f"saturated {pct(f.saturated_fraction[i])}")
    if math.isfinite(f.dead_fraction[i]):
        extras.append(f"dead {pct(f.dead_fraction[i])} (units {pct(f.dead_unit_fraction[i])})")
    if math.isfinite(a.nonfinite_fraction[i]) and a.nonfinite_fraction[i] > 0:
        extras.append(f"non-finite {pct(a.nonfinite_fraction[i])}")
    if r.branch is not None:  # a residual block: the share of its input it changes, and theory's branch std
        branch_theory = r.branch.theory_std[i] if r.branch.theory_std is not None else math.nan
        extras.insert(
            0,
            f"aF/x {num(r.branch.ratio[i])}"
            + (f" (branch theory {num(branch_theory)})" if math.isfinite(branch_theory) else ""),
        )
    if i >= r.layers_done:
        return Content.from_markup(
            "[b]A[/b] [dim]layer[/dim] $layer: not computed ($why)",
            layer=str(layer),
            why="run cancelled" if r.cancelled else "propagation stopped earlier",
        )
    return Content.from_markup(
        "[b]A[/b] [dim]min[/dim] $min  [dim]max[/dim] $max  [dim]mean[/dim] $mean  [dim]std[/dim] [b]$std[/b]$theory  "
        "[dim]$zlabel[/dim] $zstd  [dim]grad std[/dim] $gstd  $extras",
        zlabel="branch std" if r.branch is not None else "pre-act std",
        min=num(a.min[i]),
        max=num(a.max[i]),
        mean=num(a.mean[i]),
        std=num(a.std[i]),
        theory=theory_text,
        zstd=num(f.preactivation.std[i]),
        gstd=num(r.backward.activation_grad_std[i]),
        extras="  ".join(extras),
    )


def verdict_severity(r: Result) -> str:
    """The severity of the finding the verdict names (a stable verdict with an info note stays 'ok')."""
    v = r.verdict
    main = next((f for f in v.findings if f.kind == v.kind), None)
    return main.severity if main is not None else v.severity


def verdict_content(r: Result) -> Content:
    v = r.verdict
    main = next((f for f in v.findings if f.kind == v.kind), v.findings[0] if v.findings else None)
    severity = verdict_severity(r)
    style = SEVERITY_STYLE.get(severity, "$foreground")
    text = Content.from_markup(f"[b {style}]$mark $text[/]", mark=SEVERITY_MARK.get(severity, "•"), text=v.text)
    if main is not None:
        numbers = finding_numbers(main)
        if numbers:
            text += Content.from_markup("  [dim]$numbers[/dim]", numbers=numbers)
        if main.fix:
            text += Content.from_markup("\n[dim]fix:[/dim] $fix", fix=main.fix)
    others = [f for f in v.findings if f is not main and f.severity in ("warning", "error", "info")]
    if others:
        kinds = ", ".join(dict.fromkeys(f"{f.kind.replace('_', ' ')} ({f.severity})" for f in others))
        text += Content.from_markup("\n[dim]also:[/dim] $kinds", kinds=kinds)
    return text


class SummaryPane(VerticalScroll):
    """Bottom pane: weights, activations and the verdict of the selected layer."""

    def compose(self) -> Any:
        yield Paragraph("waiting for the first run…", id="summary-verdict")
        yield Paragraph("", id="summary-weights")
        yield Paragraph("", id="summary-activations")

    def show(self, result: Result | None, layer: int) -> None:
        if result is None:
            return
        layer = max(1, min(layer, result.depth))
        unit = "block" if result.branch is not None else "layer"
        self.border_title = f"summary · {unit} {layer} of {result.depth}"
        self.query_one("#summary-weights", Paragraph).set(weight_line(result, layer))
        self.query_one("#summary-activations", Paragraph).set(activation_line(result, layer))
        verdict = self.query_one("#summary-verdict", Paragraph)
        verdict.set(verdict_content(result))
        for severity in SEVERITY_STYLE:
            verdict.set_class(severity == verdict_severity(result), f"-{severity}")
