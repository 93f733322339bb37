"""The fixed sets of words the engine writes into results and snapshots.

Each is a StrEnum, so a member is its word: it compares equal to it, formats as it and serialises to JSON
as it (snapshots stay as they were). The schema (initscope/schema.py) accepts exactly these words.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How serious a finding is, least serious first (the order `worst` uses)."""

    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @classmethod
    def worst(cls, severities: list[Severity]) -> Severity:
        """The most serious of `severities` (OK when there are none)."""
        order = list(cls)
        return order[max((order.index(s) for s in severities), default=0)]


class Phase(StrEnum):
    """Where mean-field theory puts a net: by chi_1 at the fixed point (engine/theory/depth_scales.py)."""

    UNDEFINED = ""
    """chi_1 is NaN, or the theory does not apply."""
    ORDERED = "ordered"
    CRITICAL = "critical"
    CHAOTIC = "chaotic"


class FindingKind(StrEnum):
    """What a finding is about: the verdict's kinds and those of the other diagnoses.

    A snapshot may hold finding kinds this version does not make (the schema accepts any text there), so
    `Finding.kind` is typed `str`; the engine writes these. A verdict's kind is one of VERDICT_KINDS.
    """

    # a run (engine/verdict.py)
    STABLE = "stable"
    OVERFLOW = "overflow"
    SYMMETRIC = "symmetric"
    EXPLODING = "exploding"
    VANISHING = "vanishing"
    DEAD = "dead"
    SATURATED = "saturated"
    WEIGHT_GRADIENT_ILLUSION = "weight_gradient_illusion"
    ORDERED = "ordered"
    CHAOTIC = "chaotic"
    # residual nets (engine/residual_advice.py)
    STREAM = "stream"
    NEAR_IDENTITY = "near_identity"
    # the weight audit (engine/audit/findings.py)
    NONFINITE = "nonfinite"
    ZERO = "zero"
    WRONG_FAN = "wrong_fan"
    OFF_SIBLINGS = "off_siblings"


VERDICT_KINDS = (
    FindingKind.STABLE,
    FindingKind.OVERFLOW,
    FindingKind.SYMMETRIC,
    FindingKind.EXPLODING,
    FindingKind.VANISHING,
    FindingKind.DEAD,
    FindingKind.SATURATED,
)
"""What a run's verdict says: `stable`, or its most serious finding, most serious first (engine/verdict.py)."""


class RaceStatus(StrEnum):
    """Where a contender of a training race stands (engine/training/race.py)."""

    RUNNING = "running"
    FINISHED = "finished"
    NONFINITE = "nonfinite"
    """A non-finite loss stopped it."""
    CANCELLED = "cancelled"
