"""The Train tab's form: its fields, the settings as typed (`RaceSpec`, validated by building the engine's
`TrainConfig`), the default contenders, and the completion of initializer names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from textual.suggester import Suggester, SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Select

from initscope.engine.config import Config, build, widths_text
from initscope.engine.training import (
    DEFAULT_CONTENDERS,
    DEFAULT_LR,
    DEFAULT_NETWORK,
    GENERATED,
    MAX_CONTENDERS,
    Contender,
    TrainConfig,
    split_top_level,
)
from initscope.tui.controls import catalogue_in_family_order
from initscope.tui.number_input import NumberInput
from initscope.tui.state import Pin

FORM_FIELDS: tuple[tuple[str, str], ...] = (
    ("contenders", "race"),
    ("data", "data"),
    ("epochs", "epochs"),
    ("batch", "batch"),
    ("optimizer", "opt"),
    ("lr", "lr"),
    ("target", "target"),
    ("clip", "clip"),
    ("clip_mode", "clip on"),
    ("width", "width"),
    ("depth", "depth"),
)
"""(key, label) of the form's cells, in grid order; the widget id is `race-<key>`."""
DEFAULT_VALUES: dict[str, str] = {
    "contenders": DEFAULT_CONTENDERS,
    "data": "spirals",
    "epochs": "200",
    "batch": "64",
    "optimizer": "sgd",
    "lr": "",
    "target": "",
    "clip": "off",
    "clip_mode": "global",
    "width": str(DEFAULT_NETWORK.widths[0]),
    "depth": str(DEFAULT_NETWORK.depth),
}
"""The form's text before any edit."""
FIELD_FOR_ERROR = {
    "contenders": "contenders",
    "data": "data",
    "samples": "data",
    "task": "data",
    "epochs": "epochs",
    "work_budget": "epochs",
    "batch_size": "batch",
    "batch": "batch",
    "optimizer": "optimizer",
    "lr": "lr",
    "momentum": "lr",
    "target_loss": "target",
    "clip": "clip",
    "clip_mode": "clip_mode",
    "width": "width",
    "network": "width",
    "memory_budget": "width",
    "depth": "depth",
    "seed": "data",
}
"""ConfigError.field -> the form field that gets the mark."""


@dataclass(frozen=True)
class RaceSpec:
    """The form's text, as typed, plus the activation taken from the controls. `build()` validates."""

    contenders: str
    data: str = "spirals"
    epochs: str = "200"
    batch: str = "64"
    optimizer: str = "sgd"
    lr: str = ""
    target: str = ""
    clip: str = "off"
    clip_mode: str = "global"
    width: str = "64"
    depth: str = "3"
    activation: str = "relu"
    activation_params: tuple[tuple[str, float], ...] = ()

    def build(self) -> TrainConfig:
        """The engine's TrainConfig (raises ConfigError naming the field). May read a data file: call it in
        a thread."""
        network = DEFAULT_NETWORK.replace(activation=self.activation, activation_params=dict(self.activation_params))
        shape: dict[str, str] = {"width": self.width.strip()}
        if "," not in self.width:  # a width list gives the depth itself
            shape["depth"] = self.depth.strip()
        network = build(shape, network)
        clip = self.clip.strip().lower()
        target = self.target.strip().lower()
        race: dict[str, Any] = {  # text, as the CLI passes it: the engine parses and validates it
            "contenders": self.contenders,
            "data": self.data.strip(),
            "epochs": self.epochs.strip(),
            "batch_size": self.batch.strip(),
            "optimizer": self.optimizer,
            "lr": self.lr.strip() or None,
            "target_loss": None if target in ("", "auto") else self.target.strip(),
            "clip": None if clip in ("", "off", "none") else self.clip.strip(),
            "clip_mode": self.clip_mode,
        }
        return TrainConfig(network=network, **race)


def contender_label(cfg: Config) -> str:
    """How the race writes the initializer of `cfg` (name, or name(k=v) with the changed parameters); a residual
    or normalized `cfg` is a config contender with its architecture fields (`arch=residual norm=layernorm`)."""
    plain = Config()
    arch = {
        key: str(getattr(cfg, key))
        for key in ("arch", "branch_depth", "norm", "norm_placement", "branch_scale")
        if getattr(cfg, key) != getattr(plain, key) and (key != "norm_placement" or cfg.norm != "none")
    }
    return Contender(cfg.initializer, cfg.initializer_params, arch).label


def default_contenders(cfg: Config, pins: Sequence[Pin]) -> str:
    """The current initializer, then the pinned runs' initializers; with nothing pinned, the engine's default
    contenders join so that there is a race to see."""
    labels = list(dict.fromkeys([contender_label(cfg)] + [contender_label(p.result.config) for p in pins]))
    if len(labels) == 1:
        labels = list(dict.fromkeys(labels + split_top_level(DEFAULT_CONTENDERS)))
    return ",".join(labels[:MAX_CONTENDERS])


class ContenderSuggester(Suggester):
    """Completes the last name of a comma list from the catalogue (`he_normal,xav` -> `...xavier_normal`)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        entries = catalogue_in_family_order()
        self.names = [e.name for e in entries] + [a for e in entries for a in e.aliases]

    async def get_suggestion(self, value: str) -> str | None:
        stem = value.rpartition(",")[2].lstrip()
        if not stem or "(" in stem:
            return None
        for name in self.names:
            if name.startswith(stem.lower()) and name != stem:
                return value + name[len(stem) :]
        return None


def form_field(key: str, value: str) -> Widget:
    """The input of the form's field `key` (id `race-<key>`), showing `value`."""
    wid = f"race-{key}"
    if key == "optimizer":
        return Select([("sgd", "sgd"), ("adam", "adam")], value=value, allow_blank=False, compact=True, id=wid)
    if key == "clip_mode":
        return Select(
            [("global", "global"), ("layer", "per_layer")], value=value, allow_blank=False, compact=True, id=wid
        )
    if key == "contenders":
        return Input(
            value,
            compact=True,
            id=wid,
            suggester=ContenderSuggester(),
            placeholder="current init + pins",
            tooltip="comma-separated initializers, e.g. "
            f"{DEFAULT_CONTENDERS} (any from the catalogue; empty: the current one and the pins)",
        )
    if key == "data":
        return Input(
            value,
            compact=True,
            id=wid,
            suggester=SuggestFromList(list(GENERATED)),
            tooltip="spirals, circles, teacher, or a .csv/.npy file (features, then the label or target last)",
        )
    if key in ("epochs", "batch", "width", "depth"):
        return NumberInput(value, integer=key != "width", low=1, id=wid)
    placeholder = {"lr": f"{DEFAULT_LR['sgd']:g}", "target": "auto", "clip": "off"}[key]
    tips = {
        "lr": "learning rate > 0 (empty: the optimizer's default)",
        "target": "the loss to reach (empty: 10 % of the best constant prediction's loss)",
        "clip": "clip the gradient's L2 norm to this (off: no clipping)",
    }
    return NumberInput(value, integer=False, id=wid, placeholder=placeholder, tooltip=tips[key])


def form_values(tc: TrainConfig) -> dict[str, str]:
    """The form's text for the settings of a race (an opened snapshot's: t races them again)."""
    widths = tc.network.widths
    return {
        "contenders": ",".join(c.label for c in tc.contender_list),
        "data": tc.data,
        "epochs": str(tc.epochs),
        "batch": str(tc.batch_size),
        "optimizer": tc.optimizer,
        "lr": f"{tc.effective_lr:g}",
        "target": "" if tc.target_loss is None else f"{tc.target_loss:g}",
        "clip": "off" if tc.clip is None else f"{tc.clip:g}",
        "clip_mode": tc.clip_mode,
        "width": widths_text(widths) if len(set(widths)) > 1 else str(widths[0]),
        "depth": str(len(widths)),
    }
