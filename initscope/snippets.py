"""How to write a catalogue entry in PyTorch, Keras 3, JAX and KotlinDL, with the numbers filled in.

The engine only draws and states moments; this module reads an entry's law rule (variance scaling and
its settings) or, for the others, the law it builds for given fans, and spells it in each framework.
`initscope list` and docs/initializers.md print these (see `initscope.reference`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from initscope.engine.initializers import (
    SQRT2,
    Constant,
    Identity,
    Initializer,
    Law,
    Normal,
    Orthogonal,
    Params,
    Sparse,
    Truncated,
    Uniform,
    VarianceScaling,
    fan,
    one_sided_law,
    sparse_zeros,
    truncated_std_factor,
    variance_scaling_law,
)
from initscope.engine.initializers.params import gain_of


@dataclass(frozen=True)
class Code:
    """One framework's spelling: an initializer expression (PyTorch: statements on `w`), a comment,
    and, when the framework has no exact equivalent, why (`expr` is then the closest recipe, or empty)."""

    expr: str = ""
    comment: str = ""
    missing: str = ""


Codes = dict[str, Code]
FRAMEWORKS = ("pytorch", "keras", "jax", "kotlindl")


def _g(x: float) -> str:
    """A number as code: 6 significant digits."""
    return f"{x:.6g}"


def _kd(x: float) -> str:
    """A Kotlin Double literal."""
    text = _g(x)
    return text if any(ch in text for ch in ".en") else text + ".0"


def _scale(x: float) -> str:
    """A variance scale as code; 1/3 (the torch default's) is written as a fraction."""
    return "1/3" if math.isclose(x, 1.0 / 3.0, rel_tol=1e-12) else _g(x)


def _kf(x: float) -> str:
    """A Kotlin Float literal."""
    return _kd(x) + "f"


def _comment(fw: str) -> str:
    return "//" if fw == "kotlindl" else "#"


def _render(fw: str, code: Code, fi: int, fo: int) -> str:
    cm = _comment(fw)
    lines: list[str] = []
    if code.missing:
        lines.append(f"{cm} no exact equivalent: {code.missing}")
        if not code.expr:
            return "\n".join(lines)
    tail = f"  {cm} {code.comment}" if code.comment else ""
    if fw == "pytorch":
        lines.append(f"w = torch.empty({fo}, {fi})  # torch layout [out, in]: initscope's W is w.T")
        lines.append(code.expr + tail)
    elif fw == "keras":
        lines.append(f"init = {code.expr}{tail}")
        lines.append(f"w = init(shape=({fi}, {fo}))  # Keras kernel layout (in, out), as initscope")
    elif fw == "jax":
        lines.append(f"init = {code.expr}{tail}")
        lines.append(f"w = init(jax.random.key(0), ({fi}, {fo}))  # (in, out), as initscope")
    else:
        lines.append(f"val init = {code.expr}{tail}")
        lines.append(
            f"// Dense(outputSize = {fo}, kernelInitializer = init) on {fi} inputs: "
            f"KotlinDL passes fanIn = {fi}, fanOut = {fo}"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ variance scaling
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
            f"nn.init.trunc_normal_(w, mean=0.0, std={_g(s)}, a={_g(-2 * s)}, b={_g(2 * s)})",
            f"sample std {_g(sigma)}: torch has no corrected truncation; std/0.8796 and "
            "absolute cuts ±2·std reproduce it",
        )
    normal = r.dist == "normal"
    b = math.sqrt(3.0) * sigma
    what, shown = ("normal", f"std = {_g(sigma)}") if normal else ("uniform", f"bound = {_g(b)}")
    if r.mode in ("fan_in", "fan_out") and nl:
        return Code(f"nn.init.kaiming_{what}_(w, mode='{r.mode}', nonlinearity='{nl}')", shown)
    if r.mode == "fan_avg":
        return Code(f"nn.init.xavier_{what}_(w, gain={_g(gain)})", shown)
    if normal:
        return Code(f"nn.init.normal_(w, mean=0.0, std={_g(sigma)})", f"std exact for ({r.fi}, {r.fo})")
    return Code(f"nn.init.uniform_(w, {_g(-b)}, {_g(b)})", f"bound exact for ({r.fi}, {r.fo})")


def _keras_variance_scaling(r: _Rule) -> Code:
    # Keras 3: "normal" there silently means truncated, so the untruncated one is spelled out
    mode, scale, note = r.keras_mode_scale()
    name = None if note else _named(_KERAS_NAMES, r.scale, r.mode, r.dist)
    kdist = "untruncated_normal" if r.dist == "normal" else r.dist
    return Code(
        f"keras.initializers.{name}()"
        if name
        else f'keras.initializers.VarianceScaling(scale={_scale(scale)}, mode="{mode}", distribution="{kdist}")',
        note,
    )


def _jax_variance_scaling(r: _Rule) -> Code:
    # JAX: "normal" is untruncated, and fan_geo_avg exists
    name = _named(_JAX_NAMES, r.scale, r.mode, r.dist)
    return Code(
        f"jax.nn.initializers.{name}()"
        if name
        else f'jax.nn.initializers.variance_scaling({_scale(r.scale)}, "{r.mode}", "{r.dist}")'
    )


def _kotlin_variance_scaling(r: _Rule) -> Code:
    # KotlinDL's UNIFORM is one-sided: a symmetric uniform needs RandomUniform with the bound
    if r.dist == "uniform":
        b = math.sqrt(3.0) * r.sigma
        return Code(
            f"RandomUniform(maxVal = {_kf(b)}, minVal = {_kf(-b)})",
            "not VarianceScaling(UNIFORM)/HeUniform/GlorotUniform: KotlinDL draws those one-sided, U[0, b)",
        )
    mode, scale, note = r.keras_mode_scale()
    name = None if note else _named(_KOTLIN_NAMES, r.scale, r.mode, r.dist)
    kd = "TRUNCATED_NORMAL" if r.dist == "truncated_normal" else "UNTRUNCATED_NORMAL"
    return Code(
        f"{name}()"
        if name
        else f"VarianceScaling(scale = {_kd(scale)}, mode = Mode.{mode.upper()}, distribution = Distribution.{kd})",
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


def _one_sided_codes(fi: int, fo: int, scale: float, mode: str) -> Codes:
    law = one_sided_law(fi, fo, scale, mode)
    assert isinstance(law, Uniform)
    b = law.high
    kotlin_name = _named(_KOTLIN_ONE_SIDED, scale, mode, "uniform")
    kotlin = (
        Code(f"{kotlin_name}()", f"U[0, {_g(b)}): every value >= 0")
        if kotlin_name
        else Code(
            f"VarianceScaling(scale = {_kd(scale)}, mode = Mode.{mode.upper()}, distribution = Distribution.UNIFORM)",
            f"U[0, {_g(b)}): every value >= 0",
        )
    )
    return {
        "pytorch": Code(f"nn.init.uniform_(w, a=0.0, b={_g(b)})", "one-sided, as KotlinDL"),
        "keras": Code(f"keras.initializers.RandomUniform(minval=0.0, maxval={_g(b)})", "one-sided"),
        "jax": Code(f"jax.nn.initializers.uniform(scale={_g(b)})", "U[0, scale): one-sided as well"),
        "kotlindl": kotlin,
    }


# ------------------------------------------------------------------------------------ one law each
def _constant_codes(value: float) -> Codes:
    if value == 0.0:
        return {
            "pytorch": Code("nn.init.zeros_(w)"),
            "keras": Code("keras.initializers.Zeros()"),
            "jax": Code("jax.nn.initializers.zeros"),
            "kotlindl": Code("Zeros()"),
        }
    if value == 1.0:
        return {
            "pytorch": Code("nn.init.ones_(w)"),
            "keras": Code("keras.initializers.Ones()"),
            "jax": Code("jax.nn.initializers.ones"),
            "kotlindl": Code("Ones()"),
        }
    return {
        "pytorch": Code(f"nn.init.constant_(w, {_g(value)})"),
        "keras": Code(f"keras.initializers.Constant(value={_g(value)})"),
        "jax": Code(f"jax.nn.initializers.constant({_g(value)})"),
        "kotlindl": Code(f"Constant({_kf(value)})"),
    }


def _normal_codes(mean: float, std: float) -> Codes:
    jax = (
        Code(f"jax.nn.initializers.normal(stddev={_g(std)})")
        if mean == 0
        else Code(
            f"lambda key, shape, dtype=jnp.float32: {_g(mean)} + jax.nn.initializers.normal({_g(std)})"
            "(key, shape, dtype)",
            "jax's normal has no mean",
        )
    )
    return {
        "pytorch": Code(f"nn.init.normal_(w, mean={_g(mean)}, std={_g(std)})"),
        "keras": Code(f"keras.initializers.RandomNormal(mean={_g(mean)}, stddev={_g(std)})"),
        "jax": jax,
        "kotlindl": Code(f"RandomNormal(mean = {_kf(mean)}, stdev = {_kf(std)})"),
    }


def _uniform_codes(low: float, high: float) -> Codes:
    return {
        "pytorch": Code(f"nn.init.uniform_(w, a={_g(low)}, b={_g(high)})"),
        "keras": Code(f"keras.initializers.RandomUniform(minval={_g(low)}, maxval={_g(high)})"),
        "jax": Code(
            f"lambda key, shape, dtype=jnp.float32: jax.random.uniform(key, shape, dtype, "
            f"minval={_g(low)}, maxval={_g(high)})",
            "jax.nn.initializers.uniform(scale) is U[0, scale)",
        ),
        "kotlindl": Code(f"RandomUniform(maxVal = {_kf(high)}, minVal = {_kf(low)})", "note: maxVal first"),
    }


def _truncated_codes(mean: float, std: float, k: float) -> Codes:
    lo, hi = mean - k * std, mean + k * std
    unscaled = f"not rescaled: sample std {_g(std * truncated_std_factor(k))}"
    keras = (
        Code(f"keras.initializers.TruncatedNormal(mean={_g(mean)}, stddev={_g(std)})", unscaled)
        if k == 2.0
        else Code("", missing=f"Keras' TruncatedNormal always cuts at mean ± 2·stddev, not ± {_g(k)}·stddev")
    )
    jax_expr = f"jax.nn.initializers.truncated_normal(stddev={_g(std)}, lower={_g(-k)}, upper={_g(k)})"
    jax = (
        Code(jax_expr, unscaled + "; lower/upper in std units")
        if mean == 0
        else Code(
            f"lambda key, shape, dtype=jnp.float32: {_g(mean)} + {jax_expr}(key, shape, dtype)",
            "jax's truncated_normal has no mean",
        )
    )
    return {
        "pytorch": Code(
            f"nn.init.trunc_normal_(w, mean={_g(mean)}, std={_g(std)}, a={_g(lo)}, b={_g(hi)})",
            "a and b are absolute values, not multiples of std",
        ),
        "keras": keras,
        "jax": jax,
        "kotlindl": Code(
            f"ParametrizedTruncatedNormal(mean = {_kf(mean)}, stdev = {_kf(std)}, "
            f"p1 = {_kf(lo)}, p2 = {_kf(hi)}, seed = 12L)",
            "p1, p2 are absolute bounds",
        ),
    }


def _orthogonal_codes(fi: int, fo: int, g: float) -> Codes:
    kotlin = Code(f"Orthogonal(gain = {_kf(g)})")
    if fi != fo:
        kotlin = Code(
            kotlin.expr,
            "KotlinDL's Orthogonal reads the wrong dim for non-square shapes and appears to fail here (untested)",
        )
    return {
        "pytorch": Code(f"nn.init.orthogonal_(w, gain={_g(g)})", "semi-orthogonal either way round: the same law"),
        "keras": Code(f"keras.initializers.Orthogonal(gain={_g(g)})"),
        "jax": Code(f"jax.nn.initializers.orthogonal(scale={_g(g)})", "scale is a plain multiplier"),
        "kotlindl": kotlin,
    }


def _identity_codes(g: float) -> Codes:
    return {
        "pytorch": Code(f"nn.init.eye_(w); w.mul_({_g(g)})" if g != 1 else "nn.init.eye_(w)", "eye_ has no gain"),
        "keras": Code(f"keras.initializers.Identity(gain={_g(g)})"),
        "jax": Code(
            f"lambda key, shape, dtype=jnp.float32: {_g(g)} * jnp.eye(*shape, dtype=dtype)",
            "jax.nn.initializers has no eye",
        ),
        "kotlindl": Code(f"Identity(gain = {_kf(g)})"),
    }


def _sparse_codes(fi: int, fo: int, sparsity: float, std: float) -> Codes:
    return {
        "pytorch": Code(
            f"nn.init.sparse_(w.T, sparsity={_g(sparsity)}, std={_g(std)})",
            f"w.T: {sparse_zeros(sparsity, fi)} zeros per output unit; sparse_(w) would zero "
            f"ceil(sparsity·{fo}) per input column instead",
        ),
        "keras": Code(missing="Keras has no sparse initializer"),
        "jax": Code(missing="jax.nn.initializers has no sparse initializer"),
        "kotlindl": Code(missing="KotlinDL has no sparse initializer"),
    }


def _law_codes(law: Law, fi: int, fo: int) -> Codes:
    """The spelling of a law that is not variance scaling."""
    match law:
        case Constant(value=value):
            return _constant_codes(value)
        case Normal(mean=mean, std=std):
            return _normal_codes(mean, std)
        case Uniform(low=low, high=high):
            return _uniform_codes(low, high)
        case Truncated(mean=mean, std=std, k=k):
            return _truncated_codes(mean, std, k)
        case Orthogonal(gain=gain):
            return _orthogonal_codes(fi, fo, gain)
        case Identity(gain=gain):
            return _identity_codes(gain)
        case Sparse(sparsity=sparsity, std=std):
            return _sparse_codes(fi, fo, sparsity, std)
    raise TypeError(f"no framework spelling for {law!r}")


# ------------------------------------------------------------------------------------ per-entry words
def _torch_default(fi: int, fo: int) -> Codes:
    b = 1.0 / math.sqrt(fi)
    return {
        "pytorch": Code(
            "nn.init.kaiming_uniform_(w, a=math.sqrt(5))", f"bound {_g(b)}: what nn.Linear({fi}, {fo}) does"
        ),
        "kotlindl": Code(
            f"RandomUniform(maxVal = {_kf(b)}, minVal = {_kf(-b)})",
            "VarianceScaling(1.0/3, FAN_IN, UNIFORM) would be one-sided, U[0, 1/sqrt(fi))",
        ),
    }


_LSUV_MISSING = "no built-in LSUV; the orthogonal start is shown"
_LSUV_THEN = "then rescale each layer on a batch until its output variance is 1"

OVERRIDES: dict[str, Codes] = {
    "lsuv": {
        fw: Code(expr, _LSUV_THEN, _LSUV_MISSING)
        for fw, expr in (
            ("pytorch", "nn.init.orthogonal_(w)"),
            ("keras", "keras.initializers.Orthogonal()"),
            ("jax", "jax.nn.initializers.orthogonal()"),
            ("kotlindl", "Orthogonal()"),
        )
    },
    "flax_default": {
        "jax": Code("flax.nnx.initializers.lecun_normal()", "the default kernel_init of nnx.Linear / linen.Dense")
    },
    "keras_default": {"keras": Code("keras.initializers.GlorotUniform()", "the default kernel_initializer of Dense")},
    "kotlindl_he_normal": {"kotlindl": Code("HeNormal()", "the default kernelInitializer of Dense/Conv; seed 12L")},
}
"""Entries a framework has a name of its own for (a layer's default, no LSUV), replacing the rule's spelling."""


def _overrides(name: str, fan_in: int, fan_out: int) -> Codes:
    """The spellings that replace the rule's for this entry (torch's default depends on the fans)."""
    return _torch_default(fan_in, fan_out) if name == "inv_sqrt_fan_in_uniform" else OVERRIDES.get(name, {})


def codes(
    entry: Initializer, fan_in: int, fan_out: int, params: Params | None = None, auto_gain: float = SQRT2
) -> Codes:
    """Each framework's `Code` for this entry, these fans and parameters."""
    resolved = entry.resolve(params)
    rule = entry.law
    if isinstance(rule, VarianceScaling):
        scale, mode, dist = rule.settings(resolved, gain_of(resolved, auto_gain))
        found = (
            _one_sided_codes(fan_in, fan_out, scale, mode)
            if rule.one_sided
            else variance_scaling_codes(fan_in, fan_out, scale, mode, dist)
        )
    else:
        found = _law_codes(entry.distribution(fan_in, fan_out, params, auto_gain), fan_in, fan_out)
    return {**found, **_overrides(entry.name, fan_in, fan_out)}


def snippets(
    entry: Initializer, fan_in: int, fan_out: int, params: Params | None = None, auto_gain: float = SQRT2
) -> dict[str, str]:
    """How to write this entry in PyTorch, Keras, JAX and KotlinDL (keys: pytorch, keras, jax, kotlindl),
    with these fans and parameters filled in ('auto' gain: `auto_gain`)."""
    found = codes(entry, fan_in, fan_out, params, auto_gain)
    out = {fw: _render(fw, found[fw], fan_in, fan_out) for fw in FRAMEWORKS}
    if entry.resolve(params).get("gain") == "auto":
        out = {
            fw: f"{_comment(fw)} gain 'auto' = {_g(auto_gain)}, the activation's gain\n{text}"
            for fw, text in out.items()
        }
    return out
