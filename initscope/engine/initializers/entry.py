"""One catalogue entry (`Initializer`) and the rules that turn its parameters into a law.

A rule is a small frozen dataclass called with (fan_in, fan_out, resolved params, gain) and returning the
`Law`; being data rather than a closure, it also tells the framework snippets which recipe the entry is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

import numpy as np
import numpy.typing as npt

from initscope.engine.arrays import Array
from initscope.engine.errors import ConfigError
from initscope.engine.initializers.laws import SQRT2, Expected, Law, Sparse, one_sided_law, variance_scaling_law
from initscope.engine.initializers.params import Param, Params, ParamValue, gain_of

Resolved = Mapping[str, ParamValue]


class LawRule(Protocol):
    """(fan_in, fan_out, resolved params, gain) -> the law; gain has 'auto' already replaced."""

    def __call__(self, fan_in: int, fan_out: int, params: Resolved, gain: float, /) -> Law: ...


@dataclass(frozen=True)
class Fixed:
    """The same law whatever the fans and parameters (zeros, ones)."""

    law: Law

    def __call__(self, fan_in: int, fan_out: int, params: Resolved, gain: float, /) -> Law:
        return self.law


@dataclass(frozen=True)
class FromParams:
    """A law built from the entry's parameters, in order: FromParams(Normal, ("mean", "std"))."""

    law: Callable[..., Law]
    keys: tuple[str, ...]

    def __call__(self, fan_in: int, fan_out: int, params: Resolved, gain: float, /) -> Law:
        return self.law(*(float(params[key]) for key in self.keys))


@dataclass(frozen=True)
class GainTimesMatrix:
    """gain times a matrix of the fans' shape: GainTimesMatrix(Orthogonal) -> Orthogonal(gain, fi, fo)."""

    law: Callable[[float, int, int], Law]

    def __call__(self, fan_in: int, fan_out: int, params: Resolved, gain: float, /) -> Law:
        return self.law(gain, fan_in, fan_out)


def sparse_rule(fan_in: int, fan_out: int, params: Resolved, gain: float, /) -> Law:
    """Martens' sparse law: the zero count depends on fan_in, the only fan it needs."""
    return Sparse(float(params["sparsity"]), float(params["std"]), fan_in)


GAIN_SQUARED: Final = "gain²"


@dataclass(frozen=True)
class VarianceScaling:
    """Variance scale/n (Keras/JAX VarianceScaling). A field left None is read from the entry's parameter
    of the same name; scale GAIN_SQUARED is the gain parameter squared (torch's gain g is scale g²)."""

    scale: float | Literal["gain²"] | None = None
    mode: str | None = None
    distribution: str | None = None
    one_sided: bool = False
    """KotlinDL's uniform variance scaling: U[0, b) instead of U(-b, b) (distribution must be uniform)."""

    def settings(self, params: Resolved, gain: float) -> tuple[float, str, str]:
        """(scale, mode, distribution) for these parameters."""
        if self.scale == GAIN_SQUARED:
            scale = gain * gain
        else:
            scale = float(params["scale"]) if self.scale is None else float(self.scale)
        mode = str(params["mode"]) if self.mode is None else self.mode
        dist = str(params["distribution"]) if self.distribution is None else self.distribution
        return scale, mode, dist

    def __call__(self, fan_in: int, fan_out: int, params: Resolved, gain: float, /) -> Law:
        scale, mode, dist = self.settings(params, gain)
        if self.one_sided:
            return one_sided_law(fan_in, fan_out, scale, mode)
        return variance_scaling_law(fan_in, fan_out, scale, mode, dist)


CheckFn = Callable[[dict[str, ParamValue], Mapping[str, object]], None]
"""(resolved params, params as given) -> None or ConfigError; the message shows the value as given."""


@dataclass(frozen=True, kw_only=True)
class Initializer:
    name: str
    family: str
    summary: str
    formula: str
    law: LawRule
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    note: str = ""
    elementwise: bool = True
    """Values are i.i.d. per element, so the entry can also initialize a bias vector."""
    zero_mean: bool = True
    """Weights have mean zero and are not all equal (with default params): mean-field theory applies.
    An entry whose mean is a parameter (normal, uniform) can be moved off zero: check expected().mean."""
    data_dependent: bool = False
    """The draw is only the start: the propagation engine rescales it on the batch (lsuv)."""
    one_sided: bool = False
    """All values >= 0 by construction (KotlinDL's U[0, b)): shown with a warning."""
    check: CheckFn | None = None
    """Validation across parameters (uniform: high > low)."""
    _laws: dict[tuple[object, ...], Law] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Laws already resolved, by (fans, params, auto gain): a run asks for the same one at every layer."""

    def resolve(self, given: Params | None = None) -> dict[str, ParamValue]:
        """Every parameter filled in (defaults) and validated; unknown names are a ConfigError."""
        given = dict(given or {})
        known = {p.name: p for p in self.params}
        for key in given:
            if key not in known:
                allowed = ", ".join(known) if known else "no parameters"
                raise ConfigError(f"{self.name}.{key}", given[key], f"{self.name} takes {allowed}")
        resolved = {p.name: p.validate(given.get(p.name, p.default), self.name) for p in self.params}
        if self.check is not None:
            self.check(resolved, given)
        return resolved

    def distribution(self, fan_in: int, fan_out: int, params: Params | None = None, auto_gain: float = SQRT2) -> Law:
        """The law for these fans; the single path behind sample() and expected()."""
        key = _law_key(fan_in, fan_out, params, auto_gain)
        law = self._laws.get(key) if key is not None else None
        if law is None:
            resolved = self.resolve(params)
            law = self.law(fan_in, fan_out, resolved, gain_of(resolved, auto_gain))
            if key is not None:
                if len(self._laws) >= _LAWS_KEPT:
                    self._laws.clear()
                self._laws[key] = law
        return law

    def sample(
        self,
        fan_in: int,
        fan_out: int,
        params: Params | None,
        rng: np.random.Generator,
        dtype: npt.DTypeLike = np.float64,
        shape: tuple[int, ...] | None = None,
        auto_gain: float = SQRT2,
    ) -> Array:
        """Draw a (fan_in, fan_out) matrix (or `shape`, e.g. a bias vector) with these fans.

        Every dtype draws in float64 and casts, so one seed gives the same weights in float16, float32 and
        float64 up to that dtype's rounding (a float32 run compared with a float64 one differs by precision,
        not by a different draw). NumPy's float64 normals cost about what its float32 ones do.
        """
        law = self.distribution(fan_in, fan_out, params, auto_gain)
        values = law.draw(shape or (fan_in, fan_out), rng, np.float64)
        return values.astype(dtype, copy=False)

    def expected(self, fan_in: int, fan_out: int, params: Params | None = None, auto_gain: float = SQRT2) -> Expected:
        return self.distribution(fan_in, fan_out, params, auto_gain).expected()


_LAWS_KEPT = 256
"""Laws kept per entry: per-layer widths give a few distinct fans, an explorer session a few hundred."""


def _law_key(fan_in: int, fan_out: int, params: Params | None, auto_gain: float) -> tuple[object, ...] | None:
    """What a law depends on, hashable; None when a value is not (it is then resolved every time). Each value
    keeps its type, so 1, 1.0 and True (equal, and hashed alike) are validated separately."""
    items = tuple(sorted((str(k), type(v).__name__, v) for k, v in (params or {}).items()))
    try:
        hash(items)
    except TypeError:
        return None
    return (type(fan_in).__name__, fan_in, type(fan_out).__name__, fan_out, items, float(auto_gain))
