"""The doctor for residual and normalized nets: what the stream does, and a fix checked by running it.

The findings say what mean-field theory says of the stream (engine/residual_theory.py): without
normalization its variance multiplies by s^2 + alpha^2 V_F(q)/q per block (Yang & Schoenholz 2017), twice
per block for He branches. The fix candidates are the two standard remedies, each predicted by that theory
before it is run: scale the branches by 1/sqrt(2L) (GPT-2: Radford et al. 2019) and normalize first in
the branch (pre-LN: Xiong et al. 2020, "On layer normalization in the Transformer architecture"); for a
post-norm net, moving the norm into the branch. Each candidate that differs from the configuration in use
and that theory predicts to be healthier is run headless at the same shapes, dtype and seed, and the one
with the smallest measured change over depth is offered only if it beats the current run.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING

import numpy as np

from initscope.engine import residual_theory
from initscope.engine.kinds import FindingKind, Severity
from initscope.engine.result import Finding

if TYPE_CHECKING:
    from initscope.engine.config import Config
    from initscope.engine.result import Result

STREAM_SOURCE = "Yang & Schoenholz 2017"
SCALE_SOURCE = "GPT-2: Radford et al. 2019"
PRE_LN_SOURCE = "pre-LN: Xiong et al. 2020"
IDENTITY_RATIO = 0.05
"""Branches that add less than this share of the stream's std leave the net near the identity at init."""
MAX_TRIALS = 2


def stream_factor(r: Result) -> float:
    """Theory's factor on the stream's variance per block (last two blocks; NaN when not applicable)."""
    q = r.theory_layers.activation_std**2
    if not r.theory.applicable or q.size < 2 or not math.isfinite(q[-2]) or q[-2] <= 0:
        return math.nan
    return float(q[-1] / q[-2])


def findings(r: Result, fix: str) -> list[Finding]:
    """What the stream and the branches do, in sentences with their numbers (residual nets only)."""
    cfg = r.config
    out: list[Finding] = []
    if not cfg.residual or r.branch is None:
        return out
    factor = stream_factor(r)
    if cfg.norm == "none" and math.isfinite(factor) and factor > 1.0 + 1e-9:
        growth = factor**cfg.n_layers
        words = "doubles" if abs(factor - 2.0) < 0.01 else f"multiplies by {factor:.3g}"
        out.append(
            Finding(
                FindingKind.STREAM,
                Severity.WARNING if growth >= 100.0 else Severity.INFO,
                f"The stream's variance {words} every block ({STREAM_SOURCE}: x + alpha F(x) adds the branch's "
                f"variance to the stream's), ×{growth:.3g} over {cfg.n_layers} blocks.",
                fix,
                {"variance_factor_per_block": factor, "variance_growth": growth},
            )
        )
    ratio = r.branch.ratio[: r.layers_done]
    finite = ratio[np.isfinite(ratio)]
    if finite.size and float(finite.max()) < IDENTITY_RATIO:
        out.append(
            Finding(
                FindingKind.NEAR_IDENTITY,
                Severity.INFO,
                f"Every branch adds at most {100 * float(finite.max()):.2g} % of its input's std: the net starts "
                "near the identity, as Fixup, SkipInit and ReZero intend (Zhang et al. 2019; De & Smith 2020; "
                "Bachlechner et al. 2020).",
                "",
                {"max_branch_ratio": float(finite.max())},
            )
        )
    return out


def candidates(cfg: Config) -> list[tuple[Config, str]]:
    """The standard remedies that differ from `cfg`, with their words and sources."""
    out: list[tuple[Config, str]] = []
    if cfg.residual and cfg.branch_scale == "1":
        out.append((cfg.replace(branch_scale="1/sqrt(2L)"), f"scale the branches by 1/sqrt(2L) ({SCALE_SOURCE})"))
    if cfg.residual and (cfg.norm == "none" or cfg.norm_placement == "post"):
        norm = "layernorm" if cfg.norm == "none" else cfg.norm
        out.append(
            (cfg.replace(norm=norm, norm_placement="pre"), f"normalize before the branch ({norm}, {PRE_LN_SOURCE})")
        )
    if not cfg.residual and cfg.norm_placement == "post":
        out.append((cfg.replace(norm_placement="pre"), f"normalize before phi instead of after it ({cfg.norm})"))
    return [(c, text) for c, text in out if c != cfg]


def _predicted_decades(cfg: Config, input_m2: float) -> float:
    layers, summary, _ = residual_theory.predict(cfg, input_m2)
    if not summary.applicable:
        return math.inf
    spans = []
    for values in (layers.activation_std, layers.activation_grad_std):
        ok = values[np.isfinite(values) & (values > 0)]
        if ok.size >= 2:
            spans.append(abs(math.log10(float(ok[-1]) / float(ok[0]))))
    return max(spans, default=math.inf)


def propose(r: Result, cancel: threading.Event | None = None) -> dict[str, object]:
    """The checked fix for an unhealthy residual or normalized run: {'config', 'text', 'measured'}."""
    from initscope.engine.advice import _finite, _state, change_decades
    from initscope.engine.propagate import run

    cfg = r.config
    input_m2 = 1.0 if math.isnan(r.forward.input_std) else r.forward.input_std**2
    now = change_decades(r)
    measured: dict[str, object] = {"current_decades": _finite(now)}
    factor = stream_factor(r)
    why = (
        f"the stream's variance multiplies by {factor:.3g} every block ({STREAM_SOURCE})"
        if cfg.residual and cfg.norm == "none" and math.isfinite(factor) and factor > 1.0
        else ""
    )
    predicted_now = _predicted_decades(cfg, input_m2)
    ranked = sorted(
        ((_predicted_decades(c, input_m2), c, text) for c, text in candidates(cfg)), key=lambda item: item[0]
    )
    tried: list[tuple[float, Config, str, Result]] = []
    for predicted, candidate, text in ranked[:MAX_TRIALS]:
        if not predicted < predicted_now and math.isfinite(predicted_now):
            continue
        trial = run(candidate, cancel=cancel, advise=False)
        if trial.cancelled:
            return {"config": None, "text": "the fix was not checked (cancelled)", "measured": measured}
        tried.append((change_decades(trial), candidate, text, trial))
    if not tried:
        text = "no standard remedy (branch scale 1/sqrt(2L), a norm before the branch) is predicted to help"
        return {"config": None, "text": f"{why}; {text}" if why else text, "measured": measured}
    tried.sort(key=lambda item: item[0])
    after, best, text, trial = tried[0]
    measured.update(
        {
            "fix_decades": _finite(after),
            "fix_verdict": trial.verdict.kind,
            "tried": [c.to_string() for _, c, _, _ in tried],
        }
    )
    others = "; ".join(f"{t}: measured {_state(res, d)}" for d, _, t, res in tried[1:])
    lead = f"{why}: " if why else ""
    if not after < now:
        return {
            "config": None,
            "measured": measured,
            "text": f"{lead}{text} measured {_state(trial, after)} over depth, no better than now "
            f"({_state(r, now)})" + (f"; {others}" if others else ""),
        }
    return {
        "config": best.to_string(),
        "measured": measured,
        "text": f"{lead}{text}; measured {_state(trial, after)} over depth instead of {_state(r, now)}"
        + (f" (also tried: {others})" if others else ""),
    }
