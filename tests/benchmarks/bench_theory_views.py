"""Benchmark of the Theory tab's on-demand work in the app (a plain script, not collected by pytest).

For each: the work's own time (in its worker thread), the wall time from the request to the view drawn, and
the longest event-loop stall meanwhile (gaps between 5 ms ticks, minus 5 ms; DESIGN §7 target <= 50 ms):

1. the phase-diagram grid (theory.phase_grid, 61 x 41) for tanh and for sigmoid (wider axis), cold;
2. the Jacobian spectrum (key j) at the default config, at width 1024 depth 20 and orthogonal tanh depth 32;
3. the seed ensemble (key k, 8 seeds) at the default config and at depth 50;
4. one redraw of the phase view and of the Jacobian view (render of the visible widgets).

    python tests/benchmarks/bench_theory_views.py
"""

from __future__ import annotations

import asyncio
import os
import platform
import time
from collections.abc import Callable

from bench_ui import SIZE, StallMeter, _settle  # the same app size and stall measure as the explorer benchmark

from initscope.engine.config import Config
from initscope.tui.app import InitScopeApp
from initscope.tui.canvas import Canvas
from initscope.tui.theory_views import PhaseMap


async def measure(cfg: Config, start: Callable[[InitScopeApp], None], done: Callable[[InitScopeApp], bool],
                  ) -> tuple[float, float, float, InitScopeApp]:
    """(wall ms from start() to done(), longest stall ms, p99 stall ms) with the app on `cfg`."""
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
    return wall, worst, p99, app


def phase_view(app: InitScopeApp) -> None:
    app.action_tab("theory")
    app.action_set_view("theory", "phase")


def phase_drawn(app: InitScopeApp) -> bool:
    pmap = app.query_one("#phase-map", PhaseMap)
    return pmap.grid is not None and pmap.renders > 0


def jacobian_drawn(app: InitScopeApp) -> bool:
    return (app.jacobian is not None and app.jacobian.status == "done"
            and app.query_one("#jacobian-hist", Canvas).figure is not None and app.query_one(
                "#jacobian-hist", Canvas).renders > 0)


def ensemble_drawn(app: InitScopeApp) -> bool:
    return app.ensemble is not None and app.ensemble.status == "done"


def main() -> int:
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, {platform.system()} {platform.release()}; headless {SIZE[0]}x{SIZE[1]}")
    for act in ("tanh", "sigmoid"):
        wall, worst, p99, app = asyncio.run(measure(Config(activation=act), phase_view, phase_drawn))
        grid = next(iter(app.phase_grids.values()))
        print(f"phase grid {act} ({grid.chi1.shape[1]}x{grid.chi1.shape[0]}, σw² to {grid.w_max:g}): worker "
              f"{grid.elapsed_s * 1000:.0f} ms, view shown to map drawn {wall:.0f} ms, stall max {worst:.1f} ms, "
              f"p99 {p99:.1f} ms")
    for cfg in (Config(), Config(fan_in=1024, depth=20, batch=64),
                Config(initializer="orthogonal", initializer_params={"gain": 1.05}, activation="tanh", depth=32)):
        wall, worst, p99, app = asyncio.run(measure(cfg, lambda a: a.action_jacobian(), jacobian_drawn))
        assert app.jacobian is not None and app.jacobian.result is not None
        r = app.jacobian.result
        print(f"Jacobian {cfg.to_string()}: worker {r.elapsed_s * 1000:.0f} ms (chain {r.chain_s * 1000:.0f}, SVD "
              f"{r.svd_s * 1000:.0f}), key to spectrum drawn {wall:.0f} ms, stall max {worst:.1f} ms, p99 {p99:.1f} ms")
    for cfg in (Config(), Config(depth=50)):
        wall, worst, p99, app = asyncio.run(measure(cfg, lambda a: a.action_ensemble(), ensemble_drawn))
        assert app.ensemble is not None and app.ensemble.result is not None
        print(f"seed ensemble (8 seeds) {cfg.to_string()}: worker {app.ensemble.result.elapsed_s * 1000:.0f} ms, "
              f"key to bands drawn {wall:.0f} ms, stall max {worst:.1f} ms, p99 {p99:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
