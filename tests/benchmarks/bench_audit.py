"""Audit benchmark: a 1 GiB .safetensors file, peak memory and time of `initscope audit` against a bare pass.

Run:  python tests/benchmarks/bench_audit.py [--gib 1.0] [--repeats 3] [--keep FILE]

Writes a float32 .safetensors file of about `--gib` GiB, streamed in chunks (its largest tensor is a quarter of
it: an embedding, a dense weight, a conv kernel and a second dense weight of that size that do not chain, and a
few small biases and norms), then runs, each in a fresh process and interleaved `--repeats` times:
- the audit (`audit_file`, signal run on: there is no dense chain, so it reports why and runs nothing);
- the bare pass: `safe_open(framework="numpy")`, `get_tensor` of each tensor, `np.std` of it.
Peak memory is the process's VmHWM (resident peak, file pages that safetensors maps included) minus its VmRSS
after the imports; time is the wall time of the work alone. The file is read from the page cache in both
(a first untimed audit warms it). Reported: the medians and the ratios the issue asks for (memory <= 2x the
largest tensor, time <= 2x the bare pass).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CHUNK_ROWS = 1024

PROBE = r"""
import json, sys, time
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    return 0
import numpy as np
from safetensors import safe_open
from initscope.engine.audit import audit_file
base = rss("VmRSS:")
start = time.perf_counter()
if sys.argv[1] == "audit":
    report = audit_file(sys.argv[2])
    assert report.tensors
else:
    with safe_open(sys.argv[2], framework="numpy") as handle:
        for key in handle.keys():
            float(np.std(handle.get_tensor(key)))
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "peak": rss("VmHWM:") - base}))
"""


def tensor_plan(gib: float) -> list[tuple[str, tuple[int, ...]]]:
    """Four tensors of a quarter of the size each (largest), plus small ones; shapes that do not chain."""
    quarter = int(gib * 2**30 / 4 / 4)  # float32 values per big tensor
    k = max(16, int(math.sqrt(quarter / 64)) // 16 * 16)
    rows = quarter // k
    return [
        ("embed.weight", (rows, k)),
        ("head.weight", (k // 4, rows * 4)),
        ("features.0.weight", (k, rows // 16, 4, 4)),
        ("proj.weight", (rows // 2, k * 2)),
        ("features.0.bias", (k,)),
        ("norm.weight", (k,)),
        ("norm.bias", (k,)),
        ("head.bias", (k // 4,)),
    ]


def write_file(path: Path, plan: list[tuple[str, tuple[int, ...]]], seed: int = 0) -> int:
    """Stream the tensors to a .safetensors file; returns the largest tensor's bytes."""
    header: dict[str, object] = {}
    offset = 0
    for name, shape in plan:
        size = 4 * math.prod(shape)
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    rng = np.random.default_rng(seed)
    with path.open("wb") as handle:
        handle.write(len(text).to_bytes(8, "little") + text)
        for name, shape in plan:
            fan_in = math.prod(shape[1:]) if len(shape) > 1 else shape[0]
            std = math.sqrt(2.0 / fan_in)
            rows = shape[0]
            per_row = math.prod(shape[1:])
            step = max(1, (1 << 22) // max(1, per_row))
            for start in range(0, rows, step):
                count = min(step, rows - start) * per_row
                block = rng.standard_normal(count, dtype=np.float32)
                block *= std if not name.startswith("norm") else 0.0
                if name == "norm.weight":
                    block += 1.0
                handle.write(block.astype("<f4").tobytes())
    return max(4 * math.prod(s) for _, s in plan)


def probe(kind: str, path: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", PROBE, kind, str(path)], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"the {kind} probe failed:\n{out.stderr}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", metavar="FILE", help="write the file here and keep it (default: a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.keep) if args.keep else Path(folder) / "bench.safetensors"
        largest = write_file(path, tensor_plan(args.gib))
        size = path.stat().st_size
        print(f"file {size / 2**30:.3f} GiB, largest tensor {largest / 2**20:.0f} MiB")
        probe("audit", path)  # warm the page cache
        audits, bares = [], []
        for _ in range(args.repeats):
            audits.append(probe("audit", path))
            bares.append(probe("bare", path))
        a_time = statistics.median(r["seconds"] for r in audits)
        b_time = statistics.median(r["seconds"] for r in bares)
        a_peak = statistics.median(r["peak"] for r in audits)
        b_peak = statistics.median(r["peak"] for r in bares)
        ratios = [a["seconds"] / b["seconds"] for a, b in zip(audits, bares, strict=True)]
        print(f"audit: {a_time:.2f} s, peak +{a_peak / 2**20:.0f} MiB = {a_peak / largest:.2f}x the largest tensor")
        print(
            f"bare pass (get_tensor + np.std): {b_time:.2f} s, peak +{b_peak / 2**20:.0f} MiB = "
            f"{b_peak / largest:.2f}x the largest tensor"
        )
        print(
            f"audit / bare time: median of per-repeat ratios {statistics.median(ratios):.2f} "
            f"(repeats: {', '.join(f'{r:.2f}' for r in ratios)})"
        )


if __name__ == "__main__":
    main()
