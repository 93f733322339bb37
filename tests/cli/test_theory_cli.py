"""`initscope theory`: readouts, --jacobian, --ensemble, and bad input as ConfigError.

The command is registered by `theory_cli.add_parser` on a parser of our own (cli.py wires the same call).
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

import pytest

from initscope import theory_cli, theory_report
from initscope.engine import activations, theory
from initscope.engine.errors import ConfigError


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="initscope")
    theory_cli.add_parser(parser.add_subparsers(dest="command"))
    return parser


def call(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    args = make_parser().parse_args(["theory", *argv])
    code = args.func(args)
    return code, capsys.readouterr().out


def doc_of(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out = call(capsys, *argv, "--format", "json")
    assert code == 0
    doc: dict[str, Any] = json.loads(out)
    return doc


def test_tanh_readouts_as_the_issue_writes_them(capsys: pytest.CaptureFixture[str]) -> None:
    # --gain 1.667 means std = 1.667/sqrt(fan_in): sigma_w^2 = 1.667^2 exactly (to rounding); bias std 0.05:
    # sigma_b^2 = 0.0025. q* and chi_1 must be theory's own numbers for that map, iterated from
    # q_1 = sigma_w^2 + sigma_b^2 (unit-variance input).
    doc = doc_of(capsys, "--activation", "tanh", "--gain", "1.667", "--bias-std", "0.05")
    t = doc["theory"]
    assert doc["format"] == "initscope.theory" and t["applicable"]
    assert t["sigma_w2"] == pytest.approx(1.667**2, rel=1e-12)
    assert t["sigma_b2"] == pytest.approx(0.0025, rel=1e-12)
    crit = theory.criticality(activations.make("tanh"), 1.667**2, 0.0025, q0=1.667**2 + 0.0025)
    assert t["q_star"] == pytest.approx(crit.q_star, rel=1e-9)
    assert t["chi1"] == pytest.approx(crit.chi1, rel=1e-9)
    assert t["phase"] == "chaotic" and t["chi1"] > 1.1
    # chaotic: 6 xi_c, xi_c = -1/ln chi_c at the stable correlation c* < 1 (Schoenholz et al. 2017)
    assert t["trainable_depth"] == pytest.approx(-6.0 / math.log(crit.chi_c), rel=1e-9)
    assert t["chi_c"] == pytest.approx(crit.chi_c, rel=1e-9) and 0.0 < t["c_star"] < 1.0
    assert t["depth"] == 10 and t["within_trainable_depth"] is True
    code, table = call(capsys, "--activation", "tanh", "--gain", "1.667", "--bias-std", "0.05")
    assert code == 0
    for word in ("sigma_w^2", "sigma_b^2", "q*", "chi_1", "phase", "depth scale", "trainable depth", "chaotic"):
        assert word in table
    assert f"{t['q_star']:.4g}" in table
    assert table.rstrip().splitlines()[-1].strip().startswith("=> chaotic: chi_1 = ")


def test_poole_schoenholz_edge_of_chaos_for_tanh(capsys: pytest.CaptureFixture[str]) -> None:
    # Poole et al. 2016 (Fig. 1) / Schoenholz et al. 2017: for tanh with sigma_b^2 = 0.05 the order-to-chaos
    # transition is at sigma_w^2 ~ 1.76 (the value quoted to 3 digits: chi_1 within 1e-3, 'critical'),
    # where the depth scale diverges; sigma_w^2 = 1.5 is ordered and 2.5 chaotic.
    def readout(sigma_w2: float) -> dict[str, Any]:
        t: dict[str, Any] = doc_of(
            capsys,
            "--activation",
            "tanh",
            "--gain",
            repr(math.sqrt(sigma_w2)),
            "--bias-std",
            repr(math.sqrt(0.05)),
            "--depth",
            "500",
        )["theory"]
        return t

    edge = readout(1.76)
    assert edge["sigma_w2"] == pytest.approx(1.76, rel=1e-12)
    assert edge["phase"] == "critical" and abs(edge["chi1"] - 1.0) < 1e-3
    assert edge["depth_scale"] > 1000
    assert readout(1.5)["phase"] == "ordered"
    chaotic = readout(2.5)
    assert chaotic["phase"] == "chaotic" and chaotic["within_trainable_depth"] is False
    assert "lower sigma_w^2" in chaotic["explanation"]


def test_default_gain_is_the_activations_and_init_takes_its_own_gain(capsys: pytest.CaptureFixture[str]) -> None:
    relu = doc_of(capsys)["theory"]  # relu, gain auto = sqrt 2: He, critical
    assert relu["sigma_w2"] == pytest.approx(2.0, rel=1e-12) and relu["phase"] == "critical"
    assert "relu gain" in relu["weights"]
    # xavier_normal(gain 2) at fans (256, 256): std = 2 sqrt(2/512), sigma_w^2 = 256 * 4 / 256 = 4
    x = doc_of(capsys, "--init", "xavier_normal", "--gain", "2")["theory"]
    assert x["sigma_w2"] == pytest.approx(4.0, rel=1e-12) and x["weights"] == "xavier_normal(gain=2)"
    assert doc_of(capsys, "--init", "glorot_normal(gain=2)")["theory"]["sigma_w2"] == pytest.approx(4.0, rel=1e-12)
    orth = doc_of(capsys, "--init", "orthogonal", "--gain", "1.5", "--fan-in", "64")["theory"]
    assert orth["sigma_w2"] == pytest.approx(2.25, rel=1e-12)
    zeros = doc_of(capsys, "--init", "zeros")["theory"]
    assert zeros["applicable"] is False and "theory does not apply" in zeros["explanation"]
    leaky = doc_of(capsys, "--activation", "leaky_relu(slope=0.2)")
    assert leaky["config"]["activation_params"] == {"slope": 0.2} and leaky["theory"]["phase"] == "critical"


def test_theory_alone_ignores_the_runs_memory_budget(capsys: pytest.CaptureFixture[str]) -> None:
    # width 65536 and depth 10000 would need terabytes to run, none to predict: instant and allowed
    t = doc_of(capsys, "--fan-in", "65536", "--depth", "10000")["theory"]
    assert t["sigma_w2"] == pytest.approx(2.0, rel=1e-12) and t["depth"] == 10000


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--gain", "-1"], "gain"),
        (["--gain", "abc"], "gain"),
        (["--bias-std", "-0.1"], "bias_std"),
        (["--bias-std", "nan"], "bias_std"),
        (["--activation", "swish"], "activation"),
        (["--init", "zeros", "--gain", "2"], "zeros.gain"),
        (["--init", "nonsense"], "initializer"),
        (["--fan-in", "0"], "fan_in"),
        (["--depth", "10001"], "depth"),
        (["--fan-in", "2048", "--jacobian"], "fan_in"),
        (["--ensemble", "1"], "ensemble"),
        (["--ensemble", "2", "--fan-in", "65536", "--depth", "10000"], "memory_budget"),
    ],
)
def test_bad_input_is_a_config_error_naming_the_field(
    capsys: pytest.CaptureFixture[str], argv: list[str], field: str
) -> None:
    with pytest.raises(ConfigError) as err:
        call(capsys, *argv)
    assert err.value.field == field


def test_jacobian_of_an_orthogonal_linear_net_is_an_isometry(capsys: pytest.CaptureFixture[str]) -> None:
    doc = doc_of(
        capsys,
        "--activation",
        "linear",
        "--init",
        "orthogonal",
        "--fan-in",
        "64",
        "--depth",
        "5",
        "--dtype",
        "float64",
        "--jacobian",
    )
    j = doc["jacobian"]
    sv = j["singular_values"]
    assert sv["count"] == 64 and len(sv["values"]) == 64
    assert abs(sv["min"] - 1.0) < 1e-9 and abs(sv["max"] - 1.0) < 1e-9  # float64 rounding over 5 layers
    assert j["prediction"]["s1"] == 0.0 and abs(j["prediction"]["critical_var"]) < 1e-9
    code, table = call(
        capsys, "--activation", "linear", "--init", "orthogonal", "--fan-in", "64", "--depth", "5", "--jacobian"
    )
    assert code == 0 and "near dynamical isometry" in table and "Pennington" in table


def test_ensemble_bands_and_spread_in_json_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    doc = doc_of(capsys, "--fan-in", "16", "--depth", "4", "--batch", "1", "--ensemble", "4")
    e = doc["ensemble"]
    assert e["k"] == 4 and e["seeds"] == [0, 1, 2, 3] and len(e["layers"]) == 4
    first = e["layers"][0]
    assert set(first["activation_std"]) == {"min", "q10", "median", "q90", "max"}
    assert first["hanin_rolnick"] == pytest.approx(5.0 / 16, rel=1e-12)
    assert first["interval_90"][0] < first["predicted_log_sq_norm_var"] < first["interval_90"][1]
    code, table = call(capsys, "--fan-in", "16", "--depth", "30", "--batch", "1", "--ensemble", "3", "--jacobian")
    assert code == 0 and "seed ensemble  K = 3" in table and "Jacobian" in table
    rows = [line for line in table.splitlines() if line.strip()[:2].strip().isdigit()]
    assert len(rows) == theory_report.MAX_TABLE_ROWS  # 30 layers shown as 12, first and last included


def test_help_says_what_gain_means(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        make_parser().parse_args(["theory", "--help"])
    text = capsys.readouterr().out
    assert "std = gain / sqrt(fan_in)" in text and "--init NAME" in text and "--bias-std" in text


def test_tanh_xavier_auto_gain_reports_xi_c(capsys: pytest.CaptureFixture[str]) -> None:
    # The issue's check: depth scale 12.12 (1 %) and trainable depth 72.7 (the old readout: 5.25 and 31.5).
    t = doc_of(capsys, "--init", "xavier_normal", "--gain", "auto", "--activation", "tanh")["theory"]
    assert t["depth_scale"] == pytest.approx(12.12, rel=0.01)
    assert t["trainable_depth"] == pytest.approx(72.7, rel=0.01)
    code, table = call(capsys, "--init", "xavier_normal", "--gain", "auto", "--activation", "tanh")
    assert code == 0 and "12.12" in table and "72.7" in table


def test_q_star_zero_edge_is_a_power_law_not_kept_gradients(capsys: pytest.CaptureFixture[str]) -> None:
    t = doc_of(capsys, "--activation", "tanh", "--gain", "1", "--depth", "100")["theory"]
    assert t["phase"] == "critical" and t["q_star"] == 0.0
    assert "power law" in t["explanation"] and "keep their size" not in t["explanation"]
