"""Single values from user input (an int, text such as '30' or '1e3', a float): checked, or a ConfigError
that names the field, the value and what is allowed."""

from __future__ import annotations

import math

import numpy as np

from initscope.engine.errors import ConfigError


def as_int(name: str, value: object, low: int, high: int) -> int:
    """A whole number in [low, high] from an int, or text such as '30' or '1e3'; else a ConfigError."""
    allowed = f"an integer from {low} to {high}"
    if isinstance(value, bool):
        raise ConfigError(name, value, allowed)
    number = int(value) if isinstance(value, (int, np.integer)) else _whole_number(name, value, allowed)
    if not low <= number <= high:
        raise ConfigError(name, value, allowed)
    return number


def _whole_number(name: str, value: object, allowed: str) -> int:
    """'30' or '1e3' -> 30 or 1000; '2.5' or 'x' -> a ConfigError."""
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        as_float = float(text)
    except ValueError:
        raise ConfigError(name, value, allowed) from None
    if not as_float.is_integer():
        raise ConfigError(name, value, allowed) from None
    return int(as_float)


def as_float_from(name: str, value: object, low: float, inclusive: bool, allowed: str = "") -> float:
    """A finite number above `low` (or equal to it when `inclusive`), not a bool; else a ConfigError."""
    allowed = allowed or f"a finite number {'>=' if inclusive else '>'} {low:g}"
    if isinstance(value, bool):
        raise ConfigError(name, value, allowed)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(name, value, allowed) from None
    if not math.isfinite(number) or number < low or (number == low and not inclusive):
        raise ConfigError(name, value, allowed)
    return number


def as_positive_float(name: str, value: object, allowed: str = "a finite number > 0") -> float:
    """A finite number > 0 (not a bool); else a ConfigError."""
    return as_float_from(name, value, 0.0, inclusive=False, allowed=allowed)
