"""Checkers for JSON documents read back (type, range, finiteness, named by JSON path) and the bounded reader.

Every field is checked for type, range and finiteness before anything uses it, so a hostile or corrupted
file (a string where a count belongs, 2^63 in an int64 field, NaN literals, JSON nested 1,000 deep, a FIFO or
/dev/zero named x.json) ends in one `SnapshotError` that names the JSON path, the value and what is allowed:
`layers[3].activation.histogram.total: 'many' is not a whole number >= 0`. Unknown keys are ignored (later
versions add fields); missing required keys and wrong types are refused.

A checker is a function `(value, path) -> value` that returns the value unchanged or raises `SchemaError`.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

Check = Callable[[Any, str], Any]

MAX_BYTES = 96 * 1024**2
"""Largest document read: a snapshot takes about 7.5 KB per layer (three 48-bin histograms and the
statistics), 75 MB at the deepest config (10,000 layers); anything larger is refused before it is read."""
MAX_NESTING = 32
"""Deepest bracket nesting accepted (a snapshot nests 6 deep); deeper text is refused before parsing,
so the JSON parser cannot exhaust Python's recursion limit."""
MAX_INT = 2**63 - 1
"""Whole numbers are stored as int64; larger ones are refused instead of overflowing."""
MAX_EXACT = 2**53
"""Whole numbers in float fields up to this size are exact as float64; larger ones are refused."""
SHOWN = 60
"""Characters of a value echoed in a message; the rest is cut (a 10 KB value gives a short line)."""


class SnapshotError(ValueError):
    """A snapshot file cannot be read; the message names the file and the problem in one line."""


class SchemaError(SnapshotError):
    """A field has the wrong type, range or shape; `path` is its JSON path, e.g. `layers[3].weight.std`."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        super().__init__(f"{path}: {problem}" if path else problem)


def shown(value: object, limit: int = SHOWN) -> str:
    """A value as it appears in a message: repr for scalars, a word for containers, cut to `limit`."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def where(path: str, key: str | int) -> str:
    """The JSON path of a child: `a.b` for a key, `a[3]` for a list index."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


# ------------------------------------------------------------------------------- scalar checkers
def whole(low: int = 0, high: int = MAX_INT, null: bool = False) -> Check:
    """An int in [low, high] (JSON 3.0 is not whole: types are kept exactly as written)."""

    def check(v: Any, path: str) -> Any:
        if v is None and null:
            return v
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            upper = "" if high == MAX_INT else f" and <= {high}"
            raise SchemaError(path, f"{shown(v)} is not a whole number >= {low}{upper}" + (" or null" if null else ""))
        return v

    return check


def number(low: float = -math.inf, high: float = math.inf, null: bool = True) -> Check:
    """A finite number in [low, high]; null stands for a non-finite or undefined value when `null`."""

    def check(v: Any, path: str) -> Any:
        if v is None and null:
            return v
        ok = not isinstance(v, bool) and isinstance(v, (int, float))
        if ok and isinstance(v, int):
            ok = abs(v) <= MAX_EXACT  # a larger int would change when stored as a float
        if ok:
            x = float(v)
            ok = math.isfinite(x) and low <= x <= high
        if not ok:
            span = (
                ""
                if (low, high) == (-math.inf, math.inf)
                else f" in [{low:g}, {high:g}]"
                if math.isfinite(low) and math.isfinite(high)
                else f" >= {low:g}"
                if math.isfinite(low)
                else f" <= {high:g}"
            )
            raise SchemaError(path, f"{shown(v)} is not a finite number{span}" + (" or null" if null else ""))
        return v

    return check


def fraction(null: bool = True) -> Check:
    return number(0.0, 1.0, null)


def text(choices: Sequence[str] | None = None, null: bool = False) -> Check:
    def check(v: Any, path: str) -> Any:
        if v is None and null:
            return v
        if not isinstance(v, str) or (choices is not None and v not in choices):
            allowed = "a string" if choices is None else "one of " + ", ".join(repr(c) for c in choices)
            raise SchemaError(path, f"{shown(v)} is not {allowed}" + (" or null" if null else ""))
        return v

    return check


def flag(v: Any, path: str) -> Any:
    if not isinstance(v, bool):
        raise SchemaError(path, f"{shown(v)} is not true or false")
    return v


def anything(v: Any, path: str) -> Any:
    """Any JSON value (the parser already refused NaN, Infinity and deep nesting)."""
    return v


# ------------------------------------------------------------------------------- containers
def nullable(inner: Check) -> Check:
    def check(v: Any, path: str) -> Any:
        return v if v is None else inner(v, path)

    return check


def list_of(item: Check, length: int | None = None, null: bool = False) -> Check:
    def check(v: Any, path: str) -> Any:
        if v is None and null:
            return v
        if not isinstance(v, list):
            raise SchemaError(path, f"{shown(v)} is not a list" + (" or null" if null else ""))
        if length is not None and len(v) != length:
            raise SchemaError(path, f"a list of {len(v)} entries; expected {length}")
        for i, x in enumerate(v):
            item(x, where(path, i))
        return v

    return check


def obj(required: Mapping[str, Check], optional: Mapping[str, Check] | None = None, null: bool = False) -> Check:
    """An object with these keys (optional ones may be missing); other keys are ignored."""

    def check(v: Any, path: str) -> Any:
        if v is None and null:
            return v
        if not isinstance(v, dict):
            raise SchemaError(path or "document", f"{shown(v)} is not an object" + (" or null" if null else ""))
        for key, inner in required.items():
            if key not in v:
                raise SchemaError(where(path, key), "missing")
            inner(v[key], where(path, key))
        for key, inner in (optional or {}).items():
            if key in v:
                inner(v[key], where(path, key))
        return v

    return check


def dict_of(value: Check) -> Check:
    """An object with any string keys, each value checked by `value`."""

    def check(v: Any, path: str) -> Any:
        if not isinstance(v, dict):
            raise SchemaError(path, f"{shown(v)} is not an object")
        for key, x in v.items():
            value(x, where(path, key))
        return v

    return check


def scalar(v: Any, path: str) -> Any:
    """A parameter value: a finite number, a string, true/false or null."""
    if v is None or isinstance(v, (bool, str)):
        return v
    return number()(v, path)


# ------------------------------------------------------------------------------- bounded reading
def read_bytes(path: Path, limit: int = MAX_BYTES) -> bytearray:
    """The bytes of a regular file of at most `limit` bytes, without blocking on a FIFO or a device.

    O_NONBLOCK makes opening a FIFO return at once (it is then refused as not a regular file); the size is
    checked before reading, and the buffer is allocated once at that size (no copies).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SnapshotError(f"{path}: is a folder, not a snapshot file") from None
    except OSError as err:
        raise SnapshotError(f"{path}: cannot read it ({err.strerror or err})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise SnapshotError(f"{path}: is a folder, not a snapshot file")
        if not stat.S_ISREG(info.st_mode):
            raise SnapshotError(f"{path}: not a regular file (a device, FIFO or socket); refusing to read it")
        if info.st_size > limit:
            raise SnapshotError(
                f"{path}: {info.st_size:,} bytes, larger than any snapshot initscope writes (at most {limit:,})"
            )
        buffer = bytearray(info.st_size + 1)  # one byte more tells a file that grew meanwhile
        size = 0
        with memoryview(buffer) as view:
            while size < len(buffer) and (got := os.readv(fd, [view[size:]])):
                size += got
        if size > info.st_size:
            raise SnapshotError(f"{path}: the file grew while it was read; try again when it is complete")
        del buffer[size:]
    except OSError as err:
        raise SnapshotError(f"{path}: cannot read it ({err.strerror or err})") from None
    finally:
        os.close(fd)
    return buffer


_CHUNK = 1 << 16
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN, _CLOSE = (ord("["), ord("{")), (ord("]"), ord("}"))


def nesting(data: bytes | bytearray, stop: int = MAX_NESTING) -> int:
    """Deepest bracket nesting of JSON text, brackets inside strings not counted (a quote after an odd run
    of backslashes is escaped). Vectorized over 64 KB chunks, so a 90 MB file costs a few MB of scratch and
    well under a second; returns as soon as the nesting passes `stop`."""
    import numpy as np

    codes = np.frombuffer(data, dtype=np.uint8)
    deepest = level = parity = 0
    last_plain = -1  # index of the last byte that is not a backslash
    for start in range(0, codes.size, _CHUNK):
        c = codes[start : start + _CHUNK]
        index = np.arange(start, start + c.size, dtype=np.int64)
        plain = np.maximum.accumulate(np.where(c != _BACKSLASH, index, last_plain))
        before = np.concatenate(([last_plain], plain[:-1]))
        quote = (c == _QUOTE) & ((index - 1 - before) % 2 == 0)
        inside = (np.cumsum(quote) + parity) % 2 == 1
        steps = np.isin(c, _OPEN).astype(np.int64) - np.isin(c, _CLOSE)
        running = np.cumsum(np.where(inside, 0, steps)) + level
        deepest = max(deepest, int(running.max()))
        if deepest > stop:
            break
        level, parity, last_plain = int(running[-1]), int(inside[-1]), int(plain[-1])
    return deepest


def _no_constant(token: str) -> Any:
    raise ValueError(f"{token} is not JSON (non-finite numbers are written as null)")


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise ValueError(f"the number {shown(token)} is too large for a float")
    return value


def parse(data: bytes | bytearray) -> Any:
    """Strict JSON from UTF-8 bytes (a bytearray is consumed: cleared once decoded).

    No NaN/Infinity tokens, no numbers that overflow a float, nesting at most MAX_NESTING (checked before
    parsing, so the parser cannot exhaust the recursion limit)."""
    if nesting(data) > MAX_NESTING:
        raise SnapshotError(f"JSON nested more than {MAX_NESTING} deep; no initscope document nests that deep")
    try:
        text_ = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SnapshotError(f"not UTF-8 text (byte {err.start})") from None
    if isinstance(data, bytearray):
        data.clear()  # consumed: from here on the text and the parsed objects are what the read costs
    import json  # loaded when a document is read, not by every command (about 1 ms)

    try:
        return json.loads(text_, parse_constant=_no_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise SnapshotError(f"not JSON ({shown(reason, 120)})") from None


def load(path: Path | str, limit: int = MAX_BYTES) -> Any:
    """Read and parse a document file; every failure is a SnapshotError naming the file."""
    path = Path(path)
    try:
        return parse(read_bytes(path, limit))
    except SchemaError:
        raise
    except SnapshotError as err:
        message = str(err)
        raise SnapshotError(message if message.startswith(f"{path}:") else f"{path}: {message}") from None
