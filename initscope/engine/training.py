"""The training race: the same MLP, data and mini-batch order for every contender; only the initializer differs.

What a race is:
- Network: `network.depth` hidden layers of `network.widths` units with `network.activation`, then a linear
  readout to the output dimension (classes, or 1 target). Every weight matrix, the readout included, is
  drawn by the contender's initializer ('auto' gain: the activation's for hidden layers, 1 for the linear
  readout); biases come from `network.bias` (zeros by default). Layout as everywhere: W is
  (fan_in, fan_out) and Z = A @ W + b. The input dimension (`fan_in`) is the data's.
- Randomness: every contender's layer l draws from the same stream (seed, 10, l), so he_normal and
  xavier_normal scale the same Gaussian draws; data, mini-batch order and the teacher have streams of
  their own, so every contender sees identical batches in identical order.
- Recording (memory stays bounded however long the race): the loss and accuracy on the whole training set
  at initialization and after every epoch (exact; the steps to reach the target loss are read from this);
  and at most `MAX_STEP_RECORDS` step records per contender, each closing a window of steps: the mean
  mini-batch loss over the window and the mean per-layer gradient norm (before clipping), with the
  update:data ratio and the distinct hidden units sampled at the window's last step.
- A contender whose loss or gradient stops being finite stops there; the step and the reason are kept.

Pure NumPy: imports nothing from textual, rich or plotext. `run_race` runs in a worker thread; it checks
`cancel` at every step and calls `progress` with a small, copied `RaceProgress` at most every
`progress_interval` seconds (and always at the start and the end).
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from initscope.engine import activations, initializers, train_network
from initscope.engine.config import Config, as_int, as_positive_float, parse_call
from initscope.engine.errors import ConfigError
from initscope.engine.inputs import DEFAULT_BUDGET, InputFileError, open_regular, read_npy
from initscope.engine.jsonsafe import json_safe
from initscope.engine.losses import Trainable
from initscope.engine.propagate import layer_rng

Array = npt.NDArray[np.floating[Any]]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Random streams of the race (the propagation engine uses 0-3); each is spawned per layer/epoch.
STREAM_WEIGHTS, STREAM_BIAS, STREAM_DATA, STREAM_ORDER, STREAM_TEACHER, STREAM_SUBSET, STREAM_PROBE = (
    10, 11, 12, 13, 14, 15, 16)

GENERATED = ("spirals", "circles", "teacher")
GENERATED_DIMS = {"spirals": 2, "circles": 2, "teacher": 8}
OPTIMIZERS = ("sgd", "adam")
TASKS = ("auto", "classification", "regression")
CLIP_MODES = ("global", "per_layer")
DEFAULT_LR = {"sgd": 0.02, "adam": 0.003}
"""Measured on the default network: He and Xavier reach the target on spirals and teacher within 200 epochs
(SGD at 0.05 kills the ReLU net on teacher regression in its first steps)."""
DEFAULT_SAMPLES = 512
DEFAULT_CONTENDERS = "he_normal,xavier_normal,zeros"
TARGET_FRACTION = 0.1
"""Default target loss: 10 % of the loss of the best constant prediction (ln K for balanced classes,
1.0 for a standardized regression target, i.e. R² = 0.9)."""
MAX_CONTENDERS = 8
MAX_EPOCHS = 1_000_000
MAX_SAMPLES = 1_000_000
MAX_CLASSES = 1000
AUTO_CLASS_LIMIT = 50
"""`task=auto`: an integer label column with at most this many distinct values is a classification."""
DEFAULT_WORK_BUDGET = 2e11
"""epochs x samples x parameters x contenders: 2e11 is about 3 minutes on one core (the default race is
~1e9). Each unit is a handful of flops, and the cost is linear in all four factors."""
MAX_STEP_RECORDS = 256
CURVE_POINTS = 300
"""Points per curve in `to_dict` (snapshots) and in `RaceProgress`: enough for any terminal width."""
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
CLIP_EPS = 1e-6
"""torch.nn.utils.clip_grad_norm_: coef = max_norm / (total_norm + 1e-6), clamped to 1."""
SYMMETRY_RTOL = 1e-4
"""Two hidden units are one when their incoming weights and bias differ by at most this times the layer's
largest |value|. Units started identical (constant init) drift apart only by float32 round-off: measured
<= 1.4e-6 of that after 800 Adam steps, 70x below; units started at random differ by O(1) of it."""
DATA_ALLOWED = "spirals, circles, teacher, or a .csv/.npy file of rows (features, then label or target last)"


# ------------------------------------------------------------------------------------ contenders
@dataclass(frozen=True)
class Contender:
    """One initializer (with parameters) in the race; `label` is how it is written and shown."""

    initializer: str
    params: Mapping[str, initializers.ParamValue] = field(default_factory=dict)
    arch: Mapping[str, str] = field(default_factory=dict)
    """A config contender's architecture fields (engine/train_network.py); empty: the race's plain MLP."""

    def __post_init__(self) -> None:
        try:
            entry = initializers.lookup(self.initializer, "contenders")
            resolved = entry.resolve(self.params)
        except ConfigError as err:
            if err.field == "contenders":
                raise
            raise ConfigError("contenders", self.initializer, err.allowed, err.hint,
                              message=f"contenders: {err}") from None
        object.__setattr__(self, "initializer", entry.name)
        object.__setattr__(self, "params", resolved)

    def __hash__(self) -> int:  # params is a dict: hash the canonical label instead
        return hash(self.label)

    @property
    def label(self) -> str:
        """`name` or `name(k=v)` with only the parameters that differ from the entry's defaults; a config
        contender is its one-line form (`init=... arch=residual ...`, init left out when he_normal)."""
        defaults = initializers.lookup(self.initializer).resolve({})
        changed = [(k, v) for k, v in self.params.items() if defaults.get(k) != v]
        name = self.initializer
        if changed:
            name = f"{self.initializer}(" + ",".join(f"{k}={_short(v)}" for k, v in changed) + ")"
        if not self.arch:
            return name
        fields = " ".join(f"{k}={v}" for k, v in self.arch.items())
        return fields if name == "he_normal" else f"init={name} {fields}"

    @classmethod
    def parse(cls, text: str) -> Contender:
        """`he_normal`, `normal(std=0.01)` or `normal(0.01)` (the first parameter); or a one-line config
        such as `arch=residual branch_scale=1/sqrt(2L)` (engine/train_network.py)."""
        arch: dict[str, str] = {}
        if "=" in str(text).split("(")[0]:
            init_text, arch = train_network.parse_arch(str(text))
            text = init_text or "he_normal"
        first = None
        try:
            entry = initializers.lookup(str(text).split("(")[0], "contenders")
            first = entry.params[0].name if entry.params else None
        except ConfigError:
            pass  # Contender() raises it, with the suggestions
        name, params = parse_call(str(text), "contenders", first_param=first)
        return cls(name, params, arch)


def _short(v: object) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def split_top_level(text: str) -> list[str]:
    """Split at commas outside parentheses: `normal(std=1,mean=0),zeros` -> two pieces."""
    pieces, depth, current = [], 0, ""
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            pieces.append(current)
            current = ""
        else:
            current += ch
    pieces.append(current)
    return [p.strip() for p in pieces if p.strip()]


def parse_contenders(value: str | Sequence[str | Contender]) -> tuple[Contender, ...]:
    """`he_normal,xavier_normal,zeros` or `arch=residual norm=none, arch=residual branch_scale=1/sqrt(2L)` (or a
    list of them, or of Contenders) -> validated, distinct contenders."""
    # Commas outside parentheses separate contenders; a one-line config contender has none of its own.
    items: list[str | Contender] = [p for v in ([value] if isinstance(value, str) else value)
                                    for p in ([v] if isinstance(v, Contender) else split_top_level(v))]
    allowed = f"1 to {MAX_CONTENDERS} comma-separated initializers, e.g. {DEFAULT_CONTENDERS}"
    if not items or len(items) > MAX_CONTENDERS:
        raise ConfigError("contenders", value if isinstance(value, str) else ",".join(map(str, items)), allowed)
    out = tuple(c if isinstance(c, Contender) else Contender.parse(str(c)) for c in items)
    labels = [c.label for c in out]
    for label in labels:
        if labels.count(label) > 1:
            raise ConfigError("contenders", label, allowed, "each contender once")
    return out


# ------------------------------------------------------------------------------------ datasets
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
        return {"name": self.name, "task": self.task, "samples": self.n, "features": self.dim,
                "classes": self.n_classes, "class_names": list(self.class_names),
                "baseline_loss": self.baseline_loss}


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
    rng = layer_rng(seed, STREAM_DATA, 0)
    y = (np.arange(n) >= n // 2).astype(np.int64)
    t = np.sqrt(rng.random(n)) * turns * 2 * math.pi
    r = t / (turns * 2 * math.pi)
    angle = t + math.pi * y
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1) + noise * rng.standard_normal((n, 2))
    return _class_dataset("spirals", x, y, 2, ("0", "1"))


def circles(n: int, seed: int, noise: float = 0.08, factor: float = 0.5) -> Dataset:
    """Two concentric circles (radius 1 and `factor`), as sklearn's make_circles; classes balanced."""
    rng = layer_rng(seed, STREAM_DATA, 1)
    y = (np.arange(n) >= n // 2).astype(np.int64)
    angle = rng.random(n) * 2 * math.pi
    radius = np.where(y == 0, 1.0, factor)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1) + noise * rng.standard_normal((n, 2))
    return _class_dataset("circles", x, y, 2, ("outer", "inner"))


def teacher(n: int, seed: int, dim: int = 8, width: int = 32, noise: float = 0.1) -> Dataset:
    """Regression on a random teacher MLP (dim -> width -> width -> 1, tanh, gain 1.5) plus 10 % noise."""
    rng = layer_rng(seed, STREAM_DATA, 2)
    x = rng.standard_normal((n, dim))
    a = x
    for layer, (fi, fo) in enumerate([(dim, width), (width, width)], start=1):
        w = layer_rng(seed, STREAM_TEACHER, layer).standard_normal((fi, fo)) * 1.5 / math.sqrt(fi)
        a = np.tanh(a @ w)
    f = a @ layer_rng(seed, STREAM_TEACHER, 3).standard_normal((width, 1)) / math.sqrt(width)
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
        raise _data_error(path, f"line {numbers[0]} has 1 column; needs feature columns and a label or "
                          "target column last (separated by , ; or tab)")
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
            raise _data_error(path, f"ragged rows: line {number} has {len(row)} fields, line {numbers[0]} "
                              f"has {width}")
    x = np.empty((len(rows), width - 1))
    for i, (row, number) in enumerate(zip(rows, numbers, strict=True)):
        for j, text in enumerate(row[:-1]):
            if not text:
                raise _data_error(path, f"line {number}, column {j + 1} is empty")
            try:
                value = float(text)
            except ValueError:
                raise _data_error(path, f"text in a numeric column: line {number}, column {j + 1} is "
                                  f"{text!r}") from None
            if not math.isfinite(value):
                raise _data_error(path, f"line {number}, column {j + 1} is {text!r}, not a finite number")
            x[i, j] = value
    return x, [row[-1] for row in rows], numbers


def _labels(path: str, labels: Sequence[str] | FloatArray, task: str, x: FloatArray,
            where: Callable[[int], str]) -> Dataset:
    """Turn the last column into class indices or a regression target, with one clear error per problem."""
    n = len(labels)
    numeric: FloatArray | None
    if isinstance(labels, np.ndarray):
        numeric = labels.astype(np.float64)
    else:
        try:
            numeric = np.array([float(v) for v in labels])
        except ValueError:
            numeric = None
    if numeric is not None:
        bad = np.flatnonzero(~np.isfinite(numeric))
        if bad.size:
            raise _data_error(path, f"{where(int(bad[0]))}: the label/target is {numeric[bad[0]]}, not a finite "
                              "number")
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
    if numeric is not None and integer and numeric.min() >= 0:
        if numeric.max() >= n:  # checked as floats: 1e300 or 2^63 would not survive the int64 cast
            raise _data_error(path, f"labels go up to {numeric.max():g}, i.e. more classes than the {n} rows "
                              "(use labels 0..K-1 or class names)")
        y = numeric.astype(np.int64)
        k = int(y.max()) + 1
        names = tuple(str(i) for i in range(k))
    elif numeric is not None and not integer:
        raise _data_error(path, "task classification needs integer labels or class names in the last column "
                          f"(found {numeric[~(numeric == np.round(numeric))][0]:g})")
    else:
        texts = [str(v) for v in labels] if numeric is None else [f"{v:g}" for v in numeric]
        names = tuple(sorted(set(texts)))
        index = {name: i for i, name in enumerate(names)}
        y = np.array([index[t] for t in texts], dtype=np.int64)
        k = len(names)
    present = np.unique(y)
    if present.size < 2:
        raise _data_error(path, f"a single class (label {names[int(present[0])]!r} on every row); classification "
                          "needs at least 2")
    if k > MAX_CLASSES:
        raise _data_error(path, f"{k} classes; at most {MAX_CLASSES}")
    return _class_dataset(path, x, y, k, names)


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
            raise _data_error(path, f"an array of shape {array.shape}; needs rows of features with the label or "
                              "target last (2-D, at least 2 columns)")
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
    rows = np.sort(layer_rng(seed, STREAM_SUBSET, 0).choice(ds.n, n, replace=False))
    return replace(ds, x=ds.x[rows], y=ds.y[rows])


# ------------------------------------------------------------------------------------ the training config
def _choice(name: str, value: object, choices: Sequence[str]) -> str:
    text = str(value).strip().lower().replace("-", "_")
    if text not in choices:
        raise ConfigError(name, value, "one of " + ", ".join(choices))
    return text


DEFAULT_NETWORK = Config(activation="relu", fan_in=2, width=64, depth=3, batch=64)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a race; validated at construction (each refusal a ConfigError naming
    the field). `None` fields mean "the default for this data/optimizer" and stay None, so `replace()`
    keeps following the defaults; read the `effective_*` properties for the values used.

    `network` gives the hidden layers (activation, widths, depth, bias, dtype, seed). Its widths are kept as
    they were given; its fan_in becomes the data's input dimension, its batch the race's batch size, and
    its initializer, input and clip fields are not used (the contenders and this config's clip are).
    """

    network: Config = DEFAULT_NETWORK
    contenders: tuple[Contender, ...] | str | Sequence[str | Contender] = DEFAULT_CONTENDERS
    data: str = "spirals"
    samples: int | None = None
    """Rows to train on: default 512 for generated data, every row of a file (or a seeded subset)."""
    epochs: int = 200
    batch_size: int = 64
    optimizer: str = "sgd"
    lr: float | None = None
    momentum: float = 0.9
    """SGD momentum (torch semantics: v = mu v + g; p -= lr v). Adam uses betas (0.9, 0.999)."""
    clip: float | None = None
    clip_mode: str = "global"
    """global: one norm over every parameter (torch's clip_grad_norm_(model.parameters())); per_layer:
    each layer's (W, b) clipped on its own."""
    target_loss: float | None = None
    task: str = "auto"
    seed: int | None = None
    """None: the network's seed."""
    work_budget: float = DEFAULT_WORK_BUDGET

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "contenders", parse_contenders(self.contenders))
        data = str(self.data).strip()
        if data.lower() in GENERATED:
            data = data.lower()
        elif not data:
            raise ConfigError("data", self.data, DATA_ALLOWED)
        set_(self, "data", data)
        set_(self, "task", _choice("task", self.task, TASKS))
        if data in GENERATED:
            natural = "regression" if data == "teacher" else "classification"
            if self.task not in ("auto", natural):
                raise ConfigError("task", self.task, f"auto or {natural} for {data}")
        if self.samples is not None:
            set_(self, "samples", as_int("samples", self.samples, 8, MAX_SAMPLES))
        set_(self, "epochs", as_int("epochs", self.epochs, 1, MAX_EPOCHS))
        set_(self, "batch_size", as_int("batch_size", self.batch_size, 1, 65536))
        set_(self, "optimizer", _choice("optimizer", self.optimizer, OPTIMIZERS))
        if self.lr is not None:
            set_(self, "lr", as_positive_float("lr", self.lr))
        momentum = self.momentum
        try:
            momentum = float(momentum)
        except (TypeError, ValueError):
            raise ConfigError("momentum", self.momentum, "a number in [0, 1)") from None
        if not 0.0 <= momentum < 1.0 or isinstance(self.momentum, bool):
            raise ConfigError("momentum", self.momentum, "a number in [0, 1)")
        set_(self, "momentum", momentum)
        if self.clip is not None:
            text = str(self.clip).strip().lower()
            set_(self, "clip", None if text in ("off", "none", "") else as_positive_float("clip", self.clip))
        set_(self, "clip_mode", _choice("clip_mode", self.clip_mode, CLIP_MODES))
        if self.target_loss is not None:
            set_(self, "target_loss", as_positive_float("target_loss", self.target_loss))
        if self.seed is not None:
            set_(self, "seed", as_int("seed", self.seed, 0, 2**63 - 1))
        set_(self, "work_budget", as_positive_float("work_budget", self.work_budget))

        if not isinstance(self.network, Config):
            raise ConfigError("network", self.network, "an initscope Config")
        if self.network.dtype == "float16":
            raise ConfigError("dtype", "float16", "float32 or float64 for training",
                              "NumPy float16 training has no loss scaling and underflows")
        ds = self._dataset_header()
        n = ds[0]
        if self.batch_size > n:
            raise ConfigError("batch_size", self.batch_size, f"1 to {n}, the number of samples")
        net = self.network
        widths = net.widths
        try:
            net = net.replace(fan_in=ds[1], width=widths if len(set(widths)) > 1 else widths[0], depth=len(widths),
                              batch=self.batch_size, input="normal", clip=None, seed=self.effective_seed)
        except ConfigError as err:
            raise ConfigError(err.field, err.value, err.allowed, err.hint,
                              message=f"{err} (network for training)") from None
        set_(self, "network", net)
        for contender in self.contender_list:
            if contender.arch:
                try:
                    train_network.contender_network(net, contender.initializer, contender.params, contender.arch)
                except ConfigError as err:
                    if err.field == "contenders":
                        raise
                    raise ConfigError("contenders", contender.label, err.allowed,
                                      message=f"contenders: {contender.label}: {err}") from None
        work = self.work(n, ds[2])
        if work > self.work_budget:
            params = [self.contender_params(c, ds[2]) for c in self.contender_list]
            sizes = (f"{params[0]:,} parameters x {len(params)} contenders" if len(set(params)) == 1 else
                     f"{sum(params):,} parameters summed over {len(params)} contenders")
            raise ConfigError(
                "epochs", self.epochs, f"a race within the work budget of {self.work_budget:.3g}",
                message=f"epochs: this race is {self.epochs} epochs x {n} samples x {sizes} = {work:.3g}, "
                f"over the budget of {self.work_budget:.3g} "
                f"(about {work / self.work_budget:.1f}x); reduce epochs to {self.max_epochs(n, ds[2])} or fewer, "
                "or reduce samples, width, depth or the number of contenders",
            )
        data_bytes = n * ds[1] * 8 * 2
        if data_bytes > net.memory_budget:
            raise ConfigError("data", self.data, "data within the memory budget",
                              message=f"data: {self.data}: {n} x {ds[1]} values need "
                              f"{data_bytes / 2**20:.0f} MiB, over the memory budget; use fewer samples")

    # ------------------------------------------------------------- derived values
    def _dataset_header(self) -> tuple[int, int, int]:
        """(samples, input dim, output dim) without generating the data; a file is loaded (and validated)."""
        if self.data in GENERATED:
            n = DEFAULT_SAMPLES if self.samples is None else self.samples
            return n, GENERATED_DIMS[self.data], 2 if self.data != "teacher" else 1
        ds = load_file(self.data, self.task)
        if self.samples is not None and self.samples > ds.n:
            raise ConfigError("samples", self.samples, f"8 to {ds.n}, the rows of {self.data}")
        if ds.n < 8 and self.samples is None:
            raise _data_error(self.data, f"only {ds.n} rows; needs at least 8")
        return (ds.n if self.samples is None else self.samples), ds.dim, ds.out_dim

    @property
    def effective_seed(self) -> int:
        return self.network.seed if self.seed is None else int(self.seed)

    @property
    def effective_lr(self) -> float:
        return DEFAULT_LR[self.optimizer] if self.lr is None else float(self.lr)

    @property
    def contender_list(self) -> tuple[Contender, ...]:
        assert isinstance(self.contenders, tuple)
        return self.contenders

    def layer_dims(self, out_dim: int) -> list[tuple[int, int]]:
        """(fan_in, fan_out) of every weight layer: the hidden layers, then the readout."""
        dims = (self.network.fan_in, *self.network.widths, out_dim)
        return list(itertools.pairwise(dims))

    def n_params(self, out_dim: int) -> int:
        return sum(fi * fo + fo for fi, fo in self.layer_dims(out_dim))

    def contender_params(self, contender: Contender, out_dim: int) -> int:
        """Parameters of one contender's network: the race's MLP, or a config contender's residual net (input
        projection, branch_depth dense layers per block, readout)."""
        if contender.arch.get("arch") != "residual":
            return self.n_params(out_dim)
        width, depth = self.network.widths[0], self.network.n_layers
        per_block = int(contender.arch.get("branch_depth", 2))
        return (self.network.fan_in + 1) * width + depth * per_block * (width + 1) * width + (width + 1) * out_dim

    def work(self, samples: int, out_dim: int) -> float:
        """The budgeted cost: epochs x samples x parameters, summed over the contenders."""
        return float(self.epochs) * self.epoch_cost(samples, out_dim)

    def epoch_cost(self, samples: int, out_dim: int) -> float:
        """The cost of one epoch: samples x parameters, summed over the contenders."""
        return float(samples) * sum(self.contender_params(c, out_dim) for c in self.contender_list)

    def max_epochs(self, samples: int, out_dim: int) -> int:
        return max(0, int(self.work_budget // self.epoch_cost(samples, out_dim)))

    def dataset(self) -> Dataset:
        """The training data (generated from the seed, or the file; a seeded subset when samples < rows)."""
        seed = self.effective_seed
        if self.data in GENERATED:
            n = DEFAULT_SAMPLES if self.samples is None else self.samples
            makers: dict[str, Callable[[int, int], Dataset]] = {"spirals": spirals, "circles": circles,
                                                                "teacher": teacher}
            return makers[self.data](n, seed)
        ds = load_file(self.data, self.task)
        return ds if self.samples is None else _subset(ds, self.samples, seed)

    def replace(self, **changes: Any) -> TrainConfig:
        """A validated copy with some fields changed."""
        return replace(self, **changes)

    # ------------------------------------------------------------- serialization
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; the values actually used (defaults resolved; a target_loss of None means 10 % of the
        data's baseline, stored resolved beside it in the race result), so `from_dict` reruns the same race."""
        n, _, out_dim = self._dataset_header()
        return {
            "contenders": [c.label for c in self.contender_list],
            "data": self.data,
            "task": self.task,
            "samples": n,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "optimizer": self.optimizer,
            "lr": self.effective_lr,
            "momentum": self.momentum,
            "clip": None if self.clip is None else {"threshold": self.clip, "mode": self.clip_mode},
            "target_loss": self.target_loss,
            "seed": self.effective_seed,
            "work_budget": self.work_budget,
            "parameters": self.n_params(out_dim),
            "network": self.network.as_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TrainConfig:
        """Rebuild (and validate) from `to_dict`'s output, e.g. a snapshot's `training.config`."""
        if not isinstance(d, Mapping):
            raise ConfigError("training", type(d).__name__, "a training config object")
        network_block = d.get("network")
        if not isinstance(network_block, Mapping) or not isinstance(network_block.get("string"), str):
            raise ConfigError("training.network", network_block, "a config block with its one-line 'string'")
        clip = d.get("clip")
        if clip is not None and not isinstance(clip, Mapping):
            raise ConfigError("clip", clip, "null or {threshold, mode}")
        contenders = d.get("contenders")
        if not isinstance(contenders, list) or not all(isinstance(c, str) for c in contenders):
            raise ConfigError("contenders", contenders, "a list of initializer names")
        return cls(
            network=Config.from_string(network_block["string"]),
            contenders=list(contenders),
            data=str(d.get("data", "spirals")),
            task=str(d.get("task", "auto")),
            samples=d.get("samples"),
            epochs=d.get("epochs", 200),
            batch_size=d.get("batch_size", 64),
            optimizer=str(d.get("optimizer", "sgd")),
            lr=d.get("lr"),
            momentum=d.get("momentum", 0.9),
            clip=None if clip is None else clip.get("threshold"),
            clip_mode=str("global" if clip is None else clip.get("mode", "global")),
            target_loss=d.get("target_loss"),
            seed=d.get("seed"),
            work_budget=d.get("work_budget", DEFAULT_WORK_BUDGET),
        )


# ------------------------------------------------------------------------------------ the network
class MLP(Trainable):
    """Hidden layers with one activation, then a linear readout. Z = A @ W + b; W is (fan_in, fan_out)."""

    def __init__(self, weights: Sequence[Array], biases: Sequence[Array], act: activations.Activation) -> None:
        self.weights: list[Array] = list(weights)
        self.biases: list[Array] = list(biases)
        self.act = act

    @property
    def n_hidden(self) -> int:
        return len(self.weights) - 1

    def group_sizes(self) -> list[int]:
        """Dense layers per recorded layer: one each (a residual contender groups a block's layers)."""
        return [1] * len(self.weights)

    def forward(self, x: Array, keep: bool = True) -> tuple[Array, list[Array], list[Array | None]]:
        """Logits, and (when `keep`) the inputs of every layer and the pre-activations phi' needs."""
        inputs: list[Array] = []
        zs: list[Array | None] = []
        a = x
        for w, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            if keep:
                inputs.append(a)
            z = a @ w
            z += b
            if self.act.needs_z and keep:  # phi may overwrite z; gelu/silu need it for phi'
                zs.append(z)
                a = self.act.phi(z.copy())
            else:
                zs.append(None)
                a = self.act.phi(z)
        if keep:
            inputs.append(a)
        logits = a @ self.weights[-1]
        logits += self.biases[-1]
        return logits, inputs, zs

    def backward(self, inputs: list[Array], zs: list[Array | None], dlogits: Array) -> tuple[list[Array], list[Array]]:
        """dW and db of every layer from dLoss/dlogits (the loss already averaged over the batch)."""
        n_layers = len(self.weights)
        dws: list[Array] = [np.empty(0)] * n_layers
        dbs: list[Array] = [np.empty(0)] * n_layers
        dz = dlogits
        for layer in range(n_layers - 1, -1, -1):
            dws[layer] = inputs[layer].T @ dz
            dbs[layer] = dz.sum(axis=0)
            if layer == 0:
                break
            da = dz @ self.weights[layer].T
            da *= self.act.dphi(zs[layer - 1], inputs[layer])
            dz = da
        return dws, dbs


def build_mlp(tc: TrainConfig, contender: Contender, out_dim: int, first_batch: Array | None = None
              ) -> MLP | train_network.TrainNet:
    """The contender's network: layer l's weights from stream (seed, 10, l), the same for every contender.

    lsuv (data-dependent) is rescaled layer by layer on `first_batch` as Mishkin & Matas do. A config
    contender gets its residual or normalized network (engine/train_network.py).
    """
    net = tc.network
    if contender.arch:
        cfg = train_network.contender_network(net, contender.initializer, contender.params, contender.arch)

        def draw(entry: initializers.Initializer, fi: int, fo: int, params: Any, layer: int, gain: float) -> Array:
            return entry.sample(fi, fo, params, layer_rng(tc.effective_seed, STREAM_WEIGHTS, layer), cfg.np_dtype,
                                auto_gain=gain)

        return train_network.TrainNet(cfg, net.fan_in, out_dim, tc.effective_seed, draw)
    dtype = net.np_dtype
    act = activations.make(net.activation, dict(net.activation_params))
    entry = initializers.lookup(contender.initializer)
    bias_entry = initializers.lookup(net.bias)
    seed = tc.effective_seed
    weights: list[Array] = []
    biases: list[Array] = []
    dims = tc.layer_dims(out_dim)
    for layer, (fi, fo) in enumerate(dims, start=1):
        gain = act.gain if layer < len(dims) else 1.0  # the readout is linear
        weights.append(np.ascontiguousarray(entry.sample(fi, fo, contender.params, layer_rng(seed, STREAM_WEIGHTS,
                                                                                            layer), dtype,
                                                         auto_gain=gain)))
        if net.bias == "zeros":
            biases.append(np.zeros(fo, dtype=dtype))
        else:
            biases.append(bias_entry.sample(fi, fo, net.bias_params, layer_rng(seed, STREAM_BIAS, layer), dtype,
                                            shape=(fo,), auto_gain=gain).copy())
    mlp = MLP(weights, biases, act)
    if entry.data_dependent and first_batch is not None:
        _lsuv(mlp, first_batch, float(contender.params.get("tol", 0.1)),
              int(float(contender.params.get("max_iters", 10))))
    return mlp


def _lsuv(mlp: MLP, x: Array, tol: float, max_iters: int) -> None:
    """Rescale each layer in turn until Var(Z) on the batch is 1 +- tol (Mishkin & Matas 2016)."""
    a = x
    for layer, (w, b) in enumerate(zip(mlp.weights, mlp.biases, strict=True)):
        for _ in range(max_iters):
            var = float(np.var((a @ w + b).astype(np.float64)))
            if not math.isfinite(var) or var <= 0 or abs(var - 1.0) < tol:
                break
            w *= w.dtype.type(1.0 / math.sqrt(var))
        if layer < len(mlp.weights) - 1:
            a = mlp.act.phi(a @ w + b)


# ------------------------------------------------------------------------------------ clipping, symmetry
def clip_gradients(grads: Sequence[Sequence[Array]], max_norm: float, mode: str = "global"
                   ) -> tuple[float, float, npt.NDArray[np.bool_]]:
    """Clip in place exactly as torch.nn.utils.clip_grad_norm_: coef = max_norm / (norm + 1e-6), clamped
    to 1, and every gradient multiplied by it. `grads` is one group of arrays per layer; `global` takes one
    norm over every group, `per_layer` one per group. Returns (total norm before, total norm after, which
    groups were scaled down)."""
    sq = np.array([sum(_sq(g) for g in group) for group in grads])
    before = math.sqrt(float(sq.sum()))
    if mode == "global":
        coefs = np.full(len(sq), min(1.0, max_norm / (before + CLIP_EPS)))
    else:
        coefs = np.minimum(1.0, max_norm / (np.sqrt(sq) + CLIP_EPS))
    for group, coef in zip(grads, coefs, strict=True):
        if coef < 1.0:
            for g in group:
                g *= g.dtype.type(coef)
    after = math.sqrt(float(np.sum(sq * coefs * coefs)))
    return before, after, coefs < 1.0


def _sq(g: Array) -> float:
    """Squared L2 norm, accumulated in float64 (a float32 sum of squares overflows at norm 1.8e19)."""
    flat = g.reshape(-1).astype(np.float64, copy=False)
    return float(flat @ flat)


def distinct_units(w: Array, b: Array, rtol: float = SYMMETRY_RTOL) -> int:
    """How many hidden units of a layer differ: units whose incoming weights and bias (a column of
    [W; b]) agree within rtol x max|.| count as one. Zero or constant init gives 1.

    O(fan_in x fan_out): sort the columns by a fixed random projection, so identical columns are
    neighbours, then compare each with its neighbour.
    """
    if w.shape[1] == 1:
        return 1
    probe = _probe(w.shape[0] + 1)
    order = np.argsort(probe[:-1] @ w.astype(np.float64) + probe[-1] * b, kind="stable")
    gaps = np.abs(np.diff(w[:, order], axis=1)).max(axis=0)
    gaps = np.maximum(gaps, np.abs(np.diff(b[order])))
    tol = rtol * max(float(np.abs(w).max()), float(np.abs(b).max())) + 1e-300
    return 1 + int(np.count_nonzero(gaps > tol))


@functools.lru_cache(maxsize=64)
def _probe(size: int) -> FloatArray:
    return layer_rng(0, STREAM_PROBE, size).standard_normal(size)


# ------------------------------------------------------------------------------------ optimizers
class _Optimizer:
    """Keeps its state per parameter; `update` returns the step to subtract (the real update)."""

    def __init__(self, params: Sequence[Array], lr: float) -> None:
        self.lr = lr
        self.t = 0

    def update(self, i: int, g: Array) -> Array:
        raise NotImplementedError


class _SGD(_Optimizer):
    """torch.optim.SGD(momentum=mu, dampening=0): v = mu v + g (v = g at the first step); step = lr v."""

    def __init__(self, params: Sequence[Array], lr: float, momentum: float) -> None:
        super().__init__(params, lr)
        self.momentum = momentum
        self.velocity = [np.zeros_like(p) for p in params]
        self.out = [np.empty_like(p) for p in params]

    def update(self, i: int, g: Array) -> Array:
        v = self.velocity[i]
        if self.momentum:
            v *= v.dtype.type(self.momentum)
            v += g
        else:
            v[...] = g
        return np.multiply(v, v.dtype.type(self.lr), out=self.out[i])


class _Adam(_Optimizer):
    """torch.optim.Adam defaults: betas (0.9, 0.999), eps 1e-8 added to sqrt of the corrected v."""

    def __init__(self, params: Sequence[Array], lr: float) -> None:
        super().__init__(params, lr)
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.out = [np.empty_like(p) for p in params]

    def update(self, i: int, g: Array) -> Array:
        b1, b2 = ADAM_BETAS
        m, v, out = self.m[i], self.v[i], self.out[i]
        dt = m.dtype.type
        m *= dt(b1)
        m += dt(1 - b1) * g
        v *= dt(b2)
        np.multiply(g, g, out=out)
        out *= dt(1 - b2)
        v += out
        correction1 = 1 - b1**self.t
        correction2 = 1 - b2**self.t
        np.sqrt(v, out=out)
        out *= dt(1 / math.sqrt(correction2))
        out += dt(ADAM_EPS)
        np.divide(m, out, out=out)
        out *= dt(self.lr / correction1)
        return out


# ------------------------------------------------------------------------------------ results
STATUS_RUNNING, STATUS_FINISHED, STATUS_NONFINITE, STATUS_CANCELLED = "running", "finished", "nonfinite", "cancelled"


@dataclass
class ContenderResult:
    """One contender's curves and summary. Arrays are NaN where nothing was recorded (after a stop)."""

    label: str
    initializer: str
    params: dict[str, initializers.ParamValue]
    loss: FloatArray
    """Loss on the whole training set at initialization and after every epoch, (epochs_done + 1,)."""
    accuracy: FloatArray
    """Accuracy on the training set at the same points (NaN for regression)."""
    step_loss: FloatArray
    """Mean mini-batch loss over each record window, (records,)."""
    grad_norm: FloatArray
    """Mean L2 norm of each layer's (dW, db) before clipping over each window, (records, layers)."""
    update_ratio: FloatArray
    """log10(std(update) / std(W)) per layer at each window's last step (NaN where W is constant)."""
    distinct_units: IntArray
    """Distinct hidden units per hidden layer at each window's last step, (records, hidden layers);
    -1 where nothing was recorded (after a stop)."""
    initial_distinct_units: IntArray
    status: str = STATUS_RUNNING
    """finished | nonfinite | cancelled."""
    stopped_step: int | None = None
    reason: str = ""
    steps_done: int = 0
    steps_to_target: int | None = None
    clipped_fraction: float = 0.0
    """Share of steps in which clipping scaled a gradient down (0 with clipping off)."""
    norm_before: float = math.nan
    """Mean total gradient norm (all parameters) before clipping, over the steps done."""
    norm_after: float = math.nan

    @property
    def final_loss(self) -> float:
        """The last loss on the whole training set; NaN for a contender stopped as non-finite."""
        return math.nan if self.status == STATUS_NONFINITE else _last_evaluated(self.loss)

    @property
    def final_accuracy(self) -> float:
        return math.nan if self.status == STATUS_NONFINITE else _last_evaluated(self.accuracy)

    @property
    def final_distinct_units(self) -> IntArray:
        rows = self.distinct_units[self.distinct_units[:, 0] >= 0] if self.distinct_units.size else self.distinct_units
        return rows[-1] if len(rows) else self.initial_distinct_units

    @property
    def min_distinct_units(self) -> int:
        final = self.final_distinct_units
        return int(final.min()) if final.size else 0


def _last_evaluated(curve: FloatArray) -> float:
    """The last entry that was written (NaN entries after a stop are skipped; a non-finite stop value is kept)."""
    written = np.flatnonzero(~np.isnan(curve))
    if written.size == 0:
        return math.nan
    return float(curve[written[-1]])


@dataclass(frozen=True)
class RaceProgress:
    """A small copied snapshot for a live UI: curves downsampled to at most CURVE_POINTS points."""

    epoch: int
    epochs: int
    step: int
    """Steps done by the contender that is furthest."""
    total_steps: int
    labels: tuple[str, ...]
    status: tuple[str, ...]
    epoch_steps: IntArray
    """x axis of `loss` and `accuracy` (steps done at each evaluation)."""
    loss: FloatArray
    """(contenders, points) loss on the whole training set."""
    accuracy: FloatArray
    update_ratio: FloatArray
    """(contenders, layers): the latest log10 update:data ratio per layer (healthy near -3)."""
    distinct_units: IntArray
    """(contenders, hidden layers): the latest count of distinct hidden units."""
    elapsed_s: float

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 1.0


@dataclass
class RaceResult:
    """A finished (or cancelled) race: shared x axes, one ContenderResult per contender, the summary."""

    config: TrainConfig
    dataset: dict[str, Any]
    """name, task, samples, features, classes, class_names, baseline_loss."""
    target_loss: float
    steps_per_epoch: int
    epoch_steps: IntArray
    """Steps done at each entry of ContenderResult.loss: 0, spe, 2 spe, ..."""
    record_steps: IntArray
    """Step that closes each record window (x axis of step_loss, grad_norm, update_ratio, distinct_units)."""
    contenders: tuple[ContenderResult, ...]
    epochs_done: int
    cancelled: bool = False
    elapsed_s: float = 0.0
    layer_names: tuple[str, ...] = ()
    """'1', '2', ..., 'out': names of the weight layers (grad_norm and update_ratio columns)."""

    @property
    def total_steps(self) -> int:
        return self.config.epochs * self.steps_per_epoch

    @property
    def steps_per_second(self) -> float:
        """Optimizer steps per second summed over contenders (the race's throughput)."""
        done = sum(c.steps_done for c in self.contenders)
        return done / self.elapsed_s if self.elapsed_s > 0 else math.nan

    def conclusion(self) -> str:
        """One line a person can read: who reached the target first, who stayed symmetric or blew up."""
        return conclusion(self.contenders, self.target_loss, self.config.network.widths,
                          self.dataset.get("task") == "classification")

    def to_dict(self) -> dict[str, Any]:
        """The snapshot's `training` block: JSON-safe (non-finite -> null), curves downsampled to
        at most CURVE_POINTS points."""
        e_idx = downsample_indices(len(self.epoch_steps), CURVE_POINTS)
        r_idx = downsample_indices(len(self.record_steps), CURVE_POINTS)
        return {
            "format": "initscope.training",
            "version": 1,
            "config": self.config.to_dict(),
            "dataset": json_safe(self.dataset),
            "target_loss": json_safe(self.target_loss),
            "steps_per_epoch": self.steps_per_epoch,
            "total_steps": self.total_steps,
            "epochs_done": self.epochs_done,
            "cancelled": self.cancelled,
            "elapsed_s": json_safe(self.elapsed_s),
            "steps_per_second": json_safe(self.steps_per_second),
            "layer_names": list(self.layer_names),
            "conclusion": self.conclusion(),
            "curves": {"epoch_step": json_safe(self.epoch_steps[e_idx]),
                       "record_step": json_safe(self.record_steps[r_idx])},
            "contenders": [
                {
                    "label": c.label,
                    "initializer": c.initializer,
                    "params": json_safe(c.params),
                    "status": c.status,
                    "stopped_step": c.stopped_step,
                    "reason": c.reason,
                    "steps_done": c.steps_done,
                    "steps_to_target": c.steps_to_target,
                    "final_loss": json_safe(c.final_loss),
                    "final_accuracy": json_safe(c.final_accuracy),
                    "distinct_units_initial": json_safe(c.initial_distinct_units),
                    "distinct_units_final": json_safe(c.final_distinct_units),
                    "distinct_units_min": c.min_distinct_units,
                    "clip": {"clipped_fraction": json_safe(c.clipped_fraction), "norm_before": json_safe(c.norm_before),
                             "norm_after": json_safe(c.norm_after)},
                    "curves": {
                        "loss": json_safe(c.loss[e_idx]),
                        "accuracy": json_safe(c.accuracy[e_idx]),
                        "step_loss": json_safe(c.step_loss[r_idx]),
                        "grad_norm": json_safe(c.grad_norm[r_idx]),
                        "update_ratio": json_safe(c.update_ratio[r_idx]),
                        "distinct_units": json_safe(c.distinct_units[r_idx]),
                    },
                }
                for c in self.contenders
            ],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RaceResult:
        """Rebuild from a `training` block (curves as stored, i.e. downsampled); validates as it goes."""
        try:
            if d.get("format") != "initscope.training":
                raise ConfigError("training.format", d.get("format"), "'initscope.training'")
            if d.get("version") != 1:
                raise ConfigError("training.version", d.get("version"), "1")
            config = TrainConfig.from_dict(d["config"])
            curves = d["curves"]
            epoch_steps = np.asarray(curves["epoch_step"], dtype=np.int64)
            record_steps = np.asarray(curves["record_step"], dtype=np.int64)
            n_layers = len(config.network.widths) + 1
            contenders = []
            for c in d["contenders"]:
                cc = c["curves"]
                loss = _floats(cc["loss"], (len(epoch_steps),))
                contenders.append(ContenderResult(
                    label=str(c["label"]), initializer=str(c["initializer"]), params=dict(c["params"]),
                    loss=loss, accuracy=_floats(cc["accuracy"], loss.shape),
                    step_loss=_floats(cc["step_loss"], (len(record_steps),)),
                    grad_norm=_floats(cc["grad_norm"], (len(record_steps), n_layers)),
                    update_ratio=_floats(cc["update_ratio"], (len(record_steps), n_layers)),
                    distinct_units=_ints(cc["distinct_units"], (len(record_steps), n_layers - 1)),
                    initial_distinct_units=_ints(c["distinct_units_initial"], (n_layers - 1,)),
                    status=_choice("training.status", c["status"], (STATUS_FINISHED, STATUS_NONFINITE,
                                                                    STATUS_CANCELLED, STATUS_RUNNING)),
                    stopped_step=None if c["stopped_step"] is None else int(c["stopped_step"]),
                    reason=str(c["reason"]), steps_done=int(c["steps_done"]),
                    steps_to_target=None if c["steps_to_target"] is None else int(c["steps_to_target"]),
                    clipped_fraction=_float(c["clip"]["clipped_fraction"]),
                    norm_before=_float(c["clip"]["norm_before"]), norm_after=_float(c["clip"]["norm_after"]),
                ))
            return cls(config, dict(d["dataset"]), _float(d["target_loss"]), int(d["steps_per_epoch"]),
                       epoch_steps, record_steps, tuple(contenders), int(d["epochs_done"]), bool(d["cancelled"]),
                       _float(d["elapsed_s"]), tuple(str(n) for n in d.get("layer_names", ())))
        except ConfigError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ConfigError("training", "the snapshot's training block", "the block `initscope train --format "
                              "json` writes", message=f"training: malformed training block ({type(err).__name__}: "
                              f"{err})") from None


def _float(v: object) -> float:
    return math.nan if v is None else float(v)  # type: ignore[arg-type]


def _floats(v: object, shape: tuple[int, ...]) -> FloatArray:
    arr = np.array(v, dtype=object)
    out = np.where(arr == None, np.nan, arr).astype(np.float64) if arr.size else np.zeros(shape)  # noqa: E711
    if out.shape != shape:
        raise ValueError(f"a curve of shape {out.shape}, expected {shape}")
    return out


def _ints(v: object, shape: tuple[int, ...]) -> IntArray:
    out = np.asarray(v, dtype=np.int64).reshape(shape) if shape[0] else np.zeros(shape, dtype=np.int64)
    return out


def downsample_indices(n: int, points: int) -> npt.NDArray[np.intp]:
    """At most `points` indices spread evenly over range(n), first and last included."""
    if n <= points:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, points)).astype(np.intp))


def conclusion(contenders: Sequence[ContenderResult], target: float, widths: Sequence[int],
               classification: bool) -> str:
    """Who reached the target loss first; who stayed symmetric; who stopped non-finite."""
    reached = sorted((c for c in contenders if c.steps_to_target is not None),
                     key=lambda c: (c.steps_to_target or 0, c.final_loss))
    parts = []
    if reached:
        best = reached[0]
        parts.append(f"{best.label} reached the target loss {target:.3g} first (step {best.steps_to_target})")
        missed = [c.label for c in contenders if c.steps_to_target is None and c.status != STATUS_NONFINITE]
        if missed:
            parts.append(", ".join(missed) + " never did")
    else:
        finite = [c for c in contenders if math.isfinite(c.final_loss)]
        if finite:
            best = min(finite, key=lambda c: c.final_loss)
            parts.append(f"no contender reached the target loss {target:.3g}; lowest final loss: {best.label} "
                         f"({best.final_loss:.3g})")
        else:
            parts.append(f"no contender reached the target loss {target:.3g}")
    if max(widths, default=1) > 1:
        symmetric = [c.label for c in contenders if c.min_distinct_units == 1 and c.status != STATUS_NONFINITE]
        if symmetric:
            parts.append(", ".join(symmetric) + " stayed symmetric (1 distinct unit in a layer: no better than "
                         "one unit wide)")
    blown = [f"{c.label} at step {c.stopped_step}" for c in contenders if c.status == STATUS_NONFINITE]
    if blown:
        parts.append("non-finite: " + ", ".join(blown))
    return "; ".join(parts) + "."


# ------------------------------------------------------------------------------------ the race
class _Runner:
    """One contender's network, optimizer and preallocated records."""

    def __init__(self, tc: TrainConfig, contender: Contender, out_dim: int, first_batch: Array,
                 epochs: int, records: int) -> None:
        self.contender = contender
        self.mlp = build_mlp(tc, contender, out_dim, first_batch)
        self.params: list[Array] = [p for pair in zip(self.mlp.weights, self.mlp.biases, strict=True) for p in pair]
        lr = tc.effective_lr
        self.opt: _Optimizer = _Adam(self.params, lr) if tc.optimizer == "adam" else _SGD(self.params, lr,
                                                                                           tc.momentum)
        sizes = self.mlp.group_sizes()
        self.group_of = [g for g, size in enumerate(sizes) for _ in range(size)]
        """The recorded layer (group) of every dense layer."""
        self.last_of_group = list(itertools.accumulate(sizes))
        """One past each group's last dense layer: that layer's units are the group's."""
        n_layers, n_hidden = len(sizes), self.mlp.n_hidden
        self.result = ContenderResult(
            contender.label, contender.initializer, dict(contender.params),
            loss=np.full(epochs + 1, np.nan), accuracy=np.full(epochs + 1, np.nan),
            step_loss=np.full(records, np.nan), grad_norm=np.full((records, n_layers), np.nan),
            update_ratio=np.full((records, n_layers), np.nan),
            distinct_units=np.full((records, n_hidden), -1, dtype=np.int64),
            initial_distinct_units=self.distinct(),
        )
        self.window_loss = 0.0
        self.window_norm = np.zeros(n_layers)
        self.window_steps = 0
        self.clipped_steps = 0
        self.sum_before = 0.0
        self.sum_after = 0.0
        self.latest_ratio = np.full(n_layers, np.nan)

    def distinct(self) -> IntArray:
        w, b = self.mlp.weights, self.mlp.biases
        return np.array([distinct_units(w[end - 1], b[end - 1]) for end in self.last_of_group[:-1]],
                        dtype=np.int64)

    @property
    def running(self) -> bool:
        return self.result.status == STATUS_RUNNING

    def stop(self, status: str, step: int, reason: str) -> None:
        r = self.result
        r.status, r.stopped_step, r.reason = status, step, reason

    def step(self, x: Array, y: npt.NDArray[Any], step: int, task: str, tc: TrainConfig, record: int | None) -> None:
        """One optimizer step; `record` is the record index when this step closes a window."""
        loss, _, dws, dbs = self.mlp.loss_and_gradients(x, y, task)
        if not math.isfinite(loss):
            self.stop(STATUS_NONFINITE, step, f"non-finite loss at step {step}")
            return
        starts = [0, *self.last_of_group[:-1]]
        groups = [[g for k in range(lo, hi) for g in (dws[k], dbs[k])]
                  for lo, hi in zip(starts, self.last_of_group, strict=True)]
        sq = np.array([sum(_sq(g) for g in group) for group in groups])
        if not np.all(np.isfinite(sq)):
            layer = int(np.flatnonzero(~np.isfinite(sq))[0])
            self.stop(STATUS_NONFINITE, step, f"non-finite gradient in layer {layer + 1} at step {step}")
            return
        before = math.sqrt(float(sq.sum()))
        after = before
        if tc.clip is not None:
            before, after, scaled = clip_gradients(groups, tc.clip, tc.clip_mode)
            self.clipped_steps += bool(scaled.any())
        self.sum_before += before
        self.sum_after += after
        self.window_loss += loss
        self.window_norm += np.sqrt(sq)
        self.window_steps += 1
        self.opt.t += 1
        ratios = self.latest_ratio if record is not None else None
        for i, (p, g) in enumerate(zip(self.params, (g for pair in groups for g in pair), strict=True)):
            upd = self.opt.update(i, g)
            if ratios is not None and i % 2 == 0 and i // 2 + 1 in self.last_of_group:  # a group's last weights
                w_std = float(p.std(dtype=np.float64))
                u_std = float(upd.std(dtype=np.float64))
                ratios[self.group_of[i // 2]] = math.log10(u_std / w_std) if w_std > 0 and u_std > 0 else math.nan
            p -= upd
        self.result.steps_done = step
        if record is not None:
            r = self.result
            r.step_loss[record] = self.window_loss / self.window_steps
            r.grad_norm[record] = self.window_norm / self.window_steps
            r.update_ratio[record] = self.latest_ratio
            r.distinct_units[record] = self.distinct()
            self.window_loss, self.window_steps = 0.0, 0
            self.window_norm[:] = 0.0

    def finish_stats(self) -> None:
        r, done = self.result, max(self.result.steps_done, 0)
        if done:
            r.clipped_fraction = self.clipped_steps / done
            r.norm_before = self.sum_before / done
            r.norm_after = self.sum_after / done


def run_race(tc: TrainConfig, cancel: threading.Event | None = None,
             progress: Callable[[RaceProgress], None] | None = None, progress_interval: float = 0.1) -> RaceResult:
    """Train every contender on the same data in the same mini-batch order; interleaved epoch by epoch so
    a live view sees every curve grow. Checks `cancel` at every step; a cancelled race returns what it has."""
    started = time.perf_counter()
    ds = tc.dataset()
    dtype = tc.network.np_dtype
    x = ds.x.astype(dtype)
    y = ds.y if ds.task == "classification" else ds.y.astype(dtype)
    n, bs = ds.n, tc.batch_size
    spe = -(-n // bs)
    total = tc.epochs * spe
    every = -(-total // MAX_STEP_RECORDS)
    records = -(-total // every)
    seed = tc.effective_seed
    target = tc.target_loss if tc.target_loss is not None else TARGET_FRACTION * ds.baseline_loss
    orders = [layer_rng(seed, STREAM_ORDER, epoch).permutation(n) for epoch in (1,)]
    first_batch = x[orders[0][:bs]]
    runners = [_Runner(tc, c, ds.out_dim, first_batch, tc.epochs, records) for c in tc.contender_list]
    epoch_steps = np.arange(tc.epochs + 1, dtype=np.int64) * spe
    record_steps = np.minimum((np.arange(records, dtype=np.int64) + 1) * every, total)
    last_emit = -math.inf
    cancelled = False
    epochs_done = 0

    def emit(epoch: int, force: bool = False) -> None:
        nonlocal last_emit
        now = time.perf_counter()
        if progress is None or (not force and now - last_emit < progress_interval):
            return
        last_emit = now
        idx = downsample_indices(epoch + 1, CURVE_POINTS)
        progress(RaceProgress(
            epoch=epoch, epochs=tc.epochs, step=max(r.result.steps_done for r in runners), total_steps=total,
            labels=tuple(r.contender.label for r in runners), status=tuple(r.result.status for r in runners),
            epoch_steps=epoch_steps[idx].copy(),
            loss=np.array([r.result.loss[idx] for r in runners]),
            accuracy=np.array([r.result.accuracy[idx] for r in runners]),
            update_ratio=np.array([r.latest_ratio for r in runners]),
            distinct_units=np.array([r.result.distinct_units[_last_record(r)] if _last_record(r) >= 0
                                     else r.result.initial_distinct_units for r in runners]),
            elapsed_s=now - started,
        ))

    def evaluate(r: _Runner, epoch: int) -> None:
        loss, acc = r.mlp.evaluate(x, y, ds.task)
        r.result.loss[epoch], r.result.accuracy[epoch] = loss, acc
        if not math.isfinite(loss):
            r.stop(STATUS_NONFINITE, r.result.steps_done, f"non-finite loss on the training set after step "
                   f"{r.result.steps_done}")
        elif r.result.steps_to_target is None and loss <= target:
            r.result.steps_to_target = int(epoch_steps[epoch])

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for r in runners:
            evaluate(r, 0)
        emit(0, force=True)
        for epoch in range(1, tc.epochs + 1):
            order = orders[0] if epoch == 1 else layer_rng(seed, STREAM_ORDER, epoch).permutation(n)
            xs, ys = x[order], y[order]
            base = (epoch - 1) * spe
            for r in runners:
                if not r.running:
                    continue
                for s in range(spe):
                    if cancel is not None and cancel.is_set():
                        cancelled = True
                        break
                    step = base + s + 1
                    record = (step - 1) // every if step % every == 0 or step == total else None
                    r.step(xs[s * bs:(s + 1) * bs], ys[s * bs:(s + 1) * bs], step, ds.task, tc, record)
                    if not r.running:
                        break
                    emit(epoch - 1)
                if cancelled:
                    break
                if r.running:
                    evaluate(r, epoch)
            if cancelled:
                break
            epochs_done = epoch
            emit(epoch)

    for r in runners:
        if r.running:
            if cancelled:
                r.stop(STATUS_CANCELLED, r.result.steps_done, f"cancelled at step {r.result.steps_done}")
            else:
                r.result.status = STATUS_FINISHED
                r.result.reason = f"finished {r.result.steps_done} steps"
        r.finish_stats()
    kept_records = int(np.searchsorted(record_steps, max(r.result.steps_done for r in runners), side="right"))
    contenders = []
    for r in runners:
        c = r.result
        c.loss, c.accuracy = c.loss[:epochs_done + 1], c.accuracy[:epochs_done + 1]
        c.step_loss, c.grad_norm = c.step_loss[:kept_records], c.grad_norm[:kept_records]
        c.update_ratio, c.distinct_units = c.update_ratio[:kept_records], c.distinct_units[:kept_records]
        contenders.append(c)
    result = RaceResult(
        config=tc, dataset=ds.info(), target_loss=target, steps_per_epoch=spe,
        epoch_steps=epoch_steps[:epochs_done + 1], record_steps=record_steps[:kept_records],
        contenders=tuple(contenders), epochs_done=epochs_done, cancelled=cancelled,
        elapsed_s=time.perf_counter() - started,
        layer_names=(*(str(i) for i in range(1, len(tc.network.widths) + 1)), "out"),
    )
    emit(epochs_done, force=True)
    return result


def _last_record(r: _Runner) -> int:
    units = r.result.distinct_units
    if units.shape[1] == 0:
        return -1
    written = np.flatnonzero(units[:, 0] >= 0)
    return int(written[-1]) if written.size else -1


# ------------------------------------------------------------------------------------ diff
def diff_training(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> dict[str, Any]:
    """Compare two `training` blocks: config fields that differ, then per contender label the summary of each
    side (final loss ratio b/a, steps to target, status). Either side may be None (no race in that snapshot)."""
    if a is None or b is None:
        return {"present": [a is not None, b is not None]}
    ca, cb = dict(a.get("config", {})), dict(b.get("config", {}))
    config = {k: [ca.get(k), cb.get(k)] for k in sorted(set(ca) | set(cb)) if ca.get(k) != cb.get(k)}
    by_a = {c["label"]: c for c in a.get("contenders", [])}
    by_b = {c["label"]: c for c in b.get("contenders", [])}
    rows = {}
    for label in [*by_a, *(k for k in by_b if k not in by_a)]:
        ra, rb = by_a.get(label), by_b.get(label)
        fa = ra.get("final_loss") if ra else None
        fb = rb.get("final_loss") if rb else None
        rows[label] = {
            "final_loss": [fa, fb],
            "final_loss_ratio": fb / fa if isinstance(fa, (int, float)) and isinstance(fb, (int, float)) and fa > 0
            else None,
            "steps_to_target": [ra.get("steps_to_target") if ra else None, rb.get("steps_to_target") if rb else None],
            "final_accuracy": [ra.get("final_accuracy") if ra else None, rb.get("final_accuracy") if rb else None],
            "status": [ra.get("status") if ra else None, rb.get("status") if rb else None],
        }
    return {"present": [True, True], "config": config, "contenders": rows,
            "conclusion": [a.get("conclusion"), b.get("conclusion")]}
