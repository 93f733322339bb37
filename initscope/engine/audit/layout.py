"""What each tensor is (its role) and its fans, from its name, its shape and the framework's layout.

PyTorch stores a dense weight as [out, in] and a conv kernel as [out, in/groups, k1, k2, ...]; Keras (and
TensorFlow, Flax) store [in, out] and [k1, k2, ..., in, out]. Both frameworks multiply the channels by the
receptive field (the product of the kernel sizes) for a conv kernel's fans (torch.nn.init's
_calculate_fan_in_and_fan_out, Keras' _compute_fans). `auto` decides once per file from the names
(".weight"/".bias" are PyTorch's, "kernel"/"gamma"/":0" Keras') and, failing that, from the conv shapes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from initscope.engine.audit.reading import TensorInfo

Layout = Literal["torch", "keras"]
"""A framework's storage order (`auto` in LAYOUTS resolves to one of these per file)."""
LAYOUTS = ("torch", "keras", "auto")
Role = Literal["dense weight", "conv kernel", "embedding", "bias", "norm scale", "norm shift", "other"]
ROLES: tuple[Role, ...] = ("dense weight", "conv kernel", "embedding", "bias", "norm scale", "norm shift", "other")
WEIGHT_ROLES: tuple[Role, ...] = ("dense weight", "conv kernel", "embedding")
"""The roles whose tensors an initializer draws (and whose units are compared)."""
NORM_WORDS = ("norm", "bn", "ln", "layernorm", "batchnorm", "groupnorm", "rmsnorm", "gn")
EMBED_WORDS = (
    "emb",
    "embed",
    "embedding",
    "embeddings",
    "wte",
    "wpe",
    "tok_embeddings",
    "word_embeddings",
    "position_embeddings",
    "token_type_embeddings",
    "shared",
)
BUFFER_WORDS = ("running_mean", "running_var", "num_batches_tracked", "moving_mean", "moving_variance")


@dataclass(frozen=True)
class Placement:
    """A tensor's role and fans (fans are None where a role has none: norms, buffers, non-floats)."""

    role: Role
    fan_in: int | None = None
    fan_out: int | None = None
    receptive_field: int = 1
    channels: tuple[int, int] | None = None
    """(in, out) channels of a dense weight or conv kernel: the fans without the receptive field."""
    units_axis: int = 0
    """Axis of the tensor along which its units (output neurons/channels) lie: 0 (torch), -1 (keras)."""


def words(name: str) -> list[str]:
    """The name's parts in lower case: 'encoder.layer.0.LayerNorm.weight' -> [..., 'layernorm', 'weight']."""
    return [w for w in re.split(r"[./:_\-]+", name.lower()) if w]


def module_of(name: str) -> str:
    """The name without its last part: 'block.0.conv1.weight' -> 'block.0.conv1'."""
    for sep in (".", "/"):
        if sep in name:
            return name.rsplit(sep, 1)[0]
    return ""


def is_buffer(name: str) -> bool:
    """Running statistics of a norm layer: state, not an initialized parameter."""
    return any(word in name.lower() for word in BUFFER_WORDS)


def last_part(name: str) -> str:
    return re.split(r"[./]", name.split(":")[0].lower())[-1]


def guess_layout(tensors: Sequence[TensorInfo]) -> Layout:
    """'torch' or 'keras' for a whole file, from the names first, then the conv kernels' shapes."""
    torch_votes = keras_votes = 0
    for t in tensors:
        last = last_part(t.name)
        if last in ("weight", "bias") or last.startswith("running_"):
            torch_votes += 1
        elif last in ("kernel", "gamma", "beta", "embeddings", "moving_mean", "moving_variance") or ":" in t.name:
            keras_votes += 1
        if len(t.shape) >= 3:  # a conv kernel: the small kernel sizes come last in torch, first in Keras
            k = len(t.shape) - 2
            lead, trail = max(t.shape[:k]), max(t.shape[-k:])
            torch_votes += trail < min(t.shape[:2])
            keras_votes += lead < min(t.shape[-2:])
    return "keras" if keras_votes > torch_votes else "torch"


def _is_norm(name: str) -> bool:
    ws = words(module_of(name)) or words(name)
    return any(
        w in NORM_WORDS or w.startswith(("norm", "layernorm", "batchnorm", "bn", "ln_")) or w.endswith("norm")
        for w in ws
    )


def place(t: TensorInfo, layout: Layout, sibling_shapes: dict[str, tuple[int, ...]]) -> Placement:
    """Role and fans of one tensor. `sibling_shapes` maps each module to the shape of its weight/kernel, so a
    bias gets its layer's fans and a 1-D weight next to a 1-D bias is read as a norm."""
    last = last_part(t.name)
    if not t.is_float or is_buffer(t.name) or t.size == 0:
        return Placement("other")
    if len(t.shape) <= 1:
        return _place_vector(t, last, layout, sibling_shapes.get(module_of(t.name)))
    if len(t.shape) == 2:
        if any(w in EMBED_WORDS or w.endswith(("embed", "embedding", "embeddings")) for w in words(t.name)):
            rows, cols = t.shape  # [vocabulary, dim] in both; torch reads fan_in = size(1)
            return Placement("embedding", cols, rows, 1, (cols, rows), 0)
        out_, in_ = (t.shape[0], t.shape[1]) if layout == "torch" else (t.shape[1], t.shape[0])
        return Placement("dense weight", in_, out_, 1, (in_, out_), 0 if layout == "torch" else -1)
    return conv_placement(t.shape, layout)


def conv_placement(shape: tuple[int, ...], layout: Layout) -> Placement:
    """Fans of a conv kernel in `layout`: channels times the receptive field."""
    if layout == "torch":
        out_, in_, kernel, axis = shape[0], shape[1], shape[2:], 0
    else:
        out_, in_, kernel, axis = shape[-1], shape[-2], shape[:-2], -1
    rf = math.prod(kernel)
    return Placement("conv kernel", in_ * rf, out_ * rf, rf, (in_, out_), axis)


def _place_vector(t: TensorInfo, last: str, layout: Layout, weight_shape: tuple[int, ...] | None) -> Placement:
    n = t.size
    beside_vector = weight_shape is not None and len(weight_shape) <= 1
    norm = _is_norm(t.name) or beside_vector or last in ("gamma", "beta", "scale")
    if last in ("weight", "gamma", "scale") and (norm or weight_shape is None):
        return Placement("norm scale", n, n)
    if last in ("bias", "beta", "shift", "b"):
        if norm or last == "beta":
            return Placement("norm shift", n, n)
        if weight_shape is not None and len(weight_shape) >= 2:
            layer = place(TensorInfo("w", weight_shape, "F32"), layout, {})
            return Placement("bias", layer.fan_in, layer.fan_out)
        return Placement("bias", n, n)
    return Placement("other", n, n)


def sibling_weights(tensors: Sequence[TensorInfo]) -> dict[str, tuple[int, ...]]:
    """module -> shape of its weight (torch 'weight', Keras 'kernel' or 'gamma')."""
    out: dict[str, tuple[int, ...]] = {}
    for t in tensors:
        if last_part(t.name) in ("weight", "kernel", "gamma", "w"):
            out[module_of(t.name)] = t.shape
    return out
