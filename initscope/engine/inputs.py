"""Input batches: the generated distributions and the user's own .npy/.csv files of rows."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

from initscope.engine.errors import ConfigError

ALLOWED = "normal, uniform, or a readable .npy or .csv file of numeric rows"


def load_file(path_text: str) -> npt.NDArray[np.float64]:
    """Read a 2-D array of finite numbers from .npy or .csv (a header row is skipped)."""
    path = Path(path_text).expanduser()
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".csv"):
        raise ConfigError("input", path_text, ALLOWED)
    try:
        if suffix == ".npy":
            data = np.load(path, allow_pickle=False)
        else:
            with path.open("r", encoding="utf-8") as handle:
                first = handle.readline()
            skip = 0
            try:
                [float(x) for x in first.replace(";", ",").split(",") if x.strip()]
            except ValueError:
                skip = 1
            data = np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2, dtype=np.float64)
    except (OSError, ValueError, UnicodeDecodeError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError("input", path_text, ALLOWED, f"could not read it: {reason}") from None
    data = np.asarray(data, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[0] == 0 or data.shape[1] == 0:
        raise ConfigError("input", path_text, ALLOWED, f"it holds an array of shape {data.shape}")
    if not np.isfinite(data).all():
        raise ConfigError("input", path_text, ALLOWED, "it contains NaN or inf")
    return data


def inspect_file(path_text: str) -> int:
    """Number of columns of a valid input file (validates the whole file)."""
    return int(load_file(path_text).shape[1])


def make_input(source: str, batch: int, fan_in: int, rng: np.random.Generator,
               dtype: npt.DTypeLike) -> npt.NDArray[np.floating]:
    """The input batch X (batch x fan_in): unit-variance generated data, or the file's first `batch` rows
    (cycled when the file has fewer)."""
    # Drawn in float64 and cast: one seed gives the same input in every dtype (up to its rounding).
    if source == "normal":
        x = rng.standard_normal((batch, fan_in))
    elif source == "uniform":
        bound = math.sqrt(3.0)
        x = rng.random((batch, fan_in))
        x *= 2 * bound
        x -= bound
    else:
        data = load_file(source)
        reps = -(-batch // data.shape[0])
        x = np.tile(data, (reps, 1))[:batch]
    return x.astype(dtype, copy=False)
