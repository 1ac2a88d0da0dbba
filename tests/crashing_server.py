"""``lettergen`` whose server kills itself (SIGKILL) right after committing a letter, before answering.

Used by the Idempotency-Key test to stand for a server killed with ``kill -9``
between its commit and its response: ``python tests/crashing_server.py
--config FILE serve --port N``.  The letter is issued and registered; the
client never hears about it.
"""
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import lettergen.service.routes.letters as letters_routes  # noqa: E402
from lettergen.cli import main  # noqa: E402

_answer = letters_routes.letter_out


def _die_before_answering(entry, *args, **kwargs):
    if entry.status == "issued" and not kwargs.get("replayed"):
        os.kill(os.getpid(), signal.SIGKILL)  # the register has committed the letter by now
    return _answer(entry, *args, **kwargs)


letters_routes.letter_out = _die_before_answering
main()
