"""Fingerprint every number run() returns for a dozen configs, to show a refactor changed nothing.

Run:  python scripts/fingerprint_runs.py [--threads 1] [--out FILE]

Prints one line per config: its SHA-256 over every array, float, string and flag of the Result (the run's
time and date left out), in a fixed order, and at the end one over all of them. Run it with the code before
and after a change, on the same BLAS thread count (the thread count itself can change the last bits of a
product), and compare the lines. Checking runs of the verdict's suggested fix are part of the Result, so they
are covered too.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import sys
from typing import Any

import numpy as np

from initscope.blas import set_threads
from initscope.engine import Config, run

CONFIGS = {
    "default": Config(),
    "64 wide": Config(fan_in=64, batch=64, depth=10),
    "tanh deep": Config(activation="tanh", depth=30),
    "gelu float64": Config(activation="gelu", dtype="float64", depth=8),
    "leaky_relu bias": Config(activation="leaky_relu", bias="normal", depth=6),
    "sigmoid clip global": Config(activation="sigmoid", clip=0.5, clip_mode="global", depth=6),
    "lsuv": Config(initializer="lsuv", depth=6),
    "per-layer widths": Config(fan_in=784, width=(512, 256, 10), batch=300),
    "zeros (symmetric)": Config(initializer="zeros", depth=4),
    "overflow": Config(initializer="normal", initializer_params={"std": 10.0}, depth=40),
    "uniform input float16": Config(input="uniform", dtype="float16", depth=6),
    "blocked product": Config(fan_in=2048, width=2048, batch=300, depth=1),
    "residual": Config(arch="residual", depth=6),
}


def feed(h: Any, value: Any) -> None:
    """Hash one value of a Result: arrays by dtype, shape and bytes; dataclasses field by field."""
    if isinstance(value, np.ndarray):
        h.update(f"{value.dtype}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if f.name in ("elapsed_s", "created_utc", "config"):
                continue
            h.update(f.name.encode())
            feed(h, getattr(value, f.name))
    elif isinstance(value, (list, tuple)):
        h.update(b"[")
        for item in value:
            feed(h, item)
        h.update(b"]")
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            h.update(str(key).encode())
            feed(h, value[key])
    elif isinstance(value, float):
        h.update(value.hex().encode())
    else:
        h.update(repr(value).encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", help="also write the lines to this file")
    args = parser.parse_args()
    set_threads(args.threads)
    total = hashlib.sha256()
    lines = []
    for label, cfg in CONFIGS.items():
        h = hashlib.sha256()
        feed(h, run(cfg))
        total.update(h.digest())
        lines.append(f"{h.hexdigest()[:16]}  {label}")
        print(lines[-1], flush=True)
    lines.append(f"{total.hexdigest()[:16]}  all")
    print(lines[-1])
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
