"""`initscope train`: formats, output files, and bad input (ConfigError -> exit 2, one line).

Until cli.py registers the subcommand, these tests drive train_cli through a parser of their own that does
what cli.main does with errors; the last test runs through cli.main once `train` is wired.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

import pytest

from initscope import train_cli
from initscope.engine.errors import ConfigError
from initscope.snapshot import WriteError

FAST = ["--epochs", "3", "--samples", "64", "--batch-size", "16", "--width", "8", "--depth", "2"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="initscope")
    train_cli.add_parser(parser.add_subparsers(dest="command"))
    return parser


def call(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """As cli.main: ConfigError and WriteError are one line on stderr and exit code 2."""
    args = _parser().parse_args(["train", *argv])
    try:
        code = int(args.func(args))
    except (ConfigError, WriteError) as err:
        print(f"initscope: error: {err}", file=__import__("sys").stderr)
        code = 2
    out = capsys.readouterr()
    return code, out.out, out.err


def test_table_has_a_row_per_contender_and_a_conclusion(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "--compare", "he_normal,xavier_normal,zeros", "--dataset", "spirals", *FAST)
    assert code == 0
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if "steps to target" in line)
    rows = lines[head + 1 : head + 4]
    assert [r.split()[0] for r in rows] == ["he_normal", "xavier_normal", "zeros"]
    assert "1 of 8" in rows[2] and "finished 12 steps" in rows[2]
    assert "zeros stayed symmetric" in lines[-1]
    assert "relu 8x2" in out and "spirals" in out


def test_clip_columns_appear_with_clipping(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "--clip", "0.01", "--clip-mode", "per_layer", *FAST)
    assert code == 0 and "clipped" in out and "norm before" in out and "0.01 (per_layer)" in out


def test_json_is_a_snapshot_with_the_training_block(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "--format", "json", "--optimizer", "adam", "--lr", "0.01", *FAST)
    assert code == 0
    from initscope import snapshot

    snap = snapshot.from_document(json.loads(out))  # a whole snapshot: the explorer and diff read it
    assert snap.config.initializer == "he_normal" and snap.config.fan_in == 2 and snap.config.widths == (8, 8)
    doc = json.loads(out)["training"]
    assert snap.training == doc and doc["format"] == "initscope.training"
    assert doc["config"]["optimizer"] == "adam" and doc["config"]["lr"] == 0.01
    assert doc["config"]["network"]["widths"] == [8, 8]
    assert [c["label"] for c in doc["contenders"]] == ["he_normal", "xavier_normal", "zeros"]


def test_csv_has_rows_per_contender_per_recorded_step(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "--format", "csv", "--compare", "he_normal,zeros", *FAST)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert set(rows[0]) >= {
        "contender",
        "step",
        "loss",
        "batch_loss",
        "grad_norm_out",
        "update_ratio_1",
        "distinct_units_2",
    }
    he = [r for r in rows if r["contender"] == "he_normal"]
    assert [int(r["step"]) for r in he] == list(range(13))  # 3 epochs x 4 steps, plus the evaluation at step 0
    assert he[0]["loss"] and not he[0]["batch_loss"]
    assert all(r["distinct_units_1"] == "1" for r in rows if r["contender"] == "zeros" and r["batch_loss"])


def test_output_file_refuses_to_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "race.json"
    code, out, err = call(capsys, "-o", str(target), *FAST)
    assert code == 0 and out == "" and "wrote" in err
    assert json.loads(target.read_text())["training"]["format"] == "initscope.training"  # format from the suffix
    code, _, err = call(capsys, "-o", str(target), *FAST)
    assert code == 2 and "already exists" in err and len(err.strip().splitlines()) == 1
    code, _, _ = call(capsys, "-o", str(target), "--force", "--format", "csv", *FAST)
    assert code == 0 and target.read_text().startswith("contender,step")


@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["--lr", "0"], "lr: '0' is not allowed"),
        (["--lr", "-0.5"], "lr:"),
        (["--epochs", "1000000"], "reduce epochs to"),
        (["--dataset", "missing.csv"], "data: missing.csv: file not found"),
        (["--dataset", "moons"], "data: 'moons'"),
        (["--compare", "he_norml"], "did you mean he_normal"),
        (["--optimizer", "lbfgs"], "optimizer:"),
        (["--activation", "swish"], "activation:"),
        (["--width", "8,0"], "width:"),
        (["--batch-size", "100"], "batch_size: 100"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], phrase: str) -> None:
    code, out, err = call(capsys, *FAST[:2], "--samples", "64", *argv)
    assert code == 2 and out == ""
    assert phrase in err and len(err.strip().splitlines()) == 1


def test_malformed_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("1,2,0\n3,4\n")
    code, _, err = call(capsys, "--dataset", str(path))
    assert code == 2 and "ragged rows" in err


def test_widths_list_and_file_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b,c,y\n" + "".join(f"{i % 5},{i % 3},{i % 7},{i % 2}\n" for i in range(40)))
    args = _parser().parse_args(["train", "--dataset", str(path), "--width", "12,6", "--batch-size", "8"])
    tc = train_cli.train_config_from_args(args)
    assert tc.network.widths == (12, 6) and tc.network.fan_in == 3 and tc.batch_size == 8


def test_through_cli_main_once_wired(capsys: pytest.CaptureFixture[str]) -> None:
    from initscope import cli

    if "train" not in cli.make_parser().format_help():
        pytest.skip("cli.py does not register `train` yet")
    assert cli.main(["train", *FAST]) == 0
    assert "conclusion" not in capsys.readouterr().err
    assert cli.main(["train", "--lr", "0"]) == 2
    assert "lr:" in capsys.readouterr().err


def test_compare_takes_one_line_configs_and_still_initializer_lists(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(
        capsys,
        "--compare",
        "arch=residual norm=none",
        "arch=residual branch_scale=1/sqrt(2L)",
        "--format",
        "json",
        *FAST,
    )
    assert code == 0
    labels = [c["label"] for c in json.loads(out)["training"]["contenders"]]
    assert labels == ["arch=residual norm=none", "arch=residual branch_scale=1/sqrt(2L)"]
    code, out, _ = call(capsys, "--compare", "he_normal,xavier_normal,zeros", "--format", "json", *FAST)
    assert code == 0 and [c["label"] for c in json.loads(out)["training"]["contenders"]] == [
        "he_normal",
        "xavier_normal",
        "zeros",
    ]
    code, _, err = call(capsys, "--compare", "arch=residual norm=groupnorm", *FAST)
    assert code == 2 and err.count("\n") == 1 and "norm" in err and "layernorm" in err
