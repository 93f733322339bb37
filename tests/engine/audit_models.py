"""Checkpoints for the audit tests, drawn by the catalogue's own samplers with fixed seeds (no downloads).

Each builder returns {tensor name: array} in the framework's layout and {tensor name: Truth}, what drew it:
the catalogue name with parameters and the fans the framework uses for that tensor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from initscope.engine import initializers

Arrays = dict[str, npt.NDArray[np.float32]]


@dataclass(frozen=True)
class Truth:
    name: str
    fan_in: int
    fan_out: int
    params: dict[str, float | str] = field(default_factory=dict)

    def std(self) -> float:
        return initializers.lookup(self.name).expected(self.fan_in, self.fan_out, self.params).std


class Drawer:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.arrays: Arrays = {}
        self.truth: dict[str, Truth] = {}

    def put(self, key: str, shape: tuple[int, ...], truth: Truth, transpose: bool = False) -> None:
        entry = initializers.lookup(truth.name)
        if entry.elementwise:
            values = entry.sample(truth.fan_in, truth.fan_out, truth.params, self.rng, np.float32, shape=shape)
        else:  # a (fan_in, fan_out) matrix; torch stores its transpose
            values = entry.sample(truth.fan_in, truth.fan_out, truth.params, self.rng, np.float32)
            values = values.T if transpose else values
        self.arrays[key] = np.ascontiguousarray(values, dtype=np.float32)
        self.truth[key] = truth

    def const(self, key: str, shape: tuple[int, ...], value: float) -> None:
        self.arrays[key] = np.full(shape, value, dtype=np.float32)
        self.truth[key] = Truth("zeros" if value == 0 else "ones", 1, 1)


def torch_model(seed: int = 0) -> tuple[Arrays, dict[str, Truth]]:
    """A small conv net with an embedding, a LayerNorm and an MLP head, in PyTorch's layout and defaults."""
    d = Drawer(seed)
    d.put("embed.weight", (500, 32), Truth("normal", 32, 500))  # nn.Embedding: N(0, 1)
    d.put("features.0.weight", (16, 3, 3, 3), Truth("he_normal", 27, 144))  # kaiming_normal_, fan_in
    d.put("features.0.bias", (16,), Truth("inv_sqrt_fan_in_uniform", 27, 144))  # torch's default conv bias
    d.const("features.1.weight", (16,), 1.0)
    d.const("features.1.bias", (16,), 0.0)
    d.put("features.3.weight", (32, 16, 3, 3), Truth("he_normal", 144, 288, {"mode": "fan_out"}))  # torchvision
    d.const("features.4.weight", (32,), 1.0)
    d.const("features.4.bias", (32,), 0.0)
    d.put("features.6.weight", (64, 32, 3, 3), Truth("inv_sqrt_fan_in_uniform", 288, 576))  # Conv2d default
    d.put("proj.weight", (128, 128), Truth("orthogonal", 128, 128), transpose=True)
    d.const("norm.weight", (128,), 1.0)
    d.const("norm.bias", (128,), 0.0)
    for i, (fi, fo) in enumerate([(128, 256), (256, 256), (256, 256), (256, 10)], start=1):
        d.put(f"fc{i}.weight", (fo, fi), Truth("inv_sqrt_fan_in_uniform", fi, fo))  # nn.Linear's default
        d.put(f"fc{i}.bias", (fo,), Truth("inv_sqrt_fan_in_uniform", fi, fo))
    return d.arrays, d.truth


def keras_model(seed: int = 1) -> tuple[Arrays, dict[str, Truth]]:
    """The same kind of net in Keras' layout ([in, out], [k, k, in, out]) and defaults."""
    d = Drawer(seed)
    d.put("embedding/embeddings", (1000, 32), Truth("uniform", 32, 1000))  # Embedding: U(-0.05, 0.05)
    d.put("conv2d/kernel", (3, 3, 3, 16), Truth("keras_default", 27, 144))  # GlorotUniform
    d.const("conv2d/bias", (16,), 0.0)
    d.const("batch_normalization/gamma", (16,), 1.0)
    d.const("batch_normalization/beta", (16,), 0.0)
    d.put("conv2d_1/kernel", (5, 5, 16, 32), Truth("keras_he_normal", 400, 800))
    d.const("conv2d_1/bias", (32,), 0.0)
    for i, (fi, fo, name) in enumerate(
        [
            (256, 512, "keras_default"),
            (512, 512, "keras_lecun_normal"),
            (512, 256, "keras_default"),
            (256, 10, "keras_glorot_normal"),
        ]
    ):
        key = "dense" if i == 0 else f"dense_{i}"
        d.put(f"{key}/kernel", (fi, fo), Truth(name, fi, fo))
        d.const(f"{key}/bias", (fo,), 0.0)
    return d.arrays, d.truth


def plant_faults(arrays: Arrays, seed: int = 7) -> Arrays:
    """The torch model with four faults: fc2 scaled x3, features.6 drawn with fan_in = in_channels (32, not
    32·9), fc3 all equal, one NaN in proj."""
    rng = np.random.default_rng(seed)
    out = {k: v.copy() for k, v in arrays.items()}
    out["fc2.weight"] *= 3.0
    out["features.6.weight"] = initializers.lookup("inv_sqrt_fan_in_uniform").sample(
        32, 64, {}, rng, np.float32, shape=(64, 32, 3, 3)
    )
    out["fc3.weight"] = np.full_like(out["fc3.weight"], 0.05)
    out["proj.weight"][5, 7] = np.nan
    return out


def save_safetensors(arrays: Arrays, path: str) -> None:
    from safetensors.numpy import save_file

    save_file(arrays, path)


def bfloat16_safetensors(arrays: Arrays, path: str) -> dict[str, npt.NDArray[np.float32]]:
    """Write every tensor as BF16 (rounded to nearest even, by hand: NumPy has no bfloat16) and return the
    float32 values the file holds exactly."""
    import json
    import math

    header: dict[str, object] = {}
    chunks: list[bytes] = []
    exact: dict[str, npt.NDArray[np.float32]] = {}
    offset = 0
    for key, values in arrays.items():
        bits = values.astype(np.float32).view(np.uint32)
        rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
        exact[key] = (rounded.astype(np.uint32) << 16).view(np.float32)
        raw = rounded.astype("<u2").tobytes()
        header[key] = {"dtype": "BF16", "shape": list(values.shape), "data_offsets": [offset, offset + len(raw)]}
        assert len(raw) == 2 * math.prod(values.shape)
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    with open(path, "wb") as handle:
        handle.write(len(text).to_bytes(8, "little") + text + b"".join(chunks))
    return exact
