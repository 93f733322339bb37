"""Input batches: the generated distributions and the user's own .npy/.csv files of rows."""

from __future__ import annotations

import io
import math
import os
import stat
import warnings
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from initscope.engine.errors import ConfigError
from initscope.engine.limits import DEFAULT_BUDGET

ALLOWED = "normal, uniform, or a readable .npy or .csv file of numeric rows"
NUMERIC_KINDS = "biuf"
"""bool, signed and unsigned integers, floats: what becomes float64 without losing meaning (complex would
drop its imaginary part, datetimes and structured records have no single number per cell)."""


class InputFileError(ValueError):
    """A data file cannot be used; the message says why in one line (callers add the field and the path)."""


def open_regular(path: Path, max_bytes: int) -> BinaryIO:
    """Open a regular file of at most `max_bytes` for reading, without blocking on a FIFO or a device."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise InputFileError(f"could not read it: {err.strerror or err}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError("not a regular file (a device, FIFO, socket or folder)")
        if info.st_size > max_bytes:
            raise InputFileError(f"{format_bytes(info.st_size)}, over the memory budget of {format_bytes(max_bytes)}")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def npy_header(handle: BinaryIO) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """Shape and dtype from a .npy header, before any data is read."""
    try:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
        elif version in ((2, 0), (3, 0)):
            shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
        else:
            raise InputFileError(f".npy format version {version[0]}.{version[1]} is not supported")
    except (ValueError, OSError, UnicodeDecodeError) as err:
        if isinstance(err, InputFileError):
            raise
        raise InputFileError(f"not a valid .npy file ({str(err).splitlines()[0][:80] if str(err) else err})") from None
    return tuple(shape), np.dtype(dtype)


def read_npy(path: Path, max_bytes: int) -> npt.NDArray[Any]:
    """A 1-D or 2-D numeric array from a .npy, checked against `max_bytes` (as float64) before loading."""
    with open_regular(path, max_bytes) as handle:
        shape, dtype = npy_header(handle)
        if dtype.fields is not None or dtype.kind not in NUMERIC_KINDS:
            kind = "structured records" if dtype.fields is not None else f"{dtype} values"
            raise InputFileError(f"an array of {kind}; needs real numbers (bool, integer or float)")
        if len(shape) not in (1, 2):
            raise InputFileError(f"an array of shape {shape}; needs rows (1-D or 2-D)")
        need = 8 * math.prod(shape)  # as float64
        if need > max_bytes:
            raise InputFileError(
                f"its shape {shape} needs {format_bytes(need)} as float64, over the memory "
                f"budget of {format_bytes(max_bytes)}"
            )
        handle.seek(0)
        try:
            return np.load(handle, allow_pickle=False)  # type: ignore[no-any-return]
        except (ValueError, OSError, EOFError) as err:
            raise InputFileError(f"could not read it: {str(err).splitlines()[0][:80] if str(err) else err}") from None


def load_file(path_text: str, max_bytes: int = DEFAULT_BUDGET) -> npt.NDArray[np.float64]:
    """Read a 2-D array of finite numbers from .npy or .csv (a header row is skipped)."""
    path = Path(path_text).expanduser()
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".csv"):
        raise ConfigError("input", path_text, ALLOWED)
    try:
        data = read_npy(path, max_bytes) if suffix == ".npy" else _read_csv(path, max_bytes)
    except InputFileError as err:
        raise ConfigError("input", path_text, ALLOWED, str(err)) from None
    data = np.asarray(data, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[0] == 0 or data.shape[1] == 0:
        raise ConfigError("input", path_text, ALLOWED, f"it holds an array of shape {data.shape}")
    if not np.isfinite(data).all():
        raise ConfigError("input", path_text, ALLOWED, "it contains NaN or inf")
    return data


def _read_csv(path: Path, max_bytes: int) -> npt.NDArray[np.float64]:
    with open_regular(path, max_bytes) as handle:
        try:
            text = handle.read().decode("utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise InputFileError(f"could not read it: {str(err).splitlines()[0][:80]}") from None
    first = text.split("\n", 1)[0]
    skip = 0
    try:
        [float(x) for x in first.replace(";", ",").split(",") if x.strip()]
    except ValueError:
        skip = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns (not raises) on an empty file: make it the error line
        try:
            return np.loadtxt(io.StringIO(text), delimiter=",", skiprows=skip, ndmin=2, dtype=np.float64)
        except (ValueError, UserWarning) as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            if isinstance(err, UserWarning):
                reason = "it has no rows of numbers"
            raise InputFileError(f"could not read it: {reason[:120]}") from None


def inspect_file(path_text: str, max_bytes: int = DEFAULT_BUDGET) -> int:
    """Number of columns of a valid input file (validates the whole file)."""
    return int(load_file(path_text, max_bytes).shape[1])


def make_input(
    source: str, batch: int, fan_in: int, rng: np.random.Generator, dtype: npt.DTypeLike
) -> npt.NDArray[np.floating]:
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
        data = load_file(source, 2**62)  # checked against the run's budget when its Config was built
        reps = -(-batch // data.shape[0])
        x = np.tile(data, (reps, 1))[:batch]
    return x.astype(dtype, copy=False)


def format_bytes(n: float) -> str:
    from initscope.engine.memory import format_bytes as fmt

    return fmt(n)
