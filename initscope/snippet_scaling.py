"""How PyTorch, Keras 3, JAX and KotlinDL write variance scaling (and KotlinDL's one-sided uniform) for given
fans: their named initializers where one matches, otherwise the general recipe with the numbers filled in."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from initscope.engine.initializers import Truncated, Uniform, fan, one_sided_law, variance_scaling_law
from initscope.snippet_code import Code, Codes, kotlin_double, kotlin_float, py_num, scale_code

_KERAS_NAMES = {
    (1.0, "fan_avg", "uniform"): "GlorotUniform",
    (1.0, "fan_avg", "truncated_normal"): "GlorotNormal",
    (2.0, "fan_in", "uniform"): "HeUniform",
    (2.0, "fan_in", "truncated_normal"): "HeNormal",
    (1.0, "fan_in", "uniform"): "LecunUniform",
    (1.0, "fan_in", "truncated_normal"): "LecunNormal",
}
_JAX_NAMES = {
    key: "".join("_" + ch.lower() if ch.isupper() else ch for ch in name).lstrip("_")
    for key, name in _KERAS_NAMES.items()
}
_KOTLIN_SPELLING = {key: name.replace("Lecun", "LeCun") for key, name in _KERAS_NAMES.items()}
_KOTLIN_NAMES = {
    key: name for key, name in _KOTLIN_SPELLING.items() if key[2] == "truncated_normal"
}  # KotlinDL's *Uniform are one-sided: never the same law
_KOTLIN_ONE_SIDED = {key: name for key, name in _KOTLIN_SPELLING.items() if key[2] == "uniform"}


def _named(table: Mapping[tuple[float, str, str], str], scale: float, mode: str, dist: str) -> str | None:
    for (s, m, d), name in table.items():
        if math.isclose(scale, s, rel_tol=1e-9) and m == mode and d == dist:
            return name
    return None


@dataclass(frozen=True)
class _Rule:
    """Variance scaling (scale, mode, dist) for fans (fi, fo), with the numbers every spelling needs."""

    fi: int
    fo: int
    scale: float
    mode: str
    dist: str

    @property
    def sigma(self) -> float:
        return math.sqrt(self.scale / max(1.0, fan(self.fi, self.fo, self.mode)))

    def keras_mode_scale(self) -> tuple[str, float, str]:
        """(mode, scale, note) for a framework without fan_geo_avg: fan_in with an adjusted scale gives the
        same variance."""
        if self.mode != "fan_geo_avg":
            return self.mode, self.scale, ""
        n = max(1.0, fan(self.fi, self.fo, self.mode))
        note = f"no fan_geo_avg mode: fan_in with scale·fi/n gives the same variance for ({self.fi}, {self.fo})"
        return "fan_in", self.scale * self.fi / n, note


def _torch_variance_scaling(r: _Rule) -> Code:
    sigma, gain = r.sigma, math.sqrt(r.scale)
    nl = next((v for s, v in {1.0: "linear", 2.0: "relu"}.items() if math.isclose(r.scale, s, rel_tol=1e-9)), None)
    if r.dist == "truncated_normal":
        law = variance_scaling_law(r.fi, r.fo, r.scale, r.mode, r.dist)
        assert isinstance(law, Truncated)
        s = law.std
        return Code(
            f"nn.init.trunc_normal_(w, mean=0.0, std={py_num(s)}, a={py_num(-2 * s)}, b={py_num(2 * s)})",
            f"sample std {py_num(sigma)}: torch has no corrected truncation; std/0.8796 and "
            "absolute cuts ±2·std reproduce it",
        )
    normal = r.dist == "normal"
    b = math.sqrt(3.0) * sigma
    what, shown = ("normal", f"std = {py_num(sigma)}") if normal else ("uniform", f"bound = {py_num(b)}")
    if r.mode in ("fan_in", "fan_out") and nl:
        return Code(f"nn.init.kaiming_{what}_(w, mode='{r.mode}', nonlinearity='{nl}')", shown)
    if r.mode == "fan_avg":
        return Code(f"nn.init.xavier_{what}_(w, gain={py_num(gain)})", shown)
    if normal:
        return Code(f"nn.init.normal_(w, mean=0.0, std={py_num(sigma)})", f"std exact for ({r.fi}, {r.fo})")
    return Code(f"nn.init.uniform_(w, {py_num(-b)}, {py_num(b)})", f"bound exact for ({r.fi}, {r.fo})")


def _keras_variance_scaling(r: _Rule) -> Code:
    # Keras 3: "normal" there silently means truncated, so the untruncated one is spelled out
    mode, scale, note = r.keras_mode_scale()
    name = None if note else _named(_KERAS_NAMES, r.scale, r.mode, r.dist)
    kdist = "untruncated_normal" if r.dist == "normal" else r.dist
    return Code(
        f"keras.initializers.{name}()"
        if name
        else f'keras.initializers.VarianceScaling(scale={scale_code(scale)}, mode="{mode}", distribution="{kdist}")',
        note,
    )


def _jax_variance_scaling(r: _Rule) -> Code:
    # JAX: "normal" is untruncated, and fan_geo_avg exists
    name = _named(_JAX_NAMES, r.scale, r.mode, r.dist)
    return Code(
        f"jax.nn.initializers.{name}()"
        if name
        else f'jax.nn.initializers.variance_scaling({scale_code(r.scale)}, "{r.mode}", "{r.dist}")'
    )


def _kotlin_variance_scaling(r: _Rule) -> Code:
    # KotlinDL's UNIFORM is one-sided: a symmetric uniform needs RandomUniform with the bound
    if r.dist == "uniform":
        b = math.sqrt(3.0) * r.sigma
        return Code(
            f"RandomUniform(maxVal = {kotlin_float(b)}, minVal = {kotlin_float(-b)})",
            "not VarianceScaling(UNIFORM)/HeUniform/GlorotUniform: KotlinDL draws those one-sided, U[0, b)",
        )
    mode, scale, note = r.keras_mode_scale()
    name = None if note else _named(_KOTLIN_NAMES, r.scale, r.mode, r.dist)
    kd = "TRUNCATED_NORMAL" if r.dist == "truncated_normal" else "UNTRUNCATED_NORMAL"
    return Code(
        f"{name}()"
        if name
        else f"VarianceScaling(scale = {kotlin_double(scale)}, mode = Mode.{mode.upper()}, "
        f"distribution = Distribution.{kd})",
        note,
    )


def variance_scaling_codes(fi: int, fo: int, scale: float, mode: str, dist: str) -> Codes:
    """How each framework writes variance scaling (scale, mode, dist) for these fans."""
    r = _Rule(fi, fo, scale, mode, dist)
    return {
        "pytorch": _torch_variance_scaling(r),
        "keras": _keras_variance_scaling(r),
        "jax": _jax_variance_scaling(r),
        "kotlindl": _kotlin_variance_scaling(r),
    }


def one_sided_codes(fi: int, fo: int, scale: float, mode: str) -> Codes:
    law = one_sided_law(fi, fo, scale, mode)
    assert isinstance(law, Uniform)
    b = law.high
    kotlin_name = _named(_KOTLIN_ONE_SIDED, scale, mode, "uniform")
    kotlin = (
        Code(f"{kotlin_name}()", f"U[0, {py_num(b)}): every value >= 0")
        if kotlin_name
        else Code(
            f"VarianceScaling(scale = {kotlin_double(scale)}, mode = Mode.{mode.upper()}, "
            "distribution = Distribution.UNIFORM)",
            f"U[0, {py_num(b)}): every value >= 0",
        )
    )
    return {
        "pytorch": Code(f"nn.init.uniform_(w, a=0.0, b={py_num(b)})", "one-sided, as KotlinDL"),
        "keras": Code(f"keras.initializers.RandomUniform(minval=0.0, maxval={py_num(b)})", "one-sided"),
        "jax": Code(f"jax.nn.initializers.uniform(scale={py_num(b)})", "U[0, scale): one-sided as well"),
        "kotlindl": kotlin,
    }
