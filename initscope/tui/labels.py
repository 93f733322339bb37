"""How the explorer names a config: the title line, and a pin's label in a legend."""

from __future__ import annotations

from collections.abc import Mapping

from initscope.engine import initializers
from initscope.engine.config import Config, widths_text
from initscope.engine.text import call_text as engine_call_text

PIN_LABEL_WIDTH = 28
"""A pin's label is cut to this many characters: it must fit a legend beside the plot."""


def call_text(name: str, params: Mapping[str, object], defaults: Mapping[str, object]) -> str:
    """name(k=v) with the parameters that differ from the defaults, numbers to 4 digits."""
    return engine_call_text(name, params, defaults, number=lambda v: f"{v:.4g}")


def initializer_text(cfg: Config) -> str:
    """The initializer of `cfg`, with the parameters it changed."""
    return call_text(cfg.initializer, cfg.initializer_params, initializers.lookup(cfg.initializer).resolve({}))


def short_config(cfg: Config) -> str:
    """he_normal · relu · fan_in 256 · width 256 · depth 30 · float32 · seed 0 (+ bias, clip)."""
    parts = [
        initializer_text(cfg),
        call_text(cfg.activation, cfg.activation_params, {}) if cfg.activation_params else cfg.activation,
        f"fan-in {cfg.fan_in}",
        f"width {widths_text(cfg.widths)}",
        f"depth {cfg.depth}",
        f"batch {cfg.batch}",
        cfg.dtype,
        f"seed {cfg.seed}",
    ]
    if cfg.bias != "zeros":
        parts.append(f"bias {cfg.bias}")
    if cfg.clip is not None:
        parts.append(f"clip {cfg.clip:g}")
    return " · ".join(parts)


def pin_label(cfg: Config) -> str:
    """he_normal/relu, with changed initializer parameters, cut to fit a legend."""
    text = f"{initializer_text(cfg)}/{cfg.activation}"
    return text if len(text) <= PIN_LABEL_WIDTH else text[: PIN_LABEL_WIDTH - 1] + "…"
