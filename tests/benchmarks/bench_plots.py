"""Build cost of every figure of the explorer (a plain script, not collected by pytest).

    python tests/benchmarks/bench_plots.py [--size 120x36] [--repeats 30] [--stall]

Runs the app headless at the default config with a pin (depth 30) and the seed bands on, shows every tab and
view, and times how long each visible plot takes to build its rows again from its figure (plotext build plus
reading its matrix into strips), median and worst of --repeats. One line per plot.

With --stall, also the longest event-loop gap (a 1 ms ticker) while the plot builds on the loop and while it
builds in a thread (`asyncio.to_thread`), medians of --repeats: what building figures off the loop would buy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import threading
import time

from initscope.engine.config import Config
from initscope.tui.app import InitScopeApp
from initscope.tui.plot_widget import Plot
from initscope.tui.seed_ensemble import SeedEnsemble
from initscope.tui.theory.jacobian import JacobianView
from initscope.tui.theory.phase import PhaseView

VIEWS = [("weights", ""), ("forward", "std"), ("forward", "mean"), ("forward", "fractions"),
         ("forward", "histograms"), ("backward", ""), ("theory", "measured"), ("theory", "saturation"),
         ("theory", "phase"), ("theory", "jacobian")]


async def wait(app: InitScopeApp, pilot: object, done: object) -> None:
    for _ in range(2000):
        await app.workers.wait_for_complete()
        await pilot.pause(0.02)  # type: ignore[attr-defined]
        if done():  # type: ignore[operator]
            return
    raise RuntimeError("timed out")


async def ticker(stop: threading.Event, gaps: list[float]) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


async def loop_gap(plot: Plot, in_thread: bool) -> float:
    """The longest gap (ms) between the event loop's 1 ms ticks while `plot` builds its rows."""
    stop, gaps = threading.Event(), [0.0]
    task = asyncio.create_task(ticker(stop, gaps))
    await asyncio.sleep(0.02)
    base = plot.visual_style.rich_style
    if in_thread:
        await asyncio.to_thread(plot._build, base)
    else:
        plot._build(base)
    await asyncio.sleep(0.005)
    stop.set()
    await task
    return max(gaps) * 1000


async def main(size: tuple[int, int], repeats: int, stall: bool = False) -> None:
    app = InitScopeApp(config=Config(depth=30), clock=False)
    async with app.run_test(size=size) as pilot:
        await wait(app, pilot, lambda: app.shown_generation == app.generation)
        await pilot.press("p")
        app._apply(Config())
        await wait(app, pilot, lambda: app.shown_generation == app.generation)
        await pilot.press("k")
        await wait(app, pilot, lambda: (job := app.query_one(SeedEnsemble).job) is not None and job.status != "running")
        for tab, view in VIEWS:
            app.action_tab(tab)
            if view:
                app.action_set_view(tab, view)
            if view == "jacobian":
                await pilot.press("j")
                await wait(app, pilot, lambda: (job := app.query_one(JacobianView).job) is not None
                           and job.status != "running")
            if view == "phase":
                await wait(app, pilot, lambda: bool(app.query_one(PhaseView).grids))
            await pilot.pause(0.2)
            for plot in app.screen.query(Plot):
                if not (plot.display and plot.region.area and plot.strips is not None):
                    continue
                base = plot.visual_style.rich_style
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    plot._build(base)
                    times.append((time.perf_counter() - start) * 1000)
                name = plot.parent.id if plot.parent is not None and plot.parent.id else plot.id
                gaps = ""
                if stall:
                    on_loop = [await loop_gap(plot, False) for _ in range(repeats)]
                    threaded = [await loop_gap(plot, True) for _ in range(repeats)]
                    gaps = (f"; longest loop gap {statistics.median(on_loop):.1f} ms on the loop, "
                            f"{statistics.median(threaded):.1f} ms in a thread")
                print(f"{tab}/{view or '-'} {name} {plot.size.width}x{plot.size.height}: "
                      f"median {statistics.median(times):.1f} ms, worst {max(times):.1f} ms{gaps}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="120x36")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--stall", action="store_true", help="also the event-loop gap: on the loop vs in a thread")
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus, size {w}x{h}")
    asyncio.run(main((w, h), args.repeats, args.stall))
