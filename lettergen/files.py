"""Writing output files safely: a temporary name in the same folder, then rename.

One file: :func:`write_atomic` (write, fsync, rename).  Many files (a batch
chunk): :func:`write_unsynced` for each, then :func:`commit_parts` once — one
file-system sync for all of them, the renames, one sync of the folder.  Either
way a reader (or a machine after a power cut) sees a letter complete or not
at all, and a file is durable under its final name before the register is told.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


def _file_mode() -> int:
    """What ``open()`` would give a new file: 0o666 less the umask (mkstemp gives 0o600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


@contextmanager
def open_atomic(path: str | os.PathLike, mode: str = "wb", **kwargs) -> Iterator[IO]:
    """A file handle whose content appears at ``path`` only when the block ends well.

    Written to a temporary name in the same folder, synced, then renamed:
    no reader ever sees a half-written file, and a failure leaves none behind.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".~", suffix=target.suffix + ".part")
    try:
        os.fchmod(fd, FILE_MODE)  # colleagues on a shared folder can read the letters
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_atomic(path: str | os.PathLike, data: bytes) -> str:
    """Write ``data`` to ``path`` atomically (see :func:`open_atomic`); return its SHA-256."""
    with open_atomic(path) as fh:
        fh.write(data)
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_unsynced(path: str | os.PathLike, data: bytes) -> tuple[str, str]:
    """Write ``data`` to a temporary name beside ``path`` (not synced, not renamed).

    Returns the temporary name and the data's SHA-256; :func:`commit_parts`
    makes it durable and puts it in place.  A crash before that leaves only a
    ``.~*.part`` file, never a partial letter under its real name.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".~", suffix=target.suffix + ".part")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp, hashlib.sha256(data).hexdigest()


def commit_parts(parts: list[tuple[str, str]], directory: str | os.PathLike) -> None:
    """Make the ``(temporary, final)`` files of one folder durable, then rename them into place.

    Order matters for a power cut: the contents reach the disk (one ``syncfs``
    of the file system, or an fsync per file where that is not available)
    before any rename, and the folder is synced after the renames, so when
    this returns every file is on disk under its final name.
    """
    if not parts:
        return
    if not _syncfs(directory):
        for tmp, _final in parts:
            _fsync_path(tmp)
    for tmp, final in parts:
        os.replace(tmp, final)
    _fsync_path(directory, directory=True)


def _fsync_path(path: str | os.PathLike, *, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _syncfs(path: str | os.PathLike) -> bool:
    """Flush the whole file system holding ``path`` (Linux ``syncfs``); False when unavailable."""
    call = getattr(_libc, "syncfs", None)
    if call is None:
        return False
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return call(fd) == 0
    finally:
        os.close(fd)
