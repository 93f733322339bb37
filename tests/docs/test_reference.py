"""The catalogue as text: framework snippets, `initscope list` and docs/initializers.md."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from initscope.engine.initializers import CATALOGUE, TRUNC_C, Initializer, lookup, names
from initscope.reference import ONE_SIDED_MARK, catalogue_markdown, catalogue_table
from initscope.snippets import snippets

DOCS = Path(__file__).resolve().parents[2] / "docs" / "initializers.md"


# ----------------------------------------------------------------------------- descriptions and snippets
@pytest.mark.parametrize("entry", CATALOGUE, ids=names())
def test_every_entry_has_four_snippets(entry: Initializer) -> None:
    codes = snippets(entry, 784, 256)
    assert set(codes) == {"pytorch", "keras", "jax", "kotlindl"}
    for text in codes.values():
        assert text.strip()
    if "no exact equivalent" not in codes["pytorch"]:
        assert "torch.empty(256, 784)" in codes["pytorch"]  # torch layout [out, in]


def test_snippets_carry_the_computed_numbers_and_the_honest_gaps() -> None:
    he = lookup("he_normal")
    assert "kaiming_normal_(w, mode='fan_in', nonlinearity='relu')" in snippets(he, 784, 256)["pytorch"]
    assert "0.0505076" in snippets(he, 784, 256)["pytorch"]
    assert "0.0883883" in snippets(he, 784, 256, {"mode": "fan_out"})["pytorch"]
    assert "untruncated_normal" in snippets(he, 784, 256)["keras"]  # Keras' HeNormal is truncated
    assert '"normal"' in snippets(he, 784, 256)["jax"]
    tanh = snippets(he, 256, 256, {"gain": "auto"}, auto_gain=5 / 3)["pytorch"]
    assert "0.104167" in tanh and "auto" in tanh

    keras_he = snippets(lookup("keras_he_normal"), 1000, 1000)
    s = math.sqrt(2 / 1000) / TRUNC_C
    assert f"trunc_normal_(w, mean=0.0, std={s:.6g}, a={-2 * s:.6g}, b={2 * s:.6g})" in keras_he["pytorch"]
    assert "HeNormal()" in keras_he["keras"] and "he_normal()" in keras_he["jax"]
    assert "HeNormal()" in keras_he["kotlindl"]

    assert "nonlinearity='linear'" in snippets(lookup("lecun_normal"), 100, 100)["pytorch"]
    assert "nonlinearity='linear'" in snippets(lookup("lecun_uniform"), 100, 100)["pytorch"]
    assert "a=math.sqrt(5)" in snippets(lookup("torch_default"), 10, 10)["pytorch"]
    xavier_kotlin = snippets(lookup("xavier_uniform"), 784, 256)["kotlindl"]
    assert "RandomUniform(maxVal = 0.0759555f" in xavier_kotlin and "one-sided" in xavier_kotlin
    assert "HeUniform()" in snippets(lookup("kotlindl_he_uniform"), 784, 256)["kotlindl"]
    assert "uniform(scale=" in snippets(lookup("kotlindl_glorot_uniform"), 784, 256)["jax"]
    for fw in ("keras", "jax", "kotlindl"):
        assert "no exact equivalent" in snippets(lookup("sparse"), 10, 10)[fw]
        assert "no exact equivalent" in snippets(lookup("lsuv"), 10, 10)[fw]
    assert "no exact equivalent" in snippets(lookup("truncated_normal"), 10, 10, {"k": 3})["keras"]
    geo = snippets(lookup("variance_scaling"), 100, 10000, {"mode": "fan_geo_avg"})
    assert "fan_geo_avg" in geo["jax"] and 'mode="fan_in"' in geo["keras"]


# ------------------------------------------------------------------------------------- the text forms
def test_catalogue_table_lists_everything_and_marks_one_sided_entries() -> None:
    table = catalogue_table()
    flat = " ".join(table.split())  # long fields are wrapped
    for entry in CATALOGUE:
        assert entry.name in table and entry.formula in flat and entry.summary in flat
        assert entry.note in flat
        for alias in entry.aliases:
            assert alias in table
    for line in table.splitlines():
        if line.startswith("kotlindl_") and "uniform" in line:
            assert ONE_SIDED_MARK in line
        if line.startswith(("xavier_uniform", "he_uniform", "kotlindl_he_normal")):
            assert ONE_SIDED_MARK not in line
    assert "gain=1.41421" in table and "mode=fan_in (one of fan_in, fan_out)" in table


def test_catalogue_markdown_has_every_entry_and_the_three_xaviers() -> None:
    md = catalogue_markdown()
    for entry in CATALOGUE:
        assert f"### `{entry.name}`" in md
    assert 'Three different "Xavier"s' in md and "eq. (16)" in md and "Caffe" in md


def test_docs_initializers_md_is_up_to_date() -> None:
    assert DOCS.exists(), "regenerate with: python -m initscope.reference > docs/initializers.md"
    assert DOCS.read_text(encoding="utf-8") == catalogue_markdown(), (
        "docs/initializers.md is out of date; regenerate with: python -m initscope.reference > docs/initializers.md"
    )


def test_snippet_overrides_name_catalogue_entries() -> None:
    from initscope.snippets import OVERRIDES

    assert set(OVERRIDES) <= set(names())  # a renamed entry must not silently lose its framework spelling
