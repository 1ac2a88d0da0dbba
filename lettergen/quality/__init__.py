"""Quality checks beyond layout: wording, tone, time limits, template contract.

* :func:`check_letter_quality` – everything for one rendered letter (fast,
  for batches): 服务忌语 (:mod:`.wording`), per-kind tone rules (:mod:`.tone`)
  and the brief's time limits (:mod:`.timelimits`).
* :func:`check_text` – taboo phrases in any text.
* :func:`check_templates` – templates against their kinds' schemas and the
  sandbox (:mod:`.contract`).
* :func:`new_kind` – files for a new letter kind that pass all checks
  (:mod:`.skeleton`).

Every check returns :class:`Finding` objects (shared with the layout checker).
"""
from __future__ import annotations

from .contract import check_templates
from .findings import Finding, escalate
from .letter import check_letter_quality
from .skeleton import new_kind
from .text import docx_paragraphs
from .timelimits import check_time_limits
from .tone import check_tone
from .wording import check_paragraphs, check_text, load_taboo

__all__ = [
    "Finding", "escalate", "check_letter_quality", "check_text", "check_paragraphs", "load_taboo",
    "check_tone", "check_time_limits", "check_templates", "new_kind", "docx_paragraphs",
]
