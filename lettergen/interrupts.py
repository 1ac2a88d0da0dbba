"""Ctrl-C that is never lost.

Python turns SIGINT into KeyboardInterrupt wherever the main thread happens to
be.  When that is inside a finaliser (``__del__``, a weakref callback run by
the garbage collector), CPython prints "Exception ignored" and carries on:
the user's Ctrl-C is silently dropped and a batch runs to the end.  The CLI
therefore installs :func:`install`'s handler, which also remembers the
request; long-running loops call :func:`check` between safe points (a batch
between chunks) and stop there if the interrupt was swallowed.  A library
caller that installs nothing is unaffected: :func:`check` then does nothing.
"""
from __future__ import annotations

import signal
import threading

_requested = threading.Event()


def _on_sigint(signum, frame) -> None:
    _requested.set()
    raise KeyboardInterrupt


def install() -> None:
    """Handle SIGINT in this (main) thread: raise KeyboardInterrupt and remember it."""
    _requested.clear()
    signal.signal(signal.SIGINT, _on_sigint)


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed since :func:`install`."""
    if _requested.is_set():
        raise KeyboardInterrupt
