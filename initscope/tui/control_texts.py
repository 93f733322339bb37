"""The text of every control field: filled from a Config, and turned back into `build`'s assignments.

No widgets here: the control pane (controls.py) shows these texts and hands edits back. Values the user
did not touch are passed exactly (gain sqrt2 stays sqrt2, not the 6 digits shown).
"""

from __future__ import annotations

from initscope.engine import activations, initializers
from initscope.engine.architecture import ARCHS, BRANCH_SCALES, NORM_PLACEMENTS, NORMS
from initscope.engine.config import Config

ARCH_CHOICES = {
    "arch": [(a, a) for a in ARCHS],
    "branch_depth": [("1 layer", "1"), ("2 layers", "2")],
    "norm": [(n, n) for n in NORMS],
    "norm_placement": [(p, p) for p in NORM_PLACEMENTS],
    "branch_scale": [(s, s) for s in BRANCH_SCALES],
}
"""The architecture fields: each a Select, applied at once."""
DIRECT_FIELDS = {
    "fan_in",
    "width",
    "depth",
    "batch",
    "dtype",
    "seed",
    "clip",
    "clip_mode",
    "activation",
    "initializer",
    "bias",
    "input",
    *ARCH_CHOICES,
}
"""Config fields a widget of the same id shows."""


def shown(value: object) -> str:
    """A parameter value as the field shows it."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


class FieldTexts:
    """The text of every field (`values`), of the initializer's and the activation's parameters, and the
    exact value behind each text that was filled from a Config."""

    def __init__(self, cfg: Config) -> None:
        self.values: dict[str, str] = {}
        self.init_params: dict[str, str] = {}
        self.act_params: dict[str, str] = {}
        self._exact: dict[str, str] = {}
        """field key -> text the field showed when it was filled from a Config, with its exact value."""
        self._exact_values: dict[str, str] = {}
        self.load(cfg)

    def load(self, cfg: Config) -> None:
        """Every text from `cfg`."""
        self.values = {
            "initializer": cfg.initializer,
            "activation": cfg.activation,
            "fan_in": str(cfg.fan_in),
            "width": ""
            if cfg.width is None
            else (",".join(map(str, cfg.width)) if isinstance(cfg.width, tuple) else str(cfg.width)),
            "depth": str(cfg.depth),
            "batch": str(cfg.batch),
            "dtype": cfg.dtype,
            "seed": str(cfg.seed),
            "input": cfg.input,
            "bias": _bias_text(cfg),
            "clip": "off" if cfg.clip is None else f"{cfg.clip:.6g}",
            "clip_mode": cfg.clip_mode,
            "arch": cfg.arch,
            "branch_depth": str(cfg.branch_depth),
            "norm": cfg.norm,
            "norm_placement": cfg.norm_placement,
            "branch_scale": cfg.branch_scale,
        }
        self._exact, self._exact_values = {}, {}
        self.init_params = {}
        for key, value in cfg.initializer_params.items():
            self.init_params[key] = shown(value)
            self._exact["init." + key] = shown(value)
            self._exact_values["init." + key] = repr(value) if isinstance(value, float) else str(value)
        self.act_params = {}
        for key, fvalue in cfg.activation_params.items():
            self.act_params[key] = shown(fvalue)
            self._exact["act." + key] = shown(fvalue)
            self._exact_values["act." + key] = repr(fvalue)
        if cfg.clip is not None:
            self._exact["clip"] = self.values["clip"]
            self._exact_values["clip"] = repr(cfg.clip)

    def _text(self, key: str, text: str) -> str:
        """The exact value when the field still shows what it was filled with."""
        if self._exact.get(key) == text.strip():
            return self._exact_values[key]
        return text.strip()

    def assignments(self) -> dict[str, str]:
        """key -> text, in the one-line form's keys, for `build`."""
        v = self.values
        out: dict[str, str] = {"init": v["initializer"]}
        for key, text in self.init_params.items():
            out[key] = self._text("init." + key, text)
        act = v["activation"]
        if self.act_params:
            inner = ",".join(f"{k}={self._text('act.' + k, t)}" for k, t in self.act_params.items())
            act = f"{act}({inner})"
        out["act"] = act
        for key in ("fan_in", "depth", "batch", "dtype", "seed", "clip_mode", "input", *ARCH_CHOICES):
            out[key] = v[key]
        if v["width"].strip():
            out["width"] = v["width"].strip()
        out["bias"] = v["bias"].strip() or "zeros"
        out["clip"] = self._text("clip", v["clip"]) if v["clip"].strip() else "off"
        return out

    def field_of(self, wid: str) -> tuple[dict[str, str], str] | None:
        """(the texts that hold field `wid`, its key there), or None for a widget that is not a field."""
        for prefix, texts in (("init-param-", self.init_params), ("act-param-", self.act_params)):
            if wid.startswith(prefix):
                return texts, wid.removeprefix(prefix)
        return (self.values, wid) if wid in self.values else None

    def reset_init_params(self, name: str) -> None:
        """The parameters of initializer `name`, each at its default."""
        entry = initializers.lookup(name)
        self.init_params = {}
        for p in entry.params:
            self.init_params[p.name] = p.shown_default()
            self._exact["init." + p.name] = p.shown_default()
            self._exact_values["init." + p.name] = repr(p.default) if isinstance(p.default, float) else str(p.default)

    def reset_act_params(self, name: str) -> None:
        """The parameters of activation `name`, each at its default."""
        self.act_params = {}
        for key, (default, _low, _high) in activations.SPECS[name].params.items():
            self.act_params[key] = shown(default)
            self._exact["act." + key] = shown(default)
            self._exact_values["act." + key] = repr(float(default))

    def widget_id_for(self, field: str, source: str) -> str:
        """The id of the widget a ConfigError's field names (the edited one when it names none)."""
        if field in DIRECT_FIELDS:
            return field
        if "." in field:
            owner, key = field.split(".", 1)
            if owner == self.values["activation"] and key in self.act_params:
                return f"act-param-{key}"
            if owner == initializers.lookup(self.values["initializer"]).name and key in self.init_params:
                return f"init-param-{key}"
            if owner == "act" or owner in activations.SPECS:
                return "activation"
            return "bias"
        return source or "initializer"


def _bias_text(cfg: Config) -> str:
    if cfg.bias == "zeros":
        return "zeros"
    params = initializers.lookup(cfg.bias).resolve({})
    changed = {k: v for k, v in cfg.bias_params.items() if params.get(k) != v}
    if not changed:
        return cfg.bias
    if cfg.bias == "constant" and set(changed) == {"value"}:
        return f"constant({shown(changed['value'])})"
    return f"{cfg.bias}(" + ",".join(f"{k}={shown(v)}" for k, v in changed.items()) + ")"
