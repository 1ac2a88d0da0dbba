"""All quality checks for one rendered letter: wording, tone, time limits.

Made for batch runs: the text comes from ``word/document.xml`` by regular
expressions, data files are parsed once and cached, and nothing here opens
the document with python-docx.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Config
from .findings import Finding, escalate
from .text import docx_paragraphs, xml_paragraphs
from .timelimits import check_time_limits
from .tone import check_tone
from .wording import check_paragraphs, load_taboo


def check_letter_quality(kind: str, context: dict[str, Any], docx_bytes: bytes | str | Path | None, config: Config,
                         *, strict: bool = False, xml: str | None = None) -> list[Finding]:
    """Wording (服务忌语), tone rules and time limits of one letter.

    ``context`` is the data the template saw (``RenderedLetter.data``).  Findings
    are warnings (quoted taboo phrases: info); ``strict`` makes the warnings
    errors, except the note that the holiday calendar does not cover a year.
    ``xml`` (the rendered ``word/document.xml``) saves reading it from the package.
    """
    paragraphs = xml_paragraphs(xml) if xml is not None else docx_paragraphs(docx_bytes)
    findings = check_paragraphs(paragraphs, load_taboo(config))
    findings += check_tone(kind, context, (p.text for p in paragraphs), config)
    findings += check_time_limits(kind, context, config)
    return escalate(findings, strict)
