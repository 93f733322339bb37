"""How to write a catalogue entry in PyTorch, Keras 3, JAX and KotlinDL, with the numbers filled in.

The engine only draws and states moments; this module reads an entry's law rule (variance scaling and
its settings) or, for the others, the law it builds for given fans, and spells it in each framework
(variance scaling: `snippet_scaling`; the other laws: `snippet_laws`; `Code` and literals: `snippet_code`).
`initscope list` and docs/initializers.md print these (see `initscope.reference`).
"""

from __future__ import annotations

import math

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
)
from initscope.engine.initializers.params import gain_of
from initscope.snippet_code import FRAMEWORKS, Code, Codes, kotlin_float, py_num
from initscope.snippet_laws import (
    constant_codes,
    identity_codes,
    normal_codes,
    orthogonal_codes,
    sparse_codes,
    truncated_codes,
    uniform_codes,
)
from initscope.snippet_scaling import one_sided_codes, variance_scaling_codes


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


def _law_codes(law: Law, fi: int, fo: int) -> Codes:
    """The spelling of a law that is not variance scaling."""
    match law:
        case Constant(value=value):
            return constant_codes(value)
        case Normal(mean=mean, std=std):
            return normal_codes(mean, std)
        case Uniform(low=low, high=high):
            return uniform_codes(low, high)
        case Truncated(mean=mean, std=std, k=k):
            return truncated_codes(mean, std, k)
        case Orthogonal(gain=gain):
            return orthogonal_codes(fi, fo, gain)
        case Identity(gain=gain):
            return identity_codes(gain)
        case Sparse(sparsity=sparsity, std=std):
            return sparse_codes(fi, fo, sparsity, std)
    raise TypeError(f"no framework spelling for {law!r}")


# ------------------------------------------------------------------------------------ per-entry words
def _torch_default(fi: int, fo: int) -> Codes:
    b = 1.0 / math.sqrt(fi)
    return {
        "pytorch": Code(
            "nn.init.kaiming_uniform_(w, a=math.sqrt(5))", f"bound {py_num(b)}: what nn.Linear({fi}, {fo}) does"
        ),
        "kotlindl": Code(
            f"RandomUniform(maxVal = {kotlin_float(b)}, minVal = {kotlin_float(-b)})",
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
            one_sided_codes(fan_in, fan_out, scale, mode)
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
            fw: f"{_comment(fw)} gain 'auto' = {py_num(auto_gain)}, the activation's gain\n{text}"
            for fw, text in out.items()
        }
    return out
