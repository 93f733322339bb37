"""One framework's spelling of an initializer (`Code`), and numbers written as Python or Kotlin literals."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    """One framework's spelling: an initializer expression (PyTorch: statements on `w`), a comment,
    and, when the framework has no exact equivalent, why (`expr` is then the closest recipe, or empty)."""

    expr: str = ""
    comment: str = ""
    missing: str = ""


Codes = dict[str, Code]
FRAMEWORKS = ("pytorch", "keras", "jax", "kotlindl")


def py_num(x: float) -> str:
    """A number as code: 6 significant digits."""
    return f"{x:.6g}"


def kotlin_double(x: float) -> str:
    """A Kotlin Double literal."""
    text = py_num(x)
    return text if any(ch in text for ch in ".en") else text + ".0"


def scale_code(x: float) -> str:
    """A variance scale as code; 1/3 (the torch default's) is written as a fraction."""
    return "1/3" if math.isclose(x, 1.0 / 3.0, rel_tol=1e-12) else py_num(x)


def kotlin_float(x: float) -> str:
    """A Kotlin Float literal."""
    return kotlin_double(x) + "f"
