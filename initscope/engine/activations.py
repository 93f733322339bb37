"""The ten activations: phi, phi', their gain, and the saturation and dead rules.

Each activation is one factory registered with `@_activation(name, formula, params)`; `make` looks it up.

Every function keeps the dtype of its input (the compute dtype of the run) and works in place
where it can, because the propagation loop calls them on batch x width arrays at every layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from initscope.engine.arrays import Array
from initscope.engine.errors import ConfigError
from initscope.engine.limits import ELU_ALPHA, LEAKY_RELU_SLOPE

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
    for c in (-0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368):
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


@dataclass(frozen=True, kw_only=True)
class Activation:
    """One activation with its parameters bound: what the engine and the theory both need."""

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
    kink: bool = False
    """Non-smooth at 0 (relu-like): quadratures must treat the kink exactly."""
    name: str = ""
    """Filled in by `make` from the spec, as are `params` and `needs_z`."""
    params: dict[str, float] = field(default_factory=dict)
    needs_z: bool = False
    """phi' cannot be recovered from a alone (gelu, silu: not monotone)."""


Factory = Callable[[dict[str, float]], Activation]
"""Parameters (defaults filled in) -> phi, phi', gain and the rules of one activation."""


@dataclass(frozen=True)
class ActivationSpec:
    """Catalogue row: name, a one-line formula, the factory that builds it, and its parameters."""

    name: str
    formula: str
    build: Factory
    params: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    """name -> (default, low, high), bounds inclusive."""
    needs_z: bool = False
    """phi' needs z itself, not only a = phi(z): the forward pass keeps phi'(z) (memory is counted for it)."""

    def defaults(self) -> dict[str, float]:
        return {key: float(default) for key, (default, _low, _high) in self.params.items()}

    def resolve(self, given: Mapping[str, object]) -> dict[str, float]:
        """Every parameter filled in (defaults) and checked against its range; else a ConfigError."""
        for key in given:
            if key not in self.params:
                allowed = ", ".join(self.params) if self.params else "no parameters"
                raise ConfigError(f"{self.name}.{key}", given[key], f"{self.name} takes {allowed}")
        out: dict[str, float] = {}
        for key, (default, low, high) in self.params.items():
            raw = given.get(key, default)
            try:
                value = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ConfigError(f"{self.name}.{key}", raw, f"a number in [{low:g}, {high:g}]") from None
            if not (math.isfinite(value) and low <= value <= high):
                raise ConfigError(f"{self.name}.{key}", raw, f"a number in [{low:g}, {high:g}]")
            out[key] = value
        return out


def _second_moment_gain(phi: Callable[[Array], Array]) -> float:
    """1/sqrt(E[phi(z)^2]) for z ~ N(0,1): the gain that keeps the second moment, for activations
    PyTorch's calculate_gain does not know (elu, gelu, silu, softplus)."""
    z = np.linspace(-12.0, 12.0, 24001)
    w = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    second = float(np.trapezoid(phi(z.copy()) ** 2 * w, z))
    return 1.0 / math.sqrt(second)


SECOND_MOMENT = "1/sqrt(E[phi(z)^2])"


def _tanh_saturated(a: Array) -> npt.NDArray[np.bool_]:
    return np.greater(np.abs(a), SATURATION_LEVEL)


def _sigmoid_saturated(a: Array) -> npt.NDArray[np.bool_]:
    centred: Array = np.abs(2.0 * a - 1.0)
    return np.greater(centred, SATURATION_LEVEL)


SPECS: dict[str, ActivationSpec] = {}
"""Every activation, in display order (the order the factories below are defined in)."""


def _activation(
    name: str, formula: str, needs_z: bool = False, **params: tuple[float, float, float]
) -> Callable[[Factory], Factory]:
    """Register the decorated factory as the activation `name`; `params` are name=(default, low, high).
    Adding an activation is one decorated factory."""

    def register(build: Factory) -> Factory:
        SPECS[name] = ActivationSpec(name, formula, build, params, needs_z)
        return build

    return register


# ------------------------------------------------------------------------------------------ the activations
@_activation("linear", "phi(z) = z")
def _linear(p: dict[str, float]) -> Activation:
    return Activation(
        phi=lambda z: z, dphi=lambda z, a: np.ones_like(a), gain=1.0, gain_source="calculate_gain('linear')"
    )


@_activation("relu", "phi(z) = max(0, z)")
def _relu(p: dict[str, float]) -> Activation:
    return Activation(
        phi=lambda z: np.maximum(z, 0, out=z),
        dphi=lambda z, a: (a > 0).astype(a.dtype),
        gain=math.sqrt(2.0),
        gain_source="calculate_gain('relu')",
        can_die=True,
        kink=True,
    )


@_activation("leaky_relu", "phi(z) = z if z > 0 else slope*z", slope=(0.01, *LEAKY_RELU_SLOPE))
def _leaky_relu(p: dict[str, float]) -> Activation:
    s = p["slope"]

    def leaky(z: Array) -> Array:
        return np.where(z > 0, z, z * z.dtype.type(s))

    def dleaky(z: Array | None, a: Array) -> Array:
        return np.where(a > 0, a.dtype.type(1.0), a.dtype.type(s)).astype(a.dtype)

    return Activation(
        phi=leaky,
        dphi=dleaky,
        gain=math.sqrt(2.0 / (1.0 + s * s)),
        gain_source=f"calculate_gain('leaky_relu', {s:g})",
        can_die=True,
        kink=True,
    )


def _scaled_elu(alpha: float, scale: float) -> tuple[Callable[[Array], Array], Callable[[Array | None, Array], Array]]:
    """phi and phi' of scale·elu_alpha (elu: scale 1; selu: its fixed alpha and scale)."""

    def elu(z: Array) -> Array:
        neg = z.dtype.type(alpha) * np.expm1(np.minimum(z, 0))
        return (z.dtype.type(scale) * np.where(z > 0, z, neg)).astype(z.dtype, copy=False)

    def delu(z: Array | None, a: Array) -> Array:
        # a > 0 exactly when z > 0; for z <= 0, d/dz scale*alpha*(e^z - 1) = a + scale*alpha.
        return np.where(a > 0, a.dtype.type(scale), a + a.dtype.type(scale * alpha)).astype(a.dtype)

    return elu, delu


@_activation("elu", "phi(z) = z if z > 0 else alpha*(exp(z)-1)", alpha=(1.0, *ELU_ALPHA))
def _elu(p: dict[str, float]) -> Activation:
    elu, delu = _scaled_elu(p["alpha"], 1.0)
    return Activation(phi=elu, dphi=delu, gain=_second_moment_gain(elu), gain_source=SECOND_MOMENT, kink=True)


@_activation("selu", "phi(z) = scale*(z if z > 0 else alpha*(exp(z)-1)), alpha 1.6733, scale 1.0507")
def _selu(p: dict[str, float]) -> Activation:
    selu, dselu = _scaled_elu(SELU_ALPHA, SELU_SCALE)
    return Activation(phi=selu, dphi=dselu, gain=0.75, gain_source="calculate_gain('selu') (empirical 3/4)", kink=True)


@_activation("gelu", "phi(z) = z*Phi(z) (exact, erf)", needs_z=True)
def _gelu(p: dict[str, float]) -> Activation:
    def gelu(z: Array) -> Array:
        return (z * normal_cdf(z)).astype(z.dtype, copy=False)

    def dgelu(z: Array | None, a: Array) -> Array:
        assert z is not None
        pdf = np.exp(-0.5 * z * z) / z.dtype.type(math.sqrt(2.0 * math.pi))
        return (normal_cdf(z) + z * pdf).astype(z.dtype, copy=False)

    return Activation(phi=gelu, dphi=dgelu, gain=_second_moment_gain(gelu), gain_source=SECOND_MOMENT)


@_activation("silu", "phi(z) = z*sigmoid(z)", needs_z=True)
def _silu(p: dict[str, float]) -> Activation:
    def silu(z: Array) -> Array:
        return z * _sigmoid(z)

    def dsilu(z: Array | None, a: Array) -> Array:
        assert z is not None
        s = _sigmoid(z)
        return s * (1 + z * (1 - s))

    return Activation(phi=silu, dphi=dsilu, gain=_second_moment_gain(silu), gain_source=SECOND_MOMENT)


@_activation("tanh", "phi(z) = tanh(z)")
def _tanh(p: dict[str, float]) -> Activation:
    return Activation(
        phi=lambda z: np.tanh(z, out=z),
        dphi=lambda z, a: 1 - a * a,
        gain=5.0 / 3.0,
        gain_source="calculate_gain('tanh')",
        saturation=_tanh_saturated,
    )


@_activation("sigmoid", "phi(z) = 1/(1+exp(-z))")
def _sigmoid_activation(p: dict[str, float]) -> Activation:
    return Activation(
        phi=_sigmoid,
        dphi=lambda z, a: a * (1 - a),
        gain=1.0,
        gain_source="calculate_gain('sigmoid')",
        saturation=_sigmoid_saturated,
    )


@_activation("softplus", "phi(z) = log(1+exp(z))")
def _softplus_activation(p: dict[str, float]) -> Activation:
    # sigmoid(z) = 1 - exp(-softplus(z)), so phi' comes from a alone.
    return Activation(
        phi=_softplus, dphi=lambda z, a: -np.expm1(-a), gain=_second_moment_gain(_softplus), gain_source=SECOND_MOMENT
    )


NAMES: tuple[str, ...] = tuple(SPECS)


def make(name: str, params: dict[str, float] | None = None) -> Activation:
    """Build the activation `name` with its parameters (defaults filled in). Names are validated by Config."""
    spec = SPECS[name]
    p = spec.defaults() | {k: float(v) for k, v in (params or {}).items()}
    return replace(spec.build(p), name=name, params=p, needs_z=spec.needs_z)
