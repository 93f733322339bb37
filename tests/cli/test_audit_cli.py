"""`initscope audit`: formats, output files, and bad files (one line on stderr, exit 2, no traceback)."""

from __future__ import annotations

import csv
import io
import json
import os
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from initscope.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["audit", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2, (code, out, err)
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def _model(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    arrays = {
        "fc1.weight": rng.uniform(-1 / 8, 1 / 8, (32, 64)).astype(np.float32),
        "fc1.bias": np.zeros(32, np.float32),
        "fc2.weight": rng.uniform(-1 / np.sqrt(32), 1 / np.sqrt(32), (10, 32)).astype(np.float32),
    }
    path = folder / "model.safetensors"
    save_file(arrays, str(path))
    return path


def _raw_safetensors(path: Path, header: dict[str, object], data: bytes, length: int | None = None) -> Path:
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data)
    return path


def test_table_json_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _model(tmp_path)
    code, out, _ = run(capsys, str(path))
    assert code == 0 and "fc1.weight" in out and "consistent with inv_sqrt_fan_in_uniform" in out
    code, out, _ = run(capsys, str(path), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["format"] == "initscope.audit" and doc["layout"] == "torch"
    names = [t["name"] for t in doc["tensors"]]
    assert names == ["fc1.bias", "fc1.weight", "fc2.weight"]
    fc1 = doc["tensors"][1]
    assert fc1["matches"][0]["initializer"] == "inv_sqrt_fan_in_uniform"
    assert fc1["statistics"]["std"] == pytest.approx(
        float(
            np.std(
                np.asarray(np.random.default_rng(0).uniform(-1 / 8, 1 / 8, (32, 64)), dtype=np.float32),
                dtype=np.float64,
            )
        )
    )
    assert doc["signal"]["layers"] == ["fc1.weight", "fc2.weight"]
    assert doc["signal"]["run"]["format"] == "initscope.snapshot"
    code, out, _ = run(capsys, str(path), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == names and rows[0]["convention"].startswith("zeros")


def test_output_is_atomic_and_never_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _model(tmp_path)
    out_file = tmp_path / "audit.json"
    code, out, err = run(capsys, str(path), "-o", str(out_file))
    assert code == 0 and out == "" and json.loads(out_file.read_text())["file_format"] == "safetensors"
    out_file.write_text("mine")
    err = one_line_error(capsys, str(path), "-o", str(out_file))
    assert "already exists" in err and out_file.read_text() == "mine"
    code, _, _ = run(capsys, str(path), "-o", str(out_file), "--force")
    assert code == 0 and out_file.read_text().startswith("{")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_layout_and_activation_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _model(tmp_path)
    assert "activation" in one_line_error(capsys, str(path), "--activation", "swishy")
    assert "slope" in one_line_error(capsys, str(path), "--activation", "leaky_relu(abc)")
    code, out, _ = run(capsys, str(path), "--activation", "leaky_relu(0.1)")
    assert code == 0 and "with leaky_relu(0.1)" in out
    code, _, err = run(capsys, str(path), "--layout", "sideways")
    assert code == 2 and "--layout" in err


@pytest.mark.parametrize(
    "case",
    [
        "truncated",
        "header_too_long",
        "overlap",
        "out_of_range",
        "unknown_dtype",
        "not_json",
        "wrong_size",
        "tiny",
        "only_empty",
    ],
)
def test_bad_safetensors_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    f32 = np.arange(12, dtype=np.float32).tobytes()
    path = tmp_path / "bad.safetensors"
    if case == "truncated":
        good = _model(tmp_path)
        path.write_bytes(good.read_bytes()[:-100])
    elif case == "header_too_long":
        _raw_safetensors(path, {"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}}, f32, 10**9)
    elif case == "overlap":
        _raw_safetensors(
            path,
            {
                "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
                "b": {"dtype": "F32", "shape": [2, 3], "data_offsets": [12, 36]},
            },
            f32 * 3,
        )
    elif case == "out_of_range":
        _raw_safetensors(path, {"a": {"dtype": "F32", "shape": [100], "data_offsets": [0, 400]}}, f32)
    elif case == "unknown_dtype":
        _raw_safetensors(path, {"a": {"dtype": "Q7", "shape": [3], "data_offsets": [0, 12]}}, f32)
    elif case == "not_json":
        path.write_bytes(struct.pack("<Q", 5) + b"{{{{{" + f32)
    elif case == "wrong_size":
        _raw_safetensors(path, {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 12]}}, f32)
    elif case == "tiny":
        path.write_bytes(b"abc")
    else:
        _raw_safetensors(path, {"a": {"dtype": "F32", "shape": [0, 4], "data_offsets": [0, 0]}}, b"")
    err = one_line_error(capsys, str(path))
    assert str(path) in err


def test_an_empty_tensor_beside_others_is_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.safetensors"
    save_file({"w.weight": np.ones((4, 4), np.float32), "empty": np.zeros((0, 3), np.float32)}, str(path))
    code, out, _ = run(capsys, str(path))
    assert code == 0 and "empty (shape [0, 3]): no values" in out


def test_huge_garbage_file_is_refused_fast(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """10 GB of garbage (a sparse file): the header length is checked against the size before reading."""
    path = tmp_path / "garbage.safetensors"
    with path.open("wb") as handle:
        handle.write(os.urandom(4096))
        handle.truncate(10 * 10**9)
    err = one_line_error(capsys, str(path))
    assert "header length" in err or "not valid JSON" in err


def test_a_folder_a_missing_file_and_an_unknown_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "folder" in one_line_error(capsys, str(tmp_path))
    assert "no such file" in one_line_error(capsys, str(tmp_path / "nope.safetensors"))
    (tmp_path / "w.h5").write_bytes(b"x")
    assert "allowed" in one_line_error(capsys, str(tmp_path / "w.h5"))


def test_bad_npz_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "junk.npz").write_bytes(os.urandom(1000))
    assert "npz" in one_line_error(capsys, str(tmp_path / "junk.npz"))
    np.savez(tmp_path / "obj.npz", a=np.array([{"x": 1}], dtype=object))
    one_line_error(capsys, str(tmp_path / "obj.npz"))
    good = tmp_path / "good.npz"
    np.savez(good, w=np.ones((64, 64), np.float32))
    (tmp_path / "cut.npz").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    one_line_error(capsys, str(tmp_path / "cut.npz"))


def test_pytorch_file_without_torch_says_how_to_convert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    (tmp_path / "model.pt").write_bytes(b"PK\x03\x04")
    err = one_line_error(capsys, str(tmp_path / "model.pt"))
    assert "torch" in err and "save_file" in err


def test_pytorch_file_with_torch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """torch's own defaults, named: nn.Linear and nn.Conv2d U(±1/sqrt(fan_in)) (kaiming_uniform_(a=sqrt5)),
    nn.Embedding N(0, 1), BatchNorm ones and zeros; in float32 and bfloat16, bare and wrapped."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.ModuleDict(
        {
            "embed": torch.nn.Embedding(1000, 64),
            "conv": torch.nn.Conv2d(16, 32, 3),
            "bn": torch.nn.BatchNorm2d(32),
            "fc1": torch.nn.Linear(256, 512),
            "fc2": torch.nn.Linear(512, 10),
        }
    )
    torch.save(net.state_dict(), tmp_path / "model.pt")
    torch.save({"state_dict": net.to(torch.bfloat16).state_dict()}, tmp_path / "model_bf16.pt")
    for name in ("model.pt", "model_bf16.pt"):
        code, out, _ = run(capsys, str(tmp_path / name), "--format", "json")
        assert code == 0
        tensors = {t["name"]: t for t in json.loads(out)["tensors"]}
        for key in ("conv.weight", "fc1.weight", "fc2.weight", "fc1.bias"):
            assert tensors[key]["matches"][0]["initializer"] == "inv_sqrt_fan_in_uniform", (name, key)
        assert tensors["embed.weight"]["matches"][0]["initializer"] == "normal"
        assert tensors["bn.weight"]["convention"].startswith("ones")
        assert tensors["bn.running_var"]["convention"].startswith("running statistics")


def test_json_of_a_file_with_nan_and_inf_is_strict_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = np.random.default_rng(1).standard_normal((16, 16)).astype(np.float32)
    w[0, 0], w[1, 1] = np.nan, np.inf
    path = tmp_path / "m.safetensors"
    save_file({"fc.weight": w}, str(path))
    code, out, _ = run(capsys, str(path), "--format", "json")

    def refuse(token: str) -> None:
        raise AssertionError(f"{token} in the document")

    doc = json.loads(out, parse_constant=refuse)
    assert code == 0 and doc["tensors"][0]["statistics"]["nan"] == 1 and doc["tensors"][0]["statistics"]["inf"] == 1
    assert [f["kind"] for f in doc["findings"]] == ["nonfinite"]
