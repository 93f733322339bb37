"""Initializer parameters: each one's default, what is allowed, and its validation."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from initscope.engine.errors import ConfigError
from initscope.engine.initializers.laws import SQRT2

ParamValue = float | str
Params = Mapping[str, ParamValue]


@dataclass(frozen=True)
class Param:
    """One parameter of an initializer: its default and what is allowed."""

    name: str
    default: ParamValue
    help: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    choices: tuple[str, ...] = ()
    allow_auto: bool = False
    """The value may be the word 'auto' (gain: the chosen activation's gain)."""
    integer: bool = False

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        kind = "an integer" if self.integer else "a number"
        if self.low is None and self.high is None:
            text = "any finite integer" if self.integer else "any finite number"
        else:
            lo = "-inf" if self.low is None else f"{self.low:g}"
            hi = "inf)" if self.high is None else f"{self.high:g}]"
            bracket = "[" if self.low_inclusive and self.low is not None else "("
            text = f"{kind} in {bracket}{lo}, {hi}"
        return text + (" or 'auto'" if self.allow_auto else "")

    def validate(self, value: object, owner: str) -> ParamValue:
        field_name = f"{owner}.{self.name}"
        if self.choices:
            text = str(value).strip().lower()
            if text not in self.choices:
                raise ConfigError(field_name, value, self.allowed())
            return text
        if self.allow_auto and str(value).strip().lower() == "auto":
            return "auto"
        if isinstance(value, bool):
            raise ConfigError(field_name, value, self.allowed())
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ConfigError(field_name, value, self.allowed()) from None
        if not math.isfinite(number) or (self.integer and not number.is_integer()):
            raise ConfigError(field_name, value, self.allowed())
        if self.low is not None and (number < self.low or (number == self.low and not self.low_inclusive)):
            raise ConfigError(field_name, value, self.allowed())
        if self.high is not None and number > self.high:
            raise ConfigError(field_name, value, self.allowed())
        return number

    def shown_default(self) -> str:
        """The default as a user would type it."""
        return self.default if isinstance(self.default, str) else f"{self.default:g}"


def positive(name: str, default: float, help: str) -> Param:
    """A parameter that must be > 0 (a std, a scale)."""
    return Param(name, default, help, low=0.0, low_inclusive=False)


GAIN_1 = Param(
    "gain", 1.0, "multiplier; 'auto' uses the activation's gain", low=0.0, low_inclusive=False, allow_auto=True
)
GAIN_HE = Param(
    "gain",
    SQRT2,
    "multiplier (sqrt2 for relu); 'auto' uses the activation's gain",
    low=0.0,
    low_inclusive=False,
    allow_auto=True,
)
MODE = Param("mode", "fan_in", "which fan sets the scale", choices=("fan_in", "fan_out"))
VS_MODE = Param(
    "mode",
    "fan_in",
    "n: fan_in, fan_out, (fi+fo)/2 or sqrt(fi·fo)",
    choices=("fan_in", "fan_out", "fan_avg", "fan_geo_avg"),
)
VS_DIST = Param(
    "distribution",
    "truncated_normal",
    "truncated_normal (corrected), normal (untruncated) or uniform",
    choices=("truncated_normal", "normal", "uniform"),
)


def gain_of(params: Params, auto_gain: float) -> float:
    """The gain a law is built with: the parameter, 'auto' replaced by the activation's gain (1 without one)."""
    g = params.get("gain", 1.0)
    return auto_gain if g == "auto" else float(g)
