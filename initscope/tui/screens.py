"""Modal screens: the help screen listing every key, and the open dialog (snapshots and weights files)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

WEIGHTS_SUFFIXES = (".safetensors", ".npz", ".pt", ".pth", ".bin")
"""What the audit reads (initscope.engine.audit.reading.SUFFIXES, which a test compares; that package is imported
only when a weights file is opened, not at the explorer's start)."""
HEADER_READ_SUFFIXES = (".safetensors", ".npz")
"""Weights files whose tensor list is read without reading their values (a PyTorch file is loaded whole)."""

KEYS: list[tuple[str, str]] = [
    ("?", "this help (escape or ? closes it)"),
    ("ctrl+p", "command palette: every initializer, activation, tab and action"),
    ("tab / shift+tab", "move between controls; escape leaves a text field so the keys below work"),
    (
        "↑ / ↓ in a number field",
        "step the number ×2 / ÷2 (the seed by 1); typed text (a minus sign too) is "
        "applied when typing pauses, or at once with enter",
    ),
    ("[ / ]", "previous / next initializer"),
    ("a", "next activation"),
    ("1 2 3 4 5 6", "Weights, Forward, Backward, Theory, Train tab; Audit once a weights file is open"),
    (
        "v",
        "next view of the tab (Forward: std, mean, saturated / dead, histograms; Theory: std, saturation, "
        "phase diagram, Jacobian)",
    ),
    (
        "j",
        "Jacobian spectrum of the current config (Theory tab): singular values of ∂a_L/∂x, eigenvalue mean and "
        "variance of JJᵀ next to the free-probability prediction (widths up to 1024); it follows later edits",
    ),
    (
        "k",
        "seed bands: run 8 seeds and shade their 10–90 % band on the Forward std and Backward dA plots "
        "(with the finite-width prediction for relu-like nets); k again hides them, a config change drops them",
    ),
    (", / .", "previous / next layer (histograms, the marked layer of per-layer plots, the summary)"),
    ("g", "histogram counts on a log10 axis, or back (Weights, Forward, Audit histograms)"),
    ("z", "the exact zeros of a relu-like activation histogram set apart from its bars, or back"),
    ("p", "pin the current run (up to 4): overlaid on Forward, Backward and Theory"),
    ("P", "clear the pins"),
    ("e", "export a snapshot (JSON + CSV) to the export folder"),
    (
        "o",
        "open a snapshot (.json), or a weights file (.safetensors, .npz, .pt/.pth/.bin) to audit in the Audit "
        "tab (as `initscope audit FILE --open`)",
    ),
    ("s", "save an SVG screenshot to the export folder"),
    ("r", "re-run the shown config (an opened snapshot becomes a live run)"),
    (
        "t, enter in a race field",
        "start the training race of the Train tab (same data and batches; only the init differs)",
    ),
    ("x", "stop the race (what it has so far stays, marked cancelled); editing a race field stops it too"),
    ("q, ctrl+c", "quit (ctrl+c copies instead when text is selected)"),
]


class HelpScreen(ModalScreen[None]):
    """Every key, what it does, and how to read the plots."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss_help", "Close"),
    ]

    def compose(self) -> ComposeResult:
        rows = "\n".join(f"[b]{key:<24}[/b] {what}" for key, what in KEYS)
        text = (
            "[b]initscope[/b] — what weight initialization does to a deep network\n\n"
            f"{rows}\n\n"
            "[dim]Plots of std and gradients use log10 on a linear axis with decade labels; points that are "
            "non-finite or ≤ 0 are left out and the caption says how many. Histograms are binned by the "
            "engine. Every number comes from the engine; `initscope run` prints the same ones.[/dim]"
        )
        with VerticalScroll(id="help-box"):
            yield Static(text, id="help-text", markup=True)

    def on_mount(self) -> None:
        self.query_one("#help-box").border_title = "help"

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


def is_weights_file(path: Path) -> bool:
    """A path the open dialog hands to the audit rather than to the snapshot reader."""
    return path.suffix.lower() in WEIGHTS_SUFFIXES


def describe_weights(path: Path) -> str:
    """What a weights file is, for the open dialog: its format and tensor count from the header alone (a
    PyTorch file only by its suffix), its size, or the one line saying why it cannot be read."""
    from initscope.engine.audit.reading import WeightsFileError, open_weights

    size = f"{path.stat().st_size / 1e6:.3g} MB"
    if path.suffix.lower() not in HEADER_READ_SUFFIXES:
        return f"weights · PyTorch state dict (read with torch), {size} · opens in the Audit tab"
    try:
        source = open_weights(path)
    except WeightsFileError as err:
        return f"weights · cannot be audited: {err}"
    try:
        count = len(source.tensors)
    finally:
        source.close()
    return f"weights · {source.format}, {count} tensor{'s' if count != 1 else ''}, {size} · opens in the Audit tab"


def list_weights(folder: Path) -> list[tuple[Path, str]]:
    """(path, description) of the weights files in `folder`, newest first."""
    if not folder.is_dir():
        return []
    found: list[tuple[float, Path]] = []
    for path in folder.iterdir():
        if is_weights_file(path) and path.is_file():
            try:
                found.append((path.stat().st_mtime, path))
            except OSError:  # removed while listing
                continue
    found.sort(key=lambda item: item[0], reverse=True)
    out: list[tuple[Path, str]] = []
    for _mtime, path in found:
        try:
            out.append((path, describe_weights(path)))
        except OSError:
            continue
    return out


class OpenScreen(ModalScreen[Path | None]):
    """Pick a snapshot or a weights file from the export folder, or type a path."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, folder: Path, snapshots: list[tuple[Path, str, str]], weights: list[tuple[Path, str]] | None = None
    ) -> None:
        super().__init__()
        self.folder = folder
        self.entries = [(path, f"snapshot · {line}") for path, _created, line in snapshots] + (weights or [])
        """(path, what it is): the snapshots newest first, then the weights files newest first."""

    def compose(self) -> ComposeResult:
        with Vertical(id="open-box"):
            if self.entries:
                yield Static(f"snapshots and weights files in {self.folder} (newest first):", classes="dialog-label")
                yield OptionList(
                    *[
                        Option(Text.assemble((path.name, "bold"), "\n", (line, "dim")), id=str(i))
                        for i, (path, line) in enumerate(self.entries)
                    ],
                    id="open-list",
                )
            else:
                yield Static(
                    f"no snapshots or weights files in {self.folder} yet (e exports a snapshot); type a path:",
                    classes="dialog-label",
                )
            yield Input(
                placeholder="path/to/snapshot.json or model.safetensors, enter opens", id="open-path", compact=True
            )
            yield Static("", id="open-error")

    def on_mount(self) -> None:
        self.query_one("#open-box").border_title = "open snapshot or weights file"
        if self.entries:
            self.query_one("#open-list").focus()
        else:
            self.query_one("#open-path").focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id or 0)
        self.dismiss(self.entries[index][0])

    @on(Input.Submitted)
    def _typed(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.query_one("#open-error", Static).update("type a path, or escape to cancel")
            return
        self.dismiss(Path(text).expanduser())

    def action_cancel(self) -> None:
        self.dismiss(None)
