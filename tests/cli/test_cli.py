"""The headless CLI: every subcommand, the formats, and every bad input (exit code 2, one line)."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from initscope.cli import main
from initscope.engine import Config, run
from initscope.snapshot import CSV_COLUMNS


def call(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_shows_every_entry_with_aliases(capsys: pytest.CaptureFixture[str]) -> None:
    from initscope.engine.initializers import CATALOGUE

    code, out, _ = call(capsys, "list")
    assert code == 0
    for entry in CATALOGUE:
        assert entry.name in out
        for alias in entry.aliases:
            assert alias in out
    assert "ONE-SIDED" in out


def test_list_markdown_is_the_generated_reference(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "list", "--format", "markdown")
    assert code == 0
    assert out == (Path(__file__).parents[2] / "docs" / "initializers.md").read_text(encoding="utf-8")


def test_sample_reproduces_the_inv_sqrt_fan_in_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(
        capsys, "sample", "--init", "inv_sqrt_fan_in_uniform", "--fan-in", "10", "-n", "1000", "--format", "json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["bounds"] == pytest.approx([-1 / math.sqrt(10), 1 / math.sqrt(10)])
    assert doc["expected"]["std"] == pytest.approx(1 / math.sqrt(30))
    m = doc["measured"]
    # 1000 draws of U(-b, b): the sample std has a standard error of about std * sqrt(0.8/4000) = 0.0026.
    assert abs(m["std"] - 0.182574) < 5 * 0.182574 * math.sqrt(0.8 / 4000)
    assert -0.316228 <= m["min"] < m["max"] <= 0.316228
    assert set(doc) >= {"initializer", "fan_in", "fan_out", "n", "seed", "bounds", "expected", "measured"}
    code, table, _ = call(capsys, "sample", "--init", "torch_default", "--fan-in", "10", "-n", "1000")
    assert code == 0 and "0.316228" in table and f"{m['std']:.6g}" in table


def test_sample_saves_the_raw_draws(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "values.npy"
    code, _, _ = call(
        capsys,
        "sample",
        "--init",
        "xavier_uniform",
        "--fan-in",
        "10",
        "--fan-out",
        "20",
        "-n",
        "500",
        "--seed",
        "3",
        "-o",
        str(target),
    )
    assert code == 0
    values = np.load(target)
    assert values.shape == (500,)
    code, _, err = call(capsys, "sample", "--init", "xavier_uniform", "--fan-in", "10", "-o", str(target))
    assert code == 2 and "already exists" in err


def test_run_table_json_csv(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", "--init", "he_normal", "--activation", "relu", "--fan-in", "64", "--depth", "5", "--batch", "32"]
    code, table, _ = call(capsys, *args)
    assert code == 0 and "verdict" in table and "theory" in table
    assert len([line for line in table.splitlines() if line.strip()[:1].isdigit()]) == 5
    code, text, _ = call(capsys, *args, "--format", "json")
    doc = json.loads(text)
    assert doc["format"] == "initscope.snapshot" and doc["version"] == 2
    assert len(doc["layers"]) == 5 and doc["verdict"]["kind"] in ("stable", "dead")
    expected = run(Config(fan_in=64, depth=5, batch=32))
    assert doc["layers"][4]["activation"]["std"] == pytest.approx(float(expected.forward.activation.std[4]), rel=1e-12)
    for key in ("weight", "preactivation", "activation", "gradient", "theory"):
        assert key in doc["layers"][0]
    code, text, _ = call(capsys, *args, "--format", "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [name for name, _ in CSV_COLUMNS] and len(rows) == 6


def test_run_takes_the_one_line_form_and_flags_override_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, text, _ = call(
        capsys,
        "run",
        "--config",
        "init=xavier_normal act=tanh depth=4 fan_in=32 batch=16",
        "--seed",
        "3",
        "--format",
        "json",
    )
    assert code == 0
    cfg = json.loads(text)["config"]
    assert (cfg["initializer"], cfg["activation"], cfg["depth"], cfg["seed"]) == ("xavier_normal", "tanh", 4, 3)


def test_run_initializer_parameters_as_flags(capsys: pytest.CaptureFixture[str]) -> None:
    code, text, _ = call(
        capsys,
        "run",
        "--init",
        "normal",
        "--std",
        "0.05",
        "--depth",
        "2",
        "--fan-in",
        "16",
        "--activation",
        "leaky_relu",
        "--slope",
        "0.2",
        "--format",
        "json",
    )
    assert code == 0
    cfg = json.loads(text)["config"]
    assert cfg["initializer_params"]["std"] == 0.05 and cfg["activation_params"]["slope"] == 0.2


def test_run_writes_a_file_atomically_and_never_overwrites(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    code, _, _ = call(capsys, "run", "--depth", "2", "--fan-in", "8", "-o", str(target))
    assert code == 0 and json.loads(target.read_text())["config"]["depth"] == 2
    before = target.read_text()
    code, _, err = call(capsys, "run", "--depth", "3", "--fan-in", "8", "-o", str(target))
    assert code == 2 and "already exists" in err and target.read_text() == before
    code, _, _ = call(capsys, "run", "--depth", "3", "--fan-in", "8", "-o", str(target), "--force")
    assert code == 0 and json.loads(target.read_text())["config"]["depth"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]  # no temp files left


@pytest.mark.slow
def test_overflow_json_stays_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, text, _ = call(
        capsys, "run", "--init", "normal", "--std", "10", "--depth", "100", "--dtype", "float16", "--format", "json"
    )
    assert code == 0

    def refuse(token: str) -> None:
        raise AssertionError(f"non-standard JSON token {token}")

    doc = json.loads(text, parse_constant=refuse)  # NaN / Infinity tokens would not be valid JSON
    assert doc["verdict"]["kind"] == "overflow" and doc["verdict"]["first_nonfinite_layer"] is not None


BAD = [
    (["run", "--fan-in", "0"], "fan_in", "0"),
    (["run", "--fan-in", "-3"], "fan_in", "-3"),
    (["run", "--fan-in", "abc"], "fan_in", "abc"),
    (["run", "--fan-in", "1e9"], "fan_in", "1e9"),
    (["run", "--init", "he_norml"], "initializer", "he_normal"),
    (["run", "--depth", "1000000"], "depth", "1000000"),
    (["run", "--width", "3,0,4"], "width", "0"),
    (["run", "--depth", "3000", "--width", "4096"], "memory_budget", "GiB"),
    (["run", "--std", "0.1"], "he_normal.std", "takes"),
    (["run", "--init", "normal", "--std", "0"], "normal.std", "0"),
    (["run", "--init", "normal", "--std", "-1"], "normal.std", "-1"),
    (["run", "--seed", "-1"], "seed", "-1"),
    (["run", "--input", "no/such/file.csv"], "input", "file.csv"),
    (["sample", "--fan-in", "0"], "fan_in", "0"),
    (["sample", "--init", "nope", "--fan-in", "4"], "initializer", "nope"),
    (["sample", "--fan-in", "4", "-n", "0"], "n", "0"),
    (["run", "--bogus"], "unrecognized", "--bogus"),
    (["run", "--format", "xml"], "invalid choice", "xml"),
]


@pytest.mark.parametrize(("argv", "field", "value"), BAD)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], field: str, value: str
) -> None:
    code, out, err = call(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert field in lines[0] and value in lines[0]
    assert "Traceback" not in err


def test_unreadable_input_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "ragged.csv"
    bad.write_text("1,2,3\n4,5\n")
    code, _, err = call(capsys, "run", "--input", str(bad), "--fan-in", "3")
    assert code == 2 and "input" in err and len(err.strip().splitlines()) == 1


def test_input_file_rows_feed_the_net(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "rows.csv"
    data.write_text("a,b,c\n" + "\n".join(f"{i},{-i},{i * 0.5}" for i in range(10)) + "\n")
    code, text, _ = call(
        capsys, "run", "--input", str(data), "--fan-in", "3", "--depth", "2", "--batch", "10", "--format", "json"
    )
    assert code == 0
    col = np.array([[i, -i, i * 0.5] for i in range(10)], dtype=np.float32)
    assert json.loads(text)["run"]["input_std"] == pytest.approx(float(col.astype(np.float64).std()), rel=1e-6)


@pytest.mark.slow
def test_python_dash_m_and_console_script() -> None:
    out = subprocess.run([sys.executable, "-m", "initscope", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("initscope ")
    out = subprocess.run([sys.executable, "-m", "initscope", "run", "--fan-in", "0"], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1


def test_diff_reports_config_and_per_layer_ratios(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["run", "--depth", "4", "--fan-in", "64", "-o", str(a)]) == 0
    assert main(["run", "--depth", "4", "--fan-in", "64", "--init", "lecun_normal", "-o", str(b)]) == 0
    capsys.readouterr()
    code, text, _ = call(capsys, "diff", str(a), str(b), "--format", "json")
    assert code == 0
    d = json.loads(text)
    assert d["config"]["initializer"] == ["he_normal", "lecun_normal"]
    ra, rb = json.loads(a.read_text()), json.loads(b.read_text())
    first = d["layers"][0]
    expected = rb["layers"][0]["activation"]["std"] / ra["layers"][0]["activation"]["std"]
    assert first["activation_std_ratio"] == pytest.approx(expected)
    # Same seed, same input: the lecun layer-1 weights are the He ones scaled by 1/sqrt(2).
    assert expected == pytest.approx(1 / math.sqrt(2), rel=1e-5)
    code, table, _ = call(capsys, "diff", str(a), str(b))
    assert code == 0 and "initializer" in table and "verdict A" in table


@pytest.mark.parametrize(
    "content", ["{not json", '{"format": "other"}', '{"format": "initscope.snapshot", "version": 9}']
)
def test_diff_of_malformed_files_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    assert main(["run", "--depth", "2", "--fan-in", "8", "-o", str(good)]) == 0
    bad.write_text(content)
    capsys.readouterr()
    code, out, err = call(capsys, "diff", str(good), str(bad))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "bad.json" in err


def test_run_takes_the_architecture_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "run",
                "--arch",
                "residual",
                "--norm",
                "layernorm",
                "--branch-scale",
                "1/sqrt(2L)",
                "--fan-in",
                "32",
                "--batch",
                "32",
                "--depth",
                "4",
                "--format",
                "json",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert (doc["config"]["arch"], doc["config"]["norm"], doc["config"]["branch_scale"]) == (
        "residual",
        "layernorm",
        "1/sqrt(2L)",
    )
    assert main(["run", "--preset", "gpt2", "--fan-in", "32", "--depth", "4", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["config"]["norm_placement"] == "pre"
    assert main(["run", "--arch", "resnet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "arch: 'resnet'" in err and "mlp, residual" in err
