"""Theory benchmark: depth-10000 predictions, the phase grid, the Jacobian at width 1024 and depth 50.

Run:  python tests/benchmarks/bench_theory.py [--repeats 5] [--orthogonal]

Plain script (not collected by pytest). Each figure is the median of `--repeats` timings in this process;
the Jacobian is also compared, in the same run, with its bare arithmetic (50 GEMMs of the same shapes and
dtype on weights drawn once, plus one float64 SVD), so the ratio says what sampling the weights, the
forward pass of the input and the rescaling add, whatever the machine's speed. `--orthogonal` also times
orthogonal weights at width 1024 (one QR of 1024 x 1024 per layer: slow, and what `run` pays as well).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from initscope.engine import Config, activations, run, theory
from initscope.engine.ensemble import predict_spread, seed_ensemble
from initscope.engine.jacobian import jacobian_spectrum
from initscope.engine.jacobian_prediction import predict_spectrum
from initscope.engine.layer_weights import sample_layer
from initscope.engine.theory import table as moment_table


def timed(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bare_chain(width: int, depth: int, dtype: type[np.floating]) -> Callable[[], None]:
    rng = np.random.default_rng(0)
    weights = [(rng.standard_normal((width, width)) * np.sqrt(2.0 / width)).astype(dtype) for _ in range(depth)]

    def go() -> None:
        j = weights[0]
        for w in weights[1:]:
            j = j @ w
        np.linalg.svd(j.astype(np.float64), compute_uv=False)

    return go


def draw_all(cfg: Config) -> None:
    """Only the weights, as run() and jacobian_spectrum() draw them."""
    act = activations.make(cfg.activation, dict(cfg.activation_params))
    for layer in range(1, cfg.n_layers + 1):
        sample_layer(cfg, layer, act)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--orthogonal", action="store_true", help="also time orthogonal weights at width 1024")
    args = parser.parse_args()
    r = args.repeats
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"numpy {np.__version__}, python {platform.python_version()}"
    )

    print("\n# theory at depth 10000 (a scalar recursion per layer)")
    for act in ("relu", "tanh", "gelu"):
        cfg = Config(activation=act, fan_in=256, depth=10000, batch=1, memory_budget=2**62)
        moment_table._table_for.cache_clear()
        cold = timed(partial(theory.predict, cfg), 1)
        warm = timed(partial(theory.predict, cfg), r)
        print(f"  predict {act:5} depth 10000: {warm * 1e3:8.2f} ms (first call, table built: {cold * 1e3:.1f} ms)")
    tanh = activations.make("tanh")
    crit = timed(partial(theory.criticality, tanh, 1.76, 0.05), r)
    print(f"  criticality tanh (one point, exact):     {crit * 1e3:8.2f} ms")
    cfg = Config(
        activation="tanh",
        initializer="orthogonal",
        initializer_params={},
        fan_in=256,
        depth=10000,
        batch=1,
        memory_budget=2**62,
    )
    print(f"  predict_spectrum tanh depth 10000:       {timed(lambda: predict_spectrum(cfg), r) * 1e3:8.2f} ms")
    cfg = Config(activation="relu", fan_in=256, depth=10000, batch=256, memory_budget=2**62)
    print(f"  predict_spread relu depth 10000 batch 256: {timed(lambda: predict_spread(cfg), r) * 1e3:6.2f} ms")

    print("\n# phase grid (chi_1 over sigma_w^2 x sigma_b^2)")
    sw2 = np.linspace(0.5, 4.0, 60)
    sb2 = np.linspace(0.0, 0.5, 60)
    for act in ("tanh", "gelu", "relu"):
        a = activations.make(act)
        grid = timed(partial(theory.phase_grid, a, sw2, sb2), max(1, r // 2))
        print(f"  {act:5} 60 x 60: {grid * 1e3:8.1f} ms")

    print("\n# Jacobian, width 1024, depth 50 (engine and bare arithmetic interleaved; median of per-repeat ratios)")
    for dtype in ("float32", "float64"):
        cfg = Config(activation="relu", fan_in=1024, depth=50, batch=1, dtype=dtype)
        bare = bare_chain(1024, 50, np.float32 if dtype == "float32" else np.float64)
        totals, chains, svds, bares, ratios = [], [], [], [], []
        for _ in range(r):
            started = time.perf_counter()
            result = jacobian_spectrum(cfg)
            totals.append(time.perf_counter() - started)
            chains.append(result.chain_s)
            svds.append(result.svd_s)
            bares.append(timed(bare, 1))
            ratios.append(totals[-1] / bares[-1])
        sampling = timed(partial(draw_all, cfg), r)
        med = statistics.median
        print(
            f"  he_normal relu {dtype}: {med(totals):6.2f} s (chain {med(chains):.2f} s, SVD {med(svds):.2f} s); "
            f"bare 50 GEMMs + SVD {med(bares):.2f} s; ratio {med(ratios):.2f}; drawing the 50 weight matrices "
            f"alone {sampling:.2f} s"
        )
    if args.orthogonal:
        cfg = Config(
            activation="tanh",
            initializer="orthogonal",
            initializer_params={"gain": 1.05},
            fan_in=1024,
            depth=50,
            batch=1,
        )
        print(f"  orthogonal tanh float32: {timed(lambda: jacobian_spectrum(cfg), 1):6.2f} s (50 QRs of 1024 x 1024)")

    print("\n# seed ensemble, default config (he_normal relu, 256 x 10, batch 256)")
    cfg = Config()
    ens = timed(lambda: seed_ensemble(cfg, k=8), max(1, r // 2))
    single = timed(lambda: run(cfg), r)
    print(f"  k = 8: {ens:6.3f} s; 8 x run(): {8 * single:6.3f} s; ratio {ens / (8 * single):.2f}")


if __name__ == "__main__":
    main()
