"""initscope: see what weight initialization does to a neural network, layer by layer."""

from __future__ import annotations

__version__ = "0.1.0"

from initscope.engine import Config, ConfigError, Result, catalogue, run, sample

__all__ = ["Config", "ConfigError", "Result", "__version__", "catalogue", "run", "sample"]
