"""The control pane: every Config field as a compact input, validated as the user types.

The pane keeps the text of every field. A choice (a Select, an arrow-key step) is applied at once; typed
text is applied once typing pauses for EDIT_PAUSE_S or on enter, so a number typed digit by digit never
runs its prefixes (typing 65537 must not show a 655-wide net). Applying tries to build a Config (cheap)
and posts `ConfigEdited` when the engine would accept it, or `ConfigRefused` naming the field that is
wrong, which it marks with a one-line reason. The texts themselves, and how they become a Config, are kept by
`FieldTexts` (control_texts.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from initscope.engine import activations, initializers
from initscope.engine.config import Config, build
from initscope.engine.config_checks import DTYPES
from initscope.engine.errors import ConfigError
from initscope.engine.limits import MAX_BATCH, MAX_DEPTH, MAX_SEED, MAX_UNITS
from initscope.tui.control_texts import ARCH_CHOICES, FieldTexts, shown
from initscope.tui.grouped_select import GroupedSelect
from initscope.tui.messages import ConfigEdited, ConfigRefused, NumberStepped
from initscope.tui.number_input import NumberInput

FAMILY_ORDER = ("variance scaling", "plain random", "structured", "data-dependent", "constant", "framework preset")
INTEGER_FIELDS = {"fan_in": (1, MAX_UNITS), "depth": (1, MAX_DEPTH), "batch": (1, MAX_BATCH), "seed": (0, MAX_SEED)}
FIELD_LABELS = {
    "initializer": "init",
    "activation": "act",
    "fan_in": "fan-in",
    "width": "width",
    "depth": "depth",
    "batch": "batch",
    "dtype": "dtype",
    "seed": "seed",
    "input": "input",
    "bias": "bias",
    "clip": "clip",
    "clip_mode": "clip on",
    "arch": "arch",
    "branch_depth": "branch",
    "norm": "norm",
    "norm_placement": "norm at",
    "branch_scale": "scale",
}
EDIT_PAUSE_S = 0.35
"""Typed text is applied when typing pauses this long (or on enter); quicker keystrokes are one edit."""
BIAS_SUGGESTIONS = [
    "zeros",
    "constant(0.1)",
    "normal(std=0.01)",
    "uniform",
    "he_uniform",
    "xavier_uniform",
    "truncated_normal",
]


def catalogue_in_family_order() -> list[initializers.Initializer]:
    """Catalogue entries grouped by family (families in FAMILY_ORDER, catalogue order within)."""
    entries = list(initializers.CATALOGUE)
    rank = {f: i for i, f in enumerate(FAMILY_ORDER)}
    return sorted(entries, key=lambda e: (rank.get(e.family, len(rank)), entries.index(e)))


def _row(label: str, widget: Widget, row_id: str | None = None) -> Horizontal:
    return Horizontal(Label(label, classes="field-label"), widget, classes="row", id=row_id)


class ControlPane(VerticalScroll):
    """The left pane. Owns the text of every field and turns it into a Config."""

    DEFAULT_CSS = ""

    def __init__(self, config: Config, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.texts = FieldTexts(config)
        self.invalid_field: str | None = None
        self.error_text = ""
        self._typed_source: str | None = None
        """The field typed into last, while its text waits for the typing pause (None: nothing waits)."""
        self._pause_timer: Timer | None = None

    # ------------------------------------------------------------------ texts <-> Config
    @property
    def values(self) -> dict[str, str]:
        """The text of every field but the parameters."""
        return self.texts.values

    def try_build(self) -> Config:
        """The Config the fields describe (raises ConfigError naming the field)."""
        base = Config(memory_budget=self.config.memory_budget)
        return build(self.texts.assignments(), base)

    # ------------------------------------------------------------------ compose
    def compose(self) -> ComposeResult:
        groups = [(e.name, e.family) for e in catalogue_in_family_order()]
        yield _row("init", GroupedSelect(groups, self.values["initializer"], id="initializer"))
        yield Vertical(*self._init_param_rows(self.values["initializer"]), id="init-params", classes="params")
        yield _row(
            "act",
            Select(
                [(n, n) for n in activations.NAMES],
                value=self.values["activation"],
                allow_blank=False,
                compact=True,
                id="activation",
            ),
        )
        yield Vertical(*self._act_param_rows(self.values["activation"]), id="act-params", classes="params")
        for key in ("fan_in", "width", "depth", "batch"):
            low, high = INTEGER_FIELDS.get(key, (1, MAX_UNITS))
            widget = NumberInput(self.values[key], integer=True, low=low, high=high, id=key)
            if key == "width":
                widget.placeholder = "= fan-in"
            yield _row(FIELD_LABELS[key], widget)
        yield _row(
            "dtype",
            Select([(d, d) for d in DTYPES], value=self.values["dtype"], allow_blank=False, compact=True, id="dtype"),
        )
        yield _row("seed", NumberInput(self.values["seed"], integer=True, low=0, id="seed"))
        inputs = ["normal", "uniform"]
        if self.values["input"] not in inputs:
            inputs.append(self.values["input"])
        yield _row(
            "input",
            Select([(i, i) for i in inputs], value=self.values["input"], allow_blank=False, compact=True, id="input"),
        )
        yield _row(
            "bias",
            Input(
                self.values["bias"],
                compact=True,
                id="bias",
                suggester=SuggestFromList(BIAS_SUGGESTIONS, case_sensitive=False),
            ),
        )
        yield _row("clip", Input(self.values["clip"], compact=True, id="clip", placeholder="off"))
        yield _row(
            "clip on",
            Select(
                [("per layer", "per_layer"), ("global", "global")],
                value=self.values["clip_mode"],
                allow_blank=False,
                compact=True,
                id="clip_mode",
            ),
        )
        for key, choices in ARCH_CHOICES.items():
            yield _row(
                FIELD_LABELS[key], Select(choices, value=self.values[key], allow_blank=False, compact=True, id=key)
            )
        yield Static("", id="control-error")

    def _init_param_rows(self, name: str) -> Iterable[Widget]:
        entry = initializers.lookup(name)
        for p in entry.params:
            text = self.texts.init_params.get(p.name, p.shown_default())
            yield self._param_row(p.name, text, "init", p.choices, p.integer)
        if entry.note:
            yield Static(entry.note, classes="entry-note")

    def _act_param_rows(self, name: str) -> Iterable[Widget]:
        for key, (default, low, high) in activations.SPECS[name].params.items():
            text = self.texts.act_params.get(key, shown(default))
            yield self._param_row(key, text, "act", (), False, low, high)

    def _param_row(
        self,
        key: str,
        text: str,
        owner: str,
        choices: tuple[str, ...],
        integer: bool,
        low: float | None = None,
        high: float | None = None,
    ) -> Horizontal:
        wid = f"{owner}-param-{key}"
        widget: Widget
        if choices:
            widget = Select([(c, c) for c in choices], value=text, allow_blank=False, compact=True, id=wid)
        else:
            widget = NumberInput(text, integer=integer, low=low, high=high, id=wid)
        label = key if len(key) <= 7 else key[:6] + "…"
        return Horizontal(Label(" " + label, classes="field-label param-label"), widget, classes="row")

    # ------------------------------------------------------------------ events
    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        wid = event.input.id or ""
        if self._store(wid, event.value):
            self._typed_source = wid
            if self._pause_timer is not None:
                self._pause_timer.stop()
            self._pause_timer = self.set_timer(EDIT_PAUSE_S, self.apply_typed)

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply_typed()

    @on(NumberStepped)
    def _input_stepped(self, event: NumberStepped) -> None:
        event.stop()
        self.apply_typed()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.NULL:
            return
        wid = event.select.id or ""
        if self._store(wid, str(event.value)):
            self._cancel_typing_pause()
            self.validate_and_post(wid)  # builds from every field: text still waiting is applied with it

    @property
    def edit_pending(self) -> bool:
        """Typed text waits for the typing pause (it is not applied yet)."""
        return self._typed_source is not None

    def apply_typed(self) -> None:
        """Apply the typed text now (the typing pause ended, enter was pressed, or a number was stepped)."""
        source = self._typed_source
        self._cancel_typing_pause()
        if source is not None:
            self.validate_and_post(source)

    def _cancel_typing_pause(self) -> None:
        if self._pause_timer is not None:
            self._pause_timer.stop()
            self._pause_timer = None
        self._typed_source = None

    def _store(self, wid: str, text: str) -> bool:
        """Keep the text of field `wid`; False when it did not change (or is not a field of the Config)."""
        found = self.texts.field_of(wid)
        if found is None:
            return False
        texts, key = found
        if texts.get(key) == text:
            return False
        texts[key] = text
        if texts is self.values:
            self._follow_field(wid, text)
        return True

    def _follow_field(self, wid: str, text: str) -> None:
        """What follows from a changed field: its parameters, the depth of a width list, an MLP's branch scale."""
        if wid == "initializer":
            self._reset_init_params(text)
        elif wid == "activation":
            self._reset_act_params(text)
        elif wid == "width":
            self._depth_from_width_list(text)
        elif wid == "arch" and text == "mlp" and self.values["branch_scale"] != "1":
            self.values["branch_scale"] = "1"  # an MLP has no branches to scale
            with self.prevent(Select.Changed):
                self.query_one("#branch_scale", Select).value = "1"

    def _depth_from_width_list(self, text: str) -> None:
        """A width list (784,512,10) is one width per layer: the depth field shows its length."""
        pieces = text.replace(" ", "").split(",")
        if len(pieces) < 2 or not all(p.isdigit() for p in pieces):
            return
        depth = str(len(pieces))
        if self.values["depth"] != depth:
            self.values["depth"] = depth
            with self.prevent(Input.Changed):
                self.query_one("#depth", Input).value = depth

    def _reset_init_params(self, name: str) -> None:
        self.texts.reset_init_params(name)
        box = self.query_one("#init-params", Vertical)
        box.remove_children()
        box.mount_all(list(self._init_param_rows(name)))

    def _reset_act_params(self, name: str) -> None:
        self.texts.reset_act_params(name)
        box = self.query_one("#act-params", Vertical)
        box.remove_children()
        box.mount_all(list(self._act_param_rows(name)))

    def validate_and_post(self, source: str) -> None:
        """Try the fields as a Config; post ConfigEdited or mark the field and post ConfigRefused."""
        try:
            cfg = self.try_build()
        except ConfigError as err:
            wid = self.widget_id_for(err.field, source)
            self.mark(wid, str(err))
            self.post_message(ConfigRefused(err.field, str(err), source))
            return
        self.mark(None, "")
        self.config = cfg
        self.post_message(ConfigEdited(cfg, source))

    def widget_id_for(self, field: str, source: str) -> str:
        """The id of the widget a ConfigError's field names (the edited one when it names none)."""
        return self.texts.widget_id_for(field, source)

    def mark(self, wid: str | None, message: str) -> None:
        """Mark one field invalid (or none) and show the reason in one line under the controls."""
        if wid == self.invalid_field and message == self.error_text:
            return  # nothing changes: no restyle, no layout pass
        for widget in self.query(".-invalid-field"):
            widget.remove_class("-invalid-field")
        self.invalid_field = wid
        self.error_text = message
        if wid is not None:
            try:
                target = self.query_one(f"#{wid}")
            except Exception:
                target = None
            if target is not None:
                target.add_class("-invalid-field")
                if target.parent is not None:
                    target.parent.add_class("-invalid-field")
        error = self.query_one("#control-error", Static)
        error.update(Text(message) if message else "")
        error.set_class(bool(message), "-shown")

    # ------------------------------------------------------------------ setting from outside
    def set_config(self, cfg: Config) -> None:
        """Show `cfg` in every field (palette, [ ] keys, an opened snapshot) without re-posting edits."""
        self._cancel_typing_pause()  # what was typed is replaced
        self.config = cfg
        self.texts.load(cfg)
        with self.prevent(Input.Changed, Select.Changed):
            for key in ("fan_in", "width", "depth", "batch", "seed", "bias", "clip"):
                self.query_one(f"#{key}", Input).value = self.values[key]
            for key in ("initializer", "activation", "dtype", "clip_mode", *ARCH_CHOICES):
                self.query_one(f"#{key}", Select).value = self.values[key]
            select_input = self.query_one("#input", Select)
            if self.values["input"] in select_input._legal_values:
                select_input.value = self.values["input"]
            init_box = self.query_one("#init-params", Vertical)
            init_box.remove_children()
            init_box.mount_all(list(self._init_param_rows(cfg.initializer)))
            act_box = self.query_one("#act-params", Vertical)
            act_box.remove_children()
            act_box.mount_all(list(self._act_param_rows(cfg.activation)))
        self.mark(None, "")
