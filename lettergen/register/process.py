"""Which process holds a reservation, and whether it is still running.

A reservation records the pid, the host name and (on Linux) the process's
start time, so that a pid reused by an unrelated later process is not taken
for the original one.  Only processes on the same host can be checked.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessId:
    pid: int
    host: str
    start: str | None


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name, or ``None``."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read().decode("ascii", "replace")
    except OSError:
        return None
    return raw[raw.rfind(")") + 2:].split()


def _start_time(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[19] if fields and len(fields) > 19 else None  # field 22: starttime


def this_host() -> str:
    return socket.gethostname()


_current: ProcessId | None = None


def current() -> ProcessId:
    """This process (read once per process: every reservation records it)."""
    global _current
    pid = os.getpid()
    if _current is None or _current.pid != pid:
        _current = ProcessId(pid, this_host(), _start_time(pid))
    return _current


def is_alive(proc: ProcessId) -> bool | None:
    """``True``/``False`` for a process on this host, ``None`` when it cannot be told."""
    if proc.host != this_host() or proc.pid is None or os.name == "nt":
        return None  # other host; on Windows os.kill(pid, 0) would end the process
    if proc.pid == os.getpid():
        return True
    try:
        os.kill(proc.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    fields = _stat_fields(proc.pid)
    if fields is None:
        return True  # no /proc (not Linux): the pid exists, trust it
    if fields[0] in ("Z", "X"):  # zombie: exited, not yet reaped
        return False
    return proc.start is None or fields[19] == proc.start
