"""UI benchmark (a plain script, not collected by pytest). Targets (docs/architecture.md, "Performance targets"):

1. a changed control to a redrawn screen at the default config: median <= 100 ms;
2. the longest event-loop stall while the largest allowed run computes: <= 50 ms;
3. cold start to first frame, against a bare Textual app in the same environment;
4. ctrl+p to the command palette drawn, its input focused and its commands listed: initscope's palette
   against Textual's own (translucent) palette and Footer on the same screen (target <= 200 ms).

    python tests/benchmarks/bench_ui.py [--repeats 15] [--stall-seconds 8]

Headless (Textual's test driver at 120x36): the screen is composed and rendered as in a terminal, only not
written to one. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from textual.app import App
from textual.command import CommandPalette
from textual.widgets import Footer, Input

from initscope.engine.config import Config
from initscope.engine.memory import format_bytes
from initscope.tui.app import InitScopeApp
from initscope.tui.chrome import QuietFooter
from initscope.tui.controls import ControlPane
from initscope.tui.plot_widget import Plot

SIZE = (120, 36)


async def _settle(app: InitScopeApp, pilot: Any) -> None:
    while app.shown_generation != app.generation:
        await asyncio.sleep(0.001)
    await pilot.pause()


class FramePainted:
    """Fires when the screen has painted a frame in which `canvas` drew a new plot of the current result.

    Hooks the screen's compositor refresh (a private Textual method; this is a benchmark, not a test) so
    that nothing polls: a loop waking every 0.5 ms takes the GIL from the engine's worker thread and slowed
    the run it was timing by about a tenth.
    """

    def __init__(self, app: InitScopeApp, canvas: Plot) -> None:
        self.app, self.canvas = app, canvas
        self.event = asyncio.Event()
        self.renders_before: int | None = None
        self.renders = 0
        """How many plots the watched widget built (its `_build` wrapped here, not counted by the widget)."""
        self.at = 0.0
        build = canvas._build

        def counted(base: Any) -> Any:
            strips = build(base)
            if strips is not None:
                self.renders += 1
            return strips

        canvas._build = counted  # type: ignore[method-assign]
        screen: Any = app.screen
        refresh = screen._compositor_refresh

        def hooked() -> None:
            refresh()
            if (
                self.renders_before is not None
                and self.renders != self.renders_before
                and app.shown_generation == app.generation
            ):
                self.at = time.perf_counter()
                self.renders_before = None
                self.event.set()

        screen._compositor_refresh = hooked

    def arm(self) -> None:
        self.event.clear()
        self.renders_before = self.renders


async def control_to_redraw(repeats: int) -> tuple[list[float], list[float]]:
    """(ms from a new seed applied to the frame with the visible plot re-drawn from its result, engine ms of
    each run). Typed text is applied on enter or when typing pauses (controls.EDIT_PAUSE_S); the clock starts
    there, as with enter. Changes are 0.3 s apart; the first two are left out (warm-up)."""
    app = InitScopeApp(config=Config(), clock=False)
    times: list[float] = []
    engine: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        seed = app.query_one("#seed", Input)
        painted = FramePainted(app, app.query_one("#weights-view").query_one(Plot))
        for k in range(repeats + 2):
            seed.value = str(k + 1)
            await pilot.pause()  # the Input.Changed message is handled: the field holds typed text
            painted.arm()
            start = time.perf_counter()
            app.query_one(ControlPane).apply_typed()  # as enter or the end of the typing pause does
            await painted.event.wait()
            if k >= 2:
                times.append((painted.at - start) * 1000)
                assert app.result is not None
                engine.append(app.result.elapsed_s * 1000)
            await asyncio.sleep(0.3)
    return times, engine


def largest_allowed(base: Config) -> Config:
    """The deepest width-2048, batch-2048 net the default memory budget allows."""
    lo, hi = 1, 10000
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            base.replace(depth=mid)
            lo = mid
        except Exception:
            hi = mid - 1
    return base.replace(depth=lo)


class StallMeter:
    """Gaps between the ticks of a 5 ms timer on the app's event loop: a gap beyond 5 ms is a stall."""

    TICK_MS = 5.0

    def __init__(self, app: InitScopeApp) -> None:
        self.gaps: list[float] = []
        self.last = time.perf_counter()
        self.timer = app.set_interval(self.TICK_MS / 1000, self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self.last) * 1000)
        self.last = now

    def stop(self) -> tuple[float, float, int]:
        """(longest stall ms, p99 stall ms, ticks)."""
        self.timer.stop()
        gaps = sorted(self.gaps)
        if not gaps:
            return float("nan"), float("nan"), 0
        return gaps[-1] - self.TICK_MS, gaps[int(0.99 * (len(gaps) - 1))] - self.TICK_MS, len(gaps)


async def stall_during_run(cfg: Config, seconds: float) -> tuple[float, float, int, float]:
    """(longest gap between 5 ms ticks in ms, p99 gap ms, ticks, seconds measured) after the depth field is
    changed so that `cfg` runs (the app starts on the same net with depth 1)."""
    app = InitScopeApp(config=cfg.replace(depth=1), clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        meter = StallMeter(app)
        await asyncio.sleep(0.2)
        meter.gaps.clear()
        generation = app.generation
        start = time.perf_counter()
        app.query_one("#depth", Input).value = str(cfg.depth)
        app.query_one(ControlPane).apply_typed()
        while time.perf_counter() - start < seconds and (
            app.generation == generation or app.shown_generation != app.generation
        ):
            await asyncio.sleep(0.05)
        measured = time.perf_counter() - start
        worst, p99, ticks = meter.stop()
        app.workers.cancel_all()
        await pilot.pause()
    return worst, p99, ticks, measured


FIRST_FRAME = """
{imports}
async def first_frame(pilot):  # auto_pilot runs once the first screen has been displayed
    pilot.app.exit()
app = {factory}
app.run(headless=True, size=(120, 36), auto_pilot=first_frame)
"""


class TextualDefaultsApp(InitScopeApp):
    """The explorer with Textual's own (translucent) command palette and Footer, as before
    commands.InitScopePalette and chrome.QuietFooter."""

    CSS_PATH = str(Path(sys.modules[InitScopeApp.__module__].__file__ or "").parent / "app.tcss")

    def compose(self) -> Any:
        for widget in super().compose():
            yield Footer() if isinstance(widget, QuietFooter) else widget

    def action_command_palette(self) -> None:
        App.action_command_palette(self)


async def palette_open(app_class: type[InitScopeApp], repeats: int) -> list[float]:
    """ms from ctrl+p to the palette on screen with its input focused and its commands listed."""
    app = app_class(config=Config(), clock=False)
    times: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        await pilot.pause(1.0)
        for k in range(repeats + 1):
            start = time.perf_counter()
            await pilot.press("ctrl+p")
            while not (
                isinstance(app.screen, CommandPalette)
                and app.screen.focused is not None
                and app.screen.has_class("-ready")
            ):
                await asyncio.sleep(0.002)
            await pilot.pause()  # the frame with it
            if k >= 1:
                times.append((time.perf_counter() - start) * 1000)
            await pilot.press("escape")
            await pilot.pause(0.3)
    return times


BARE = FIRST_FRAME.format(
    imports="from textual.app import App\nfrom textual.widgets import Static, Footer\n"
    "class Bare(App):\n    def compose(self):\n        yield Static('hello')\n"
    "        yield Footer()",
    factory="Bare()",
)
INITSCOPE = FIRST_FRAME.format(
    imports="from initscope.tui.app import InitScopeApp\nfrom initscope.engine.config import Config",
    factory="InitScopeApp(config=Config(), clock=False)",
)


def cold_start(code: str, repeats: int) -> float:
    """Median wall time (ms) of a fresh interpreter that imports, shows its first frame and exits."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description="initscope UI benchmark")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--stall-seconds", type=float, default=8.0)
    parser.add_argument("--cold-repeats", type=int, default=5)
    parser.add_argument("--palette-repeats", type=int, default=7)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, {platform.system()} {platform.release()}"
    )

    times, engine = asyncio.run(control_to_redraw(args.repeats))
    print(
        f"control -> redrawn screen, default config ({Config().to_string()}): median "
        f"{statistics.median(times):.0f} ms, min {min(times):.0f}, max {max(times):.0f} over {len(times)} "
        f"changes (target median <= 100 ms); of which the engine run (worker thread) median "
        f"{statistics.median(engine):.0f} ms"
    )

    small = Config()
    worst, p99, ticks, secs = asyncio.run(stall_during_run(small, args.stall_seconds))
    print(
        f"event-loop stall from a changed depth to the default run's result drawn: longest {worst:.1f} ms, "
        f"p99 {p99:.1f} ms ({ticks} ticks of 5 ms over {secs:.2f} s)"
    )
    big = largest_allowed(Config(fan_in=2048, batch=2048))
    worst, p99, ticks, secs = asyncio.run(stall_during_run(big, args.stall_seconds))
    print(
        f"event-loop stall during the largest allowed run (width 2048, batch 2048, depth {big.depth}, "
        f"{format_bytes(big.memory_estimate())} of the {format_bytes(big.memory_budget)} budget): longest "
        f"{worst:.1f} ms, p99 {p99:.1f} ms ({ticks} ticks over the first {secs:.1f} s; target <= 50 ms)"
    )

    bare = cold_start(BARE, args.cold_repeats)
    ours = cold_start(INITSCOPE, args.cold_repeats)
    print(
        f"cold start to first frame (fresh interpreter, headless 120x36, median of {args.cold_repeats}): "
        f"bare Textual app {bare:.0f} ms, initscope {ours:.0f} ms ({ours / bare:.2f}x)"
    )

    ours_palette = statistics.median(asyncio.run(palette_open(InitScopeApp, args.palette_repeats)))
    textual_palette = statistics.median(asyncio.run(palette_open(TextualDefaultsApp, args.palette_repeats)))
    print(
        f"ctrl+p to the palette drawn and listed (median of {args.palette_repeats}): initscope's "
        f"{ours_palette:.0f} ms, with Textual's translucent palette and Footer {textual_palette:.0f} ms "
        f"({ours_palette / textual_palette:.2f}x; target <= 200 ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
