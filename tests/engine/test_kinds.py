"""The engine's fixed sets of words: written to JSON as the words, read back as the enum members."""

from __future__ import annotations

import json

from initscope import schema, snapshot
from initscope.engine import Config, run
from initscope.engine.kinds import VERDICT_KINDS, FindingKind, Phase, Severity


def test_members_serialise_as_their_words() -> None:
    assert json.dumps([Severity.ERROR, Phase.UNDEFINED, FindingKind.STABLE]) == '["error", "", "stable"]'
    assert f"{Phase.CHAOTIC:>8}" == " chaotic"


def test_severity_worst_follows_the_order() -> None:
    assert Severity.worst([]) is Severity.OK
    assert Severity.worst([Severity.INFO, Severity.ERROR, Severity.WARNING]) is Severity.ERROR


def test_schema_accepts_exactly_the_enum_words() -> None:
    assert schema.SEVERITIES == ("ok", "info", "warning", "error")
    assert set(schema.PHASES) == {p.value for p in Phase}
    assert set(schema.VERDICT_KINDS) == {k.value for k in VERDICT_KINDS}


def test_a_snapshot_reads_back_as_members() -> None:
    r = run(Config(activation="tanh", fan_in=16, depth=12, batch=8))
    back = snapshot.from_document(json.loads(snapshot.dumps(r)))
    assert isinstance(back.verdict.kind, FindingKind) and back.verdict.kind == r.verdict.kind
    assert isinstance(back.theory.phase, Phase) and back.theory.phase == r.theory.phase
    assert all(isinstance(f.severity, Severity) for f in back.verdict.findings)
    assert snapshot.dumps(back).replace(back.created_utc, "") == snapshot.dumps(r).replace(r.created_utc, "")
