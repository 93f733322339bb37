"""The audit names what initialized each tensor and finds planted faults (checkpoints drawn here, seeded)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from audit_models import Truth, bfloat16_safetensors, keras_model, plant_faults, save_safetensors, torch_model

from initscope.engine.audit import AuditReport, TensorAudit, audit_file
from initscope.engine.audit.matching import Z, truncated_kurtosis
from initscope.engine.initializers import TRUNC_C, truncated_std_factor


def _save(arrays: dict[str, np.ndarray], folder: Path, kind: str) -> Path:
    path = folder / f"model.{kind}"
    if kind == "safetensors":
        save_safetensors(arrays, str(path))
    else:
        np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


def _by_name(r: AuditReport) -> dict[str, TensorAudit]:
    return {a.info.name: a for a in r.tensors}


def _named(a: TensorAudit, truth: Truth) -> bool:
    """The true initializer is among the matches (with its parameters), and the best match's std is the true
    one within Z standard errors of a sample std of n values (several laws can share a std for these fans, and
    for a few values many do: then the audit can only name the family)."""
    if truth.name in ("zeros", "ones"):
        return bool(a.convention) or (a.best is not None and truth.name in a.best.candidate.names)
    from initscope.engine import initializers
    from initscope.engine.text import call_text

    wanted = {call_text(e, truth.params, sep=", ") for e in (truth.name, initializers.lookup(truth.name).name)}
    names = {n for m in a.result.matches for n in m.candidate.names}
    assert a.best is not None and a.stats is not None
    tolerance = Z * truth.std() * math.sqrt(2.0 / (4.0 * a.stats.count))  # normal's: the widest of the families
    return bool(wanted & names) and abs(a.best.candidate.expected.std - truth.std()) <= 2 * tolerance


@pytest.mark.parametrize("kind", ["safetensors", "npz"])
@pytest.mark.parametrize("build,layout", [(torch_model, "torch"), (keras_model, "keras")])
def test_audit_names_every_tensors_initializer(tmp_path: Path, kind: str, build, layout: str) -> None:  # type: ignore[no-untyped-def]
    arrays, truth = build()
    report = audit_file(_save(arrays, tmp_path, kind), "auto", run_signal=False)
    assert report.layout == layout and report.layout_guessed
    audits = _by_name(report)
    for name, t in truth.items():
        a = audits[name]
        assert _named(a, t), (
            f"{name}: drawn by {t.name}{t.params or ''} with fans {t.fan_in}, {t.fan_out}; "
            f"the audit says {a.sentence()!r} with fans {a.placement.fan_in}, {a.placement.fan_out}"
        )
    assert [f.text for f in report.findings] == []


def test_roles_and_fans_by_layout(tmp_path: Path) -> None:
    report = audit_file(_save(torch_model()[0], tmp_path, "safetensors"), "auto", run_signal=False)
    audits = _by_name(report)
    roles = {n: a.placement.role for n, a in audits.items()}
    assert roles["embed.weight"] == "embedding" and roles["fc1.weight"] == "dense weight"
    assert roles["features.0.weight"] == "conv kernel" and roles["features.0.bias"] == "bias"
    assert roles["features.1.weight"] == "norm scale" and roles["features.1.bias"] == "norm shift"
    conv = audits["features.3.weight"].placement  # torch [32, 16, 3, 3]
    assert (conv.fan_in, conv.fan_out, conv.receptive_field) == (144, 288, 9)
    dense = audits["fc4.weight"].placement  # torch [10, 256]
    assert (dense.fan_in, dense.fan_out) == (256, 10)
    (tmp_path / "k").mkdir()
    keras = _by_name(audit_file(_save(keras_model()[0], tmp_path / "k", "npz"), "auto", run_signal=False))
    kconv = keras["conv2d_1/kernel"].placement  # keras [5, 5, 16, 32]
    assert (kconv.fan_in, kconv.fan_out) == (400, 800)
    assert keras["batch_normalization/beta"].placement.role == "norm shift"


def test_statistics_of_the_family(tmp_path: Path) -> None:
    """Excess kurtosis tells the family apart: uniform -1.2, truncated normal at 2 sigma -0.63, normal 0,
    each within Z sqrt(24/n) (n = 65,536 here: 0.09)."""
    rng = np.random.default_rng(3)
    arrays = {
        "u.weight": rng.uniform(-1, 1, (256, 256)).astype(np.float32),
        "n.weight": rng.standard_normal((256, 256)).astype(np.float32),
    }
    from initscope.engine import initializers

    arrays["t.weight"] = initializers.lookup("keras_he_normal").sample(256, 256, {}, rng, np.float32)
    audits = _by_name(audit_file(_save(arrays, tmp_path, "safetensors"), run_signal=False))
    tol = Z * math.sqrt(24 / 65536)
    for name, kurt in (("u.weight", -1.2), ("n.weight", 0.0), ("t.weight", truncated_kurtosis(2.0))):
        s = audits[name].stats
        assert s is not None and abs(s.kurtosis - kurt) < tol, (name, s.kurtosis)
        values = arrays[name].astype(np.float64)
        # float32 pieces summed pairwise, accumulated in float64: ~1e-7 relative (sampling error here: 3e-3)
        assert s.std == pytest.approx(values.std(), rel=1e-6) and s.mean == pytest.approx(values.mean(), abs=1e-7)
    assert truncated_kurtosis(2.0) == pytest.approx(-0.6344, abs=1e-3)
    assert truncated_std_factor(2.0) == pytest.approx(TRUNC_C)


def test_planted_faults_are_found(tmp_path: Path) -> None:
    arrays, _ = torch_model()
    report = audit_file(_save(plant_faults(arrays), tmp_path, "safetensors"), "auto", run_signal=False)
    kinds = {(f.kind, f.text.split(":")[0]) for f in report.findings}
    assert ("off_siblings", "fc2.weight") in kinds
    assert ("wrong_fan", "features.6.weight") in kinds
    assert ("symmetric", "fc3.weight") in kinds
    assert ("nonfinite", "proj.weight") in kinds
    assert len(report.findings) == 4, [f.text for f in report.findings]
    audits = _by_name(report)
    fc2 = audits["fc2.weight"]
    assert fc2.best is None and fc2.result.nearest is not None
    assert fc2.result.nearest.name == "inv_sqrt_fan_in_uniform"
    assert fc2.stats is not None
    ratio = fc2.stats.std / fc2.result.nearest.expected.std  # 3 within the std's sampling error (n = 65,536)
    assert abs(ratio - 3.0) < 3.0 * Z * math.sqrt(0.8 / (4 * 65536))
    assert "3x" in fc2.sentence() or "2.99x" in fc2.sentence() or "3.01x" in fc2.sentence()
    wrong = next(f for f in report.findings if f.kind == "wrong_fan")
    assert wrong.numbers["fan_in_used"] == 32 and wrong.numbers["fan_in"] == 288


def test_keras_kernel_read_as_torch_is_a_wrong_fan(tmp_path: Path) -> None:
    """A Keras-layout conv kernel audited in torch's layout matches only with the other layout's fans."""
    arrays = {"c.kernel": keras_model()[0]["conv2d_1/kernel"]}  # [5, 5, 16, 32]: torch reads out=5, in=5
    report = audit_file(_save(arrays, tmp_path, "safetensors"), "torch", run_signal=False)
    assert [f.kind for f in report.findings] == ["wrong_fan"]
    assert "keras's layout" in report.findings[0].text


def test_zero_conventions_are_named_not_flagged(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    arrays: dict[str, np.ndarray] = {}
    for block in range(2):  # Fixup: the last conv of each residual branch starts at 0
        arrays[f"layer1.{block}.conv1.weight"] = (rng.standard_normal((16, 16, 3, 3)) * 0.1).astype(np.float32)
        arrays[f"layer1.{block}.conv2.weight"] = np.zeros((16, 16, 3, 3), np.float32)
    arrays["resweight"] = np.zeros((1,), np.float32)  # ReZero's gate
    arrays["mlp.fc1.weight"] = np.zeros((8, 8), np.float32)  # a dead layer, no convention
    report = audit_file(_save(arrays, tmp_path, "safetensors"), "torch", run_signal=False)
    audits = _by_name(report)
    assert "Fixup" in audits["layer1.0.conv2.weight"].convention
    assert "ReZero" in audits["resweight"].convention
    assert [(f.kind, f.text.split(":")[0]) for f in report.findings] == [("zero", "mlp.fc1.weight")]


def test_bfloat16_is_read_exactly(tmp_path: Path) -> None:
    arrays, truth = torch_model()
    exact = bfloat16_safetensors(arrays, str(tmp_path / "bf16.safetensors"))
    report = audit_file(tmp_path / "bf16.safetensors", "torch", run_signal=False)
    audits = _by_name(report)
    for name, values in exact.items():
        a = audits[name]
        assert a.dtype == "bfloat16" and a.stats is not None
        wide = values.astype(np.float64)
        assert a.stats.std == pytest.approx(wide.std(), rel=1e-6, abs=1e-15)  # float32 pieces, see above
        assert (a.stats.min, a.stats.max) == (wide.min(), wide.max())
    for name, t in truth.items():  # rounding to bfloat16 moves a uniform's extremes off its bounds: allowed
        assert _named(audits[name], t), (name, audits[name].sentence())
    assert report.findings == []


def test_signal_runs_the_files_own_mlp(tmp_path: Path) -> None:
    """The chained fc1..fc4 run through the engine with the file's weights: layer 1's weight statistics are the
    file's, and the first layer's pre-activation std is what those weights give on the engine's input."""
    arrays, _ = torch_model()
    report = audit_file(_save(arrays, tmp_path, "safetensors"), "auto")
    assert report.signal_layers == ["fc1.weight", "fc2.weight", "fc3.weight", "fc4.weight"]
    r = report.signal
    assert r is not None and r.config.layer_fans == [(128, 256), (256, 256), (256, 256), (256, 10)]
    w1 = arrays["fc1.weight"].T.astype(np.float64)
    assert r.weights.summary.std[0] == pytest.approx(w1.std(), rel=1e-5)
    from initscope.engine.inputs import make_input
    from initscope.engine.streams import Stream, layer_rng

    x = make_input("normal", 256, 128, layer_rng(0, Stream.INPUT, 0), np.float32).astype(np.float64)
    z = x @ w1 + arrays["fc1.bias"].astype(np.float64)
    assert r.forward.preactivation.std[0] == pytest.approx(z.std(), rel=1e-4)
    assert r.verdict.kind in ("stable", "vanishing", "exploding", "dead")


def test_trained_looking_file_says_so(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    arrays = {
        f"l{i}.weight": (rng.standard_t(3, (128, 128)) * 0.07 * (3 if i == 2 else 1)).astype(np.float32)
        for i in range(4)
    }
    report = audit_file(_save(arrays, tmp_path, "safetensors"), "torch", run_signal=False)
    assert all(a.best is None for a in report.tensors)
    assert "probably trained" in report.summary
    assert report.findings == []  # a trained layer 3x wider than the others is no init fault


def test_density_integrates_the_law_over_the_bins() -> None:
    from initscope.engine import initializers
    from initscope.engine.density import expected_counts

    edges = np.linspace(-1.0, 1.0, 9)
    counts, name = expected_counts(initializers.Uniform(-0.5, 0.5), edges, 1000) or (None, "")
    assert counts is not None and name == "U(-0.5, 0.5)"
    np.testing.assert_allclose(counts, [0, 0, 250, 250, 250, 250, 0, 0], atol=1e-9)
    counts, _ = expected_counts(initializers.Normal(0.0, 1.0), np.array([-1.0, 0.0, 1.0]), 1000) or (None, "")
    assert counts is not None
    np.testing.assert_allclose(counts, [341.3447460685, 341.3447460685], rtol=1e-9)  # 1000 (Phi(1) - 1/2)
    assert expected_counts(initializers.Constant(0.0), edges, 1000) is None


def test_the_audit_loads_no_ui_package() -> None:
    import subprocess
    import sys

    code = (
        "import sys, initscope.engine.audit, initscope.engine.audit.signal, initscope.engine.density;"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'plotext'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_signal_of_a_keras_file_uses_its_kernels_as_stored(tmp_path: Path) -> None:
    """Keras stores [in, out], the engine's own layout: no transpose (a transposed 256x512 would not chain)."""
    arrays, _ = keras_model()
    report = audit_file(_save(arrays, tmp_path, "npz"), "auto")
    r = report.signal
    assert r is not None and r.config.layer_fans == [(256, 512), (512, 512), (512, 256), (256, 10)]
    for i, name in enumerate(report.signal_layers):
        assert r.weights.summary.std[i] == pytest.approx(arrays[name].astype(np.float64).std(), rel=1e-5)


def test_only_one_modules_dense_layers_chain_and_transformers_are_not_run(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)

    def w(fo: int, fi: int) -> np.ndarray:
        return (rng.standard_normal((fo, fi)) * np.sqrt(2 / fi)).astype(np.float32)

    arrays = {"head.0.weight": w(32, 16), "head.2.weight": w(32, 32), "tail.0.weight": w(8, 32)}
    report = audit_file(_save(arrays, tmp_path, "safetensors"), "torch")
    assert report.signal_layers == ["head.0.weight", "head.2.weight"]  # tail.0 has the fans but another module
    (tmp_path / "t").mkdir()
    blocks = {f"layers.{i}.attn.{n}.weight": w(16, 16) for i in range(2) for n in ("q_proj", "k_proj", "v_proj")}
    report = audit_file(_save(blocks, tmp_path / "t", "safetensors"), "torch")
    assert report.signal is None and "attention" in report.signal_note
