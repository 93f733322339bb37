"""The Theory tab: mean-field readouts over four views (`v` cycles them).

- measured vs predicted std (A and dA) with the residual in decades;
- measured vs predicted saturation (tanh, sigmoid) with the residual in percentage points;
- the phase diagram over (sigma_w^2, sigma_b^2) for the chosen activation: ordered and chaotic regions,
  the chi1 = 1 line and this net as a cursor (the grid comes from a worker, cached per activation);
- the Jacobian spectrum (key j): histogram of the singular values of J = d a_L / d x, the mean and variance
  of the eigenvalues of J J^T next to the free-probability prediction, and why (isometry or not).

Every number is the engine's; the tab only formats and draws.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from rich.align import Align
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import ContentSwitcher

from initscope.engine.jacobian import JacobianResult, SpectrumPrediction
from initscope.engine.result import Result, TheorySummary
from initscope.tui.axes import log_axis
from initscope.tui.extras import (
    JacobianState,
    JacobianWanted,
    PhaseGrid,
    PhaseGridWanted,
    blend,
    interpolate,
    spans_decades,
    surface_of,
    theme_rgb,
)
from initscope.tui.figures import Series, hidden_words, layers_of, log_lines, per_layer_figure, pin_series
from initscope.tui.plot_widget import Plot
from initscope.tui.plots import (
    RGB,
    Figure,
    FloatArray,
    Legend,
    Line,
    histogram_bars,
    histogram_notes,
    log10_series,
)
from initscope.tui.summary import num, pct
from initscope.tui.tabs import PlotCard, TabView, ViewState, hex_of, pair_plots, swatch
from initscope.tui.text import Paragraph

ISOMETRY_NEAR = 0.1
"""var/mean^2 of the eigenvalues of J J^T below this: near dynamical isometry (as `initscope theory`)."""
ISOMETRY_FAR = 1.0
"""Above this: far from isometry."""
SHADE_DECADES = 0.3
"""The phase map's shades deepen with |log10 chi1| up to this (chi1 = 2 or 1/2 is the deepest)."""
FLAT_SPECTRUM = 1e-3
"""Singular values whose spread is below this share of their median are said to be equal, not binned."""


# ---------------------------------------------------------------------------------------------- readouts
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
        return "×" + num(10.0**log10_factor).replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
    return f"×1e{log10_factor:.0f}"


def depth_words(t: TheorySummary, depth: int, compact: bool = False) -> tuple[str, str]:
    """(severity, sentence): the chosen depth against the trainable depth (about 6 depth scales)."""
    chi = t.chi1
    if t.phase == "critical" and t.q_star == 0.0:
        return "info", (f"depth {depth}: edge of chaos at q* = 0, gradients decay as a power law"
                        + ("" if compact else " of depth (not exponentially)"))
    if t.phase == "critical":
        return "ok", (f"depth {depth}: at the edge of chaos (chi1 ≈ 1) gradients keep their size"
                      + ("" if compact else "; no depth scale limits training"))
    if t.phase not in ("ordered", "chaotic") or not math.isfinite(chi):
        return "info", f"chi1 = {num(chi)}: no phase (the fixed point is not finite)"
    if not math.isfinite(t.trainable_depth):
        return "warning", ("q* = ∞: no decorrelation depth scale; lower σw² toward chi1 = 1" if compact
                           else f"depth {depth}: {t.depth_note}; lower σw² toward chi1 = 1")
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
COMPACT_WIDTH = 70
"""Narrower than this (80-column terminals), the readouts use their short form."""


def readouts(r: Result, compact: bool = False) -> Content:
    """q*, chi1, phase, depth scale, sigma_w^2, sigma_b^2, and the depth sentence."""
    t = r.theory
    if not t.applicable:
        return Content.from_markup("[b]mean-field theory does not apply:[/b] $why", why=t.reason or "no reason given")
    if not r.config.plain:  # residual or normalized: no fixed point q* or chi1, the block recursion instead
        what = ("residual stream (Yang & Schoenholz 2017):" if r.config.residual
                else f"{r.config.norm} resets every layer:")
        return Content.from_markup("[dim]$what[/dim] [b]$note[/b]", what=what, note=t.depth_note)
    severity, words = depth_words(t, r.depth, compact)
    xi = "ξ" if compact else "depth scale ξ"
    return Content.from_markup(
        f"[dim]q*[/dim] [b]$q[/b]  [dim]chi1[/dim] [b]$chi[/b] [b]$phase[/b]  [dim]{xi}[/dim] $xi  "
        + ("" if compact else "[dim]σw²[/dim] $sw [dim]σb²[/dim] $sb")
        + f"\n[{STYLE[severity]}]$mark $words[/]",
        q=num(t.q_star), chi=num(t.chi1), phase=t.phase or "–", xi=big(t.depth_scale), sw=num(t.sigma_w2),
        sb=num(t.sigma_b2), mark=MARK[severity], words=words)


# ---------------------------------------------------------------------------------------------- phase map
Cell = tuple[str, RGB | None, RGB | None, bool]
"""A character, its foreground and background colours, bold."""


class PhaseMap(Widget):
    """chi1 over (sigma_w^2 across, sigma_b^2 up) in half-block pixels: ordered (theme primary) and chaotic
    (theme error) shaded by |log10 chi1|, the chi1 = 1 line in the foreground colour, the net as a cursor."""

    DEFAULT_CSS = """
    PhaseMap { width: 1fr; height: 1fr; min-height: 5; padding: 0 1; }
    """

    CURSOR = "✚"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.grid: PhaseGrid | None = None
        self.cursor: tuple[float, float] | None = None
        """(sigma_w^2, sigma_b^2) of the shown net."""
        self.marks: list[tuple[str, float, float, RGB]] = []
        """Pinned nets of the same activation: (label, sigma_w^2, sigma_b^2, colour)."""
        self.tones: tuple[RGB, RGB, RGB, RGB, RGB] = ((0, 150, 255), (230, 60, 60), (240, 240, 240),
                                                      (255, 180, 0), (30, 30, 30))
        """ordered, chaotic, line, cursor, background."""
        self.message = "computing the phase diagram…"
        self.cursor_cell: tuple[int, int] | None = None
        """Where the cursor was drawn: (column, row) in the widget's content (tests read it)."""
        self.raster: tuple[int, int, int] = (0, 0, 0)
        """(left gutter, map columns, map rows) of the last drawing."""
        self.renders = 0

    def show(self, grid: PhaseGrid | None, cursor: tuple[float, float] | None,
             marks: list[tuple[str, float, float, RGB]], colors: tuple[RGB, RGB, RGB, RGB, RGB],
             message: str = "") -> None:
        self.grid, self.cursor, self.marks, self.tones, self.message = grid, cursor, marks, colors, message
        self.refresh()

    def render(self) -> RenderResult:
        if self.grid is None or self.message:
            return Align.center(Text(self.message or "computing the phase diagram…", style="italic"),
                                vertical="middle")
        try:
            return self._draw(self.grid, self.size.width, self.size.height)
        except Exception as err:  # drawing must never take the app down
            return Text(f"phase diagram failed: {err}", style="italic")

    @staticmethod
    def axis_label(v: float) -> str:
        return f"{v:g}" if v == 0 or 1e-3 <= abs(v) < 1e5 else f"{v:.0e}"

    def cell_of(self, sw2: float, sb2: float, pw: int, ph: int) -> tuple[int, int, bool]:
        """(column, pixel row from the top, inside) of a point on a pw x 2ph pixel raster."""
        assert self.grid is not None
        fx = sw2 / self.grid.w_max if self.grid.w_max > 0 else 0.0
        fy = sb2 / self.grid.b_max if self.grid.b_max > 0 else 0.0
        inside = 0.0 <= fx <= 1.0 and 0.0 <= fy <= 1.0
        col = min(pw - 1, max(0, round(fx * (pw - 1))))  # the column computed nearest to sw2 (see _draw)
        prow = min(2 * ph - 1, max(0, round((1.0 - fy) * (2 * ph - 1))))
        return col, prow, inside

    def _draw(self, grid: PhaseGrid, width: int, height: int) -> Text:
        ordered_rgb, chaotic_rgb, line_rgb, cursor_rgb, surface = self.tones
        top_label, bottom_label = self.axis_label(grid.b_max), "0"
        gutter = max(len(top_label), len(bottom_label), 3) + 1
        pw, ph = width - gutter - 1, height - 2
        self.raster = (gutter, pw, ph)
        if pw < 8 or ph < 2:
            self.cursor_cell = None
            return Text("(too small to draw the phase diagram)", style="dim")
        # every column and pixel row is computed at the value its position names: the first column at
        # sigma_w^2 = 0, the bottom pixel row at sigma_b^2 = 0 (the labelled row; the edge bends sharply there)
        sw = grid.w_max * np.arange(pw) / max(1, pw - 1)
        sb = grid.b_max * (1.0 - np.arange(2 * ph) / max(1, 2 * ph - 1))
        chi = interpolate(grid, sw, sb)
        finite = np.isfinite(chi)
        chaotic = finite & (chi > 1.0)
        line = np.zeros(chi.shape, dtype=bool)
        for direction in (0, 1):
            a = np.swapaxes(chaotic, 0, direction)
            f = np.swapaxes(finite, 0, direction)
            change = (a[1:] != a[:-1]) & f[1:] & f[:-1]
            mark = np.swapaxes(line, 0, direction)
            mark[:-1] |= change & ~a[:-1]
            mark[1:] |= change & ~a[1:]
        with np.errstate(all="ignore"):
            magnitude = np.clip(np.abs(np.log10(chi)) / SHADE_DECADES, 0.0, 1.0)
        level = np.where(finite, np.round(magnitude * 4) / 4, 0.0)
        palette: dict[tuple[bool, float], RGB] = {}
        for is_chaotic in (False, True):
            for lv in (0.0, 0.25, 0.5, 0.75, 1.0):
                palette[(is_chaotic, lv)] = blend(surface, chaotic_rgb if is_chaotic else ordered_rgb,
                                                  0.22 + 0.5 * lv)

        def pixel(py: int, px: int) -> RGB:
            if line[py, px]:
                return line_rgb
            if not finite[py, px]:
                return surface
            return palette[(bool(chaotic[py, px]), float(level[py, px]))]

        cells: list[list[Cell]] = []
        for row in range(ph):
            out: list[Cell] = []
            for col in range(pw):
                top, bottom = pixel(2 * row, col), pixel(2 * row + 1, col)
                out.append((" ", None, top, False) if top == bottom else ("▀", top, bottom, False))
            cells.append(out)
        for label, mw, mb, color in self.marks:
            col, prow, inside = self.cell_of(mw, mb, pw, ph)
            if inside:
                _, _, bg, _ = cells[prow // 2][col]
                cells[prow // 2][col] = (label, color, bg or pixel(prow, col), True)
        self.cursor_cell = None
        cursor_at: tuple[int, int] | None = None
        if self.cursor is not None:
            col, prow, inside = self.cell_of(*self.cursor, pw, ph)
            cursor_at = (col, prow // 2)
            cells[prow // 2][col] = (self.CURSOR if inside else "»", surface, cursor_rgb, True)
            self.cursor_cell = (gutter + col, prow // 2)

        text = Text(no_wrap=True, overflow="crop")
        axis_style = Style(dim=True)
        cursor_style = Style(color=hex_of(cursor_rgb), bold=True)
        title_row = (ph - 1) // 2 if ph >= 3 else -1
        styles: dict[tuple[RGB | None, RGB | None, bool], Style] = {}
        for row in range(ph):
            label = top_label if row == 0 else bottom_label if row == ph - 1 else "σb²" if row == title_row else ""
            text.append(f"{label:>{gutter - 1}}", axis_style)
            text.append("▶" if cursor_at is not None and cursor_at[1] == row else
                        "┤" if row in (0, ph - 1) else "│", cursor_style if cursor_at and cursor_at[1] == row
                        else axis_style)
            run_chars: list[str] = []
            run_style: Style | None = None
            for char, fg, bg, bold in cells[row]:
                key = (fg, bg, bold)
                style = styles.get(key)
                if style is None:
                    style = styles[key] = Style(color=hex_of(fg) if fg else None, bgcolor=hex_of(bg) if bg else None,
                                                bold=bold)
                if style is not run_style and run_chars:
                    text.append("".join(run_chars), run_style)
                    run_chars = []
                run_style = style
                run_chars.append(char)
            if run_chars:
                text.append("".join(run_chars), run_style)
            text.append("\n")
        # x axis: ticks at 0, 1/4, 1/2, 3/4 and 1 of the range (fewer when narrow), the cursor as ▲
        fractions = [0.0, 0.25, 0.5, 0.75, 1.0] if pw >= 40 else [0.0, 0.5, 1.0]
        ticks = [(min(pw - 1, round(f * (pw - 1))), self.axis_label(f * grid.w_max)) for f in fractions]
        axis = ["─"] * pw
        for col, _ in ticks:
            axis[col] = "┬"
        text.append(" " * (gutter - 1) + "└", axis_style)
        if cursor_at is not None:
            c = cursor_at[0]
            text.append("".join(axis[:c]), axis_style)
            text.append("▲", cursor_style)
            text.append("".join(axis[c + 1:]), axis_style)
        else:
            text.append("".join(axis), axis_style)
        text.append("\n")
        labels = [" "] * pw
        for col, label in ticks:
            start = max(0, min(pw - len(label), col - len(label) // 2))
            if all(ch == " " for ch in labels[max(0, start - 1):start + len(label) + 1]):
                labels[start:start + len(label)] = list(label)
        text.append(f"{'σw²':>{gutter - 1}} ", axis_style)
        text.append("".join(labels), axis_style)
        self.renders += 1
        return text


# ---------------------------------------------------------------------------------------------- Jacobian
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
        short = ("never isometric" if math.isfinite(act) and act > 0.5 else "needs orthogonal weights"
                 if p.s1 != 0 else "isometric near q*" + ("; the input starts far from it" if transient else ""))
        return f"per layer {activation} +{num(act)}, weights +{num(-p.s1)}: {short}"
    weights = "orthogonal weights 0" if p.s1 == 0 else "i.i.d. weights 1"
    text = f"per layer {activation} adds μ2/μ1² − 1 = {num(act)} at q* {num(p.q_star)}, {weights}: {verdict}"
    if transient:
        text += (f"; here the first layers, before q settles at q*, add most of the {num(p.normalized_var)} "
                 "(the input starts far from q*)")
    return text


def jacobian_figure(j: JacobianResult, log: bool, measured: RGB, isometry: RGB) -> tuple[Figure, list[str]]:
    """Bars of the singular values (or their log10), the isometry line sigma = 1 in view."""
    sv = j.singular_values
    if flat_spectrum(sv):
        median = float(np.median(sv))
        words = (f"all {sv.size} singular values equal {num(median)} (spread {num(float(sv.max() - sv.min()))})"
                 + (": J is an isometry" if abs(median - 1.0) <= FLAT_SPECTRUM else ""))
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
    fig = Figure(bars=[bars], x_is_layer=False, x_range=(left, right), y_floor=0.0,
                 x_label="singular value σ (log10 axis)" if log else "singular value σ",
                 legend=[Legend("singular values", measured), Legend("σ = 1 (isometry)", isometry, "│")])
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


def jacobian_numbers(j: JacobianResult, activation: str, compact: bool = False, notes: tuple[str, ...] = ()) -> Content:
    """The spectrum's numbers next to the prediction, the verdict and why (`compact`: 80 columns); `notes` about
    the histogram go on the singular values' line."""
    p = j.prediction
    sv = j.singular_values
    pred = p.applicable
    lines: list[Content] = []
    values = {"mean": num(j.eig_mean), "pmean": num(p.mean) if pred else "–", "var": num(j.eig_var),
              "nv": num(j.eig_normalized_var), "pnv": num(p.normalized_var) if pred else "–",
              "crit": num(p.critical_var), "L": str(j.config.n_layers), "mu1": num(p.mu1), "mu2": num(p.mu2),
              "term": num(p.critical_var / j.config.n_layers) if pred else "–"}
    if sv.size and compact:
        lines.append(Content.from_markup("[dim]eig of JJᵀ[/dim] mean [b]$mean[/b] [dim](pred $pmean)[/dim]  "
                                         "var $var", **values))
        lines.append(Content.from_markup("var/mean² [b]$nv[/b] [dim](pred $pnv" + ("; at chi1 = 1: $crit" if pred
                                                                               else "") + ")[/dim]", **values))
    elif sv.size:
        lines.append(Content.from_markup(
            "[dim]eig of JJᵀ[/dim]  mean [b]$mean[/b] [dim](predicted $pmean)[/dim] · var $var · "
            "var/mean² [b]$nv[/b] [dim](predicted $pnv)[/dim]", **values))
        rank = numerical_rank(j)
        zeros = (f" · [$warning]{sv.size - rank} of {sv.size} numerically 0: J has rank ≈ {rank}, those directions "
                 "get no gradient[/]" if 0 < rank < sv.size else "")
        lines.append(Content.from_markup("[dim]σ[/dim]  min $lo · median $mid · max $hi" + zeros
                                         + ("  [dim]histogram: $notes[/dim]" if notes else ""),
                                         lo=num(float(sv.min())), mid=num(float(np.median(sv))),
                                         hi=num(float(sv.max())), notes=" · ".join(notes)))
    if j.note:
        lines.append(Content.from_markup("[dim]note:[/dim] $note", note=j.note))
    if pred and not compact:
        lines.append(Content.from_markup(
            "[dim]predicted at chi1 = 1:[/dim] var = L(μ2/μ1² − 1 − s1) = $L × $term = [b]$crit[/b]  "
            "[dim](s1 = 0 orthogonal, −1 i.i.d.)[/dim]", **values))
    elif not pred:
        lines.append(Content.from_markup("[dim]prediction not applicable:[/dim] $why", why=p.reason))
    spread = j.eig_normalized_var if math.isfinite(j.eig_normalized_var) else p.normalized_var
    severity, words = spread_words(spread, compact)
    if sv.size or pred:
        tail = "" if compact else " [dim](0 is isometry)[/dim]"
        lines.append(Content.from_markup(f"[b {STYLE[severity]}]$mark $words[/]{tail}", mark=MARK[severity],
                                         words=words, s=num(spread)))
    if pred and math.isfinite(p.mu1):
        lines.append(Content.from_markup("[dim]why:[/dim] $why", why=why_words(p, activation, compact)))
    return Content("\n").join(lines)


# ---------------------------------------------------------------------------------------------- the tab
class TheoryTab(TabView):
    DEFAULT_CSS = """
    #jacobian-numbers { height: auto; padding: 0 1; }
    #jacobian-hist { min-height: 6; }
    """
    NAME = "theory"
    VIEWS: ClassVar[list[tuple[str, str]]] = [("measured", "std"), ("saturation", "saturation"),
                                              ("phase", "phase"), ("jacobian", "Jacobian")]
    compact = False
    """Drawn in the short form (a pane narrower than COMPACT_WIDTH)."""

    def compose(self) -> ComposeResult:
        yield Paragraph("", max_lines=4, id="theory-numbers")
        yield self.compose_view_bar()
        with ContentSwitcher(initial="measured"):
            with Horizontal(id="measured", classes="side-by-side"):
                yield PlotCard("measured vs predicted", id="theory-compare")
                yield PlotCard("residual", id="theory-residual")
            with Horizontal(id="saturation", classes="side-by-side"):
                yield PlotCard("saturated %", id="saturation-compare")
                yield PlotCard("residual", id="saturation-residual")
            with Vertical(id="phase"):
                yield Paragraph("", max_lines=3, id="phase-caption", classes="caption")
                yield PhaseMap(id="phase-map")
            with Vertical(id="jacobian"):
                yield Paragraph("", max_lines=2, id="jacobian-caption", classes="caption")
                yield Plot(id="jacobian-hist")
                yield Paragraph("", max_lines=10, id="jacobian-numbers")

    def on_mount(self) -> None:
        pair_plots(self.query_one("#theory-compare", PlotCard), self.query_one("#theory-residual", PlotCard))
        pair_plots(self.query_one("#saturation-compare", PlotCard), self.query_one("#saturation-residual", PlotCard))

    def on_resize(self, event: Resize) -> None:
        """The readouts and the Jacobian's numbers have a short form for narrow panes: draw again when the width
        crosses COMPACT_WIDTH."""
        compact = event.size.width < COMPACT_WIDTH
        if compact != self.compact:
            self.compact = compact
            if self.shown_state is not None:
                self.draw_view(self.shown_state)

    def view_key(self) -> object:
        """A view drawn in the other form (short or long) is drawn again when shown."""
        return self.size.width < COMPACT_WIDTH

    def draw(self, state: ViewState) -> None:
        r = state.result
        if r is None:
            return
        self.compact = self.size.width < COMPACT_WIDTH
        self.query_one("#theory-numbers", Paragraph).set(readouts(r, self.compact))
        getattr(self, f"_draw_{self.view}")(state, r)

    # ------------------------------------------------------------------ std
    def _draw_measured(self, state: ViewState, r: Result) -> None:
        p = state.palette
        if not r.theory.applicable:
            message = Figure(message="no prediction to draw (see above)")
            self.query_one("#theory-compare", PlotCard).show("[b]measured vs predicted[/b]", message)
            self.query_one("#theory-residual", PlotCard).show("[b]residual[/b]", message)
            return
        series: list[Series] = [
            ("A std", r.forward.activation.std, p.measured, r),
            ("predicted", r.theory_layers.activation_std, p.theory, r),
            ("dA std", r.backward.activation_grad_std, p.second, r),
            ("predicted dA", r.theory_layers.activation_grad_std, p.theory2, r),
            *pin_series(state, lambda res: res.forward.activation.std),
        ]
        fig = log_lines(state, series)
        self.query_one("#theory-compare", PlotCard).show("[b]measured vs predicted[/b] std"
                                                         + self.pair_hint("residual →"), fig)

        # residual in decades: log10(measured) - log10(predicted), a difference of two plotted series
        ma, _ = log10_series(r.forward.activation.std)
        pa, _ = log10_series(r.theory_layers.activation_std)
        mg, _ = log10_series(r.backward.activation_grad_std)
        pg, _ = log10_series(r.theory_layers.activation_grad_std)
        res_a, res_g = ma - pa, mg - pg
        both = np.concatenate([res_a, res_g])
        worst = float(np.nanmax(np.abs(both))) if np.isfinite(both).any() else math.nan
        x = layers_of(r)
        fig2 = Figure(lines=[Line(x, res_a, p.measured, marker="●", points=True, dodge=True),
                             Line(x, res_g, p.second, marker="◆", points=True, dodge=True)],
                      depth=r.depth, x_label="layer", selected=float(state.layer), y_include=(0.0,),
                      legend=[Legend("A", p.measured, "●"), Legend("dA", p.second, "◆")])
        hidden2 = int(np.count_nonzero(~np.isfinite(res_a)) + np.count_nonzero(~np.isfinite(res_g)))
        fig2.notes = [f"worst {num(worst)} decades", *hidden_words(hidden2, 2 * r.depth)]
        self.query_one("#theory-residual", PlotCard).show("[b]residual[/b] log10(measured/predicted)"
                                                          + self.pair_hint("next view"), fig2)

    # ------------------------------------------------------------------ saturation
    def _draw_saturation(self, state: ViewState, r: Result) -> None:
        p = state.palette
        left = self.query_one("#saturation-compare", PlotCard)
        right = self.query_one("#saturation-residual", PlotCard)
        measured = np.asarray(r.forward.saturated_fraction, dtype=np.float64)
        predicted = np.asarray(r.theory_layers.saturated_fraction, dtype=np.float64)
        if not np.isfinite(measured).any() and r.layers_done > 0:
            message = Figure(message=f"saturation is defined for tanh and sigmoid (|a| > 0.97 and |2a − 1| > 0.97); "
                                     f"{r.config.activation} has none")
            left.show("[b]saturated %[/b]", message)
            right.show("[b]residual[/b]", message)
            return
        series: list[Series] = [("measured", measured, p.measured, r),
                                ("predicted P(|z| > t)", predicted, p.theory, r),
                                *pin_series(state, lambda res: res.forward.saturated_fraction)]
        fig = per_layer_figure(state, series, log=False, scale=100.0)
        fig.y_floor, fig.y_ceiling = 0.0, 100.0
        left.show("[b]saturated %[/b]" + self.pair_hint("residual →"), fig)
        if not np.isfinite(predicted).any():
            right.show("[b]residual[/b]", Figure(message=r.theory.reason or "no prediction"))
            return
        residual = 100.0 * (measured - predicted)
        worst_i = int(np.nanargmax(np.abs(residual))) if np.isfinite(residual).any() else -1
        worst = float(abs(residual[worst_i])) if worst_i >= 0 else math.nan
        fig2 = Figure(lines=[Line(layers_of(r), residual, p.warning, marker="●", points=True)], depth=r.depth,
                      x_label="layer", selected=float(state.layer), y_include=(0.0,),
                      legend=[Legend("measured − predicted", p.warning, "●")])
        last = r.layers_done - 1
        at_last = f" · last {pct(measured[last])} vs {pct(predicted[last])}" if last >= 0 else ""
        fig2.notes = [f"worst {num(worst)}{f' at layer {worst_i + 1}' if worst_i >= 0 else ''}{at_last}"]
        right.show("[b]residual[/b] % points" + self.pair_hint("next view"), fig2)

    # ------------------------------------------------------------------ phase diagram
    def _draw_phase(self, state: ViewState, r: Result) -> None:
        p = state.palette
        extras = state.extras
        caption = self.query_one("#phase-caption", Paragraph)
        pmap = self.query_one("#phase-map", PhaseMap)
        surface = surface_of(self)
        line = theme_rgb(self, "foreground", (235, 235, 235))
        colors = (p.measured, p.error, line, p.warning, surface)
        t = r.theory
        cursor = (t.sigma_w2, t.sigma_b2) if t.applicable and math.isfinite(t.sigma_w2) and math.isfinite(
            t.sigma_b2) else None
        act = r.config.activation + (f"({', '.join(f'{k}={v:g}' for k, v in r.config.activation_params.items())})"
                                     if r.config.activation_params else "")
        grid = extras.phase
        if grid is None:
            if extras.phase_key is not None:
                self.post_message(PhaseGridWanted(extras.phase_key))
                self.draw_again()
            caption.set(Content.from_markup("[b]phase diagram[/b] $act  [dim]computing chi1 over (σw², σb²)…[/dim]",
                                            act=act))
            pmap.show(None, cursor, [], colors, f"computing the phase diagram of {act}…")
            return
        marks = []
        for n, pin in enumerate(state.pins, start=1):
            pt = pin.result.theory
            same = (pin.result.config.activation, pin.result.config.activation_params) == (
                r.config.activation, r.config.activation_params)
            if same and pt.applicable and math.isfinite(pt.sigma_w2) and math.isfinite(pt.sigma_b2):
                marks.append((str(n), pt.sigma_w2, pt.sigma_b2, pin.color))
        pmap.show(grid, cursor, marks, colors)
        # labels without inner spaces, so a narrow caption wraps between entries, not inside one
        ordered_sw = swatch("ordered chi1<1", blend(surface, p.measured, 0.6), "█")
        chaotic_sw = swatch("chaotic >1", blend(surface, p.error, 0.6), "█")
        line_sw = swatch("chi1=1", line, "█")
        if cursor is not None:
            here = swatch(f"this net (σw² {num(t.sigma_w2)}, σb² {num(t.sigma_b2)})", p.warning, PhaseMap.CURSOR)
        else:
            here = f"[dim]no cursor: {t.reason.replace('[', '(')}[/dim]"
        pins = "  ".join(swatch(f"pin {m[0]}", m[3], m[0]) for m in marks)
        caption.set(Content.from_markup(
            f"[b]$act[/b]  {ordered_sw}  {chaotic_sw}  {line_sw}  {here}"
            + (f"  {pins}" if pins else ""), act=act))

    # ------------------------------------------------------------------ Jacobian
    def _draw_jacobian(self, state: ViewState, r: Result) -> None:
        p = state.palette
        extras = state.extras
        caption = self.query_one("#jacobian-caption", Paragraph)
        canvas = self.query_one("#jacobian-hist", Plot)
        numbers = self.query_one("#jacobian-numbers", Paragraph)
        js: JacobianState | None = extras.jacobian
        if js is None:
            caption.set(Content.from_markup("[b]Jacobian spectrum[/b] [dim]on demand: press j[/dim]"))
            canvas.show(Figure(message="j: singular values of J = ∂a_L/∂x at init (widths up to 1024)"))
            numbers.set(Content.from_markup(
                "[dim]The spread of J's singular values says whether every direction of the gradient survives the "
                "depth (dynamical isometry: all σ = 1). Orthogonal weights with tanh near q* → 0 can get there; "
                "ReLU nets cannot, whatever their variance.[/dim]"))
            return
        if extras.jacobian_follow and js.config != r.config:
            self.post_message(JacobianWanted())
            self.draw_again()
        shown = js.result if js.status == "done" else js.previous
        if js.status == "refused":
            caption.set(Content.from_markup("[b]Jacobian spectrum[/b] [$warning]refused[/]"))
            canvas.show(Figure(message=js.message))
            numbers.set(Content.from_markup("[dim]The Jacobian is an L-fold product of n×n matrices and an SVD: it "
                                            "is computed for fan-in and widths up to 1024. Narrow the net and "
                                            "press j.[/dim]"))
            return
        if js.status == "failed":
            caption.set(Content.from_markup("[b]Jacobian spectrum[/b] [$error]failed[/]"))
            canvas.show(Figure(message=js.message))
            numbers.set("")
            return
        if shown is None:
            caption.set(Content.from_markup("[b]Jacobian spectrum[/b] [dim]computing…[/dim]"))
            canvas.show(Figure(message=f"computing J ({js.done}/{js.total})…" if js.total else "computing J…"))
            numbers.set("")
            return
        log = extras.jacobian_log if extras.jacobian_log is not None else spans_decades(shown.singular_values)
        fig, notes = jacobian_figure(shown, log, p.measured, p.theory)
        cfg = shown.config
        rows, cols = cfg.fan_in, cfg.widths[-1]
        stale = ""
        if shown.config != r.config:
            stale = ("  [$warning]updating for the current config…[/]" if js.status == "running"
                     else "  [$warning]of a previous config: j recomputes[/]")
        axis = "linear" if log else "log10"
        compact = self.compact
        title = ("[b]J = ∂a_L/∂x[/b] $rows×$cols, L $depth" if compact else
                 "[b]singular values of J = ∂a_L/∂x[/b] $rows×$cols, depth $depth, input row $row")
        caption.set(Content.from_markup(
            f"{title}  "
            f"[@click=app.jacobian_axis] [u]$axis axis[/u] [/]{stale}",
            rows=str(rows), cols=str(cols), depth=str(cfg.n_layers), row=str(shown.sample_index), axis=axis))
        if compact:
            fig.x_label = ""  # one more row for the bars
        canvas.show(fig)
        numbers.set(jacobian_numbers(shown, cfg.activation, compact, tuple(notes)))
