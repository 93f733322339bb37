"""The ten activations: phi, phi', their gain, and the saturation and dead rules.

Every function keeps the dtype of its input (the compute dtype of the run) and works in place
where it can, because the propagation loop calls them on batch x width arrays at every layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.floating]

SATURATION_LEVEL = 0.97
"""|tanh| above this (or |2 sigmoid - 1|) counts as saturated: phi'(z) < 0.0591 * max phi'."""


def erf(x: Array) -> Array:
    """erf with fractional error below 1.2e-7 (Numerical Recipes' erfcc), elementwise, in x's dtype.

    NumPy has no erf; this is accurate beyond float32 resolution and costs a handful of passes.
    """
    work = np.float64 if x.dtype == np.float64 else np.float32  # float16 would lose the approximation
    z = np.abs(x, dtype=work)
    t = np.multiply(z, 0.5)
    t += 1.0
    np.reciprocal(t, out=t)
    # Horner's scheme in place: three arrays live at a time (z, t, poly), since gelu runs per layer.
    poly = np.multiply(t, 0.17087277)
    for c in (-0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196,
              1.00002368):
        poly += c
        poly *= t
    poly -= 1.26551223
    np.multiply(z, z, out=z)
    np.subtract(poly, z, out=poly)
    np.exp(poly, out=poly)
    poly *= t  # erfc(|x|)
    np.subtract(1.0, poly, out=poly)  # erf(|x|)
    np.copysign(poly, x, out=poly)
    return poly.astype(x.dtype, copy=False)


def normal_cdf(x: Array) -> Array:
    """Standard normal CDF Phi(x) via erf."""
    return 0.5 * (1.0 + erf(x / math.sqrt(2.0)))


def _sigmoid(z: Array) -> Array:
    # Split by sign so exp never overflows.
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _softplus(z: Array) -> Array:
    return np.logaddexp(z, np.zeros((), dtype=z.dtype)).astype(z.dtype, copy=False)


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@dataclass(frozen=True)
class Activation:
    """One activation with its parameters bound: what the engine and the theory both need."""

    name: str
    phi: Callable[[Array], Array]
    """phi(z); may overwrite z (the propagation loop is done with z by then)."""
    dphi: Callable[[Array | None, Array], Array]
    """phi'(z) given (z, a = phi(z)). When `needs_z` is False it reads only a (z may be None), so the
    backward pass needs only the stored activations; otherwise phi' is computed in the forward pass."""
    gain: float
    gain_source: str
    saturation: Callable[[Array], npt.NDArray[np.bool_]] | None = None
    """Boolean mask of saturated units from a = phi(z); None where saturation is undefined."""
    can_die: bool = False
    """relu-like: a == 0 means the unit passes no gradient."""
    params: dict[str, float] = field(default_factory=dict)
    kink: bool = False
    """Non-smooth at 0 (relu-like): quadratures must treat the kink exactly."""
    needs_z: bool = False
    """phi' cannot be recovered from a alone (gelu, silu: not monotone)."""


@dataclass(frozen=True)
class ActivationSpec:
    """Catalogue row: name, parameters with defaults and allowed range, and a one-line formula."""

    name: str
    formula: str
    params: dict[str, tuple[float, float, float]]
    """name -> (default, low, high), bounds inclusive."""


SPECS: dict[str, ActivationSpec] = {
    s.name: s
    for s in [
        ActivationSpec("linear", "phi(z) = z", {}),
        ActivationSpec("relu", "phi(z) = max(0, z)", {}),
        ActivationSpec("leaky_relu", "phi(z) = z if z > 0 else slope*z", {"slope": (0.01, 0.0, 1.0)}),
        ActivationSpec("elu", "phi(z) = z if z > 0 else alpha*(exp(z)-1)", {"alpha": (1.0, 0.0, 10.0)}),
        ActivationSpec("selu", "phi(z) = scale*(z if z > 0 else alpha*(exp(z)-1)), alpha 1.6733, scale 1.0507", {}),
        ActivationSpec("gelu", "phi(z) = z*Phi(z) (exact, erf)", {}),
        ActivationSpec("silu", "phi(z) = z*sigmoid(z)", {}),
        ActivationSpec("tanh", "phi(z) = tanh(z)", {}),
        ActivationSpec("sigmoid", "phi(z) = 1/(1+exp(-z))", {}),
        ActivationSpec("softplus", "phi(z) = log(1+exp(z))", {}),
    ]
}

NAMES: tuple[str, ...] = tuple(SPECS)


def _second_moment_gain(phi: Callable[[Array], Array]) -> float:
    """1/sqrt(E[phi(z)^2]) for z ~ N(0,1): the gain that keeps the second moment, for activations
    PyTorch's calculate_gain does not know (elu, gelu, silu, softplus)."""
    z = np.linspace(-12.0, 12.0, 24001)
    w = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    second = float(np.trapezoid(phi(z.copy()) ** 2 * w, z))
    return 1.0 / math.sqrt(second)


def _tanh_saturated(a: Array) -> npt.NDArray[np.bool_]:
    return np.greater(np.abs(a), SATURATION_LEVEL)


def _sigmoid_saturated(a: Array) -> npt.NDArray[np.bool_]:
    centred: Array = np.abs(2.0 * a - 1.0)
    return np.greater(centred, SATURATION_LEVEL)


def make(name: str, params: dict[str, float] | None = None) -> Activation:
    """Build the activation `name` with its parameters (defaults filled in). Names are validated by Config."""
    spec = SPECS[name]
    p = {k: float(v[0]) for k, v in spec.params.items()}
    p.update({k: float(v) for k, v in (params or {}).items()})

    if name == "linear":
        return Activation(name, lambda z: z, lambda z, a: np.ones_like(a), 1.0, "calculate_gain('linear')", params=p)
    if name == "relu":
        return Activation(
            name,
            lambda z: np.maximum(z, 0, out=z),
            lambda z, a: (a > 0).astype(a.dtype),
            math.sqrt(2.0),
            "calculate_gain('relu')",
            can_die=True,
            params=p,
            kink=True,
        )
    if name == "leaky_relu":
        s = p["slope"]

        def leaky(z: Array) -> Array:
            return np.where(z > 0, z, z * z.dtype.type(s))

        return Activation(
            name,
            leaky,
            lambda z, a: np.where(a > 0, a.dtype.type(1.0), a.dtype.type(s)).astype(a.dtype),
            math.sqrt(2.0 / (1.0 + s * s)),
            f"calculate_gain('leaky_relu', {s:g})",
            can_die=True,
            params=p,
            kink=True,
        )
    if name in ("elu", "selu"):
        alpha = p["alpha"] if name == "elu" else SELU_ALPHA
        scale = 1.0 if name == "elu" else SELU_SCALE

        def elu(z: Array) -> Array:
            neg = z.dtype.type(alpha) * np.expm1(np.minimum(z, 0))
            return (z.dtype.type(scale) * np.where(z > 0, z, neg)).astype(z.dtype, copy=False)

        def delu(z: Array | None, a: Array) -> Array:
            # a > 0 exactly when z > 0; for z <= 0, d/dz scale*alpha*(e^z - 1) = a + scale*alpha.
            return np.where(a > 0, a.dtype.type(scale), a + a.dtype.type(scale * alpha)).astype(a.dtype)

        if name == "selu":
            return Activation(name, elu, delu, 0.75, "calculate_gain('selu') (empirical 3/4)", params=p, kink=True)
        return Activation(name, elu, delu, _second_moment_gain(elu), "1/sqrt(E[phi(z)^2])", params=p, kink=True)
    if name == "gelu":

        def gelu(z: Array) -> Array:
            return (z * normal_cdf(z)).astype(z.dtype, copy=False)

        def dgelu(z: Array | None, a: Array) -> Array:
            assert z is not None
            pdf = np.exp(-0.5 * z * z) / z.dtype.type(math.sqrt(2.0 * math.pi))
            return (normal_cdf(z) + z * pdf).astype(z.dtype, copy=False)

        return Activation(
            name, gelu, dgelu, _second_moment_gain(gelu), "1/sqrt(E[phi(z)^2])", params=p, needs_z=True
        )
    if name == "silu":

        def silu(z: Array) -> Array:
            return z * _sigmoid(z)

        def dsilu(z: Array | None, a: Array) -> Array:
            assert z is not None
            s = _sigmoid(z)
            return s * (1 + z * (1 - s))

        return Activation(
            name, silu, dsilu, _second_moment_gain(silu), "1/sqrt(E[phi(z)^2])", params=p, needs_z=True
        )
    if name == "tanh":
        return Activation(
            name,
            lambda z: np.tanh(z, out=z),
            lambda z, a: 1 - a * a,
            5.0 / 3.0,
            "calculate_gain('tanh')",
            saturation=_tanh_saturated,
            params=p,
        )
    if name == "sigmoid":
        return Activation(
            name,
            _sigmoid,
            lambda z, a: a * (1 - a),
            1.0,
            "calculate_gain('sigmoid')",
            saturation=_sigmoid_saturated,
            params=p,
        )
    if name == "softplus":
        # sigmoid(z) = 1 - exp(-softplus(z)), so phi' comes from a alone.
        return Activation(
            name, _softplus, lambda z, a: -np.expm1(-a), _second_moment_gain(_softplus), "1/sqrt(E[phi(z)^2])",
            params=p,
        )
    raise KeyError(name)
