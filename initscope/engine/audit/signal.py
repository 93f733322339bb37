"""The file's own MLP through the engine: where dense layers of one module chain (each layer's fan_out is the
next one's fan_in), the longest such chain runs forward and backward with the file's weights and biases, exactly
as a generated net does (propagate.run with `given_weights=`), so its per-layer signal and verdict come out the
same way. A file with attention layers is a transformer, whose blocks are residual: no plain chain is run.

The activation is not stored in a weights file: it is the audit's `activation` argument (relu by default).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from initscope.engine.audit.conventions import natural_key
from initscope.engine.audit.layout import module_of, words
from initscope.engine.audit.reading import WeightsFile
from initscope.engine.config import build
from initscope.engine.errors import ConfigError

if TYPE_CHECKING:
    from initscope.engine.audit.core import AuditReport, TensorAudit

MIN_LAYERS = 2
ATTENTION_WORDS = (
    "attn",
    "attention",
    "self_attn",
    "q_proj",
    "k_proj",
    "v_proj",
    "qkv",
    "query",
    "key",
    "value",
    "c_attn",
    "in_proj",
    "wq",
    "wk",
    "wv",
)


def has_attention(audits: list[TensorAudit]) -> bool:
    return any(any(w in ATTENTION_WORDS for w in words(a.info.name)) for a in audits)


def dense_chain(audits: list[TensorAudit]) -> list[TensorAudit]:
    """The longest run of dense weights of one module (fc1, fc2 ... or a Sequential's 0, 2 ...), in natural name
    order, whose fans chain; [] when shorter than 2."""
    dense = sorted(
        (
            a
            for a in audits
            if a.placement.role == "dense weight" and a.stats is not None and a.placement.fan_in is not None
        ),
        key=lambda a: natural_key(a.info.name),
    )
    best: list[TensorAudit] = []
    run: list[TensorAudit] = []
    for a in dense:
        if run and run[-1].placement.fan_out == a.placement.fan_in and _parent(run[-1]) == _parent(a):
            run.append(a)
        else:
            run = [a]
        if len(run) > len(best):
            best = list(run)
    return best if len(best) >= MIN_LAYERS else []


def _parent(a: TensorAudit) -> str:
    """The module that holds the layer: 'head.fc1.weight' -> 'head', 'classifier.2.weight' (a Sequential) ->
    'classifier', 'dense_1/kernel' -> ''."""
    return module_of(module_of(a.info.name))


def _bias_of(audits: list[TensorAudit], weight: TensorAudit) -> TensorAudit | None:
    module = module_of(weight.info.name)
    return next(
        (
            a
            for a in audits
            if a.placement.role == "bias"
            and module_of(a.info.name) == module
            and a.stats is not None
            and a.info.size == weight.placement.fan_out
        ),
        None,
    )


def run_signal(report: AuditReport, source: WeightsFile, activation: str) -> None:
    """Fill report.signal (a Result) for the file's dense chain, or report.signal_note saying why not."""
    from initscope.engine.propagate import run

    if has_attention(report.tensors):
        report.signal_note = (
            "attention layers: a transformer's blocks are residual, not a plain chain of dense layers; not run"
        )
        return
    chain = dense_chain(report.tensors)
    if not chain:
        report.signal_note = "no chain of two or more dense layers (an MLP) to run"
        return
    if any(a.stats is not None and a.stats.nonfinite for a in chain):
        report.signal_note = "the dense chain holds NaN/inf weights: not run"
        return
    fans = [(a.placement.fan_in, a.placement.fan_out) for a in chain]
    name = next((a.best.candidate.name for a in chain if a.best is not None), "he_normal")
    try:
        cfg = build(
            {
                "initializer": name,
                "activation": activation,
                "fan_in": fans[0][0],
                "width": tuple(fo for _, fo in fans),
                "dtype": "float32",
            }
        )
    except ConfigError as err:
        report.signal_note = f"the dense chain cannot run: {err}"
        return
    layers = []
    for a in chain:
        w = source.load(a.info).astype(np.float32, copy=False)
        w = w.T if a.placement.units_axis == 0 else w  # the engine's layout is (fan_in, fan_out)
        bias = _bias_of(report.tensors, a)
        b = source.load(bias.info).astype(np.float32, copy=False).reshape(-1) if bias is not None else None
        layers.append((np.ascontiguousarray(w), b))
    report.signal = run(cfg, given_weights=layers)
    report.signal_layers = [a.info.name for a in chain]
    report.signal_note = (
        f"{len(chain)} chained dense layers ({chain[0].info.name} .. {chain[-1].info.name}) "
        f"with {activation}; expected values are {name}'s"
    )
