"""The doctor's fix: computed from mean-field theory, checked by running it, offered only if it helps.

For the run's activation and bias, the weight variance sigma_w^2 with chi_1 = 1 at the fixed point reached
from the first layer's q (the edge of chaos: Poole et al. 2016, "Exponential expressivity in deep neural
networks through transient chaos"; Schoenholz et al. 2017, "Deep information propagation") is solved for,
written as he_normal(gain = sqrt(sigma_w^2), mode fan_in) (every layer then has that sigma_w^2 whatever
its widths), and run headless at the same shapes, dtype and seed. It is offered only if its measured
change over depth (decades of activation or gradient std, whichever is larger) is smaller than the
current run's, and never when it is the configuration already in use. Where no weight variance gives a
healthy critical point, the text says what does instead, with its sources.

Only unhealthy runs pay for this (one more run of the same size); a stable run gets no fix.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from initscope.engine import activations, initializers, theory
from initscope.engine.kinds import FindingKind

if TYPE_CHECKING:
    from initscope.engine.config import Config
    from initscope.engine.result import Result

HE_SOURCE = "He et al. 2015"
EDGE_SOURCES = "Poole et al. 2016; Schoenholz et al. 2017"
_SCAN = np.geomspace(1e-2, 1e4, 97)
"""sigma_w^2 values scanned for chi_1 crossing 1 (12 a decade), then bisected."""


@dataclass(frozen=True)
class Critical:
    """The weight variance with chi_1 = 1 for an activation and bias, and the fixed point there."""

    sigma_w2: float
    q_star: float

    @property
    def healthy(self) -> bool:
        """A finite, non-zero q*: chi_1 = 1 holds at a real fixed point, not only as a limit."""
        return 0.0 < self.q_star < math.inf


def _chi(act: activations.Activation, sw2: float, sb2: float, q_in: float) -> tuple[float, float]:
    q0 = sw2 * q_in + sb2
    q = theory.fixed_point(act, sw2, sb2, q0)
    if math.isnan(q):
        return math.nan, q
    return theory.chi1(act, q, sw2), q


def critical_weight_variance(
    act: activations.Activation, sigma_b2: float, input_second_moment: float = 1.0
) -> Critical | None:
    """The smallest sigma_w^2 where chi_1 (at the fixed point reached from the input) reaches 1.

    Closed forms for linear/relu/leaky_relu (sigma_w^2 = 1 / E[phi'^2]); otherwise a scan over 1e-2..1e4
    and bisection. Where chi_1 jumps over 1 (gelu, silu: q* goes from 0 to inf) the bisection ends at the
    jump and q* there is 0 or inf: not healthy. None when chi_1 stays below 1 over the whole range.
    """
    if act.name in theory.CLOSED_FORM:
        slope = float(theory.gaussian_moments(act, 1.0).dphi2)
        sw2 = 1.0 / slope
        return Critical(sw2, theory.fixed_point(act, sw2, sigma_b2, sw2 * input_second_moment + sigma_b2))
    below: float | None = None
    above: float | None = None
    for sw2 in _SCAN.tolist():
        chi, _ = _chi(act, sw2, sigma_b2, input_second_moment)
        if chi >= 1.0:
            above = sw2
            break
        below = sw2
    if above is None:
        return None
    if below is None:
        below = above / 10.0
    for _ in range(40):
        mid = math.sqrt(below * above)
        if _chi(act, mid, sigma_b2, input_second_moment)[0] >= 1.0:
            above = mid
        else:
            below = mid
    sw2 = (
        above
        if abs(_chi(act, above, sigma_b2, input_second_moment)[0] - 1.0)
        <= abs(_chi(act, below, sigma_b2, input_second_moment)[0] - 1.0)
        else below
    )
    return Critical(sw2, _chi(act, sw2, sigma_b2, input_second_moment)[1])


def change_decades(r: Result) -> float:
    """How far the run is from keeping its signal: the larger |decades| of activation std and gradient std
    over depth (inf when values overflow or all units are identical)."""
    from initscope.engine.verdict import per_layer_factor

    n = r.layers_done
    if r.verdict.first_nonfinite_layer is not None or bool(r.forward.symmetric[:n].any()) or n < r.depth:
        return math.inf
    _, forward = per_layer_factor(r.forward.activation.std[:n])
    _, backward = per_layer_factor(r.backward.activation_grad_std[::-1])
    return max(abs(forward), abs(backward))


def _gain_text(g: float) -> str:
    return f"{g:.5g}"


def _candidate(cfg: Config, gain: float) -> Config:
    """he_normal with this gain (mode fan_in); plain he_normal when the gain is its default sqrt 2."""
    params: dict[str, initializers.ParamValue] = {"gain": float(_gain_text(gain)), "mode": "fan_in"}
    if abs(gain - math.sqrt(2.0)) <= 1e-12:
        params = {}
    return cfg.replace(initializer="he_normal", initializer_params=params)


def _already(cfg: Config, candidate: Config, act: activations.Activation) -> bool:
    """The candidate is the configuration in use: same weight variance in every layer (to 0.1 %)."""
    entry, new = initializers.lookup(cfg.initializer), initializers.lookup(candidate.initializer)
    for fi, fo in cfg.layer_fans:
        a = entry.expected(fi, fo, cfg.initializer_params, auto_gain=act.gain)
        b = new.expected(fi, fo, candidate.initializer_params, auto_gain=act.gain)
        if not (entry.zero_mean and a.std > 0.0 and abs(a.mean) <= 1e-9 * a.std):
            return False
        if abs(a.std * a.std / (b.std * b.std) - 1.0) > 1e-3:
            return False
    return True


def _instead(act_name: str, critical: Critical | None, already: bool) -> str:
    """What fixes the net when no initializer does, with sources."""
    if already:
        return (
            f"the weights are already at chi_1 = 1 ({EDGE_SOURCES}); what remains at this depth is the "
            "finite-width spread, which grows with depth/width (Hanin & Rolnick 2018): wider layers, "
            "normalization or residual connections help, not another initializer"
        )
    if act_name in ("gelu", "silu"):
        return (
            f"no initializer puts {act_name} at a stable critical point with this bias: chi_1 jumps over 1 "
            "between q* = 0 and q* = inf (Hayou et al. 2019, 'On the impact of the activation function on "
            "deep neural networks training'); normalization (batch or layer norm) or relu with He init "
            f"({HE_SOURCE}) keeps the signal"
        )
    if act_name == "sigmoid":
        return (
            "sigmoid reaches chi_1 = 1 only near sigma_w^2 = 103 with most units saturated, and is not "
            "zero-centred; tanh with Xavier init (Glorot & Bengio 2010) or normalization is the usual remedy"
        )
    if critical is None:
        return f"no weight variance reaches chi_1 = 1 for {act_name} with this bias ({EDGE_SOURCES})"
    if critical.q_star == 0.0:
        return (
            "at q* = 0 the variance shrinks toward 0 and gradients still decay as a power law of depth; a "
            "small bias variance moves the critical point to q* > 0 (Poole et al. 2016)"
        )
    return (
        f"the only chi_1 = 1 point has q* = {critical.q_star:.3g} ({EDGE_SOURCES}); normalization or a "
        f"different activation (relu with He init, {HE_SOURCE}) keeps the signal"
    )


def propose(r: Result, cancel: threading.Event | None = None) -> dict[str, object]:
    """The fix for an unhealthy run: {'config', 'text', 'measured'} (config None when no initializer helps).

    Runs the candidate headless (same shapes, dtype and seed) and offers it only when its measured change
    over depth is smaller than this run's.
    """
    from initscope.engine.propagate import run

    cfg = r.config
    if not cfg.plain:  # residual blocks or a norm: the remedies are architectural (engine/residual_advice.py)
        from initscope.engine.residual_advice import propose as propose_architecture

        return propose_architecture(r, cancel)
    act = activations.make(cfg.activation, dict(cfg.activation_params))
    bias = initializers.lookup(cfg.bias).expected(cfg.fan_in, cfg.widths[0], cfg.bias_params, act.gain)
    sb2 = bias.std * bias.std + bias.mean * bias.mean
    input_m2 = 1.0 if math.isnan(r.forward.input_std) else r.forward.input_std**2
    now = change_decades(r)
    measured: dict[str, object] = {"current_decades": _finite(now)}
    critical = critical_weight_variance(act, sb2, input_m2)
    if critical is None:
        return {"config": None, "text": _instead(act.name, None, False), "measured": measured}
    gain = math.sqrt(critical.sigma_w2)
    candidate = _candidate(cfg, gain)
    measured.update({"sigma_w2": critical.sigma_w2, "q_star": _finite(critical.q_star)})
    if _already(cfg, candidate, act):
        return {"config": None, "text": _instead(act.name, critical, True), "measured": measured}
    trial = run(candidate, cancel=cancel, advise=False)
    if trial.cancelled:
        return {"config": None, "text": "the fix was not checked (cancelled)", "measured": measured}
    after = change_decades(trial)
    measured.update({"fix_decades": _finite(after), "fix_verdict": trial.verdict.kind})
    where = (
        f"at q* = {critical.q_star:.3g}"
        if critical.healthy
        else f"only in the limit q* = {critical.q_star:.3g}, not at a finite fixed point"
    )
    edge = (
        f"he_normal(gain={_gain_text(gain)}): sigma_w^2 = {critical.sigma_w2:.4g} puts chi_1 = 1 {where} "
        f"({EDGE_SOURCES})"
    )
    if not after < now:
        return {
            "config": None,
            "measured": measured,
            "text": f"{_instead(act.name, critical, False)}; {edge}, measured {_state(trial, after)} over "
            f"depth, no better than now ({_state(r, now)})",
        }
    text = f"use {edge}; measured {_state(trial, after)} over depth instead of {_state(r, now)}"
    if trial.verdict.kind != FindingKind.STABLE:
        text += f"; the fix is still {trial.verdict.kind}: {_instead(act.name, critical, False)}"
    elif not critical.healthy:
        text += f"; {_instead(act.name, critical, False)}"
    return {"config": candidate.to_string(), "text": text, "measured": measured}


def _state(r: Result, decades: float) -> str:
    """The measured change in words: decades, or why there is no number."""
    if math.isfinite(decades):
        return f"{decades:.2g} decades"
    if r.verdict.first_nonfinite_layer is not None:
        return f"overflow at layer {r.verdict.first_nonfinite_layer}"
    if bool(r.forward.symmetric[: r.layers_done].any()):
        return "identical units"
    return "an incomplete run"


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None
