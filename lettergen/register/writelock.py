"""One writer at a time on a SQLite register, handed over without SQLite's sleeps.

SQLite lets one connection write at a time; a second ``BEGIN IMMEDIATE``
gets SQLITE_BUSY and its busy handler sleeps 1, 2, 5, 10 … 100 ms between
tries, however soon the lock is free again.  Two service workers issuing
side by side spent much of their time in those sleeps (8 clients, 2
workers: the machine a quarter idle, 170 letters/s; with this lock 205).

So lettergen's writers first take an exclusive ``flock`` on a small file
beside the database (``REGISTER-writer``, empty, never deleted: deleting a
lock file lets two processes lock two different files), threads of one
process queueing on a :class:`threading.Lock` before it.  A waiting writer
tries again within a millisecond of the lock being freed.  SQLite's own
locking is unchanged underneath and still guards against any other program;
where the lock file cannot be made (a read-only folder) writers go without
it.  Both waits end after ``timeout`` seconds with :class:`TimeoutError`.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time

SUFFIX = "-writer"
_POLL_START, _POLL_MAX = 0.00005, 0.001  # seconds between tries: doubling up to 1 ms

_locks: dict[str, WriterLock] = {}
_locks_guard = threading.Lock()


class WriterLock:
    """The exclusive writer lock of one SQLite database file (one per file and process)."""

    def __init__(self, database: str):
        self.path = database + SUFFIX
        self._threads = threading.Lock()
        self._fd: int | None = None

    def acquire(self, timeout: float) -> bool:
        """Take the lock; ``False`` when it cannot exist here (no lock file), raise TimeoutError after ``timeout``."""
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            raise TimeoutError(self.path)
        try:
            fd = self._open()
            if fd is None:
                self._threads.release()
                return False
            delay = _POLL_START
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise TimeoutError(self.path) from None
                    time.sleep(delay)
                    delay = min(delay * 2, _POLL_MAX)
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def _open(self) -> int | None:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
            except OSError:
                return None  # a read-only folder: SQLite's own locking alone
        return self._fd


def writer_lock(database: str | None) -> WriterLock | None:
    """The lock for the SQLite file ``database``; ``None`` for in-memory and URI databases."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    key = os.path.abspath(os.path.expanduser(database))
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = WriterLock(key)
        return lock


def _forget_after_fork() -> None:
    # A forked child shares its parent's open lock file (one lock between them) and may have
    # copied a thread lock taken at that moment: it starts with locks of its own.
    global _locks_guard
    _locks.clear()
    _locks_guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
