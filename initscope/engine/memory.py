"""The memory budget: a run's peak bytes computed before anything is allocated, sizes as text, and the
machine's memory.

A config whose estimate exceeds its budget is refused at construction (config.py), and the CLI refuses a
budget raised past the machine (check_fits_machine), so a run ends in a message, never a MemoryError.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from initscope.engine import activations
from initscope.engine.errors import ConfigError
from initscope.engine.limits import MAX_BUDGET

if TYPE_CHECKING:
    from initscope.engine.config import Config

LAYER_OVERHEAD = 8 * 1024
"""Bytes per layer beside the arrays: Python objects of its histograms and statistics."""
RUN_OVERHEAD = 8 * 1024**2
"""Bytes per run beside the layers: the activation's mean-field table, built on first use while the stored
activations are still alive (measured 4.4-5.4 MiB peak), the verdict and the result's containers."""


def format_bytes(n: float) -> str:
    """Human-readable size: 1.5 GiB, 300 MiB."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def parse_bytes(name: str, value: object) -> int:
    """'2GiB', '512MiB', '1e9' -> bytes."""
    text = str(value).strip().replace(" ", "")
    match = re.fullmatch(r"([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)([KMGT]i?B?|B)?", text, re.IGNORECASE)
    if not match:
        raise ConfigError(name, value, "a size such as 2GiB, 512MiB or a number of bytes")
    number = float(match.group(1))
    unit = (match.group(2) or "B").upper().rstrip("B").rstrip("I")
    scale = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}[unit]
    if not number * scale <= MAX_BUDGET:  # also catches 1e400 (inf)
        raise ConfigError(name, value, f"a size > 0 and at most {format_bytes(MAX_BUDGET)}")
    size = int(number * scale)
    if size <= 0:
        raise ConfigError(name, value, "a size > 0")
    return size


def budget(value: object) -> int:
    """The memory_budget field: a positive int up to MAX_BUDGET, or a size in words ('2GiB')."""
    if isinstance(value, bool) or not isinstance(value, int):
        return parse_bytes("memory_budget", value)
    if not 0 < value <= MAX_BUDGET:
        raise ConfigError("memory_budget", value, f"a size > 0 and at most {format_bytes(MAX_BUDGET)}")
    return value


def machine_memory() -> int | None:
    """Bytes of physical memory, or None where the system does not say."""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return int(pages * page_size) if pages > 0 and page_size > 0 else None


def _reduce_hint(cfg: Config) -> str:
    from initscope.engine.config import widths_text

    return f"reduce depth ({cfg.depth}), width ({widths_text(cfg.widths)}) or batch ({cfg.batch})"


def check_fits_machine(cfg: Config) -> None:
    """Refuse a run whose memory estimate exceeds the machine's memory: with the budget raised past it, the
    run would end in a MemoryError (or the system's out-of-memory killer) instead of a message."""
    total = machine_memory()
    need = estimate(cfg)
    if total is not None and need > total:
        raise ConfigError(
            "memory_budget",
            cfg.memory_budget,
            f"a run that fits this machine's {format_bytes(total)}",
            message=f"memory_budget: this run needs {format_bytes(need)}, "
            f"more than this machine's {format_bytes(total)} of memory; {_reduce_hint(cfg)}",
        )


def check_budget(cfg: Config) -> None:
    """Refuse a config whose estimate exceeds its own budget."""
    need = estimate(cfg)
    if need > cfg.memory_budget:
        raise ConfigError(
            "memory_budget",
            cfg.memory_budget,
            f"at least {format_bytes(need)} for this run",
            message=f"memory_budget: this run needs {format_bytes(need)}, over the budget of "
            f"{format_bytes(cfg.memory_budget)}; {_reduce_hint(cfg)}, use a smaller dtype ({cfg.dtype}), "
            "or raise the memory budget",
        )


def estimate(cfg: Config) -> int:
    """Bytes the run needs at its peak, computed before anything is allocated.

    Stored for the backward pass: the input and every layer's activation (plus phi'(z) for
    activations whose derivative needs z), every weight matrix and bias; plus the working arrays
    of one layer (pre-activation, gradients), float64 scratch for the statistics, and the per-layer
    bookkeeping (histograms, summaries: measured 2.7-4.7 KB a layer, counted as LAYER_OVERHEAD).
    tests/engine/test_config.py measures the peak of the largest accepted config of each kind.
    """
    item = cfg.np_dtype.itemsize
    widths = cfg.widths
    widest = max((cfg.fan_in, *widths))
    if not cfg.plain:  # kept per block: stream, norm output, and each branch layer's input and output
        per_block = 2 + 2 * (cfg.branch_depth if cfg.residual else 1)
        dense = sum(fi * fo + fo for fi, fo in cfg.dense_fans)
        # + the backward's working arrays (gradients, norm scratch) and float64 scratch for the statistics
        return int(
            item * (cfg.batch * widest * (per_block * cfg.n_layers + 8) + 2 * dense // cfg.n_layers + dense)
            + 16 * cfg.batch * widest
        )
    needs_z = activations.SPECS[cfg.activation].needs_z
    stored = cfg.batch * (cfg.fan_in + sum(widths) * (2 if needs_z else 1))
    weights = sum(fi * fo + fo for fi, fo in cfg.layer_fans)
    largest_matrix = max(fi * fo for fi, fo in cfg.layer_fans)
    working = 3 * cfg.batch * widest + largest_matrix
    scratch64 = 8 * max(cfg.batch * widest, largest_matrix)
    return int(item * (stored + weights + working) + scratch64 + LAYER_OVERHEAD * cfg.n_layers + RUN_OVERHEAD)
