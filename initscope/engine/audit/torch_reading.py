"""PyTorch state dicts (.pt/.pth/.bin), read only when torch is installed (it is never a dependency).

torch.load runs with weights_only=True (no pickled code runs) and mmap where the file allows it; a
checkpoint that wraps its state dict under "state_dict" or "model" is unwrapped one level.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from initscope.engine.arrays import Array
from initscope.engine.audit.reading import TensorInfo, WeightsFile, WeightsFileError, _first_line

CONVERT_HINT = (
    "install PyTorch (pip install torch), or convert the file once where torch is installed: "
    'python -c "import torch; from safetensors.torch import save_file; '
    "sd = torch.load('model.pt', weights_only=True); "
    "save_file({k: v.detach().clone().contiguous() for k, v in sd.items()}, 'model.safetensors')\""
)


def open_torch(path: Path) -> WeightsFile:
    try:
        import torch  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise WeightsFileError(
            f"{path}: reading a PyTorch file needs torch, which is not installed; " + CONVERT_HINT
        ) from None
    return _TorchFile.open(path, torch)  # pragma: no cover - needs torch


class _TorchFile(WeightsFile):  # pragma: no cover - needs torch, which the tests do not install
    format = "pytorch"

    def __init__(self, path: Path, tensors: list[TensorInfo], values: dict[str, Any]) -> None:
        super().__init__(path, tensors)
        self.values = values

    @classmethod
    def open(cls, path: Path, torch: Any) -> _TorchFile:
        try:
            try:
                loaded = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
            except RuntimeError:  # the legacy (non-zip) format cannot be memory-mapped
                loaded = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # torch raises many kinds (UnpicklingError, RuntimeError, EOFError, ...)
            raise WeightsFileError(
                f"{path}: torch cannot load it with weights_only=True ({_first_line(err)})"
            ) from None
        for key in ("state_dict", "model"):
            if isinstance(loaded, dict) and isinstance(loaded.get(key), dict):
                loaded = loaded[key]
        if not isinstance(loaded, dict):
            raise WeightsFileError(f"{path}: holds a {type(loaded).__name__}, not a state dict of tensors")
        values = {str(k): v for k, v in loaded.items() if isinstance(v, torch.Tensor)}
        tensors = [
            TensorInfo(k, tuple(int(d) for d in v.shape), str(v.dtype).removeprefix("torch."))
            for k, v in values.items()
        ]
        return cls(path, tensors, values)

    def _blocks(self, info: TensorInfo, rows: int) -> Iterator[Array]:
        t = self.values[info.name].detach()
        if t.ndim == 0:
            t = t.reshape(1)
        for start in range(0, t.shape[0], rows):
            part = t[start : start + rows]
            wide = part.float() if info.dtype in ("bfloat16", "float16") else part
            yield np.asarray(wide.numpy())
