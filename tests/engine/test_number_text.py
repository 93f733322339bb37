"""The one call formatter and the one exponent trimmer."""

from __future__ import annotations

import pytest

from initscope.engine.text import call_text, trim_exponent


@pytest.mark.parametrize(
    ("text", "trimmed"),
    [
        ("3.1e-05", "3.1e-5"),
        ("1e+05", "1e5"),
        ("1e+100", "1e100"),
        ("2.5e-300", "2.5e-300"),
        ("1e+00", "1e0"),
        ("0.82", "0.82"),
        ("inf", "inf"),
        ("-7e-07", "-7e-7"),
        ("–", "–"),
    ],
)
def test_trim_exponent(text: str, trimmed: str) -> None:
    assert trim_exponent(text) == trimmed


def test_call_text_keeps_only_changed_parameters() -> None:
    assert call_text("normal", {"mean": 0.0, "std": 0.001}, {"mean": 0.0, "std": 1.0}) == "normal(std=0.001)"
    assert call_text("normal", {"mean": 0.0, "std": 1.0}, {"mean": 0.0, "std": 1.0}) == "normal"


def test_call_text_formats_floats_only() -> None:
    assert call_text("sparse", {"sparsity": 0.1, "k": 3}, sep=", ") == "sparse(sparsity=0.1, k=3)"
    assert call_text("x", {"v": 1 / 3}, number=lambda v: f"{v:.4g}") == "x(v=0.3333)"
