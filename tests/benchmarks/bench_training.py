"""Training-race benchmark: optimizer steps per second of the default race, against PyTorch CPU.

Run:  python tests/benchmarks/bench_training.py [--repeats 5] [--epochs 200]

Measures, in this process and interleaved (the median of the repeats is reported, so noise from other work
on a shared machine cancels as far as it can):
- `run_race` on the default race (`initscope train --compare he_normal,xavier_normal,zeros --dataset spirals
  --epochs 200`: relu 2-64-64-64-2, 512 samples, batch 64, SGD momentum 0.9), steps/s summed over contenders,
  with everything it records (full-data loss each epoch, per-layer gradient norms, update ratios, symmetry);
- the bare NumPy step loop of the same MLP (forward, backward, SGD; nothing recorded): the recording overhead;
- with PyTorch installed (never a dependency): the same MLP in torch on the CPU, same initial weights (torch
  stores [out, in]: our W.T), same data and batch order, same optimizer, and the largest difference between
  its epoch losses and ours (float32 round-off only if both compute the same thing).
BLAS and torch both use one thread, as `initscope train` does (small matrices; threads only contend).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads, as the CLI's limit_blas_threads

import numpy as np

from initscope.engine import training as T
from initscope.engine.streams import Stream, layer_rng
from initscope.engine.training.optim import _SGD


def numpy_bare(tc: T.TrainConfig) -> tuple[float, list[float]]:
    """The he_normal contender's training loop with nothing recorded: (seconds, epoch losses)."""
    ds = tc.dataset()
    x = ds.x.astype(np.float32)
    mlp = T.build_mlp(tc, tc.contender_list[0], ds.out_dim)
    params = [p for pair in zip(mlp.weights, mlp.biases, strict=True) for p in pair]
    opt = _SGD(params, tc.effective_lr, tc.momentum)
    bs, n = tc.batch_size, ds.n
    losses = []
    start = time.perf_counter()
    for epoch in range(1, tc.epochs + 1):
        order = layer_rng(tc.effective_seed, Stream.ORDER, epoch).permutation(n)
        xs, ys = x[order], ds.y[order]
        for s in range(0, n, bs):
            _, _, dws, dbs = mlp.loss_and_gradients(xs[s : s + bs], ys[s : s + bs], ds.task)
            for i, g in enumerate(g for pair in zip(dws, dbs, strict=True) for g in pair):
                params[i] -= opt.update(i, g)
        losses.append(mlp.evaluate(x, ds.y, ds.task)[0])
    return time.perf_counter() - start, losses


def torch_race(tc: T.TrainConfig, torch: Any) -> tuple[float, list[float]]:
    """The same MLP, init, data, batches and SGD in PyTorch (CPU, float32): (seconds, epoch losses)."""
    ds = tc.dataset()
    mlp = T.build_mlp(tc, tc.contender_list[0], ds.out_dim)
    layers: list[Any] = []
    for i, (w, b) in enumerate(zip(mlp.weights, mlp.biases, strict=True)):
        lin = torch.nn.Linear(*w.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w.T.copy()))  # torch layout [out, in]
            lin.bias.copy_(torch.from_numpy(b.copy()))
        layers.append(lin)
        if i < len(mlp.weights) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=tc.effective_lr, momentum=tc.momentum)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.from_numpy(ds.x.astype(np.float32))
    y = torch.from_numpy(ds.y)
    bs, n = tc.batch_size, ds.n
    losses = []
    start = time.perf_counter()
    for epoch in range(1, tc.epochs + 1):
        order = torch.from_numpy(layer_rng(tc.effective_seed, Stream.ORDER, epoch).permutation(n))
        xs, ys = x[order], y[order]
        for s in range(0, n, bs):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xs[s : s + bs]), ys[s : s + bs])
            loss.backward()
            opt.step()
        with torch.no_grad():
            losses.append(float(loss_fn(model(x), y)))
    return time.perf_counter() - start, losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None

    tc = T.TrainConfig(epochs=args.epochs)
    single = tc.replace(contenders="he_normal")
    steps_one = args.epochs * -(-512 // tc.batch_size)
    race_sps, race_s, bare_sps, torch_sps = [], [], [], []
    diff = float("nan")
    for _ in range(args.repeats):
        result = T.run_race(tc)
        race_sps.append(result.steps_per_second)
        race_s.append(result.elapsed_s)
        bare_s, ours = numpy_bare(single)
        bare_sps.append(steps_one / bare_s)
        if torch is not None:
            torch_s, theirs = torch_race(single, torch)
            torch_sps.append(steps_one / torch_s)
            diff = max(abs(a - b) for a, b in zip(ours, theirs, strict=True))
    med = statistics.median
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"numpy {np.__version__}, python {platform.python_version()}"
        + (f", torch {torch.__version__}" if torch is not None else "")
    )
    print(
        f"default race ({len(tc.contender_list)} contenders x {steps_one} steps): {med(race_s):.2f} s, "
        f"{med(race_sps):.0f} steps/s (all recording included)"
    )
    print(
        f"bare NumPy step loop (he_normal, nothing recorded): {med(bare_sps):.0f} steps/s; "
        f"race/bare per step = {med(bare_sps) / med(race_sps):.2f}x"
    )
    if torch is not None:
        print(
            f"PyTorch CPU, same MLP/init/batches/SGD: {med(torch_sps):.0f} steps/s; "
            f"NumPy bare / torch = {med(bare_sps) / med(torch_sps):.2f}x, race / torch = "
            f"{med(race_sps) / med(torch_sps):.2f}x"
        )
        print(f"largest |epoch loss NumPy - torch| over {args.epochs} epochs: {diff:.2e}")
    else:
        print("PyTorch not installed: `pip install torch` to compare (it is not a dependency)")


if __name__ == "__main__":
    main()
