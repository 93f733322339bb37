"""The command palette: every initializer, activation, tab and action is a command, found by its name, an
alias or a word of its description (`kaiming` finds he_normal, `torch` torch's default)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol, cast

from textual import events
from textual.command import CommandInput, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.css.query import NoMatches

from initscope.engine import activations, initializers

Command = tuple[str, str, Callable[[], object]]
ALIAS_SCORE = 0.9
"""Score of an initializer whose alias starts with the query (`kaiming` -> he_normal's kaiming_normal):
about a close name match's, above a word of a description."""
DESCRIPTION_SCORE = 0.5
"""Score of a command found by the words of its description (`torch` also finds every entry whose
summary mentions torch)."""


class CommandTarget(Protocol):
    """What the commands call: the explorer's actions (InitScopeApp has them; this module does not import it)."""

    can_export: bool

    def set_initializer(self, name: str) -> None: ...
    def set_activation(self, name: str) -> None: ...
    def add_contender(self, name: str) -> None: ...
    def show_view(self, tab: str, view: str) -> None: ...
    def action_tab(self, tab: str) -> None: ...
    def action_layer(self, step: int) -> None: ...
    def action_cycle_init(self, step: int) -> None: ...
    def action_pin(self) -> None: ...
    def action_clear_pins(self) -> None: ...
    def action_save_svg(self) -> None: ...
    def action_help(self) -> None: ...
    def action_rerun(self) -> None: ...
    def action_next_view(self) -> None: ...
    def action_jacobian(self) -> None: ...
    def action_jacobian_axis(self) -> None: ...
    def action_ensemble(self) -> None: ...
    def action_next_activation(self) -> None: ...
    async def action_quit(self) -> None: ...
    def action_race(self) -> None: ...
    def action_stop_race(self) -> None: ...
    def action_export(self) -> None: ...
    def action_open(self) -> None: ...


def alias_hits(query: str) -> dict[str, str]:
    """Command text -> the alias of its initializer that starts with `query` (any of its words)."""
    words = query.lower().split()
    out: dict[str, str] = {}
    for entry in initializers.CATALOGUE:
        alias = next((a for a in entry.aliases if words and all(a.startswith(w) or f"_{w}" in a for w in words)), None)
        if alias is not None:
            out[f"initializer: {entry.name}"] = alias
            out[f"race: add {entry.name}"] = alias
    return out


def commands_for(app: CommandTarget) -> list[Command]:
    """(text, help, callback) of every command."""
    return [
        *_initializer_commands(app),
        *_activation_commands(app),
        *_tab_commands(app),
        *_action_commands(app),
        *_race_commands(app),
    ]


def _initializer_commands(app: CommandTarget) -> list[Command]:
    out: list[Command] = []
    for entry in initializers.CATALOGUE:
        aliases = f" (also {', '.join(entry.aliases)})" if entry.aliases else ""
        out.append(
            (
                f"initializer: {entry.name}",
                f"{entry.family}: {entry.summary}{aliases}",
                partial(app.set_initializer, entry.name),
            )
        )
    return out


def _activation_commands(app: CommandTarget) -> list[Command]:
    return [
        (f"activation: {name}", activations.SPECS[name].formula, partial(app.set_activation, name))
        for name in activations.NAMES
    ]


def _tab_commands(app: CommandTarget) -> list[Command]:
    out: list[Command] = []
    for key, tab in (("1", "weights"), ("2", "forward"), ("3", "backward"), ("4", "theory"), ("5", "train")):
        out.append((f"tab: {tab}", f"show the {tab.capitalize()} tab (key {key})", partial(app.action_tab, tab)))
    out.append(
        (
            "tab: audit",
            "show the Audit tab of an opened weights file (key 6; o opens one)",
            partial(app.action_tab, "audit"),
        )
    )
    return out


def _action_commands(app: CommandTarget) -> list[Command]:
    actions: list[Command] = [
        ("pin the current run", "overlay it on Forward, Backward and Theory (key p)", app.action_pin),
        ("clear pins", "remove every pinned run (key P)", app.action_clear_pins),
        ("screenshot (SVG)", "save an SVG screenshot in the export folder (key s)", app.action_save_svg),
        ("help", "every key (key ?)", app.action_help),
        ("re-run", "run the shown config again, e.g. an opened snapshot's (key r)", app.action_rerun),
        ("next layer", "select the next layer (key .)", partial(app.action_layer, 1)),
        ("previous layer", "select the previous layer (key ,)", partial(app.action_layer, -1)),
        ("next view", "next view of the current tab (key v)", app.action_next_view),
        (
            "Jacobian spectrum",
            "singular values of the input-output Jacobian on the Theory tab (key j)",
            app.action_jacobian,
        ),
        ("Jacobian: log10 / linear axis", "switch the axis of the singular-value histogram", app.action_jacobian_axis),
        (
            "seed bands",
            "8 seeds: 10–90 % bands on the Forward and Backward plots; again hides them (key k)",
            app.action_ensemble,
        ),
        (
            "phase diagram",
            "chi1 over (σw², σb²) for the activation, this net as a cursor (Theory tab)",
            partial(app.show_view, "theory", "phase"),
        ),
        ("next initializer", "key ]", partial(app.action_cycle_init, 1)),
        ("previous initializer", "key [", partial(app.action_cycle_init, -1)),
        ("next activation", "key a", app.action_next_activation),
        ("quit", "leave initscope (key q)", app.action_quit),
        ("start the race", "race the Train tab's contenders (key t, or enter in a race field)", app.action_race),
        ("stop the race", "cancel the running race; what it has so far stays (key x)", app.action_stop_race),
    ]
    if app.can_export:
        actions.append(("export snapshot", "JSON + CSV into the export folder (key e)", app.action_export))
        actions.append(("open snapshot", "show a saved snapshot (key o)", app.action_open))
    return [(f"action: {text}", help_text, cb) for text, help_text, cb in actions]


def _race_commands(app: CommandTarget) -> list[Command]:
    return [
        (
            f"race: add {entry.name}",
            f"add {entry.name} to the Train tab's contenders",
            partial(app.add_contender, entry.name),
        )
        for entry in initializers.CATALOGUE
    ]


class InitScopeCommands(Provider):
    """Commands of initscope for the palette."""

    def _commands(self) -> list[Command]:
        return commands_for(cast(CommandTarget, self.app))

    async def discover(self) -> Hits:
        # the list shown before anything is typed: every command but the 28 `race: add` ones (typing `race`
        # finds them); each listed entry is laid out as the palette opens, ~0.7 ms apiece here
        for text, help_text, callback in self._commands():
            if not text.startswith("race: add"):
                yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        words = query.lower().split()
        aliases = alias_hits(query)
        for text, help_text, callback in self._commands():
            score = matcher.match(text)
            if text in aliases and score < ALIAS_SCORE:
                yield Hit(ALIAS_SCORE, f"{text} ({aliases[text]})", callback, text=text, help=help_text)
            elif score > 0:
                yield Hit(score, matcher.highlight(text), callback, text=text, help=help_text)
            elif words and all(word in help_text.lower() for word in words):
                yield Hit(DESCRIPTION_SCORE, text, callback, text=text, help=help_text)


class InitScopePalette(CommandPalette):
    """Textual's command palette, opaque and losing no key while it opens.

    Opaque: a translucent palette re-tints every cell of the screen below it on each frame (~190 ms at
    120x40 with the plots' many coloured cells, most of its opening time). Keys: until its input has the
    focus (the first frames), a printable key would go to the app's bindings (`e` exported a snapshot);
    here it is the query's first characters."""

    DEFAULT_CSS = """
    InitScopePalette { background: $background; }
    """

    def __init__(self) -> None:
        super().__init__(id="--command-palette")
        self._early: list[str] = []

    def check_consume_key(self, key: str, character: str | None) -> bool:
        # the binding chain drops the app's bindings for a key the (unfocused) palette consumes
        return self.focused is None and character is not None and character.isprintable()

    async def on_key(self, event: events.Key) -> None:
        if self.focused is None and event.character is not None and event.character.isprintable():
            event.stop()
            event.prevent_default()
            self._early.append(event.character)
            self._type_early()

    def on_screen_resume(self) -> None:
        self.call_after_refresh(self._type_early)

    def _type_early(self) -> None:
        """Put the keys typed before the input had the focus into it, and focus it."""
        try:
            field = self.query_one(CommandInput)
        except NoMatches:  # not composed yet: on_screen_resume comes back
            return
        if self._early:
            field.insert_text_at_cursor("".join(self._early))
            self._early.clear()
        field.focus()
