"""The race's training data: the generated tasks (spirals, circles, teacher) and a user's .csv/.npy."""

from __future__ import annotations

import csv
import functools
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from initscope.engine.arrays import FloatArray, IntArray
from initscope.engine.errors import ConfigError
from initscope.engine.inputs import InputFileError, open_regular, read_npy
from initscope.engine.limits import DEFAULT_BUDGET
from initscope.engine.streams import Stream, layer_rng
from initscope.engine.training.constants import AUTO_CLASS_LIMIT, DATA_ALLOWED, MAX_CLASSES


@dataclass(frozen=True)
class Dataset:
    """Training data ready for the race: standardized features and labels (or standardized targets)."""

    name: str
    x: FloatArray
    """(n, d) float64, every column standardized to mean 0 and std 1 (constant columns: mean 0)."""
    y: npt.NDArray[Any]
    """int64 class indices (n,) for classification; float64 (n, 1) standardized target for regression."""
    task: str
    n_classes: int
    class_names: tuple[str, ...]
    baseline_loss: float
    """Loss of the best constant prediction: the entropy of the class frequencies, or 1 (standardized MSE)."""

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def dim(self) -> int:
        return int(self.x.shape[1])

    @property
    def out_dim(self) -> int:
        return self.n_classes if self.task == "classification" else 1

    def info(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "task": self.task,
            "samples": self.n,
            "features": self.dim,
            "classes": self.n_classes,
            "class_names": list(self.class_names),
            "baseline_loss": self.baseline_loss,
        }


def _standardize(x: FloatArray) -> FloatArray:
    std = x.std(axis=0)
    out: FloatArray = (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return out


def _class_dataset(name: str, x: FloatArray, y: IntArray, k: int, names: tuple[str, ...]) -> Dataset:
    freq = np.bincount(y, minlength=k) / len(y)
    entropy = float(-np.sum(freq[freq > 0] * np.log(freq[freq > 0])))
    return Dataset(name, _standardize(x), y.astype(np.int64), "classification", k, names, entropy)


def _regression_dataset(name: str, x: FloatArray, target: FloatArray) -> Dataset:
    t = target.reshape(-1, 1)
    return Dataset(name, _standardize(x), _standardize(t), "regression", 0, (), 1.0)


def spirals(n: int, seed: int, noise: float = 0.05, turns: float = 1.25) -> Dataset:
    """Two interleaved spirals in 2-D (the classic hard-for-a-linear-model task), classes balanced."""
    rng = layer_rng(seed, Stream.DATA, 0)
    y = (np.arange(n) >= n // 2).astype(np.int64)
    t = np.sqrt(rng.random(n)) * turns * 2 * math.pi
    r = t / (turns * 2 * math.pi)
    angle = t + math.pi * y
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1) + noise * rng.standard_normal((n, 2))
    return _class_dataset("spirals", x, y, 2, ("0", "1"))


def circles(n: int, seed: int, noise: float = 0.08, factor: float = 0.5) -> Dataset:
    """Two concentric circles (radius 1 and `factor`), as sklearn's make_circles; classes balanced."""
    rng = layer_rng(seed, Stream.DATA, 1)
    y = (np.arange(n) >= n // 2).astype(np.int64)
    angle = rng.random(n) * 2 * math.pi
    radius = np.where(y == 0, 1.0, factor)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1) + noise * rng.standard_normal((n, 2))
    return _class_dataset("circles", x, y, 2, ("outer", "inner"))


def teacher(n: int, seed: int, dim: int = 8, width: int = 32, noise: float = 0.1) -> Dataset:
    """Regression on a random teacher MLP (dim -> width -> width -> 1, tanh, gain 1.5) plus 10 % noise."""
    rng = layer_rng(seed, Stream.DATA, 2)
    x = rng.standard_normal((n, dim))
    a = x
    for layer, (fi, fo) in enumerate([(dim, width), (width, width)], start=1):
        w = layer_rng(seed, Stream.TEACHER, layer).standard_normal((fi, fo)) * 1.5 / math.sqrt(fi)
        a = np.tanh(a @ w)
    f = a @ layer_rng(seed, Stream.TEACHER, 3).standard_normal((width, 1)) / math.sqrt(width)
    target = f + noise * float(f.std()) * rng.standard_normal(f.shape)
    return _regression_dataset("teacher", x, target)


def _data_error(path: str, reason: str) -> ConfigError:
    return ConfigError("data", path, DATA_ALLOWED, reason, message=f"data: {path}: {reason}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_rows(path: str, raw: str) -> tuple[list[list[str]], list[int]]:
    """CSV rows (fields stripped) and their 1-based line numbers; blank lines skipped, header dropped."""
    lines = raw.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = "," if "," in first else ";" if ";" in first else "\t" if "\t" in first else ","
    rows: list[list[str]] = []
    numbers: list[int] = []
    for number, fields_ in enumerate(csv.reader(io.StringIO(raw), delimiter=delimiter), start=1):
        if not fields_ or all(not f.strip() for f in fields_):
            continue
        rows.append([f.strip() for f in fields_])
        numbers.append(number)
    if not rows:
        raise _data_error(path, "the file is empty")
    if len(rows[0]) < 2:
        raise _data_error(
            path,
            f"line {numbers[0]} has 1 column; needs feature columns and a label or "
            "target column last (separated by , ; or tab)",
        )
    if not any(_is_number(f) for f in rows[0][:-1]):  # no numeric feature: a header row
        rows, numbers = rows[1:], numbers[1:]
        if not rows:
            raise _data_error(path, "only a header row, no data")
    return rows, numbers


def _parse_csv(path: str, raw: str) -> tuple[FloatArray, list[str], list[int]]:
    rows, numbers = _read_rows(path, raw)
    width = len(rows[0])
    for row, number in zip(rows, numbers, strict=True):
        if len(row) != width:
            raise _data_error(path, f"ragged rows: line {number} has {len(row)} fields, line {numbers[0]} has {width}")
    x = np.empty((len(rows), width - 1))
    for i, (row, number) in enumerate(zip(rows, numbers, strict=True)):
        for j, text in enumerate(row[:-1]):
            if not text:
                raise _data_error(path, f"line {number}, column {j + 1} is empty")
            try:
                value = float(text)
            except ValueError:
                raise _data_error(
                    path, f"text in a numeric column: line {number}, column {j + 1} is {text!r}"
                ) from None
            if not math.isfinite(value):
                raise _data_error(path, f"line {number}, column {j + 1} is {text!r}, not a finite number")
            x[i, j] = value
    return x, [row[-1] for row in rows], numbers


def _labels(
    path: str, labels: Sequence[str] | FloatArray, task: str, x: FloatArray, where: Callable[[int], str]
) -> Dataset:
    """Turn the last column into class indices or a regression target, with one clear error per problem."""
    numeric = _numeric_labels(path, labels, where)
    integer = numeric is not None and bool(np.all(numeric == np.round(numeric)))
    if task == "auto":
        few = numeric is not None and len(np.unique(numeric)) <= AUTO_CLASS_LIMIT
        task = "classification" if numeric is None or (integer and few) else "regression"
    if task == "regression":
        if numeric is None:
            text = next(v for v in labels if not _is_number(str(v)))
            raise _data_error(path, f"task regression needs a numeric target; the last column has {text!r}")
        if float(np.ptp(numeric)) == 0.0:
            raise _data_error(path, f"the target is constant ({numeric[0]:g} on every row): nothing to learn")
        return _regression_dataset(path, x, numeric)
    y, k, names = _classes(path, labels, numeric, integer)
    present = np.unique(y)
    if present.size < 2:
        raise _data_error(
            path, f"a single class (label {names[int(present[0])]!r} on every row); classification needs at least 2"
        )
    if k > MAX_CLASSES:
        raise _data_error(path, f"{k} classes; at most {MAX_CLASSES}")
    return _class_dataset(path, x, y, k, names)


def _numeric_labels(path: str, labels: Sequence[str] | FloatArray, where: Callable[[int], str]) -> FloatArray | None:
    """The labels as numbers (a non-finite one is refused), or None when some are not numbers."""
    numeric: FloatArray | None
    if isinstance(labels, np.ndarray):
        numeric = labels.astype(np.float64)
    else:
        try:
            numeric = np.array([float(v) for v in labels])
        except ValueError:
            return None
    bad = np.flatnonzero(~np.isfinite(numeric))
    if bad.size:
        raise _data_error(path, f"{where(int(bad[0]))}: the label/target is {numeric[bad[0]]}, not a finite number")
    return numeric


def _classes(
    path: str, labels: Sequence[str] | FloatArray, numeric: FloatArray | None, integer: bool
) -> tuple[IntArray, int, tuple[str, ...]]:
    """(class index per row, number of classes, class names): labels 0..K-1 as given, else names sorted."""
    n = len(labels)
    if numeric is not None and integer and numeric.min() >= 0:
        if numeric.max() >= n:  # checked as floats: 1e300 or 2^63 would not survive the int64 cast
            raise _data_error(
                path,
                f"labels go up to {numeric.max():g}, i.e. more classes than the {n} rows "
                "(use labels 0..K-1 or class names)",
            )
        y = numeric.astype(np.int64)
        k = int(y.max()) + 1
        return y, k, tuple(str(i) for i in range(k))
    if numeric is not None and not integer:
        raise _data_error(
            path,
            "task classification needs integer labels or class names in the last column "
            f"(found {numeric[~(numeric == np.round(numeric))][0]:g})",
        )
    texts = [str(v) for v in labels] if numeric is None else [f"{v:g}" for v in numeric]
    names = tuple(sorted(set(texts)))
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[t] for t in texts], dtype=np.int64), len(names), names


@functools.lru_cache(maxsize=4)
def _load_file_cached(path: str, task: str, _mtime_ns: int, _size: int) -> Dataset:
    p = Path(path).expanduser()
    suffix = p.suffix.lower()
    try:  # shape, dtype and size checked against the default memory budget before anything is loaded
        if suffix == ".npy":
            array = read_npy(p, DEFAULT_BUDGET)
        else:
            with open_regular(p, DEFAULT_BUDGET) as handle:
                raw = handle.read().decode("utf-8-sig")
    except (InputFileError, OSError, UnicodeDecodeError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise _data_error(path, reason if isinstance(err, InputFileError) else f"could not read it: {reason}") from None
    if suffix == ".npy":
        if array.ndim != 2 or array.shape[1] < 2 or array.shape[0] == 0:
            raise _data_error(
                path,
                f"an array of shape {array.shape}; needs rows of features with the label or "
                "target last (2-D, at least 2 columns)",
            )
        array = array.astype(np.float64)
        bad = np.argwhere(~np.isfinite(array[:, :-1]))
        if bad.size:
            r, c = (int(v) for v in bad[0])
            raise _data_error(path, f"row {r + 1}, column {c + 1} is {array[r, c]}, not a finite number")
        return _labels(path, array[:, -1], task, array[:, :-1], lambda i: f"row {i + 1}")
    x, labels, numbers = _parse_csv(path, raw)
    return _labels(path, labels, task, x, lambda i: f"line {numbers[i]}")


def load_file(path: str, task: str = "auto") -> Dataset:
    """A user's .csv/.npy (last column = label or target; a header row is detected and skipped)."""
    p = Path(path).expanduser()
    if p.suffix.lower() not in (".csv", ".npy"):
        raise ConfigError("data", path, DATA_ALLOWED)
    if not p.exists():
        raise _data_error(path, "file not found")
    if not p.is_file():
        raise _data_error(path, "not a file")
    stat = p.stat()
    return _load_file_cached(str(p), task, stat.st_mtime_ns, stat.st_size)


def _subset(ds: Dataset, n: int, seed: int) -> Dataset:
    """A seeded random subset of `n` rows (sorted, so the file's order is kept)."""
    if n >= ds.n:
        return ds
    rows = np.sort(layer_rng(seed, Stream.SUBSET, 0).choice(ds.n, n, replace=False))
    return replace(ds, x=ds.x[rows], y=ds.y[rows])
