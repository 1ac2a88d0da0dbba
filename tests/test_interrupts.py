"""A Ctrl-C that CPython swallows in a finaliser still stops the CLI's long loops."""
from __future__ import annotations

import os
import signal
import sys

import pytest

from lettergen import interrupts


@pytest.fixture
def cli_handler():
    before = signal.getsignal(signal.SIGINT)
    interrupts.install()
    yield
    signal.signal(signal.SIGINT, before)
    interrupts._requested.clear()


class _InterruptedWhileCollected:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # the handler runs here, inside the finaliser
            pass


def test_interrupt_swallowed_by_a_finaliser_is_raised_at_the_next_check(cli_handler, monkeypatch):
    interrupts.check()  # nothing pending
    swallowed = []
    monkeypatch.setattr(sys, "unraisablehook", swallowed.append)
    obj = _InterruptedWhileCollected()
    del obj  # CPython: "Exception ignored in ... KeyboardInterrupt", execution goes on
    assert [type(u.exc_value) for u in swallowed] == [KeyboardInterrupt]
    with pytest.raises(KeyboardInterrupt):
        interrupts.check()


def test_check_does_nothing_without_the_cli_handler():
    interrupts._requested.clear()
    interrupts.check()
