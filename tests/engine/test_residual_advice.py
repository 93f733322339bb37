"""The doctor on residual nets: the stream finding comes from theory, the fix is checked by a run."""

from __future__ import annotations

import math

from initscope.engine import residual_advice
from initscope.engine.advice import change_decades
from initscope.engine.config import Config
from initscope.engine.propagate import run


def test_unscaled_he_residual_stream_doubles_and_the_fix_is_measured_better() -> None:
    cfg = Config.from_string("arch=residual fan_in=64 batch=64 depth=16")
    r = run(cfg)
    stream = next(f for f in r.verdict.findings if f.kind == "stream")
    assert "doubles every block" in stream.text
    assert math.isclose(float(stream.numbers["variance_factor_per_block"] or 0), 2.0, rel_tol=1e-3)
    fix = r.verdict.fix
    assert fix is not None and fix["config"] is not None
    fixed = Config.from_string(str(fix["config"]))
    assert fixed != cfg and (fixed.branch_scale != "1" or fixed.norm != "none")
    after = change_decades(run(fixed, advise=False))
    assert after < change_decades(r)
    assert fix["measured"]["fix_decades"] == after  # type: ignore[index]


def test_candidates_never_include_the_config_in_use() -> None:
    for text in (
        "arch=residual",
        "arch=residual norm=layernorm norm_placement=post",
        "arch=residual branch_scale=1/sqrt(2L) norm=layernorm",
        "norm=rmsnorm norm_placement=post",
    ):
        cfg = Config.from_string(text)
        assert all(c != cfg for c, _ in residual_advice.candidates(cfg))
    done = Config.from_string("arch=residual branch_scale=1/sqrt(2L) norm=layernorm")
    assert residual_advice.candidates(done) == []


def test_a_healthy_residual_net_gets_no_fix() -> None:
    r = run(Config.from_string("preset=gpt2 fan_in=64 batch=64 depth=16"))
    assert r.verdict.kind == "stable" and r.verdict.fix is None
    assert any(f.kind == "near_identity" for f in r.verdict.findings)
