"""Snapshots: round trip, CSV columns, atomic writes that never overwrite, validated reading."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from initscope import snapshot
from initscope.engine import Config, run

CONFIGS = [
    Config(depth=4, fan_in=32, batch=16),
    Config(
        initializer="xavier_normal",
        activation="tanh",
        depth=6,
        fan_in=16,
        clip=0.1,
        bias="normal",
        bias_params={"std": 0.05},
    ),
    Config(initializer="normal", initializer_params={"std": 10}, depth=20, dtype="float16"),  # overflow
    Config(initializer="zeros", activation="sigmoid", depth=3, fan_in=8),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.to_string())
def test_round_trip_equals_the_result(cfg: Config, tmp_path: Path) -> None:
    result = run(cfg)
    path = snapshot.write_atomic(tmp_path / "a.json", snapshot.dumps(result))
    back = snapshot.read(path)
    assert back.config == result.config
    assert snapshot.to_document(back) == snapshot.to_document(result)
    for name in ("mean", "std", "min", "max", "nonfinite_fraction"):
        np.testing.assert_array_equal(getattr(back.forward.activation, name), getattr(result.forward.activation, name))
    np.testing.assert_array_equal(back.backward.weight_grad_norm, result.backward.weight_grad_norm)
    np.testing.assert_array_equal(back.forward.histograms[0].counts, result.forward.histograms[0].counts)
    assert back.verdict.kind == result.verdict.kind and back.verdict.text == result.verdict.text


def test_non_finite_values_become_null_with_their_fraction() -> None:
    result = run(CONFIGS[2])
    doc = json.loads(snapshot.dumps(result))
    bad = doc["verdict"]["first_nonfinite_layer"]
    layer = doc["layers"][bad - 1]
    assert layer["preactivation"]["nonfinite_fraction"] > 0 or layer["activation"]["nonfinite_fraction"] > 0
    assert doc["layers"][-1]["activation"]["std"] is None


def test_csv_has_the_documented_columns() -> None:
    result = run(CONFIGS[1])
    rows = list(csv.reader(io.StringIO(snapshot.csv_text(result))))
    assert rows[0] == [name for name, _ in snapshot.CSV_COLUMNS]
    assert len(rows) == 1 + result.config.n_layers
    docs = (Path(__file__).parents[2] / "docs" / "snapshots.md").read_text(encoding="utf-8")
    for name, _ in snapshot.CSV_COLUMNS:
        assert f"`{name}`" in docs, f"docs/snapshots.md does not document the CSV column {name}"
    act_std = rows[0].index("act_std")
    assert float(rows[3][act_std]) == float(result.forward.activation.std[2])


def test_export_names_never_clash(tmp_path: Path) -> None:
    result = run(CONFIGS[0])
    first = snapshot.export(result, tmp_path)
    second = snapshot.export(result, tmp_path)
    assert first != second and all(p.exists() for p in (*first, *second))
    assert second[0].stem.endswith("-2")
    listed = snapshot.list_snapshots(tmp_path)
    assert {p for p, _, _ in listed} == {first[0], second[0]}
    assert listed[0][2] == result.config.to_string()


def test_write_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "keep.json"
    target.write_text("mine")
    with pytest.raises(snapshot.WriteError, match="already exists"):
        snapshot.write_atomic(target, "other")
    assert target.read_text() == "mine"


def test_failure_mid_write_leaves_the_old_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "x.json"

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(snapshot.WriteError, match="No space left"):
        snapshot.write_atomic(target, "data")
    assert list(tmp_path.iterdir()) == []


def test_interrupt_mid_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        snapshot.write_atomic(tmp_path / "x.json", "data")
    assert list(tmp_path.iterdir()) == []


def test_csv_failure_removes_the_json_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = snapshot.write_atomic

    def fail_on_csv(path: Path, data: str | bytes, overwrite: bool = False) -> Path:
        if str(path).endswith(".csv"):
            raise snapshot.WriteError("cannot write x.csv: disk full")
        return real(path, data, overwrite)

    monkeypatch.setattr(snapshot, "write_atomic", fail_on_csv)
    with pytest.raises(snapshot.WriteError):
        snapshot.export(run(CONFIGS[0]), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_folder_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "snaps"
    blocker.write_text("")
    with pytest.raises(snapshot.WriteError, match="is a file"):
        snapshot.export(run(CONFIGS[0]), blocker)


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulated: CI runs as root, which ignores folder permissions.
    import tempfile

    def denied(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(snapshot.WriteError, match="Permission denied"):
        snapshot.export(run(CONFIGS[0]), tmp_path)
    assert list(tmp_path.iterdir()) == []


def _doc() -> dict[str, Any]:
    return json.loads(snapshot.dumps(run(CONFIGS[0])))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format="something.else"), "format"),
        (lambda d: d.update(version=99), "newer"),
        (lambda d: d.update(version="1"), "version"),
        (lambda d: d.pop("config"), "config"),
        (lambda d: d["config"].update(string="depth=abc"), "config.string"),
        (lambda d: d.pop("layers"), "layers"),
        (lambda d: d["layers"].pop(), "layers"),
        (lambda d: d["layers"][1]["activation"].update(std="big"), "layers[1].activation.std"),
        (lambda d: d["layers"][0]["gradient"].pop("weight_grad_norm"), "layers[0].gradient.weight_grad_norm"),
        (lambda d: d["layers"][2].update(weight=[]), "layers[2].weight"),
        (lambda d: d["verdict"].update(kind=3), "verdict"),
        (lambda d: d["layers"][0]["activation"]["histogram"].update(counts=[1, 2]), "histogram"),
    ],
)
def test_malformed_documents_are_named(mutate: Any, message: str, tmp_path: Path) -> None:
    doc = _doc()
    mutate(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(snapshot.SnapshotError) as err:
        snapshot.read(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{not json")
    with pytest.raises(snapshot.SnapshotError, match="not JSON"):
        snapshot.read(path)
    with pytest.raises(snapshot.SnapshotError, match="no such file"):
        snapshot.read(tmp_path / "missing.json")


@given(st.binary(max_size=300))
def test_reader_survives_random_bytes(data: bytes) -> None:
    with contextlib.suppress(snapshot.SnapshotError, ValueError):
        snapshot.from_document(json.loads(data.decode("utf-8", errors="replace")))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_reader_survives_random_json(doc: Any) -> None:
    with pytest.raises(snapshot.SnapshotError):
        snapshot.from_document(doc)


@pytest.mark.slow
@given(st.sampled_from(["format", "version", "config", "layers", "verdict", "theory"]), JSON)
def test_reader_survives_a_field_replaced_by_random_json(key: str, value: Any) -> None:
    doc = _BASE_DOC_CACHE.setdefault("doc", _doc())
    changed = json.loads(json.dumps(doc))
    changed[key] = value
    with contextlib.suppress(snapshot.SnapshotError):
        snapshot.from_document(changed)


_BASE_DOC_CACHE: dict[str, Any] = {}


def test_a_residual_nets_csv_has_its_branch_columns() -> None:
    """One row per block: the stream in the usual columns, the branch in six more, equal to the JSON's."""
    r = run(Config(arch="residual", fan_in=32, depth=4, batch=16))
    rows = list(csv.reader(io.StringIO(snapshot.csv_text(r))))
    names = [name for name, _ in snapshot.CSV_COLUMNS + snapshot.BRANCH_CSV_COLUMNS]
    assert rows[0] == names and len(rows) == 5
    layers = json.loads(snapshot.dumps(r))["layers"]
    for row, layer in zip(rows[1:], layers, strict=True):
        cells = dict(zip(names, row, strict=True))
        assert float(cells["branch_std"]) == layer["branch"]["std"]
        assert float(cells["branch_ratio"]) == layer["branch"]["ratio"]
        assert float(cells["act_std"]) == layer["activation"]["std"]
