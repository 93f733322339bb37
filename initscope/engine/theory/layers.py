"""The mean-field prediction for every layer of a config (`predict`) and its fixed-point summary."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from initscope.engine import activations, initializers
from initscope.engine.arrays import FloatArray
from initscope.engine.config import Config
from initscope.engine.result import TheoryLayers, TheorySummary
from initscope.engine.theory.depth_scales import Criticality, criticality
from initscope.engine.theory.fixed_points import VarianceMap
from initscope.engine.theory.moments import closed_form_moments, slope_coefficients

_CONVERGED = 1e-13
"""|q_l - q_{l-1}| <= this * q_l: q_l is a fixed point of the layer's map to within rounding, and the
following layers with the same map are filled with it (over 10000 layers the drift this ignores is
below 1e-9 relative)."""


def saturated_fraction(name: str, q: FloatArray) -> FloatArray:
    """P(|z| > t) for z ~ N(0, q): tanh t = atanh(0.97); sigmoid t = 2 atanh(0.97); NaN otherwise."""
    if name not in ("tanh", "sigmoid"):
        return np.full(q.shape, np.nan)
    t = math.atanh(activations.SATURATION_LEVEL) * (2.0 if name == "sigmoid" else 1.0)
    unique, inverse = np.unique(q, return_inverse=True)
    values = np.full(unique.shape, np.nan)
    for i, v in enumerate(unique.tolist()):
        if v == 0.0:
            values[i] = 0.0
        elif v == math.inf:
            values[i] = 1.0
        elif v > 0.0:
            values[i] = math.erfc(t / math.sqrt(2.0 * v))
    return values[inverse.reshape(q.shape)]


def _iterate(second: Callable[[float], float], q1: float, sw2: FloatArray, sb2: FloatArray) -> FloatArray:
    """q_l for every layer: q_1 given, then q_l = sw2_l E[phi^2](q_{l-1}) + sb2_l, with runs of layers
    that share a map filled once the map's fixed point is reached."""
    depth = sw2.size
    # run_end[l]: one past the last layer of the run of equal maps that holds layer l.
    change = np.nonzero((sw2[1:] != sw2[:-1]) | (sb2[1:] != sb2[:-1]))[0] + 1
    ends = np.append(change, depth)
    run_end: list[int] = ends[np.searchsorted(ends, np.arange(depth), side="right")].tolist()
    a_list: list[float] = sw2.tolist()
    b_list: list[float] = sb2.tolist()
    q = [q1] * depth
    layer = 1
    while layer < depth:
        prev = q[layer - 1]
        cur = a_list[layer] * second(prev) + b_list[layer]
        q[layer] = cur
        end = run_end[layer]
        if end > layer + 1 and (cur == prev or abs(cur - prev) <= _CONVERGED * abs(cur)):
            q[layer + 1 : end] = [cur] * (end - layer - 1)
            layer = end
        else:
            layer += 1
    return np.array(q, dtype=np.float64)


def weights_reason(entry: initializers.Initializer, e: initializers.Expected, fi: int, fo: int) -> str:
    """Why mean field cannot describe these weights ('' when it can): i.i.d., zero mean, spread > 0."""
    name = entry.name
    if not (math.isfinite(e.mean) and math.isfinite(e.std)):
        return f"{name} gives weights with mean {e.mean:.3g} and std {e.std:.3g} at fans ({fi}, {fo})"
    if e.std <= 0.0:
        return (
            f"{name} sets every weight to {e.mean:g}: all units of a layer compute the same thing, while "
            "mean field assumes i.i.d. zero-mean random weights"
        )
    if not entry.zero_mean and not entry.elementwise:
        return f"{name} is a deterministic matrix, not i.i.d. zero-mean random weights: mean field does not describe it"
    if not entry.zero_mean or abs(e.mean) > 1e-9 * e.std:
        one_sided = " (every weight is >= 0: a one-sided draw)" if e.bounds and e.bounds[0] >= 0.0 else ""
        return (
            f"{name} weights have a non-zero mean ({e.mean:.3g}, std {e.std:.3g}){one_sided}: mean field "
            "assumes zero-mean weights; with a shared mean every unit of a layer moves together"
        )
    return ""


Frozen = tuple[tuple[str, initializers.ParamValue], ...]


def _frozen(params: initializers.Params) -> Frozen:
    return tuple(sorted(params.items()))


@lru_cache(maxsize=4096)
def _layer_variances(
    init: str, init_params: Frozen, bias: str, bias_params: Frozen, gain: float, fi: int, fo: int
) -> tuple[float, float, str]:
    """(Var W, E[b^2], why mean field does not apply or '') of one layer: depends only on the initializers,
    their parameters, the gain and the fans, so predict() resolves each combination once per process."""
    entry = initializers.lookup(init)
    e = entry.expected(fi, fo, dict(init_params), auto_gain=gain)
    reason = weights_reason(entry, e, fi, fo)
    if reason:
        return math.nan, math.nan, reason
    b = initializers.lookup(bias).expected(fi, fo, dict(bias_params), gain)
    return e.std * e.std, b.std * b.std + b.mean * b.mean, ""


def _not_applicable(depth: int, reason: str) -> tuple[TheoryLayers, TheorySummary]:
    nan = np.full(depth, np.nan)
    layers = TheoryLayers(nan.copy(), nan.copy(), nan.copy(), nan.copy())
    return layers, TheorySummary(False, reason)


def predict(config: Config, input_second_moment: float = 1.0) -> tuple[TheoryLayers, TheorySummary]:
    """Mean-field prediction for every layer of `config`, and the fixed-point summary.

    - `input_second_moment` is E[x^2] of the input: 1 for the built-in inputs (normal, and uniform on
      +-sqrt 3); for a file input pass the mean of X**2 over the batch.
    - Layer l uses its own fans: sigma_w2_l = fan_in_l Var(W_l) forward; going down, the activation-
      gradient variance is multiplied by fan_out_l Var(W_l) E[phi'(z_l)^2] (dA_{l-1} = dZ_l W_l^T sums
      fan_out terms). dA_L at the top has variance 1. Var(W_l) is the catalogue's expected std squared
      (with auto gain = the activation's gain).
    - sigma_b^2 is the bias's second moment E[b^2] = Var(b) + mean(b)^2: mean field treats a bias with a
      non-zero mean (constant, one-sided draws) as a random offset of that size, an approximation.
      The predicted preactivation_var is therefore the second moment E[z^2].
    - The summary's q*, chi_1, depth scale, sigma_w2 and sigma_b2 are those of the map most layers share
      (ties: the deeper one), iterated from the q entering its first layer; for a net of equal widths that
      is every layer's map. `maps` counts the distinct maps (fan-in 256 then width 50 under xavier: the
      first layer's sigma_w^2 is 1.67, the other nine layers' 1, and those nine decide).
    For orthogonal weights the prediction is of variances only (not of the Jacobian's spectrum).
    Not applicable (NaN arrays, `reason` set) for zero/constant/identity weights, data-dependent
    initializers (lsuv) and weights with a non-zero expected mean. Never raises on overflow: values
    past float range are inf (and a gradient that meets 0 * inf is NaN).
    """
    depth = config.n_layers
    entry = initializers.lookup(config.initializer)
    act = activations.make(config.activation, dict(config.activation_params))
    if entry.data_dependent:
        return _not_applicable(
            depth,
            f"{entry.name} rescales each layer on the data batch until its output "
            "has unit variance: a data-dependent procedure, not a mean-field initializer",
        )
    fans = np.array(config.layer_fans, dtype=np.int64).reshape(depth, 2)
    weights = _weight_variances(config, entry, act.gain, fans)
    if isinstance(weights, str):
        return _not_applicable(depth, weights)
    var_w, sb2 = weights
    sw2 = fans[:, 0].astype(np.float64) * var_w
    mapping = VarianceMap(act)
    with np.errstate(all="ignore"):
        q1 = float(sw2[0]) * float(input_second_moment) + float(sb2[0])
        qa, var, d2 = _forward(mapping, q1, sw2, sb2)
        grad_var = _gradient_variances(fans[:, 1] * var_w * d2)
        layers = TheoryLayers(qa, np.sqrt(var), saturated_fraction(act.name, qa), np.sqrt(grad_var))
        sw2_main, sb2_main, first, maps = _main_map(sw2, sb2)
        crit = criticality(act, sw2_main, sb2_main, q0=q1 if first == 0 else float(qa[first]))
    return layers, _summary(crit, sw2_main, sb2_main, maps)


def _gradient_variances(factors: FloatArray) -> FloatArray:
    """Var(dA_l) per layer going down: Var(dA_{l-1}) = factor_l Var(dA_l), with factor_l = fo_l Var(W_l)
    E[phi'(z_l)^2] and Var(dA_L) = 1."""
    grad_var = np.ones(len(factors))
    if len(factors) > 1:
        grad_var[:-1] = np.cumprod(factors[1:][::-1])[::-1]
    return grad_var


def _summary(crit: Criticality, sw2: float, sb2: float, maps: int) -> TheorySummary:
    """The applicable summary of the main map (`crit`, from sigma_w^2 = sw2 and sigma_b^2 = sb2)."""
    return TheorySummary(
        True,
        "",
        crit.q_star,
        crit.chi1,
        crit.phase,
        crit.depth_scale,
        crit.trainable_depth,
        sw2,
        sb2,
        crit.c_star,
        crit.chi_c,
        crit.depth_note,
        maps,
    )


def _weight_variances(
    config: Config, entry: initializers.Initializer, gain: float, fans: npt.NDArray[np.int64]
) -> tuple[FloatArray, FloatArray] | str:
    """(Var W_l, E[b_l^2]) per layer, each distinct pair of fans resolved once, or why mean field does not
    describe these weights."""
    keys, which = np.unique(fans[:, 0] * (1 << 20) + fans[:, 1], return_inverse=True)  # fans <= 65536
    var_w_of, sb2_of = np.empty(keys.size), np.empty(keys.size)
    laws = (entry.name, _frozen(config.initializer_params), config.bias, _frozen(config.bias_params), gain)
    for i, key in enumerate(keys.tolist()):
        var_w_of[i], sb2_of[i], reason = _layer_variances(*laws, *divmod(key, 1 << 20))
        if reason:
            return reason
    which = which.reshape(-1)
    return var_w_of[which], sb2_of[which]


def _forward(
    mapping: VarianceMap, q1: float, sw2: FloatArray, sb2: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(q_l, Var[phi(z_l)], E[phi'(z_l)^2]) for every layer: closed forms or the table."""
    act = mapping.act
    if mapping.closed:
        c = slope_coefficients(act)[0]
        qa = _iterate(lambda v: c * v, q1, sw2, sb2)
        m = closed_form_moments(act.name, act.params, qa)
        return qa, m.var, m.dphi2
    assert mapping.table is not None
    qa = _iterate(mapping.table.second, q1, sw2, sb2)
    return qa, mapping.table.values(1, qa), mapping.table.values(2, qa)


def _main_map(sw2: FloatArray, sb2: FloatArray) -> tuple[float, float, int, int]:
    """(sigma_w2, sigma_b2) most layers share (ties: the deeper one), its first layer, and how many distinct
    maps the net has."""
    pairs = list(zip(sw2.tolist(), sb2.tolist(), strict=True))
    counts = {pair: pairs.count(pair) for pair in dict.fromkeys(pairs)}
    sw2_main, sb2_main = max(reversed(pairs), key=lambda pair: counts[pair])
    return sw2_main, sb2_main, pairs.index((sw2_main, sb2_main)), len(counts)
