"""Engine benchmark: forward+backward with all statistics against the bare GEMM chain of the same shapes.

Run:  python tests/benchmarks/bench_engine.py [--repeats 7]

Both sides run in this process, interleaved, and the figure reported is the median of the per-repeat
ratios, so machine noise (shared cores) cancels out as far as it can. Two engine figures are printed:
`run()` as a user calls it (weights sampled inside), and the propagation alone (weights sampled once and
handed in), which is what the <= 1.15 target of docs/architecture.md is about. With PyTorch installed (it is not a
dependency) the same forward+backward in torch on the CPU is timed too.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from initscope.blas import set_threads
from initscope.engine import Config, propagate, run
from initscope.engine.activations import make


def gemm_chain(x: np.ndarray, weights: list[np.ndarray], top: np.ndarray) -> None:  # type: ignore[type-arg]
    """The 3 GEMMs per layer of forward+backward, nothing else."""
    acts = [x]
    a = x
    for w in weights:
        a = a @ w
        acts.append(a)
    g = top
    for i in range(len(weights) - 1, -1, -1):
        _ = acts[i].T @ g
        g = g @ weights[i].T


def torch_chain(cfg: Config, weights: list[np.ndarray], x: np.ndarray, top: np.ndarray) -> Callable[[], None] | None:  # type: ignore[type-arg]
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(THREADS)
    ws = [torch.from_numpy(w) for w in weights]
    xt, gt = torch.from_numpy(x), torch.from_numpy(top)

    def go() -> None:
        with torch.no_grad():
            acts = [xt]
            a = xt
            for w in ws:
                a = torch.relu(a @ w)
                acts.append(a)
            g = gt
            for i in range(len(ws) - 1, -1, -1):
                dz = g * (acts[i + 1] > 0)
                _ = acts[i].T @ dz
                g = dz @ ws[i].T

    return go


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench(cfg: Config, repeats: int) -> dict[str, float]:
    act = make(cfg.activation)
    layers = [propagate.sample_layer(cfg, i + 1, act) for i in range(cfg.n_layers)]
    weights = [w for w, _ in layers]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((cfg.batch, cfg.fan_in)).astype(cfg.np_dtype)
    top = rng.standard_normal((cfg.batch, cfg.widths[-1])).astype(cfg.np_dtype)
    real_sample = propagate.sample_layer
    cache = dict(enumerate(layers, start=1))

    def engine_presampled() -> None:
        propagate.sample_layer = lambda c, layer, a: cache[layer]  # type: ignore[assignment]
        try:
            run(cfg)
        finally:
            propagate.sample_layer = real_sample

    torch_fn = torch_chain(cfg, weights, x, top)
    gemm_fn = lambda: gemm_chain(x, weights, top)  # noqa: E731
    for fn in (gemm_fn, engine_presampled):  # warm-up
        fn()
    ratios_full, ratios_prop, ratios_torch, base = [], [], [], []
    for _ in range(repeats):
        t_gemm = timed(gemm_fn)
        t_prop = timed(engine_presampled)
        t_full = timed(lambda: run(cfg))
        base.append(t_gemm)
        ratios_prop.append(t_prop / t_gemm)
        ratios_full.append(t_full / t_gemm)
        if torch_fn is not None:
            ratios_torch.append(t_prop / timed(torch_fn))
    out = {
        "gemm_chain_s": statistics.median(base),
        "propagation_ratio": statistics.median(ratios_prop),
        "run_ratio": statistics.median(ratios_full),
    }
    if ratios_torch:
        out["propagation_vs_torch"] = statistics.median(ratios_torch)
    return out


def peak_memory(cfg: Config) -> tuple[int, int]:
    """(peak bytes NumPy allocated during run(cfg), the config's estimate) via tracemalloc.

    A small run first builds the theory's per-activation quadrature table (a few MiB, once per process),
    which is not part of what one run needs.
    """
    import tracemalloc

    run(cfg.replace(depth=1, width=None))

    tracemalloc.start()
    try:
        run(cfg)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, cfg.memory_estimate()


THREADS = 1


def main() -> None:
    global THREADS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS (and torch) threads; 1 is what the explorer uses (default 1)")
    args = parser.parse_args()
    THREADS = args.threads
    set_threads(THREADS)  # both sides alike: torch's OpenMP threads next to OpenBLAS's make either erratic
    print(f"BLAS threads: {THREADS}")
    configs = {
        "width=batch=1024, depth 20, float32": Config(fan_in=1024, batch=1024, depth=20),
        "default (256, depth 10, batch 256)": Config(),
    }
    for label, cfg in configs.items():
        r = bench(cfg, args.repeats)
        torch_part = f"  engine/torch {r['propagation_vs_torch']:.2f}" if "propagation_vs_torch" in r else ""
        print(f"{label}: GEMM chain {r['gemm_chain_s'] * 1e3:.1f} ms  propagation/GEMM {r['propagation_ratio']:.3f}  "
              f"run()/GEMM {r['run_ratio']:.3f}{torch_part}")
    for cfg in (Config(fan_in=1024, batch=1024, depth=20), Config(), Config(activation="gelu", depth=30),
                Config(activation="sigmoid", depth=30), Config(dtype="float16"),
                Config(fan_in=784, width=(512, 256, 10), batch=4096, dtype="float64")):
        peak, estimate = peak_memory(cfg)
        print(f"memory {cfg.to_string()}: peak {peak / 2**20:.1f} MiB, estimate {estimate / 2**20:.1f} MiB, "
              f"peak/estimate {peak / estimate:.2f}")


if __name__ == "__main__":
    main()
