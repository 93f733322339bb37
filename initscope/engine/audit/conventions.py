"""Deliberate constant inits, named rather than flagged.

- zero biases (Keras' and Flax's default; torch's nn.init.zeros_), zero norm shifts and unit norm scales
  (every framework's BatchNorm/LayerNorm default);
- a zero scalar: a ReZero residual gate (Bachlechner et al. 2020, "ReZero is All You Need"), or a
  layer scale started at 0;
- an all-zero last weight of a repeated residual block while the block's other weights are live: Fixup
  (Zhang, Dauphin & Ma 2019) zero-initializes the last layer of every residual branch, and zero-init of the
  last norm of each branch (Goyal et al. 2017) is the same idea.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING

from initscope.engine.audit.layout import Role, is_buffer, module_of

if TYPE_CHECKING:
    from initscope.engine.audit.core import TensorAudit

LAYER_ROLES: tuple[Role, ...] = ("dense weight", "conv kernel")
"""Where Fixup's convention is looked for: a zero last layer of a repeated residual block."""


def _all_equal(a: TensorAudit, value: float) -> bool:
    s = a.stats
    return s is not None and s.finite == s.count and s.min == value and s.max == value


def natural_key(name: str) -> list[object]:
    """'block.10.conv2' sorts after 'block.9.conv3': numbers compare as numbers."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def name_conventions(audits: list[TensorAudit]) -> None:
    for a in audits:
        role = a.placement.role
        if role == "bias" and _all_equal(a, 0.0):
            a.convention = "zeros: the usual bias init (Keras' and Flax's default, torch's nn.init.zeros_)"
        elif role == "norm shift" and _all_equal(a, 0.0):
            a.convention = "zeros: the usual norm shift (beta) init"
        elif role == "norm scale" and _all_equal(a, 1.0):
            a.convention = "ones: the usual norm scale (gamma) init"
        elif role == "norm scale" and _all_equal(a, 0.0):
            a.convention = (
                "zeros: a norm scale started at 0, the last norm of a residual branch "
                "(zero-init gamma, Goyal et al. 2017)"
            )
        elif role == "other" and is_buffer(a.info.name) and a.stats is not None:
            a.convention = "running statistics of a norm layer: a buffer, not an initialized weight"
        elif a.info.size == 1 and _all_equal(a, 0.0):
            a.convention = "a zero scalar: a ReZero residual gate (Bachlechner et al. 2020) or a zero layer scale"
    _fixup(audits)


def _block_of(name: str) -> str:
    """'layer1.0.conv2.weight' -> 'layer1.0' (the residual block that holds the layer)."""
    return module_of(module_of(name))


def _pattern(block: str) -> str:
    return re.sub(r"\d+", "#", block)


def _fixup(audits: list[TensorAudit]) -> None:
    """A zero weight that is the last of a block's weights, in a block repeated at least twice, with a live
    weight before it in the same block."""
    blocks: dict[str, list[TensorAudit]] = defaultdict(list)
    for a in audits:
        if a.placement.role in LAYER_ROLES and a.stats is not None and _block_of(a.info.name):
            blocks[_block_of(a.info.name)].append(a)
    repeats: dict[str, int] = defaultdict(int)
    for block in blocks:
        repeats[_pattern(block)] += 1
    for block, members in blocks.items():
        members.sort(key=lambda a: natural_key(a.info.name))
        last = members[-1]
        live_before = any(not _all_equal(m, 0.0) for m in members[:-1])
        if repeats[_pattern(block)] >= 2 and live_before and _all_equal(last, 0.0) and not last.convention:
            last.convention = (
                "zeros: the last layer of a residual branch started at 0 (Fixup, Zhang, Dauphin "
                "& Ma 2019): the block starts as the identity"
            )
