"""The CLI's subcommands, some loaded on use: their module, and the engine it imports, is imported only when
the command is chosen, so `initscope run` does not pay for importing the training and audit engines.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any


class Subcommands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """The subparsers action of the CLI: a lazy command has a placeholder (its name and one-line help, listed
    by `initscope --help`) until it is chosen or `load`ed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, str] = {}

    def add_lazy(self, name: str) -> None:
        """The placeholder of one of the LAZY_COMMANDS."""
        module, one_line = LAZY_COMMANDS[name]
        self.add_parser(name, help=one_line, add_help=False)
        self.lazy[name] = module

    def load(self, name: str) -> None:
        """Replace the placeholder of `name` (if any) by the command's real parser."""
        module = self.lazy.pop(name, None)
        if module is None:
            return
        del self._name_parser_map[name]
        listed = len(self._choices_actions)
        importlib.import_module(module).add_parser(self)
        del self._choices_actions[listed:]  # listed once, at the placeholder's place

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        self.load(values[0])
        super().__call__(parser, namespace, values, option_string)


LAZY_COMMANDS = {
    "theory": (
        "initscope.theory_cli",
        "mean-field readouts (q*, chi_1, phase, depth scale) headless; --jacobian, --ensemble",
    ),
    "train": (
        "initscope.train_cli",
        "race initializers on a small training task (same data and batches; only the init differs)",
    ),
    "audit": (
        "initscope.audit_cli",
        "audit a weights file: which initializer made each tensor, what is off, what the signal does",
    ),
}
"""Subcommands whose modules load on use: (module, the one-line help its `add_parser` registers; a test
checks the two agree)."""
