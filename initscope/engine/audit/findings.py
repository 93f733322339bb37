"""What is wrong in a weights file, in plain words: non-finite values, dead (all-zero) weights, symmetric
units, a conv kernel initialized with the wrong fan, and a layer far off from its siblings."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from typing import TYPE_CHECKING

from initscope.engine.audit.layout import WEIGHT_ROLES, Layout, conv_placement
from initscope.engine.audit.matching import Candidate, candidates, match
from initscope.engine.kinds import FindingKind, Severity
from initscope.engine.result import Finding

if TYPE_CHECKING:
    from initscope.engine.audit.core import TensorAudit

SIBLING_FACTOR = 1.5
"""A layer whose std, relative to its rule, is this many times off the median of its siblings' is flagged (in a
file where at least half of them match an initializer)."""
MIN_SIBLINGS = 3


def reference_for(audits: list[TensorAudit], role: str) -> str | None:
    """The name most tensors of this role match (what an unmatched tensor is compared with)."""
    names = Counter(a.best.candidate.name for a in audits if a.placement.role == role and a.best is not None)
    if names:
        return names.most_common(1)[0][0]
    return {"dense weight": "he_normal", "conv kernel": "he_normal", "embedding": "normal"}.get(role)


def find(audits: list[TensorAudit], layout: Layout) -> list[Finding]:
    out: list[Finding] = []
    for a in audits:
        out += _broken(a)
        if (
            a.placement.role == "conv kernel"
            and a.best is None
            and not a.convention
            and a.stats is not None
            and not a.stats.nonfinite
        ):
            out += _wrong_fan(a, layout)
    for role in ("dense weight", "conv kernel"):
        out += _far_from_siblings(audits, role)
    return out


def _broken(a: TensorAudit) -> list[Finding]:
    s, name = a.stats, a.info.name
    if s is None:
        return []
    if s.nonfinite:
        return [
            Finding(
                FindingKind.NONFINITE,
                Severity.ERROR,
                f"{name}: {s.nan:,} NaN and {s.inf:,} inf values of {s.count:,}: "
                "one forward pass turns every output they touch into NaN/inf",
                numbers={"nan": s.nan, "inf": s.inf},
            )
        ]
    if a.placement.role not in WEIGHT_ROLES or a.convention:
        return []
    if s.zeros == s.count:
        return [
            Finding(
                FindingKind.ZERO,
                Severity.ERROR,
                f"{name}: every weight is 0: all units compute the same thing and get "
                "the same gradient, so they never become different (and nothing flows through)",
                numbers={"values": s.count},
            )
        ]
    if s.duplicate_units == s.units and s.units > 1:
        value = f" (every value {s.min:.4g})" if s.min == s.max else ""
        return [
            Finding(
                FindingKind.SYMMETRIC,
                Severity.ERROR,
                f"{name}: all {s.units} units have identical weights{value}: they "
                "compute the same output and get the same gradient, so they stay identical",
                numbers={"units": s.units, "duplicates": s.duplicate_units},
            )
        ]
    if s.duplicate_units:
        return [
            Finding(
                FindingKind.SYMMETRIC,
                Severity.WARNING,
                f"{name}: {s.duplicate_units} of {s.units} units share their "
                "weights with another unit: those copies stay identical in training",
                numbers={"units": s.units, "duplicates": s.duplicate_units},
            )
        ]
    return []


def _wrong_fan(a: TensorAudit, layout: Layout) -> list[Finding]:
    """A conv kernel that matches a rule only with the channels alone, or with the other framework's layout."""
    s, p = a.stats, a.placement
    assert s is not None and p.channels is not None
    in_, out_ = p.channels
    other: Layout = "keras" if layout == "torch" else "torch"
    alt = conv_placement(a.info.shape, other)
    tries = [
        (
            (in_, out_),
            f"fan_in = {in_} (in_channels alone, without the {p.receptive_field}-value receptive "
            f"field); {layout}'s fan_in is {in_}·{p.receptive_field} = {p.fan_in}",
        )
    ]
    if alt.fan_in is not None and alt.fan_out is not None and (alt.fan_in, alt.fan_out) != (p.fan_in, p.fan_out):
        tries.append(
            (
                (alt.fan_in, alt.fan_out),
                f"the fans of {other}'s layout (fan_in {alt.fan_in}, fan_out "
                f"{alt.fan_out}); in {layout}'s layout they are {p.fan_in} and {p.fan_out}",
            )
        )
    for (fi, fo), why in tries:
        found = match(s, fi, fo, a.dtype).best
        if found is not None and found.candidate.family != "constant":
            c = found.candidate
            return [
                Finding(
                    FindingKind.WRONG_FAN,
                    Severity.WARNING,
                    f"{a.info.name}: std {s.std:.4g} matches {c.name} only with {why}",
                    fix=f"compute the fans from the whole kernel shape {list(a.info.shape)}",
                    numbers={"std": s.std, "fan_in_used": fi, "fan_in": p.fan_in},
                )
            ]
    return []


def _rule_std(name: str, fan_in: int, fan_out: int) -> float | None:
    pool: tuple[Candidate, ...] = candidates(fan_in, fan_out)
    return next((c.expected.std for c in pool if name in c.names), None)


def _far_from_siblings(audits: list[TensorAudit], role: str) -> list[Finding]:
    ref = reference_for(audits, role)
    rows: list[tuple[TensorAudit, float, float]] = []
    for a in audits:
        p, s = a.placement, a.stats
        if p.role != role or s is None or s.nonfinite or not s.std > 0 or p.fan_in is None or p.fan_out is None:
            continue
        expected = _rule_std(ref, p.fan_in, p.fan_out) if ref else None
        if expected:
            rows.append((a, s.std / expected, expected))
    matched = sum(1 for a, _, _ in rows if a.best is not None)
    if len(rows) < MIN_SIBLINGS or ref is None or 2 * matched < len(rows):
        return []  # in a trained file (most layers match nothing) layers differ for good reasons
    middle = statistics.median(math.log(r) for _, r, _ in rows)
    out = []
    for a, ratio, expected in rows:  # a layer that matches a rule is at its init, whatever its siblings do
        if a.best is None and not a.convention and abs(math.log(ratio) - middle) > math.log(SIBLING_FACTOR):
            out.append(
                Finding(
                    FindingKind.OFF_SIBLINGS,
                    Severity.WARNING,
                    f"{a.info.name}: std {ratio:.3g}x what {ref} gives for its fans ({expected:.4g}); "
                    f"its {len(rows) - 1} sibling {role}s are at {math.exp(middle):.3g}x",
                    numbers={"ratio": ratio, "siblings_ratio": math.exp(middle)},
                )
            )
    return out
