"""Benchmark of the Theory tab's on-demand work in the app (a plain script, not collected by pytest).

For each: the work's own time (in its worker thread), the wall time from the request to the view drawn, and
the longest event-loop stall meanwhile (gaps between 5 ms ticks, minus 5 ms; docs/architecture.md target <= 50 ms):

1. the phase-diagram grid (theory.phase_grid, 61 x 41) for tanh and for sigmoid (wider axis), cold;
2. the Jacobian spectrum (key j) at the default config, at width 1024 depth 20 and orthogonal tanh depth 32;
3. the seed ensemble (key k, 8 seeds) at the default config and at depth 50;
4. one redraw of the phase view and of the Jacobian view (render of the visible widgets);
5. plain switches of tab (keys 1-5) and of Theory view (v, j): the longest stall from the key to 0.6 s after
   it (the switch's layout passes and frames, the tab underline's animation), median and worst of --rounds.

    python tests/benchmarks/bench_theory_views.py [--rounds 5] [--switches-only]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import NamedTuple

from bench_ui import SIZE, StallMeter, _settle  # the same app size and stall measure as the explorer benchmark
from textual import events
from textual.widgets import TabbedContent

from initscope.engine.config import Config
from initscope.tui.app import InitScopeApp
from initscope.tui.plot_widget import Plot
from initscope.tui.seed_ensemble import SeedEnsemble
from initscope.tui.theory.jacobian import JacobianView
from initscope.tui.theory.phase import PhaseView
from initscope.tui.theory.views import TheoryTab


class Parts(NamedTuple):
    phase: PhaseView
    jacobian: JacobianView
    ensemble: SeedEnsemble


async def measure(
    cfg: Config,
    start: Callable[[InitScopeApp], None],
    done: Callable[[InitScopeApp], bool],
) -> tuple[float, float, float, Parts]:
    """(wall ms from start() to done(), longest stall ms, p99 stall ms, the widgets that did the work) with the
    app on `cfg` (the widgets are kept: after the app exits it can no longer be queried)."""
    app = InitScopeApp(config=cfg, clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        await pilot.pause(0.2)
        meter = StallMeter(app)
        await asyncio.sleep(0.2)
        meter.gaps.clear()
        began = time.perf_counter()
        start(app)
        while not done(app):
            await asyncio.sleep(0.002)
        wall = (time.perf_counter() - began) * 1000
        await asyncio.sleep(0.1)
        worst, p99, _ = meter.stop()
        parts = Parts(app.query_one(PhaseView), app.query_one(JacobianView), app.query_one(SeedEnsemble))
    return wall, worst, p99, parts


def phase_view(app: InitScopeApp) -> None:
    app.action_tab("theory")
    app.action_set_view("theory", "phase")


def phase_drawn(app: InitScopeApp) -> bool:
    pmap = app.query_one("#phase-map", Plot)
    return pmap.figure is not None and pmap.figure.heat is not None and pmap.strips is not None


def jacobian_drawn(app: InitScopeApp) -> bool:
    return (
        (job := app.query_one(JacobianView).job) is not None
        and job.status == "done"
        and app.query_one("#jacobian-hist", Plot).figure is not None
        and app.query_one("#jacobian-hist", Plot).strips is not None
    )


def ensemble_drawn(app: InitScopeApp) -> bool:
    return (job := app.query_one(SeedEnsemble).job) is not None and job.status == "done"


SWITCHES: tuple[tuple[str, str, str], ...] = (
    ("4", "theory", "measured"),
    ("5", "train", ""),
    ("1", "weights", ""),
    ("2", "forward", ""),
    ("3", "backward", ""),
    ("4", "theory", "measured"),
    ("v", "theory", "saturation"),
    ("v", "theory", "phase"),
    ("v", "theory", "jacobian"),
    ("v", "theory", "measured"),
    ("j", "theory", "jacobian"),
    ("5", "train", ""),
    ("4", "theory", "jacobian"),
    ("v", "theory", "measured"),
    ("1", "weights", ""),
)
"""(key, tab shown after it, Theory view after it): every tab entered from another, every Theory view."""
SWITCH_WINDOW_S = 0.6


async def switch_stalls(rounds: int) -> dict[str, list[float]]:
    """Longest stall (ms) per switch of SWITCHES, once per round, in one app at the default config. The first
    round computes the phase grid and the Jacobian (in workers) as it meets them; later rounds find them done."""
    app = InitScopeApp(config=Config(), clock=False)
    stalls: dict[str, list[float]] = {}
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        app.set_focus(None)  # the digit keys switch tabs (in a field they would be typed)
        await pilot.pause(0.3)
        theory = app.query_one(TheoryTab)
        before = "weights"
        for _ in range(rounds):
            for key, tab, view in SWITCHES:
                meter = StallMeter(app)
                await asyncio.sleep(0.1)
                meter.gaps.clear()
                # as a terminal delivers a key; pilot.press would also walk every widget's queue and wait for the
                # tab underline's animation, its own work on the loop counted as the app's
                app.post_message(events.Key(key, key))
                await asyncio.sleep(SWITCH_WINDOW_S)
                worst, _, _ = meter.stop()
                shown = app.query_one("#tabs", TabbedContent).active
                assert shown == tab and (not view or theory.view == view), (key, shown, theory.view)
                entered = f"{before} -> {tab}" + (f" ({view})" if view else "")
                label = entered if key in "12345" else f"{key}: {view}"
                stalls.setdefault(label, []).append(worst)
                before = tab
    return stalls


def report_switches(rounds: int) -> None:
    stalls = asyncio.run(switch_stalls(rounds))
    print(
        f"tab and view switches (longest stall from the key to {SWITCH_WINDOW_S} s after; median / worst of "
        f"{rounds} rounds; target <= 50 ms):"
    )
    for label, values in stalls.items():
        print(f"  {label:28s} {statistics.median(values):6.1f} / {max(values):6.1f} ms")
    medians = [statistics.median(v) for v in stalls.values()]
    print(f"  all switches: worst median {max(medians):.1f} ms, median of medians {statistics.median(medians):.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of tab and view switches")
    parser.add_argument("--switches-only", action="store_true", help="only the tab and view switches")
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, {platform.system()} {platform.release()}; headless {SIZE[0]}x{SIZE[1]}"
    )
    if args.switches_only:
        report_switches(args.rounds)
        return 0
    for act in ("tanh", "sigmoid"):
        wall, worst, p99, parts = asyncio.run(measure(Config(activation=act), phase_view, phase_drawn))
        grid = next(iter(parts.phase.grids.values()))
        print(
            f"phase grid {act} ({grid.chi1.shape[1]}x{grid.chi1.shape[0]}, σw² to {grid.w_max:g}): worker "
            f"{grid.elapsed_s * 1000:.0f} ms, view shown to map drawn {wall:.0f} ms, stall max {worst:.1f} ms, "
            f"p99 {p99:.1f} ms"
        )
    for cfg in (
        Config(),
        Config(fan_in=1024, depth=20, batch=64),
        Config(initializer="orthogonal", initializer_params={"gain": 1.05}, activation="tanh", depth=32),
    ):
        wall, worst, p99, parts = asyncio.run(measure(cfg, lambda a: a.action_jacobian(), jacobian_drawn))
        job = parts.jacobian.job
        assert job is not None and job.result is not None
        r = job.result
        print(
            f"Jacobian {cfg.to_string()}: worker {r.elapsed_s * 1000:.0f} ms (chain {r.chain_s * 1000:.0f}, SVD "
            f"{r.svd_s * 1000:.0f}), key to spectrum drawn {wall:.0f} ms, stall max {worst:.1f} ms, p99 {p99:.1f} ms"
        )
    for cfg in (Config(), Config(depth=50)):
        wall, worst, p99, parts = asyncio.run(measure(cfg, lambda a: a.action_ensemble(), ensemble_drawn))
        job = parts.ensemble.job
        assert job is not None and job.result is not None
        print(
            f"seed ensemble (8 seeds) {cfg.to_string()}: worker {job.result.elapsed_s * 1000:.0f} ms, "
            f"key to bands drawn {wall:.0f} ms, stall max {worst:.1f} ms, p99 {p99:.1f} ms"
        )
    report_switches(args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
