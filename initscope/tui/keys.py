"""The explorer's keys: each an action of InitScopeApp (`action_<name>`); the footer shows those with `show`."""

from __future__ import annotations

from textual.binding import Binding, BindingType

KEYS: list[BindingType] = [
    Binding("question_mark", "help", "help"),
    Binding("left_square_bracket", "cycle_init(-1)", "init", show=False),
    Binding("right_square_bracket", "cycle_init(1)", "init", key_display="[ ]"),
    Binding("a", "next_activation", "act"),
    Binding("j", "jacobian", "Jacobian", show=False),
    Binding("k", "ensemble", "seed bands", show=False),
    Binding("1", "tab('weights')", "weights", show=False),
    Binding("2", "tab('forward')", "forward", show=False),
    Binding("3", "tab('backward')", "backward", show=False),
    Binding("4", "tab('theory')", "theory", show=False),
    Binding("5", "tab('train')", "train", show=False),
    Binding("6", "tab('audit')", "audit", show=False),
    Binding("t", "race", "race", show=False),
    Binding("x", "stop_race", "stop race", show=False),
    Binding("v", "next_view", "view", show=False),
    Binding("g", "log_counts", "log counts", show=False),
    Binding("z", "zeros_apart", "zeros apart", show=False),
    Binding("comma", "layer(-1)", "layer", show=False),
    Binding("full_stop", "layer(1)", "layer", show=False),
    Binding("p", "pin", "pin"),
    Binding("P", "clear_pins", "clear pins", show=False),
    Binding("e", "export", "export"),
    Binding("o", "open", "open"),
    Binding("r", "rerun", "re-run", show=False),
    Binding("s", "save_svg", "shot"),
    Binding("escape", "leave_field", "leave field", show=False),
    Binding("q", "quit", "quit"),
]
