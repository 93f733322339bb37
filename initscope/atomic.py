"""Atomic writes of the files initscope produces: complete or absent, never silently overwriting.

A file is written to a temporary file in the target folder and renamed into place. It gets the mode a new
file gets under the user's umask (or, with overwrite, the mode of the file it replaces); only regular files
are ever replaced (never a device such as /dev/null, a FIFO or a folder); the target folder must exist, so a
typo (`-o newdir/`, `-o missing/x.json`) is an error naming it instead of a silently created tree.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

SHOWN = 60


class WriteError(OSError):
    """A write failed; the message says what and where, and nothing partial was left behind."""


def short(path: Path | str, limit: int = SHOWN) -> str:
    """A path as a message shows it: the start and the end, cut to about `limit` characters."""
    text = str(path)
    if len(text) <= limit:
        return text
    head = limit // 3
    return text[:head] + "…" + text[-(limit - head - 1) :]


def check_target(target: Path | str, overwrite: bool = False) -> Path:
    """Refuse a target before any work: a trailing slash, an over-long name, a missing folder, an existing
    file (unless `overwrite`) or anything that is not a regular file. Returns the path to write."""
    text = os.fspath(target)
    if not text or text.endswith(("/", os.sep)) or Path(text).name in ("", ".", ".."):
        named = short(text.rstrip("/" + os.sep) or ".")
        raise WriteError(f"{short(text)}: names a folder; give a file name (e.g. {named}/result.json)")
    path = Path(text)
    _check_name_length(path)
    info = _existing(path)
    if info is None:
        return path
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device, FIFO or socket)"
        raise WriteError(f"{short(path)} is {kind}; initscope only replaces regular files")
    if not overwrite:
        raise WriteError(f"{short(path)} already exists; not overwriting it (choose another name or use --force)")
    return path


def _check_name_length(path: Path) -> None:
    folder = path.parent
    try:
        name_max = os.pathconf(folder if folder.is_dir() else ".", "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    size = len(os.fsencode(path.name))
    if size > name_max:
        raise WriteError(f"{short(path.name)}: the file name is {size} bytes; this file system allows {name_max}")


def _existing(path: Path) -> os.stat_result | None:
    """The stat of what is at `path` (None when nothing is), after checking its folder exists."""
    folder = path.parent
    try:
        if not folder.exists():
            raise WriteError(f"cannot write {short(path)}: the folder {short(folder)} does not exist")
        if not folder.is_dir():
            raise WriteError(f"cannot write {short(path)}: {short(folder)} is a file, not a folder")
        return os.stat(path)
    except FileNotFoundError:
        return None
    except WriteError:
        raise
    except OSError as err:
        raise WriteError(f"cannot write {short(path)}: {err.strerror or err}") from None


_UMASK_LOCK = threading.Lock()


def new_file_mode() -> int:
    """0o666 less the process umask: the mode `open()` would give a new file."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:  # Linux: read it without changing it
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_LOCK:  # elsewhere: set and restore (other threads never see the temporary value change a file)
        mask = os.umask(0o077)
        os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path | str, data: str | bytes, overwrite: bool = False) -> Path:
    """Write to a temp file in the same folder, then rename into place.

    Never overwrites an existing file unless `overwrite` (and then only a regular file, keeping its mode);
    on any failure the temp file is removed, so the target is either absent/unchanged or complete.
    """
    path = check_target(path, overwrite)
    folder = path.parent
    mode = stat.S_IMODE(os.stat(path).st_mode) if overwrite and path.exists() else new_file_mode()
    fd = -1
    tmp = ""
    try:
        import tempfile  # loads random, shutil and more: only when a file is written

        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=folder)
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            check_target(path, overwrite=True)  # still a regular file (or absent) right before the rename
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
        tmp = ""
    except WriteError:
        raise
    except OSError as err:
        raise WriteError(f"cannot write {short(path)}: {err.strerror or err}") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return path


def _link_new(tmp: str, path: Path) -> None:
    """Move `tmp` to `path` only if `path` does not exist: link() fails if the target appeared meanwhile,
    so a file created concurrently is never clobbered."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise WriteError(f"{short(path)} already exists; not overwriting it") from None
    except OSError:
        if os.path.lexists(path):
            raise WriteError(f"{short(path)} already exists; not overwriting it") from None
        os.replace(tmp, path)  # a file system without hard links
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
