"""Engine benchmark: run() against the same forward + backward in bare NumPy and in PyTorch.

Run:  python tests/benchmarks/bench_engine.py [--repeats 9] [--threads 1] [--clock wall|cpu] [--process] [--memory]

Every side runs in this process, interleaved, and each figure is the median of the per-repeat ratios, so
machine noise (shared cores) cancels out as far as it can. The sides:
- run(): what a user calls (weights drawn inside, every statistic, theory and verdict);
- bare NumPy: the same forward + backward with the weights already drawn, nothing else (per layer
  relu(A @ W); going down, the relu mask, A^T @ dZ and dZ @ W^T);
- PyTorch (when installed; it is not a dependency): the same loop as bare NumPy, on the same weights, with
  torch.set_num_threads set to the same thread count as the BLAS;
- PyTorch, same work: torch drawing its own weights (kaiming_normal_, float32), input and top gradient,
  and computing the per-layer statistics run() keeps (`torch_same_work`), short of theory and verdict.
  For information: issue 13's targets are defined against the PyTorch column.
`--clock cpu` times with this process's CPU time (all its threads) instead of the wall clock: on a machine
running several times more work than it has cores, a wall-clock time is mostly the waits for a core, and a
longer task waits more often, so wall-clock ratios of short and long tasks say little there.
Every command lets the C allocator keep freed arrays (`execution.keep_freed_memory`, set by blas.configure);
so does this script, for every side alike (the ratios compare the work, not the allocator), and the warm
run() of the whole-command figure is timed with it too.
`--process` adds the whole-command figures: `initscope run` as a process against `python -c "import numpy"`
plus one run() in a warm process (that run timed between the two launches of each repeat, and, the stricter
figure, timed back to back in a loop), and `theory --ensemble 8` against 8 single runs.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from initscope.blas import set_threads
from initscope.engine import Config, layer_weights, run, stats
from initscope.engine.activations import make
from initscope.engine.ensemble import seed_ensemble
from initscope.engine.execution import keep_freed_memory

CONFIGS = {
    "64 wide, depth 10, batch 64": Config(fan_in=64, batch=64, depth=10),
    "default: 256 wide, depth 10, batch 256": Config(),
    "256 wide, depth 50, batch 256": Config(depth=50),
    "1024 wide, depth 20, batch 1024": Config(fan_in=1024, batch=1024, depth=20),
}


def inputs(cfg: Config) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    act = make(cfg.activation)
    weights = [layer_weights.sample_layer(cfg, i + 1, act)[0] for i in range(cfg.n_layers)]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((cfg.batch, cfg.fan_in)).astype(cfg.np_dtype)
    top = rng.standard_normal((cfg.batch, cfg.widths[-1])).astype(cfg.np_dtype)
    return weights, x, top


def numpy_chain(weights: list[np.ndarray], x: np.ndarray, top: np.ndarray) -> Callable[[], None]:  # type: ignore[type-arg]
    def go() -> None:
        acts = [x]
        a = x
        for w in weights:
            a = np.maximum(a @ w, 0)
            acts.append(a)
        g = top
        for i in range(len(weights) - 1, -1, -1):
            dz = g * (acts[i + 1] > 0)
            _ = acts[i].T @ dz
            g = dz @ weights[i].T

    return go


def torch_chain(weights: list[np.ndarray], x: np.ndarray, top: np.ndarray) -> Callable[[], None] | None:  # type: ignore[type-arg]
    try:
        import torch
    except ImportError:
        return None
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


HIST_BINS, HIST_MAX_VALUES = stats.HIST_BINS, stats.HIST_MAX_VALUES


def torch_moments(t: Any, extremes: bool = True) -> tuple[float, float, float, float, float]:
    """(mean, std, min, max, sum of squares) of a torch tensor, with one conversion to Python floats."""
    import torch

    flat = t.reshape(-1)
    parts = [flat.sum().double(), torch.dot(flat, flat).double()]  # float32 sums: a float64 one is 15x slower
    if extremes:
        parts += [p.double() for p in torch.aminmax(flat)]
    values = torch.stack(parts).tolist()
    s1, s2 = values[0], values[1]
    lo, hi = (values[2], values[3]) if extremes else (math.nan, math.nan)
    mean = s1 / flat.numel()
    return mean, math.sqrt(max(s2 / flat.numel() - mean * mean, 0.0)), lo, hi, s2


def torch_histogram(t: Any, m: tuple[float, float, float, float, float]) -> Any:
    """stats.histogram's slots of a torch tensor: its bins and, at the ends, the values outside its range."""
    import torch

    mean, std, mn, mx, _ = m
    lo, hi = mean - 5 * std, mean + 5 * std
    if math.isfinite(mn):
        lo, hi = max(mn, lo), min(mx, hi)
    rows = t.reshape(t.shape[0], -1)
    if rows.numel() > HIST_MAX_VALUES:
        rows = rows[:: min(-(-rows.numel() // HIST_MAX_VALUES), rows.shape[0])]
    scale = HIST_BINS / (hi - lo)
    slot = (rows * scale).add_(1.0 - lo * scale).clamp_(0, HIST_BINS + 1).to(torch.int64)
    return torch.bincount(slot.reshape(-1), minlength=HIST_BINS + 2)  # faster here than clamp + torch.histc


def torch_same_work(cfg: Config) -> Callable[[], None] | None:
    """PyTorch doing what run() does short of theory and verdict: draw the weights (float32, as the config's
    initializer does in torch), the input and the top gradient, run forward + backward, and keep the same
    per-layer statistics: moments of W, Z, A, dA and dW (mean, std, min, max, sum of squares; no extremes
    for gradients, as run()), histograms of W, A and dW with stats.histogram's rule (48 bins, mean +- 5 std
    clipped to [min, max], outsiders counted in the end bins, at most 65,536 values by strided rows), the
    zero fraction of W, dead fraction and dead units of A, bias-gradient norms, the input gradient's std.
    A plain relu MLP with he_normal weights and no bias (what CONFIGS hold); anything else is refused."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None
    setting = (cfg.initializer, cfg.activation, cfg.bias, cfg.input, cfg.dtype, cfg.plain)
    he_relu = {"gain": math.sqrt(2), "mode": "fan_in"}  # torch's kaiming_normal_(nonlinearity="relu")
    if setting != ("he_normal", "relu", "zeros", "normal", "float32", True) or dict(cfg.initializer_params) != he_relu:
        raise ValueError(f"torch_same_work: only the default relu/he_normal float32 MLP, not {cfg.to_string()}")

    def go() -> None:
        with torch.no_grad():
            kept: list[Any] = []
            x = torch.randn(cfg.batch, cfg.fan_in)
            kept.append(torch_moments(x))
            acts, ws = [x], []
            a = x
            for fi, fo in cfg.layer_fans:
                w = torch.nn.init.kaiming_normal_(torch.empty(fo, fi), mode="fan_in", nonlinearity="relu")
                wm = torch_moments(w)
                kept += [wm, torch_histogram(w, wm), int(torch.count_nonzero(w != 0)), torch.aminmax(w[0])]
                z = F.linear(a, w)
                kept.append(torch_moments(z))
                a = torch.relu(z)
                am = torch_moments(a)
                kept += [
                    am,
                    torch_histogram(a, am),
                    int(torch.count_nonzero(a != 0)),
                    int(torch.count_nonzero(a.amax(dim=0) == 0)),
                ]
                ws.append(w)
                acts.append(a)
            g = torch.randn(cfg.batch, cfg.widths[-1])
            for i in range(len(ws) - 1, -1, -1):
                kept.append(torch_moments(g, extremes=False))
                dz = g.mul_(acts[i + 1] > 0)
                dw = dz.T @ acts[i]
                db = dz.sum(dim=0) / cfg.batch
                dwm = torch_moments(dw, extremes=False)
                kept += [dwm, torch_histogram(dw, dwm), float(torch.linalg.vector_norm(db))]
                g = dz @ ws[i]
            kept.append(torch_moments(g, extremes=False))

    return go


CLOCK: Callable[[], float] = time.perf_counter


def timed(fn: Callable[[], Any]) -> float:
    start = CLOCK()
    fn()
    return CLOCK() - start


def bench(cfg: Config, repeats: int) -> dict[str, float]:
    """Medians: run() time, run()/bare NumPy, run()/PyTorch and run()/PyTorch same work (absent without torch)."""
    weights, x, top = inputs(cfg)
    bare = numpy_chain(weights, x, top)
    sides = {"vs_torch": torch_chain(weights, x, top), "vs_torch_work": torch_same_work(cfg)}
    user = lambda: run(cfg)  # noqa: E731
    for fn in (bare, user, *sides.values()):  # warm-up
        if fn is not None:
            fn()
    t_run, vs_bare = [], []
    vs: dict[str, list[float]] = {key: [] for key, fn in sides.items() if fn is not None}
    for _ in range(repeats):
        t_bare = timed(bare)
        t_user = timed(user)
        t_run.append(t_user)
        vs_bare.append(t_user / t_bare)
        for key in vs:
            vs[key].append(t_user / timed(sides[key]))  # type: ignore[arg-type]
    out = {"run_s": statistics.median(t_run), "vs_bare": statistics.median(vs_bare)}
    out.update({key: statistics.median(ratios) for key, ratios in vs.items()})
    return out


def child_seconds(cmd: list[str]) -> float:
    """A subprocess's time: wall clock, or (cpu clock) the CPU time it used."""
    if CLOCK is time.perf_counter:
        return timed(lambda: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL))
    before = os.times()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def bytecode_state() -> str:
    """Whether a new `python -m initscope` finds initscope's modules compiled. A pip install compiles them;
    an editable install compiles each module once, unless PYTHONDONTWRITEBYTECODE is set: then every
    command compiles them again (tens of milliseconds), which NumPy's own import does not pay."""
    import importlib.util

    import initscope.cli

    cached = os.path.exists(importlib.util.cache_from_source(initscope.cli.__file__))
    return (
        "initscope's bytecode is compiled"
        if cached
        else "initscope's bytecode is not compiled: every command compiles it (python -m compileall -q initscope)"
    )


def process_figures(repeats: int, threads: int) -> None:
    """`initscope run` as a whole process, and `theory --ensemble 8` against 8 single runs."""
    cfg = Config()
    run(cfg)
    print(bytecode_state())
    ratios, commands, imports = [], [], []
    for _ in range(repeats):
        t_cmd = child_seconds([sys.executable, "-m", "initscope", "run", "--threads", str(threads)])
        t_numpy = child_seconds([sys.executable, "-c", "import numpy"])
        ratios.append(t_cmd / (t_numpy + timed(lambda: run(cfg))))
        commands.append(t_cmd)
        imports.append(t_numpy)
    # The run timed between the launches finds its caches cold (the children evicted them); back to back in a
    # loop it is faster, which makes the stricter figure.
    back_to_back = statistics.median(timed(lambda: run(cfg)) for _ in range(max(repeats, 9)))
    strict = statistics.median(commands) / (statistics.median(imports) + back_to_back)
    print(
        f"`initscope run --threads {threads}` (default config) / (python -c 'import numpy' + one warm run()): "
        f"median {statistics.median(ratios):.2f} with the run timed between the launches, {strict:.2f} with "
        f"the run timed back to back ({back_to_back * 1e3:.1f} ms) (target <= 1.5)"
    )
    ratios = []
    for _ in range(repeats):
        t_ensemble = timed(lambda: seed_ensemble(cfg, k=8))
        t_single = sum(timed(lambda s=seed: run(cfg.replace(seed=s))) for seed in range(8))  # type: ignore[misc]
        ratios.append(t_ensemble / t_single)
    print(
        f"theory --ensemble 8 (seed_ensemble, default config) / 8 single runs: median "
        f"{statistics.median(ratios):.2f} (target <= 1.2)"
    )


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=1, help="BLAS (and torch) threads (default 1)")
    parser.add_argument("--process", action="store_true", help="also the whole-command figures")
    parser.add_argument("--memory", action="store_true", help="also peak memory against the estimate")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall clock (default) or this process's CPU time (a busy machine)",
    )
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    set_threads(args.threads)  # both sides alike: torch's OpenMP threads next to OpenBLAS's make either erratic
    kept = keep_freed_memory()
    try:
        import torch

        torch.set_num_threads(args.threads)
        torch_note = f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s)"
    except ImportError:
        torch_note = "PyTorch not installed: no torch column"
    print(
        f"BLAS threads: {args.threads}; {torch_note}; repeats {args.repeats} (medians); {args.clock} clock; "
        f"freed arrays kept: {'yes' if kept else 'no'}; load average {os.getloadavg()[0]:.1f}"
    )
    print("| config | run() | run() / bare NumPy | run() / PyTorch | run() / PyTorch, same work |")
    print("|---|---|---|---|---|")
    for label, cfg in CONFIGS.items():
        r = bench(cfg, args.repeats)
        vs_torch, vs_work = (f"{r[key]:.2f}" if key in r else "-" for key in ("vs_torch", "vs_torch_work"))
        print(f"| {label} | {r['run_s'] * 1e3:.1f} ms | {r['vs_bare']:.2f} | {vs_torch} | {vs_work} |", flush=True)
    if args.process:
        process_figures(args.repeats, args.threads)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if args.memory:
        for cfg in (
            Config(fan_in=1024, batch=1024, depth=20),
            Config(),
            Config(activation="gelu", depth=30),
            Config(activation="sigmoid", depth=30),
            Config(dtype="float16"),
            Config(fan_in=784, width=(512, 256, 10), batch=4096, dtype="float64"),
        ):
            peak, estimate = peak_memory(cfg)
            print(
                f"memory {cfg.to_string()}: peak {peak / 2**20:.1f} MiB, estimate {estimate / 2**20:.1f} MiB, "
                f"peak/estimate {peak / estimate:.2f}"
            )


if __name__ == "__main__":
    main()
