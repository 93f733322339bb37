"""What determines a race: its contenders and the validated `TrainConfig`."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

from initscope.engine import initializers
from initscope.engine.config import ClipMode, Config, parse_call
from initscope.engine.errors import ConfigError
from initscope.engine.limits import MAX_BATCH, MAX_SEED
from initscope.engine.text import call_text
from initscope.engine.training import arch_contenders
from initscope.engine.training.constants import (
    CLIP_MODES,
    DATA_ALLOWED,
    DEFAULT_CONTENDERS,
    DEFAULT_LR,
    DEFAULT_SAMPLES,
    DEFAULT_WORK_BUDGET,
    GENERATED,
    GENERATED_DIMS,
    MAX_CONTENDERS,
    MAX_EPOCHS,
    MAX_SAMPLES,
    OPTIMIZERS,
    TASKS,
    Optimizer,
    Task,
)
from initscope.engine.training.datasets import Dataset, _data_error, _subset, circles, load_file, spirals, teacher
from initscope.engine.values import as_int, as_positive_float

Word = TypeVar("Word", bound=str)


@dataclass(frozen=True)
class Contender:
    """One initializer (with parameters) in the race; `label` is how it is written and shown."""

    initializer: str
    params: Mapping[str, initializers.ParamValue] = field(default_factory=dict)
    arch: Mapping[str, str] = field(default_factory=dict)
    """A config contender's architecture fields (engine/training/arch_contenders.py); empty: the race's plain MLP."""

    def __post_init__(self) -> None:
        try:
            entry = initializers.lookup(self.initializer, "contenders")
            resolved = entry.resolve(self.params)
        except ConfigError as err:
            if err.field == "contenders":
                raise
            raise ConfigError(
                "contenders", self.initializer, err.allowed, err.hint, message=f"contenders: {err}"
            ) from None
        object.__setattr__(self, "initializer", entry.name)
        object.__setattr__(self, "params", resolved)

    def __hash__(self) -> int:  # params is a dict: hash the canonical label instead
        return hash(self.label)

    @property
    def label(self) -> str:
        """`name` or `name(k=v)` with only the parameters that differ from the entry's defaults; a config
        contender is its one-line form (`init=... arch=residual ...`, init left out when he_normal)."""
        name = call_text(self.initializer, self.params, initializers.lookup(self.initializer).resolve({}))
        if not self.arch:
            return name
        fields = " ".join(f"{k}={v}" for k, v in self.arch.items())
        return fields if name == "he_normal" else f"init={name} {fields}"

    @classmethod
    def parse(cls, text: str) -> Contender:
        """`he_normal`, `normal(std=0.01)` or `normal(0.01)` (the first parameter); or a one-line config
        such as `arch=residual branch_scale=1/sqrt(2L)` (engine/training/arch_contenders.py)."""
        arch: dict[str, str] = {}
        if "=" in str(text).split("(")[0]:
            init_text, arch = arch_contenders.parse_arch(str(text))
            text = init_text or "he_normal"
        first = None
        try:
            entry = initializers.lookup(str(text).split("(")[0], "contenders")
            first = entry.params[0].name if entry.params else None
        except ConfigError:
            pass  # Contender() raises it, with the suggestions
        name, params = parse_call(str(text), "contenders", first_param=first)
        return cls(name, params, arch)


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
    items: list[str | Contender] = [
        p
        for v in ([value] if isinstance(value, str) else value)
        for p in ([v] if isinstance(v, Contender) else split_top_level(v))
    ]
    allowed = f"1 to {MAX_CONTENDERS} comma-separated initializers, e.g. {DEFAULT_CONTENDERS}"
    if not items or len(items) > MAX_CONTENDERS:
        raise ConfigError("contenders", value if isinstance(value, str) else ",".join(map(str, items)), allowed)
    out = tuple(c if isinstance(c, Contender) else Contender.parse(str(c)) for c in items)
    labels = [c.label for c in out]
    for label in labels:
        if labels.count(label) > 1:
            raise ConfigError("contenders", label, allowed, "each contender once")
    return out


def _choice(name: str, value: object, choices: tuple[Word, ...]) -> Word:
    """The choice `value` names (case, surrounding spaces and '-' for '_' forgiven), typed as the choices are."""
    text = str(value).strip().lower().replace("-", "_")
    if text not in choices:
        raise ConfigError(name, value, "one of " + ", ".join(choices))
    return choices[choices.index(text)]


def _momentum(value: float) -> float:
    """SGD momentum in [0, 1) (a bool is refused though float() takes it)."""
    allowed = "a number in [0, 1)"
    try:
        momentum = float(value)
    except (TypeError, ValueError):
        raise ConfigError("momentum", value, allowed) from None
    if not 0.0 <= momentum < 1.0 or isinstance(value, bool):
        raise ConfigError("momentum", value, allowed)
    return momentum


def _clip_mode(value: object) -> ClipMode:
    return _choice("clip_mode", value, CLIP_MODES)


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
    optimizer: Optimizer = "sgd"
    lr: float | None = None
    momentum: float = 0.9
    """SGD momentum (torch semantics: v = mu v + g; p -= lr v). Adam uses betas (0.9, 0.999)."""
    clip: float | None = None
    clip_mode: ClipMode = "global"
    """global: one norm over every parameter (torch's clip_grad_norm_(model.parameters())); per_layer:
    each layer's (W, b) clipped on its own."""
    target_loss: float | None = None
    task: Task = "auto"
    seed: int | None = None
    """None: the network's seed."""
    work_budget: float = DEFAULT_WORK_BUDGET

    def __post_init__(self) -> None:
        self._check_data_and_task()
        self._check_numbers()
        if not isinstance(self.network, Config):
            raise ConfigError("network", self.network, "an initscope Config")
        if self.network.dtype == "float16":
            raise ConfigError(
                "dtype",
                "float16",
                "float32 or float64 for training",
                "NumPy float16 training has no loss scaling and underflows",
            )
        n, dim, out_dim = self._dataset_header()
        if self.batch_size > n:
            raise ConfigError("batch_size", self.batch_size, f"1 to {n}, the number of samples")
        object.__setattr__(self, "network", self._training_network(dim))
        self._check_arch_contenders()
        self._check_budgets(n, dim, out_dim)

    def _check_data_and_task(self) -> None:
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

    def _check_numbers(self) -> None:
        set_ = object.__setattr__
        if self.samples is not None:
            set_(self, "samples", as_int("samples", self.samples, 8, MAX_SAMPLES))
        set_(self, "epochs", as_int("epochs", self.epochs, 1, MAX_EPOCHS))
        set_(self, "batch_size", as_int("batch_size", self.batch_size, 1, MAX_BATCH))
        set_(self, "optimizer", _choice("optimizer", self.optimizer, OPTIMIZERS))
        if self.lr is not None:
            set_(self, "lr", as_positive_float("lr", self.lr))
        set_(self, "momentum", _momentum(self.momentum))
        if self.clip is not None:
            text = str(self.clip).strip().lower()
            set_(self, "clip", None if text in ("off", "none", "") else as_positive_float("clip", self.clip))
        set_(self, "clip_mode", _clip_mode(self.clip_mode))
        if self.target_loss is not None:
            set_(self, "target_loss", as_positive_float("target_loss", self.target_loss))
        if self.seed is not None:
            set_(self, "seed", as_int("seed", self.seed, 0, MAX_SEED))
        set_(self, "work_budget", as_positive_float("work_budget", self.work_budget))

    def _training_network(self, dim: int) -> Config:
        """The network as trained: the data's input dimension, the race's batch size and seed."""
        widths = self.network.widths
        try:
            return self.network.replace(
                fan_in=dim,
                width=widths if len(set(widths)) > 1 else widths[0],
                depth=len(widths),
                batch=self.batch_size,
                input="normal",
                clip=None,
                seed=self.effective_seed,
            )
        except ConfigError as err:
            raise ConfigError(
                err.field, err.value, err.allowed, err.hint, message=f"{err} (network for training)"
            ) from None

    def _check_arch_contenders(self) -> None:
        """Every config contender builds on this network (a refusal names the contender)."""
        for contender in self.contender_list:
            if not contender.arch:
                continue
            try:
                arch_contenders.contender_network(self.network, contender.initializer, contender.params, contender.arch)
            except ConfigError as err:
                if err.field == "contenders":
                    raise
                raise ConfigError(
                    "contenders", contender.label, err.allowed, message=f"contenders: {contender.label}: {err}"
                ) from None

    def _check_budgets(self, n: int, dim: int, out_dim: int) -> None:
        work = self.work(n, out_dim)
        if work > self.work_budget:
            params = [self.contender_params(c, out_dim) for c in self.contender_list]
            sizes = (
                f"{params[0]:,} parameters x {len(params)} contenders"
                if len(set(params)) == 1
                else f"{sum(params):,} parameters summed over {len(params)} contenders"
            )
            raise ConfigError(
                "epochs",
                self.epochs,
                f"a race within the work budget of {self.work_budget:.3g}",
                message=f"epochs: this race is {self.epochs} epochs x {n} samples x {sizes} = {work:.3g}, "
                f"over the budget of {self.work_budget:.3g} "
                f"(about {work / self.work_budget:.1f}x); reduce epochs to {self.max_epochs(n, out_dim)} or "
                "fewer, or reduce samples, width, depth or the number of contenders",
            )
        data_bytes = n * dim * 8 * 2
        if data_bytes > self.network.memory_budget:
            raise ConfigError(
                "data",
                self.data,
                "data within the memory budget",
                message=f"data: {self.data}: {n} x {dim} values need "
                f"{data_bytes / 2**20:.0f} MiB, over the memory budget; use fewer samples",
            )

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
            makers: dict[str, Callable[[int, int], Dataset]] = {
                "spirals": spirals,
                "circles": circles,
                "teacher": teacher,
            }
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
            task=cast(Task, str(d.get("task", "auto"))),  # casts: __post_init__ checks the words
            samples=d.get("samples"),
            epochs=d.get("epochs", 200),
            batch_size=d.get("batch_size", 64),
            optimizer=cast(Optimizer, str(d.get("optimizer", "sgd"))),
            lr=d.get("lr"),
            momentum=d.get("momentum", 0.9),
            clip=None if clip is None else clip.get("threshold"),
            clip_mode=cast(ClipMode, str("global" if clip is None else clip.get("mode", "global"))),
            target_loss=d.get("target_loss"),
            seed=d.get("seed"),
            work_budget=d.get("work_budget", DEFAULT_WORK_BUDGET),
        )
