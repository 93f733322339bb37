"""Residual benchmark: does a residual run cost its bare NumPy loop no more than a plain run costs its own?

Run:  python tests/benchmarks/bench_residual.py [--repeats 9] [--threads 1] [--clock wall|cpu]

For each size, four sides run interleaved in this process and each figure is the median of per-repeat
ratios (the machine is shared: ratios within one process cancel most of its noise):
- plain run(): the plain He ReLU MLP, as a user calls it;
- bare plain: bench_engine's NumPy forward + backward on the same weights;
- residual run(): the same width and depth as residual blocks of two layers, branches scaled by
  1/sqrt(2L) (stable: no fix is computed, as for the plain He net);
- bare residual: the same blocks in NumPy, nothing else (relu, x @ W twice, the addition; going down the
  relu masks, both weight products and both input products per block).
The target (issue 15): residual run() / bare residual <= 1.2 x plain run() / bare plain.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from initscope.blas import set_threads
from initscope.engine import Config, network, run

try:  # run as a script (python tests/benchmarks/bench_residual.py) or as a module
    from bench_engine import inputs, numpy_chain
except ImportError:  # pragma: no cover
    from tests.benchmarks.bench_engine import inputs, numpy_chain

SIZES = {
    "64 wide, depth 10, batch 64": dict(fan_in=64, batch=64, depth=10),
    "default: 256 wide, depth 10, batch 256": dict(fan_in=256, batch=256, depth=10),
    "256 wide, depth 50, batch 256": dict(fan_in=256, batch=256, depth=50),
}
CLOCK: Callable[[], float] = time.perf_counter


def residual_chain(cfg: Config) -> Callable[[], None]:
    net = network.build(cfg)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((cfg.batch, cfg.fan_in)).astype(cfg.np_dtype)
    top = rng.standard_normal((cfg.batch, cfg.fan_in)).astype(cfg.np_dtype)
    pairs = [(net.weights[2 * i], net.weights[2 * i + 1]) for i in range(cfg.n_layers)]

    def go() -> None:
        kept = []
        s = x
        for w1, w2 in pairs:
            u1 = np.maximum(s, 0)
            u2 = np.maximum(u1 @ w1, 0)
            kept.append((u1, u2))
            s = s + u2 @ w2
        g = top
        for (w1, w2), (u1, u2) in zip(reversed(pairs), reversed(kept), strict=True):
            _ = u2.T @ g
            d2 = (g @ w2.T) * (u2 > 0)
            _ = u1.T @ d2
            g = g + (d2 @ w1.T) * (u1 > 0)

    return go


def timed(fn: Callable[[], object]) -> float:
    start = CLOCK()
    fn()
    return CLOCK() - start


def bench(size: dict[str, int], repeats: int) -> tuple[float, float]:
    plain = Config(**size)  # type: ignore[arg-type]
    residual = Config(arch="residual", branch_scale="1/sqrt(2L)", **size)  # type: ignore[arg-type]
    bare_plain = numpy_chain(*inputs(plain))
    bare_residual = residual_chain(residual)
    sides = [bare_plain, lambda: run(plain), bare_residual, lambda: run(residual)]
    for fn in sides:
        fn()
    plain_ratio, residual_ratio = [], []
    for _ in range(repeats):
        t = [timed(fn) for fn in sides]
        plain_ratio.append(t[1] / t[0])
        residual_ratio.append(t[3] / t[2])
    return statistics.median(plain_ratio), statistics.median(residual_ratio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    set_threads(args.threads)
    print(f"BLAS threads: {args.threads}; repeats {args.repeats} (medians); {args.clock} clock")
    print("| size | plain run() / bare | residual run() / bare | residual / plain (target <= 1.2) |")
    print("|---|---|---|---|")
    for label, size in SIZES.items():
        p, r = bench(size, args.repeats)
        print(f"| {label} | {p:.2f} | {r:.2f} | {r / p:.2f} |", flush=True)


if __name__ == "__main__":
    main()
