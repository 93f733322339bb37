"""Hostile paths, sizes and flags on the CLI: one clear line, exit code 2, nothing lost, no hang, no warning."""

from __future__ import annotations

import json
import os
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from initscope.cli import main

SMALL = ["--depth", "2", "--fan-in", "4", "--batch", "4"]


def call(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert len(lines[0]) < 300, lines[0]
    return lines[0]


def strict(text: str) -> Any:
    def refuse(token: str) -> None:
        raise AssertionError(f"{token} in JSON output")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


# ------------------------------------------------------------------------------- outputs
@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_umask_mode(
    mask: int, capsys: pytest.CaptureFixture[str], tmp_path: Path, umask: None
) -> None:
    os.umask(mask)
    target = tmp_path / "r.json"
    assert call(capsys, "run", *SMALL, "-o", str(target))[0] == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_force_keeps_the_mode_of_the_replaced_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "r.csv"
    target.write_text("old")
    target.chmod(0o640)
    assert call(capsys, "run", *SMALL, "-o", str(target), "--force")[0] == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_text().startswith("layer,")


@pytest.mark.parametrize("kind", ["fifo", "devnull", "folder"])
def test_force_never_replaces_what_is_not_a_regular_file(
    kind: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if kind == "fifo":
        target = tmp_path / "x.json"
        os.mkfifo(target)
    elif kind == "folder":
        target = tmp_path / "x.json"
        target.mkdir()
    else:
        target = Path(os.devnull)
    code, _, err = call(capsys, "run", *SMALL, "-o", str(target), "--force")
    assert code == 2 and "only replaces regular files" in one_line(err)
    mode = target.lstat().st_mode
    assert {"fifo": stat.S_ISFIFO, "devnull": stat.S_ISCHR, "folder": stat.S_ISDIR}[kind](mode)


def test_a_trailing_slash_or_a_missing_folder_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = call(capsys, "run", *SMALL, "-o", f"{tmp_path}/newdir/")
    assert code == 2 and "names a folder" in one_line(err)
    code, _, err = call(capsys, "run", *SMALL, "-o", f"{tmp_path}/missing/x.json")
    assert code == 2 and "/missing does not exist" in one_line(err)
    assert list(tmp_path.iterdir()) == []  # nothing created, no file named newdir


@pytest.mark.parametrize("command", [["run", *SMALL], ["sample", "--fan-in", "4"]])
def test_a_300_character_name_is_one_line(
    command: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = call(capsys, *command, "-o", str(tmp_path / ("y" * 300 + ".npy")))
    assert code == 2 and "file name is 304 bytes" in one_line(err)


# ------------------------------------------------------------------------------- flags
def test_flags_before_the_subcommand_are_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = call(capsys, "--depth", "50", "run")
    assert code == 2 and "--depth must come after the subcommand" in one_line(err)
    code, _, err = call(capsys, "--seed", "5", "sample", "--fan-in", "4")
    assert code == 2 and "--seed must come after" in one_line(err)


@pytest.mark.parametrize(
    "command", [["run"], ["list"], ["diff", "a", "b"], ["sample", "--fan-in", "4"], ["theory"], ["train"]]
)
def test_format_dash_dash_is_a_clean_error(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = call(capsys, *command, "--format=--")
    assert code == 2 and "'--' is not a value" in one_line(err)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--init", "x" * 10_000],
        ["run", "--depth", "9" * 10_000],
        ["run", "--format", "z" * 10_000],
        ["run", "--memory-budget", "1e400"],
        ["run", "--memory-budget", "9" * 5000],
    ],
)
def test_echoed_values_are_cut(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = call(capsys, *argv)
    assert code == 2
    one_line(err)


def test_depth_one_verdict_has_no_per_layer_factor(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "run", "--depth", "1")
    verdict = next(line for line in out.splitlines() if line.startswith("verdict"))
    assert code == 0 and "nan" not in verdict and "no per-layer factor" in verdict


def test_sample_overflow_is_strict_json_with_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = call(capsys, "sample", "--init", "normal", "--std", "1e308", "--format", "json", "--fan-in", "4")
    doc = strict(out)
    assert code == 0 and doc["measured"]["std"] is None and "measured.std" in doc["note"]
    assert "Warning" not in err


def test_successful_overflowing_run_prints_no_numpy_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = call(
        capsys,
        "run",
        "--init",
        "normal",
        "--std",
        "1e30",
        "--depth",
        "5",
        "--dtype",
        "float64",
        "--fan-in",
        "16",
        "--batch",
        "16",
    )
    assert code == 0 and "explod" in out and err == ""


def test_diff_json_is_strict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from initscope.engine import Config
    from initscope.engine.training import TrainConfig, run_race
    from initscope.train_cli import snapshot_of

    doc = json.loads(
        snapshot_of(
            run_race(
                TrainConfig(
                    network=Config(fan_in=2, width=4, depth=1, batch=8),
                    contenders="he_normal",
                    samples=16,
                    epochs=1,
                    batch_size=8,
                )
            )
        )
    )
    doc["training"]["contenders"][0]["final_loss"] = 1e-320
    (tmp_path / "a.json").write_text(json.dumps(doc))
    doc["training"]["contenders"][0]["final_loss"] = 1e300
    (tmp_path / "b.json").write_text(json.dumps(doc))
    code, out, _ = call(capsys, "diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--format", "json")
    d = strict(out)
    assert code == 0 and d["training"]["contenders"]["he_normal"]["final_loss_ratio"] is None
    assert "final_loss_ratio" in d["note"]


# ------------------------------------------------------------------------------- inputs
def _npy_header_only(path: Path, shape: tuple[int, ...], dtype: str = "<f8") -> None:
    """A .npy whose header claims `shape` but holds no data (a corrupted or hostile download)."""
    with path.open("wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {"descr": dtype, "fortran_order": False, "shape": shape})


def test_npy_header_over_the_budget_is_refused_before_loading(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "huge.npy"
    _npy_header_only(path, (10**11, 3))
    code, _, err = call(capsys, "run", "--input", str(path), "--fan-in", "3")
    assert code == 2 and "over the memory budget" in one_line(err)
    data = tmp_path / "data.npy"
    _npy_header_only(data, (10**11, 3))
    code, _, err = call(capsys, "train", "--dataset", str(data), "--epochs", "1")
    assert code == 2 and "over the memory budget" in one_line(err)


@pytest.mark.parametrize(
    ("values", "what"),
    [
        (np.zeros((4, 3), dtype=[("a", "<f4"), ("b", "<i4")])[:, 0], "structured records"),
        (np.ones((4, 3), dtype=np.complex128), "complex128"),
        (np.zeros((4, 3), dtype="datetime64[s]"), "datetime64"),
    ],
)
@pytest.mark.parametrize("command", ["run", "train"])
def test_npy_dtypes_without_one_number_per_cell(
    values: Any, what: str, command: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "x.npy"
    np.save(path, np.atleast_2d(values))
    argv = (
        ["run", "--input", str(path), "--fan-in", "3"]
        if command == "run"
        else ["train", "--dataset", str(path), "--epochs", "1"]
    )
    code, _, err = call(capsys, *argv)
    assert code == 2 and what in one_line(err) and "Warning" not in err


@pytest.mark.parametrize("command", ["run", "train"])
@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_inputs_that_are_not_regular_files(
    kind: str, command: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "x.npy"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    argv = (
        ["run", "--input", str(path), "--fan-in", "3"]
        if command == "run"
        else ["train", "--dataset", str(path), "--epochs", "1"]
    )
    code, _, err = call(capsys, *argv)
    assert code == 2 and ("not a regular file" in one_line(err) or "not a file" in err)


@pytest.mark.parametrize("command", ["run", "train"])
def test_an_empty_csv_is_one_line_without_a_warning(
    command: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    argv = (
        ["run", "--input", str(path), "--fan-in", "3"]
        if command == "run"
        else ["train", "--dataset", str(path), "--epochs", "1"]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a library warning must not escape: it would fail the call here
        code, _, err = call(capsys, *argv)
    assert code == 2 and "Warning" not in err
    one_line(err)


@pytest.mark.parametrize("label", ["1e300", str(2**63)])
def test_huge_integer_labels_are_one_line(label: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("\n".join(f"{i},{i % 3},{label if i == 5 else i % 2}" for i in range(20)) + "\n")
    code, _, err = call(capsys, "train", "--dataset", str(path), "--epochs", "1")
    assert code == 2 and "labels go up to" in one_line(err)
    big = tmp_path / "d.npy"
    rows = np.array([[i, i % 3, i % 2] for i in range(20)], dtype=np.int64)
    rows[5, 2] = 2**63 - 1
    np.save(big, rows)
    code, _, err = call(capsys, "train", "--dataset", str(big), "--epochs", "1")
    assert code == 2 and "labels go up to" in one_line(err)


def test_a_budget_past_the_machine_is_an_error_not_a_memory_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from initscope.engine import memory

    monkeypatch.setattr(memory, "machine_memory", lambda: 64 * 1024**2)  # a 64 MiB machine
    code, _, err = call(
        capsys, "run", "--fan-in", "1024", "--depth", "20", "--batch", "1024", "--memory-budget", "1TiB"
    )
    assert code == 2 and "more than this machine's 64.0 MiB" in one_line(err)


def test_theory_json_passes_its_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from initscope.schema import check_theory_output

    code, out, _ = call(
        capsys,
        "theory",
        "--depth",
        "3",
        "--fan-in",
        "8",
        "--jacobian",
        "--ensemble",
        "2",
        "--batch",
        "8",
        "--format",
        "json",
    )
    assert code == 0
    check_theory_output(strict(out))


def test_train_refuses_a_bad_output_before_the_race(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from initscope import train_cli

    def no_race(*args: object, **kwargs: object) -> None:
        raise AssertionError("the race ran before the output was checked")

    monkeypatch.setattr(train_cli, "run_race", no_race)
    cases = [
        ([f"{tmp_path}/out/"], "names a folder"),
        ([f"{tmp_path}/no/x.json"], "no does not exist"),
        ([os.devnull, "--force"], "only replaces regular files"),
    ]
    for output, message in cases:
        code, _, err = call(capsys, "train", "--epochs", "1", "-o", *output)
        assert code == 2 and message in one_line(err)
