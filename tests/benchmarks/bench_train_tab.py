"""Race throughput in the explorer vs headless, and how long the event loop stalls while a race runs.

    python tests/benchmarks/bench_train_tab.py [--epochs 200] [--repeats 3]

Headless: `run_race` of the Train tab's default race (he_normal, xavier_normal, zeros on spirals; relu 64x3;
200 epochs) on this thread. In the app (Pilot, 120x36): the same race started with `t`, once with the Train
tab visible (live plots, at most ~10 redraws a second) and once from another tab (nothing drawn). A probe on
the event loop sleeps 5 ms in a loop and records how late it wakes: the worst lateness is the longest stall.
Also reported: the UI thread's time in the Train tab's draw code. A plain script, not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from initscope.blas import limit_blas_threads
from initscope.engine.config import Config
from initscope.engine.training import DEFAULT_NETWORK, TrainConfig, run_race
from initscope.tui.app import InitScopeApp
from initscope.tui.train.tab import TrainTab

CONTENDERS = "he_normal,xavier_normal,zeros"


def headless(epochs: int) -> float:
    result = run_race(TrainConfig(network=DEFAULT_NETWORK, contenders=CONTENDERS, epochs=epochs))
    return result.steps_per_second


async def in_app(epochs: int, visible: bool) -> dict[str, Any]:
    app = InitScopeApp(config=Config(fan_in=128, batch=128), clock=False)
    draw_time = [0.0]
    draws = [0]
    original = TrainTab._draw_race

    def timed(self: TrainTab) -> None:
        start = time.perf_counter()
        original(self)
        draws[0] += 1
        draw_time[0] += time.perf_counter() - start

    TrainTab._draw_race = timed  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            while app.shown_generation != app.generation:
                await pilot.pause(0.05)
            await pilot.press("5")
            tab = app.query_one(TrainTab)
            tab.query_one("#race-epochs").value = str(epochs)  # type: ignore[attr-defined]
            await pilot.pause(0.3)
            app.set_focus(None)
            lateness: list[float] = []
            stalls: list[tuple[float, float]] = []
            running = True
            t0 = time.perf_counter()

            async def probe() -> None:
                while running:
                    start = time.perf_counter()
                    await asyncio.sleep(0.005)
                    lateness.append(time.perf_counter() - start - 0.005)
                    if lateness[-1] > 0.05:
                        stalls.append((start - t0, lateness[-1]))

            if not visible:
                app.action_tab("weights")
                await pilot.pause(0.5)
            task = asyncio.create_task(probe())
            started = tab.generation
            if visible:
                app.action_race()  # the key t
            else:
                tab.start_race()  # the same race, without switching to the Train tab
            while tab.generation == started or tab.racing:
                await asyncio.sleep(0.05)
            running = False
            await task
            assert tab.race is not None
            return {
                "steps_per_s": tab.race.steps_per_second,
                "elapsed_s": tab.race.elapsed_s,
                "draws": draws[0],
                "draw_s": draw_time[0],
                "stall_max_ms": 1000 * max(lateness),
                "stall_p99_ms": 1000 * statistics.quantiles(lateness, n=100)[98],
                "stalls": ", ".join(f"{1000 * d:.0f} ms at {t:.2f} s" for t, d in stalls[:6]),
            }
    finally:
        TrainTab._draw_race = original  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    limit_blas_threads()
    rates: list[float] = []
    runs: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for _ in range(args.repeats):  # interleaved, so a busy moment of a shared machine hits every variant
        rates.append(headless(args.epochs))
        for visible in (True, False):
            run = asyncio.run(in_app(args.epochs, visible))
            run["ratio"] = run["steps_per_s"] / rates[-1]
            runs[visible].append(run)
    print(
        f"headless run_race: {statistics.median(rates):.0f} steps/s (median of {args.repeats}: "
        + ", ".join(f"{r:.0f}" for r in rates)
        + ")"
    )
    for visible in (True, False):
        best = sorted(runs[visible], key=lambda r: r["ratio"])[len(runs[visible]) // 2]
        where = "Train tab visible" if visible else "another tab shown"
        ratio = best["ratio"]
        every = ", ".join(f"{r['ratio']:.2f}" for r in runs[visible])
        print(
            f"in the app, {where}: {best['steps_per_s']:.0f} steps/s ({ratio:.2f}x the headless run before it; "
            f"all: {every}), "
            f"{best['draws']} redraws in {best['elapsed_s']:.1f} s, {1000 * best['draw_s']:.0f} ms drawing, "
            f"event-loop stall max {best['stall_max_ms']:.0f} ms, p99 {best['stall_p99_ms']:.0f} ms"
            + (f" (over 50 ms: {best['stalls']})" if best["stalls"] else "")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
