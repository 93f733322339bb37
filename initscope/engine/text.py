"""Numbers and calls as the engine, the CLI and the explorer write them: one formatter of each kind."""

from __future__ import annotations

from collections.abc import Callable, Mapping


def general(value: float) -> str:
    """Python's shortest general form: 0.001, 1e-05, 2."""
    return f"{value:g}"


def call_text(
    name: str,
    params: Mapping[str, object],
    defaults: Mapping[str, object] | None = None,
    number: Callable[[float], str] = general,
    sep: str = ",",
) -> str:
    """`name(k=v,...)` with the parameters that differ from `defaults` (every one without defaults); float
    values written by `number`, others as they print; just `name` when none is left."""
    changed = [
        f"{k}={number(v) if isinstance(v, float) else v}"
        for k, v in params.items()
        if defaults is None or defaults.get(k) != v
    ]
    return f"{name}({sep.join(changed)})" if changed else name


def trim_exponent(text: str) -> str:
    """A number's exponent without '+' and leading zeros: 3.1e-05 -> 3.1e-5, 1e+100 -> 1e100."""
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}e{int(exponent)}" if e else text
