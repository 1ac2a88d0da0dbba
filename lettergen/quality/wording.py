"""Service taboo language (服务忌语) in letter text.

The phrases are data (``taboo.yaml`` beside this module, plus the user's file
named by ``[checks] taboo_file``), grouped by the brief's "five don'ts" and an
``escalation`` group for threats.  Matching ignores spaces, punctuation and
character width and reads 您 as 你.  A phrase inside quotation marks is
reported as "info" (a complaint letter may quote what the customer was told);
anywhere else it is a warning.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from ..config import Config
from ..errors import ConfigError
from .datafiles import data_files, read_yaml
from .findings import Finding
from .text import SKIP, Paragraph, compact, excerpt, widen

_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|『[^』]*』|\"[^\"]*\"|‘[^’]*’")
_SKIP_CHAR = re.compile(SKIP.pattern.rstrip("+"))


def _fold(text: str) -> str:
    return text.replace("您", "你")


@dataclass(frozen=True)
class Taboo:
    """One taboo entry: ``label`` as shown, its category and the reason.

    ``literal`` is the compacted phrase for ``phrase:`` entries (matched by a
    substring test, much faster than a regular expression); ``pattern`` is
    the regular expression either way.
    """

    label: str
    category: str
    category_name: str
    reason: str
    pattern: str
    literal: str | None = None


class TabooList:
    """Compiled taboo entries; :meth:`find` scans paragraphs."""

    def __init__(self, entries: list[Taboo]):
        self.entries = entries
        self.categories = sorted({e.category for e in entries})
        self._compiled = []
        for e in entries:
            try:
                self._compiled.append((e, re.compile(e.pattern)))
            except re.error as exc:
                raise ConfigError(f"服务忌语“{e.label}”的正则表达式有误：{exc}") from None

    def find(self, paragraphs: Iterable[Paragraph]) -> list[Finding]:
        paras = list(paragraphs)
        # The whole letter folded and compacted at once (NUL, which XML text never holds and
        # SKIP keeps, between paragraphs); paragraphs are searched only on a hit.
        joined = _fold(widen("\0".join(p.text for p in paras)))
        whole = SKIP.sub("", joined)
        folded, keys = joined.split("\0"), whole.split("\0")
        hits: list[tuple[int, int, int, Taboo]] = []
        for entry, rx in self._compiled:
            if entry.literal is not None:
                if entry.literal not in whole:
                    continue
            elif rx.search(whole) is None:
                continue
            for i, key in enumerate(keys):
                hits += [(i, m.start(), m.end(), entry) for m in rx.finditer(key) if m.end() > m.start()]
        hits.sort(key=lambda h: (h[0], h[1]))
        return [self._finding(paras[i], folded[i], a, b, entry) for i, a, b, entry in hits]

    @staticmethod
    def _finding(paragraph: Paragraph, folded: str, start: int, end: int, entry: Taboo) -> Finding:
        # Map positions in the compacted text back to the paragraph.
        positions = [i for i, ch in enumerate(folded) if not _SKIP_CHAR.match(ch)]
        start, end = positions[start], positions[end - 1] + 1
        in_quotes = any(a < start and end <= b for a, b in (m.span() for m in _QUOTED.finditer(folded)))
        message = f"服务忌语“{entry.label}”（{entry.category_name}）：{entry.reason}"
        if in_quotes:
            message += "。出现在引号内，如为引述客户反映的原话可忽略"
        return Finding(
            "taboo-quoted" if in_quotes else "taboo",
            message,
            paragraph.index,
            excerpt(paragraph.text, start, end),
            "info" if in_quotes else "warning",
        )


def _entries(data: dict, categories: dict, where: str) -> list[Taboo]:
    out = []
    for i, raw in enumerate(data.get("phrases") or [], 1):
        if not isinstance(raw, dict) or ("phrase" in raw) == ("pattern" in raw):
            raise ConfigError(f"{where} phrases 第{i}项应有 phrase 或 pattern 之一")
        cat = raw.get("category", "")
        info = categories.get(cat)
        if info is None:
            raise ConfigError(f"{where} phrases 第{i}项的类别「{cat}」未在 categories 中定义")
        if "phrase" in raw:
            label = str(raw["phrase"])
            literal = _fold(compact(label))
            pattern = re.escape(literal)
        else:
            label = str(raw.get("label") or raw["pattern"])
            literal, pattern = None, str(raw["pattern"])
        reason = str(raw.get("reason") or info.get("reason", ""))
        out.append(Taboo(label, cat, str(info.get("name", cat)), reason, pattern, literal))
    return out


_compiled: dict[tuple, TabooList] = {}


def load_taboo(config: Config | None = None) -> TabooList:
    """The bundled taboo list plus the entries of ``[checks] taboo_file``."""
    files = data_files("taboo.yaml", "taboo_file", config)
    docs = [read_yaml(path) for path in files]
    key = tuple(id(d) for d in docs)  # read_yaml returns the same object until a file changes
    if key not in _compiled:
        categories: dict[str, dict] = {}
        entries: list[Taboo] = []
        ignore: set[str] = set()
        for path, doc in zip(files, docs):
            categories.update(doc.get("categories") or {})
            entries += _entries(doc, categories, str(path))
            ignore |= {str(x) for x in doc.get("ignore") or []}
        _compiled[key] = TabooList([e for e in entries if e.label not in ignore])
    return _compiled[key]


def check_paragraphs(paragraphs: Iterable[Paragraph], taboo: TabooList | None = None) -> list[Finding]:
    """Taboo phrases in ``paragraphs`` (one finding per occurrence)."""
    return (taboo or load_taboo()).find(paragraphs)


def check_text(text: str | Iterable[str], *, config: Config | None = None) -> list[Finding]:
    """Taboo phrases in ``text``; each line (or list item) is one paragraph."""
    lines = text.splitlines() if isinstance(text, str) else list(text)
    return check_paragraphs((Paragraph(i, line) for i, line in enumerate(lines) if line.strip()), load_taboo(config))
