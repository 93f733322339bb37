"""Every command sets the BLAS thread count once: --threads, then INITSCOPE_THREADS, then by work size."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from threadpoolctl import threadpool_info, threadpool_limits  # type: ignore[import-untyped]

from initscope import blas
from initscope.cli import main

SMALL_RUN = ["run", "--depth", "2", "--fan-in", "8", "--batch", "4", "--format", "csv"]


def blas_threads() -> int:
    return min(int(pool["num_threads"]) for pool in threadpool_info() if pool["user_api"] == "blas")


@pytest.fixture(autouse=True)
def fresh_choice(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test chooses anew, and the process keeps its thread count afterwards."""
    monkeypatch.setattr(blas, "_configured", False)
    for var in (blas.ENV, "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    with threadpool_limits(limits=None):
        yield


@pytest.mark.parametrize(
    "argv", [SMALL_RUN, ["theory", "--fan-in", "8", "--depth", "2", "--ensemble", "2"], ["sample", "--fan-in", "8"]]
)
def test_the_flag_sets_the_count(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "--threads", "2"]) == 0
    assert blas_threads() == 2


def test_the_environment_sets_it_and_the_flag_wins(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(blas.ENV, "2")
    assert main(SMALL_RUN) == 0
    assert blas_threads() == 2
    monkeypatch.setattr(blas, "_configured", False)
    assert main([*SMALL_RUN, "--threads", "1"]) == 0
    assert blas_threads() == 1


def test_small_work_runs_on_one_thread(capsys: pytest.CaptureFixture[str]) -> None:
    blas.set_threads(2)
    assert main(SMALL_RUN) == 0
    assert blas_threads() == 1


def test_the_users_blas_variable_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blas.set_threads(2)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert main(SMALL_RUN) == 0
    assert blas_threads() == 2


@pytest.mark.parametrize(
    ("flag", "env", "field"), [("0", None, "threads"), ("many", None, "threads"), (None, "-1", "INITSCOPE_THREADS")]
)
def test_a_bad_count_is_one_line_and_exit_2(
    flag: str | None, env: str | None, field: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if env is not None:
        monkeypatch.setenv(blas.ENV, env)
    assert main(SMALL_RUN + (["--threads", flag] if flag is not None else [])) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{field}:" in err and "1 to 256" in err


@pytest.mark.parametrize("cores", [1, 2, 8])
def test_large_work_uses_every_core_small_work_one(cores: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blas, "available_cores", lambda: cores)
    assert blas.threads_for(blas.PARALLEL_MIN_MACS - 1) == 1
    assert blas.threads_for(blas.PARALLEL_MIN_MACS) == cores
