"""The command palette provider: every initializer, activation, tab and action is a command."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from initscope.engine import activations, initializers

if TYPE_CHECKING:
    from initscope.tui.app import InitScopeApp

Command = tuple[str, str, Callable[[], object]]


def commands_for(app: InitScopeApp) -> list[Command]:
    """(text, help, callback) of every command."""
    out: list[Command] = []
    for entry in initializers.CATALOGUE:
        aliases = f" (also {', '.join(entry.aliases)})" if entry.aliases else ""
        out.append((f"initializer: {entry.name}", f"{entry.family}: {entry.summary}{aliases}",
                    partial(app.set_initializer, entry.name)))
    for name in activations.NAMES:
        out.append((f"activation: {name}", activations.SPECS[name].formula, partial(app.set_activation, name)))
    for key, tab in (("1", "weights"), ("2", "forward"), ("3", "backward"), ("4", "theory"), ("5", "train")):
        out.append((f"tab: {tab}", f"show the {tab.capitalize()} tab (key {key})", partial(app.action_tab, tab)))
    actions: list[Command] = [
        ("pin the current run", "overlay it on Forward, Backward and Theory (key p)", app.action_pin),
        ("clear pins", "remove every pinned run (key P)", app.action_clear_pins),
        ("screenshot (SVG)", "save an SVG screenshot in the export folder (key s)", app.action_save_svg),
        ("help", "every key (key ?)", app.action_help),
        ("re-run", "run the shown config again, e.g. an opened snapshot's (key r)", app.action_rerun),
        ("next layer", "select the next layer (key .)", partial(app.action_layer, 1)),
        ("previous layer", "select the previous layer (key ,)", partial(app.action_layer, -1)),
        ("next view", "next view of the current tab (key v)", app.action_next_view),
        ("Jacobian spectrum", "singular values of the input-output Jacobian on the Theory tab (key j)",
         app.action_jacobian),
        ("Jacobian: log10 / linear axis", "switch the axis of the singular-value histogram", app.action_jacobian_axis),
        ("seed bands", "8 seeds: 10–90 % bands on the Forward and Backward plots; again hides them (key k)",
         app.action_ensemble),
        ("phase diagram", "chi1 over (σw², σb²) for the activation, this net as a cursor (Theory tab)",
         partial(app.show_view, "theory", "phase")),
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
    out += [(f"action: {text}", help_text, cb) for text, help_text, cb in actions]
    out += [(f"race: add {entry.name}", f"add {entry.name} to the Train tab's contenders", partial(app.add_contender,
                                                                                                 entry.name))
            for entry in initializers.CATALOGUE]
    return out


class InitScopeCommands(Provider):
    """Commands of initscope for the palette."""

    def _commands(self) -> list[Command]:
        from initscope.tui.app import InitScopeApp

        return commands_for(cast(InitScopeApp, self.app))

    async def discover(self) -> Hits:
        for text, help_text, callback in self._commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, callback in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, text=text, help=help_text)
