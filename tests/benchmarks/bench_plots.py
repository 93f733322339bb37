"""Build cost of every figure of the explorer (a plain script, not collected by pytest).

    python tests/benchmarks/bench_plots.py [--size 120x36] [--repeats 30] [--stall] [--window]

Runs the app headless at the default config with a pin (depth 30) and the seed bands on, shows every tab and
view, and times how long each visible plot takes to build its rows again from its figure (plotext build plus
reading its matrix into strips), median and worst of --repeats. One line per plot.

A histogram drawn with a density line also says what the bars' cells under the line cost: built by plotext a
second time without the line (as before 2026-12-04) against computed (plot_widget.bar_underlay), medians.

With --window, only what the window of layers costs (placement.layer_window): three series at 50 layers in one
row, rendered with the window and with it swapped for the whole plot, alternated three times in one process.

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
from initscope.tui.plot_strips import underlay
from initscope.tui.plot_widget import Plot, bar_underlay, build_matrix
from initscope.tui.seed_ensemble import SeedEnsemble
from initscope.tui.tabs.backward import BackwardTab
from initscope.tui.tabs.base import views_of
from initscope.tui.tabs.forward import ForwardTab
from initscope.tui.tabs.weights import WeightsTab
from initscope.tui.theory.jacobian import JacobianView
from initscope.tui.theory.phase import PhaseView
from initscope.tui.theory.views import TheoryTab

VIEWS = views_of((WeightsTab, ForwardTab, BackwardTab, TheoryTab))


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


def bars_cost(plot: Plot, repeats: int) -> str:
    """The bars' cells under a density line: built a second time by plotext against computed (median ms)."""
    fig = plot.figure
    if fig is None or not (fig.bars and fig.lines) or fig.fills:
        return ""
    plt, (w, h) = plot._plt, plot.size
    built, computed = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        build_matrix(plt, fig, w, h, lines=False)
        underlay(plt.monitor.matrix, {(0, 0, 0)})
        built.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        bar_underlay(fig, w, h)
        computed.append((time.perf_counter() - start) * 1000)
    return (
        f"; bars under the density built {statistics.median(built):.2f} ms, "
        f"computed {statistics.median(computed):.2f} ms"
    )


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
                await wait(
                    app, pilot, lambda: (job := app.query_one(JacobianView).job) is not None and job.status != "running"
                )
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
                gaps = bars_cost(plot, repeats)
                if stall:
                    on_loop = [await loop_gap(plot, False) for _ in range(repeats)]
                    threaded = [await loop_gap(plot, True) for _ in range(repeats)]
                    gaps += (
                        f"; longest loop gap {statistics.median(on_loop):.1f} ms on the loop, "
                        f"{statistics.median(threaded):.1f} ms in a thread"
                    )
                print(
                    f"{tab}/{view or '-'} {name} {plot.size.width}x{plot.size.height}: "
                    f"median {statistics.median(times):.1f} ms, worst {max(times):.1f} ms{gaps}"
                )


def window_cost(repeats: int) -> None:
    import numpy as np
    from plotext._figure import _figure_class
    from rich.style import Style

    from initscope.tui import plot_widget
    from initscope.tui.plots import Figure, Legend, Line

    rng = np.random.default_rng(0)
    x = np.arange(1, 51, dtype=np.float64)
    values = [0.82 + 0.01 * rng.standard_normal(50), 1.41 + 0.01 * rng.standard_normal(50), np.full(50, 0.83)]
    looks = [((0, 150, 255), "●"), ((255, 160, 0), "◆"), ((214, 112, 255), "▲")]
    measured = [
        Line(x, np.log10(v), c, marker=m, points=True, dodge=True) for v, (c, m) in zip(values, looks, strict=True)
    ]
    fig = Figure(
        lines=[Line(x, np.full(50, -0.1), (80, 200, 120)), *measured],
        log_y=True,
        depth=50,
        selected=25.0,
        legend=[Legend(f"s{k}", c, m) for k, (c, m) in enumerate(looks)],
    )
    names = vars(plot_widget)  # render_figure looks layer_window up in its module: swapped there
    plt, windowed = _figure_class(), names["layer_window"]
    for w, h in ((45, 23), (90, 23)):
        medians: dict[str, list[float]] = {"window": [], "whole": []}
        for _ in range(3):
            for name in medians:
                names["layer_window"] = windowed if name == "window" else (lambda f, *_: f)
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    plot_widget.render_figure(plt, fig, w, h, Style())
                    times.append((time.perf_counter() - start) * 1000)
                medians[name].append(statistics.median(times))
        names["layer_window"] = windowed
        print(f"{w}x{h}: " + ", ".join(f"{k} {min(v):.1f}-{max(v):.1f} ms" for k, v in medians.items()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="120x36")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--stall", action="store_true", help="also the event-loop gap: on the loop vs in a thread")
    parser.add_argument("--window", action="store_true", help="only what the window of layers costs")
    args = parser.parse_args()
    if args.window:
        window_cost(args.repeats)
        raise SystemExit(0)
    w, h = (int(v) for v in args.size.split("x"))
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus, size {w}x{h}")
    asyncio.run(main((w, h), args.repeats, args.stall))
