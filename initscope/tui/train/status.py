"""The Train tab's status line, as pieces in order of importance (the tab adds them while they fit)."""

from __future__ import annotations

from textual.content import Content

from initscope.engine.training import RaceResult
from initscope.tui.summary import num
from initscope.tui.train.form import RaceSpec


def bar(fraction: float, cells: int = 12) -> str:
    """A text progress bar of `cells` characters."""
    eighths = max(0, min(cells * 8, round(fraction * cells * 8)))
    full, part = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "") + " " * (cells - full - (1 if part else 0))


def racing_status(p: RaceResult | None, clock: bool) -> list[Content]:
    """The running race (`p` so far, None before its first report): its bar, how to stop it, epoch, step, time."""
    if p is None:
        return [Content.from_markup("[b]starting the race…[/b]"), Content.from_markup("[dim]x stops[/dim]")]
    pieces = [
        Content.from_markup(
            "[b]racing[/b] [$primary on $boost]$bar[/] $pct", bar=bar(p.fraction), pct=f"{100 * p.fraction:3.0f} %"
        ),
        Content.from_markup("[dim]x stops[/dim]"),
        Content.from_markup("[dim]epoch[/dim] $e/$n", e=str(p.epochs_done), n=str(p.config.epochs)),
        Content.from_markup("[dim]step[/dim] $s/$t", s=str(p.step), t=str(p.total_steps)),
    ]
    if clock:
        pieces.append(Content.from_markup("[dim]$el s[/dim]", el=f"{p.elapsed_s:.1f}"))
    return pieces


def idle_status(spec: RaceSpec, race: RaceResult | None, source: str, clock: bool) -> list[Content]:
    """Between races: what t will race, and which race is shown (`source`: the snapshot it came from)."""
    shape = f"{spec.width.strip()}" + ("" if "," in spec.width else f"×{spec.depth.strip()}")
    pieces = [Content.from_markup("[b]t[/b] [dim]or enter: race[/dim] $act $shape", act=spec.activation, shape=shape)]
    if race is not None and source:
        pieces.append(Content.from_markup("[dim]shown: from $what[/dim]", what=source))
    elif race is not None:
        timing = f" in {race.elapsed_s:.1f} s, {num(race.steps_per_second)} steps/s" if clock else ""
        pieces.append(
            Content.from_markup(
                "[dim]last race $ended$timing[/dim]", ended="cancelled" if race.cancelled else "done", timing=timing
            )
        )
    pieces.append(Content.from_markup("[dim]a: activation · v: view[/dim]"))
    return pieces
