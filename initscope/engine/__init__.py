"""The engine: pure NumPy. It imports nothing from textual, rich or plotext (a test enforces it)."""

from __future__ import annotations

from initscope.engine.config import Config
from initscope.engine.errors import ConfigError
from initscope.engine.initializers import CATALOGUE as catalogue
from initscope.engine.initializers import sample
from initscope.engine.propagate import run
from initscope.engine.result import Result

__all__ = ["Config", "ConfigError", "Result", "catalogue", "run", "sample"]
