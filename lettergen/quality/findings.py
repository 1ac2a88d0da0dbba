"""The one finding type of lettergen's checks, and strict-mode escalation.

Quality checks reuse the layout checker's :class:`~lettergen.housestyle.check.Finding`
(``code``, ``message``, ``paragraph_index``, ``paragraph_text``, ``severity``)
so that ``lettergen check``, batch summaries and the API show every finding
the same way.  For findings about data rather than a paragraph,
``paragraph_index`` is ``None`` and ``paragraph_text`` names the field.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from ..housestyle.check import Finding

__all__ = ["Finding", "escalate", "failures"]

#: Codes that describe the environment rather than the letter; strict mode
#: leaves them as warnings (an outdated holiday calendar is not a letter defect).
NOT_ESCALATED = frozenset({"calendar-uncovered"})


def escalate(findings: Iterable[Finding], strict: bool) -> list[Finding]:
    """With ``strict``, warnings about the letter become errors; "info" stays info."""
    out = list(findings)
    if not strict:
        return out
    return [
        replace(f, severity="error") if f.severity == "warning" and f.code not in NOT_ESCALATED else f
        for f in out
    ]


def failures(findings: Iterable[Finding], strict: bool = False) -> list[Finding]:
    return [f for f in findings if f.is_failure(strict)]
