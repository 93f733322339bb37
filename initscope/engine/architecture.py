"""The architecture fields' allowed values and the presets that name what frameworks and papers do.

Kept apart from engine/config.py (which validates them) so the one-line form's presets read in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from initscope.engine.errors import ConfigError

ARCHS = ("mlp", "residual")
NORMS = ("none", "layernorm", "rmsnorm", "batchnorm")
NORM_PLACEMENTS = ("pre", "post")
BRANCH_SCALES = ("1", "1/sqrt(L)", "1/sqrt(2L)", "0", "fixup", "deepnorm")
ARCH_PRESETS: dict[str, dict[str, str]] = {
    # What frameworks and papers do; `preset=NAME` in the one-line form expands to these fields.
    "gpt2": {
        "init": "normal(std=0.02)",
        "act": "gelu",
        "arch": "residual",
        "branch_depth": "2",
        "norm": "layernorm",
        "norm_placement": "pre",
        "branch_scale": "1/sqrt(2L)",
    },
    "bert": {
        "init": "truncated_normal(std=0.02)",
        "act": "gelu",
        "arch": "residual",
        "branch_depth": "2",
        "norm": "layernorm",
        "norm_placement": "post",
        "branch_scale": "1",
    },
    "fixup": {
        "init": "he_normal",
        "act": "relu",
        "arch": "residual",
        "branch_depth": "2",
        "norm": "none",
        "branch_scale": "fixup",
    },
    "rezero": {
        "init": "he_normal",
        "act": "relu",
        "arch": "residual",
        "branch_depth": "2",
        "norm": "none",
        "branch_scale": "0",
    },
    # T5 (Raffel et al. 2020; Hugging Face's T5 _init_weights): N(0, 1/fan_in) dense weights (LeCun normal),
    # relu, pre-norm RMSNorm (T5LayerNorm has no mean subtraction), no branch scale.
    "t5": {
        "init": "lecun_normal",
        "act": "relu",
        "arch": "residual",
        "branch_depth": "2",
        "norm": "rmsnorm",
        "norm_placement": "pre",
        "branch_scale": "1",
    },
    "deepnorm": {
        "init": "xavier_normal",
        "act": "gelu",
        "arch": "residual",
        "branch_depth": "2",
        "norm": "layernorm",
        "norm_placement": "post",
        "branch_scale": "deepnorm",
    },
}


def choice(name: str, value: object, allowed: Sequence[str]) -> str:
    """`value` lower-cased (- as _) when it is one of `allowed`; else a ConfigError naming the field."""
    text = str(value).strip().lower().replace("-", "_")
    if text not in allowed:
        raise ConfigError(name, value, "one of " + ", ".join(allowed))
    return text


def expand_preset(assignments: Mapping[str, object]) -> dict[str, object]:
    """`preset=gpt2 depth=24` -> the preset's fields, then the other keys (which win over the preset's)."""
    out = dict(assignments)
    name = out.pop("preset", None)
    if name is None:
        return out
    key = str(name).strip().lower()
    if key not in ARCH_PRESETS:
        raise ConfigError("preset", name, "one of " + ", ".join(ARCH_PRESETS))
    return {**ARCH_PRESETS[key], **out}
