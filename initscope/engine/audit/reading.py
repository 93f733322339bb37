"""Reading weights files tensor by tensor: .safetensors, .npz and (when PyTorch is installed) .pt/.bin.

Every reader lists its tensors first (name, shape, stored dtype) and then hands out one tensor at a time as
row blocks (slices along the first axis) of at most about BLOCK_VALUES values, widened to float32 or
float64, so memory stays near one block, never the whole file. A bad file is a WeightsFileError with one
line that names the file, what is wrong and what was expected.

.safetensors: the header is checked here before the safetensors package sees the file (length against the
file size and a cap, JSON, dtypes, shapes, offsets in range and not overlapping), then each tensor is read
through `safe_open(framework="numpy")`, opened for one tensor or, for a large one, one block at a time (the
package memory-maps the whole file, and a mapping held open keeps every page read so far resident).
bfloat16 has no NumPy dtype: its bytes are read at the header's offsets and widened to float32 (the upper
16 bits of a float32).
"""

from __future__ import annotations

import itertools
import json
import math
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from initscope.engine.arrays import Array

BLOCK_VALUES = 1 << 22
"""Values per row block (16 MiB of float32)."""
MAX_HEADER_BYTES = 100 * 1024 * 1024
"""The safetensors package's own limit on the JSON header."""
SUFFIXES = (".safetensors", ".npz", ".pt", ".pth", ".bin")


# safetensors dtype -> (bits per value, NumPy dtype or None when initscope cannot read it as numbers)
SAFETENSORS_DTYPES: dict[str, tuple[int, str | None]] = {
    "F64": (64, "<f8"),
    "F32": (32, "<f4"),
    "F16": (16, "<f2"),
    "BF16": (16, "bfloat16"),
    "I64": (64, "<i8"),
    "I32": (32, "<i4"),
    "I16": (16, "<i2"),
    "I8": (8, "i1"),
    "U64": (64, "<u8"),
    "U32": (32, "<u4"),
    "U16": (16, "<u2"),
    "U8": (8, "u1"),
    "BOOL": (8, "?"),
    "F8_E4M3": (8, None),
    "F8_E5M2": (8, None),
    "F8_E8M0": (8, None),
    "F6_E2M3": (6, None),
    "F6_E3M2": (6, None),
    "F4": (4, None),
    "C64": (64, None),
}
FLOAT_DTYPES = ("F64", "F32", "F16", "BF16", "float64", "float32", "float16", "bfloat16")


class WeightsFileError(ValueError):
    """The weights file cannot be read; the message is one line naming the file and the problem."""


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    dtype: str
    """As stored: F32/BF16 for safetensors, float32/bfloat16 for the others."""

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def is_float(self) -> bool:
        return self.dtype in FLOAT_DTYPES


class WeightsFile(ABC):
    """An opened weights file: its tensors in file order, and each tensor's values block by block."""

    format = ""

    def __init__(self, path: Path, tensors: list[TensorInfo]) -> None:
        self.path = path
        self.tensors = tensors

    @abstractmethod
    def _blocks(self, info: TensorInfo, rows: int) -> Iterator[Array]:
        """Row blocks of `rows` rows each (the last may be shorter), as float arrays."""

    def blocks(self, info: TensorInfo) -> Iterator[Array]:
        """The tensor's values as row blocks of about BLOCK_VALUES values, float32 or float64, shape
        (k, *shape[1:]) (a scalar comes as one block of shape (1,))."""
        row_values = math.prod(info.shape[1:]) if info.shape else 1
        rows = max(1, BLOCK_VALUES // max(1, row_values))
        try:
            for block in self._blocks(info, rows):
                yield _widen(block)
        except WeightsFileError:
            raise
        except (OSError, ValueError, RuntimeError, EOFError, zipfile.BadZipFile) as err:
            raise WeightsFileError(f"{self.path}: cannot read tensor {info.name!r}: {_first_line(err)}") from None
        except MemoryError:
            raise WeightsFileError(
                f"{self.path}: not enough memory to read tensor {info.name!r} (shape {list(info.shape)})"
            ) from None

    def load(self, info: TensorInfo) -> Array:
        """The whole tensor (for the few that the signal run needs)."""
        parts = list(self.blocks(info))
        whole = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return whole.reshape(info.shape)

    def close(self) -> None:  # noqa: B027 (most readers hold nothing open)
        """Release what the reader holds open."""


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _widen(block: npt.NDArray[Any]) -> Array:
    if block.dtype == np.float64:
        return block
    if block.dtype.kind == "f" and block.dtype.itemsize <= 4:
        return block.astype(np.float32, copy=False)
    return block.astype(np.float64)


def bfloat16_to_float32(raw: npt.NDArray[np.uint16]) -> npt.NDArray[np.float32]:
    """bfloat16 bit patterns -> float32: they are the upper half of a float32's bits."""
    wide = raw.astype(np.uint32)
    wide <<= 16
    return wide.view(np.float32)


def open_weights(path: Path | str) -> WeightsFile:
    """Open a weights file by its suffix; a WeightsFileError says what is wrong in one line."""
    p = Path(path)
    if not p.exists():
        raise WeightsFileError(f"{p}: no such file")
    if p.is_dir():
        raise WeightsFileError(f"{p} is a folder; give a weights file ({', '.join(SUFFIXES)})")
    suffix = p.suffix.lower()
    try:
        if suffix == ".safetensors":
            return SafetensorsFile.open(p)
        if suffix == ".npz":
            return NpzFile.open(p)
        if suffix in (".pt", ".pth", ".bin"):
            from initscope.engine.audit.torch_reading import open_torch

            return open_torch(p)
    except OSError as err:  # permission denied, an I/O error: said in one line like any bad file
        raise WeightsFileError(f"{p}: cannot read it ({err.strerror or _first_line(err)})") from None
    raise WeightsFileError(f"{p}: unknown kind of file {suffix or '(no suffix)'!r}; allowed: {', '.join(SUFFIXES)}")


# ----------------------------------------------------------------------------------------- safetensors
@dataclass(frozen=True)
class _Stored:
    info: TensorInfo
    begin: int
    end: int


class SafetensorsFile(WeightsFile):
    format = "safetensors"

    def __init__(self, path: Path, stored: list[_Stored], data_start: int) -> None:
        super().__init__(path, [s.info for s in stored])
        self.stored = {s.info.name: s for s in stored}
        self.data_start = data_start

    @classmethod
    def open(cls, path: Path) -> SafetensorsFile:
        header, data_start, data_size = read_safetensors_header(path)
        stored = [
            _check_entry(path, name, entry, data_size) for name, entry in header.items() if name != "__metadata__"
        ]
        _check_overlaps(path, stored)
        stored.sort(key=lambda s: (s.begin, s.info.name))
        return cls(path, stored, data_start)

    def _blocks(self, info: TensorInfo, rows: int) -> Iterator[Array]:
        shape = info.shape or (1,)
        if info.dtype == "BF16":
            yield from self._bfloat16_blocks(info, shape, rows)
            return
        from safetensors import SafetensorError, safe_open

        try:
            if info.size <= BLOCK_VALUES or len(info.shape) == 0:
                with safe_open(str(self.path), framework="numpy") as handle:
                    yield np.asarray(handle.get_tensor(info.name)).reshape(shape)
                return
            # opened again for every block: the package maps the whole file, and the pages a mapping has read
            # stay resident (and counted) until it is closed
            for start in range(0, shape[0], rows):
                with safe_open(str(self.path), framework="numpy") as handle:
                    yield np.asarray(handle.get_slice(info.name)[start : start + rows])
        except SafetensorError as err:
            raise WeightsFileError(f"{self.path}: the safetensors package refuses it: {_first_line(err)}") from None

    def _bfloat16_blocks(self, info: TensorInfo, shape: tuple[int, ...], rows: int) -> Iterator[Array]:
        row_values = math.prod(shape[1:])
        begin = self.data_start + self.stored[info.name].begin
        with self.path.open("rb") as handle:
            for start in range(0, shape[0], rows):
                count = min(rows, shape[0] - start) * row_values
                handle.seek(begin + 2 * start * row_values)
                raw = np.fromfile(handle, dtype="<u2", count=count)
                if raw.size != count:
                    raise WeightsFileError(f"{self.path}: tensor {info.name!r} is cut short (file truncated)")
                yield bfloat16_to_float32(raw).reshape(-1, *shape[1:])


def read_safetensors_header(path: Path) -> tuple[dict[str, Any], int, int]:
    """(header, offset of the data, size of the data), checked: the header length fits in the file and
    under MAX_HEADER_BYTES before any of it is read, and it is a JSON object."""
    size = path.stat().st_size
    if size < 8:
        raise WeightsFileError(
            f"{path}: {size} bytes is too short for a .safetensors file (8-byte header length, JSON header, data)"
        )
    with path.open("rb") as handle:
        length = int.from_bytes(handle.read(8), "little")
        if length > size - 8:
            raise WeightsFileError(
                f"{path}: header length {length:,} is larger than the file ({size:,} bytes): "
                "truncated, or not a .safetensors file"
            )
        if length > MAX_HEADER_BYTES:
            raise WeightsFileError(
                f"{path}: header length {length:,} bytes is over the {MAX_HEADER_BYTES:,}-byte "
                "limit: not a .safetensors file"
            )
        raw = handle.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise WeightsFileError(
            f"{path}: the header is not valid JSON ({_first_line(err)}): not a .safetensors file"
        ) from None
    if not isinstance(header, dict):
        raise WeightsFileError(f"{path}: the header is a JSON {type(header).__name__}, not an object of tensors")
    return header, 8 + length, size - 8 - length


def _check_entry(path: Path, name: str, entry: object, data_size: int) -> _Stored:
    where = f"{path}: tensor {name!r}"
    if not isinstance(entry, dict):
        raise WeightsFileError(f"{where}: its header entry is not an object with dtype, shape, data_offsets")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in SAFETENSORS_DTYPES:
        raise WeightsFileError(
            f"{where}: dtype {dtype!r} is not a safetensors dtype; allowed: " + ", ".join(SAFETENSORS_DTYPES)
        )
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise WeightsFileError(f"{where}: shape {shape!r} is not a list of whole numbers >= 0")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
    ):
        raise WeightsFileError(f"{where}: data_offsets {offsets!r} is not a pair of whole numbers")
    begin, end = offsets
    if not 0 <= begin <= end <= data_size:
        raise WeightsFileError(
            f"{where}: data_offsets [{begin}, {end}] lie outside the {data_size:,} bytes of "
            "data (truncated or damaged file)"
        )
    bits = SAFETENSORS_DTYPES[dtype][0]
    needed = -(-math.prod(shape) * bits // 8)
    if end - begin != needed:
        raise WeightsFileError(
            f"{where}: data_offsets [{begin}, {end}] hold {end - begin:,} bytes; shape "
            f"{shape} of {dtype} needs {needed:,}"
        )
    return _Stored(TensorInfo(name, tuple(shape), dtype), begin, end)


def _check_overlaps(path: Path, stored: list[_Stored]) -> None:
    spans = sorted((s for s in stored if s.end > s.begin), key=lambda s: s.begin)
    for before, after in itertools.pairwise(spans):
        if after.begin < before.end:
            raise WeightsFileError(
                f"{path}: tensors {before.info.name!r} and {after.info.name!r} overlap "
                f"(bytes {after.begin:,}..{min(before.end, after.end):,})"
            )


# ------------------------------------------------------------------------------------------------ npz
class NpzFile(WeightsFile):
    format = "npz"

    def __init__(self, path: Path, archive: Any, tensors: list[TensorInfo]) -> None:
        super().__init__(path, tensors)
        self.archive = archive

    @classmethod
    def open(cls, path: Path) -> NpzFile:
        try:
            archive = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
            raise WeightsFileError(f"{path}: not a readable .npz archive ({_first_line(err)})") from None
        if not hasattr(archive, "files"):
            raise WeightsFileError(f"{path}: holds one array (.npy), not an .npz archive of named tensors")
        try:
            tensors = [_npz_member(path, archive.zip, name) for name in archive.files]
        except BaseException:
            archive.close()
            raise
        return cls(path, archive, tensors)

    def _blocks(self, info: TensorInfo, rows: int) -> Iterator[Array]:
        values = self.archive[info.name]
        if values.ndim == 0:
            values = values.reshape(1)
        for start in range(0, values.shape[0], rows):
            yield values[start : start + rows]

    def close(self) -> None:
        self.archive.close()


def _npz_member(path: Path, archive: zipfile.ZipFile, name: str) -> TensorInfo:
    """The member's shape and dtype from its .npy header, checked against the member's size (a header that
    promises more than the archive holds would otherwise allocate it)."""
    member = name + ".npy"
    try:
        zinfo = archive.getinfo(member)
        with archive.open(member) as handle:
            version = np.lib.format.read_magic(handle)
            reader = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
            if version not in reader:
                raise ValueError(f"unsupported .npy version {version}")
            shape, _fortran, dtype = reader[version](handle)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise WeightsFileError(f"{path}: member {name!r} is not a readable array ({_first_line(err)})") from None
    if dtype.hasobject:
        raise WeightsFileError(f"{path}: member {name!r} holds Python objects, not numbers")
    if math.prod(shape) * dtype.itemsize > zinfo.file_size:
        raise WeightsFileError(
            f"{path}: member {name!r} claims shape {shape} of {dtype} but holds only "
            f"{zinfo.file_size:,} bytes (truncated or damaged)"
        )
    return TensorInfo(name, tuple(int(d) for d in shape), str(dtype))
