"""Snapshot format 2 (residual blocks and norms) and format 1 files, which keep opening."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from initscope import snapshot
from initscope.engine.config import Config
from initscope.engine.propagate import run

DATA = Path(__file__).parent / "data"


def test_a_version_1_file_written_before_residual_nets_still_opens() -> None:
    """snapshot_v1.json was written by initscope before format 2 (tanh, depth 4, seed 3)."""
    doc = json.loads((DATA / "snapshot_v1.json").read_text(encoding="utf-8"))
    assert doc["version"] == 1 and "arch" not in doc["config"]
    r = snapshot.read(DATA / "snapshot_v1.json")
    assert r.config == Config.from_string("init=he_normal act=tanh fan_in=16 depth=4 batch=16 seed=3")
    assert r.config.arch == "mlp" and r.branch is None
    # the numbers are the file's, and today's engine still computes them
    again = run(r.config, advise=False)
    assert np.allclose(r.forward.activation.std, again.forward.activation.std, rtol=1e-6)
    assert [layer["activation"]["std"] for layer in doc["layers"]] == pytest.approx(list(r.forward.activation.std))


def test_residual_snapshot_round_trips_every_branch_field(tmp_path: Path) -> None:
    r = run(
        Config.from_string(
            "arch=residual norm=layernorm norm_placement=post branch_depth=1 fan_in=32 depth=5 batch=32 act=tanh"
        )
    )
    doc = json.loads(snapshot.dumps(r))
    assert doc["version"] == snapshot.VERSION == 2
    assert doc["config"]["arch"] == "residual" and doc["config"]["norm_placement"] == "post"
    assert set(doc["layers"][0]["branch"]) >= {"std", "ratio", "saturated_fraction", "grad_std", "weight_std"}
    path = tmp_path / "res.json"
    path.write_text(snapshot.dumps(r), encoding="utf-8")
    back = snapshot.read(path)
    assert back.config == r.config and back.branch is not None and r.branch is not None
    for name in (
        "std",
        "ratio",
        "saturated_fraction",
        "dead_fraction",
        "grad_std",
        "weight_grad_norm",
        "weight_std",
        "theory_std",
    ):
        mine, theirs = getattr(r.branch, name), getattr(back.branch, name)
        assert np.array_equal(np.isnan(mine), np.isnan(theirs)), name
        assert np.allclose(mine[~np.isnan(mine)], theirs[~np.isnan(theirs)], rtol=1e-12), name
    assert back.theory.depth_note == r.theory.depth_note != ""
    assert snapshot.diff(back, r)["config"] == {}


def test_a_residual_file_without_its_branch_objects_is_refused() -> None:
    doc = json.loads(snapshot.dumps(run(Config.from_string("arch=residual fan_in=16 depth=3 batch=16"), advise=False)))
    del doc["layers"][1]["branch"]
    with pytest.raises(snapshot.SnapshotError) as err:
        snapshot.from_document(doc)
    assert "layers[1].branch" in str(err.value) and "missing" in str(err.value)
    doc["layers"][1]["branch"] = {"std": "wide", "ratio": 1.0, "grad_std": 1.0}
    with pytest.raises(snapshot.SnapshotError) as err:
        snapshot.from_document(doc)
    assert "layers[1].branch.std" in str(err.value)
    doc["layers"][1]["branch"] = {"std": 1.0, "ratio": 1.0, "grad_std": 1.0, "weight_std": [0.1]}
    with pytest.raises(snapshot.SnapshotError) as err:
        snapshot.from_document(doc)
    assert "layers[1].branch.weight_std" in str(err.value) and "2 layers" in str(err.value)
