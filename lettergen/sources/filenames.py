"""Safe, unique output file names from user data (customer names etc.).

The text comes from spreadsheets, so it is treated as hostile: the result is
a single path component that Windows, macOS and Linux all accept.
"""
from __future__ import annotations

import os
import re
import unicodedata

from ..spilled import DigestMap, text_digest as _digest

_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f\ud800-\udfff]+')
# Invisible characters that can disguise a name (e.g. U+202E flips "cod.exe").
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_DOTS = re.compile(r"\.{2,}")
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{base}{n}" for base in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]
}
MAX_BYTES = 240
FALLBACK = "未命名"


class NameSet:
    """File names taken, compared case-insensitively, so that checking a new
    name against thousands of taken ones stays O(1).

    Only a 128-bit digest of each case-folded name is kept (a batch of
    100,000 letters must not hold 100,000 names); ``folded`` answers ``in``
    for an already case-folded name.
    """

    def __init__(self, names=()):
        self._digests = DigestMap()
        self.folded = _FoldedView(self._digests)
        for name in names:
            self.add(name)

    @classmethod
    def in_folder(cls, folder: str | os.PathLike) -> NameSet:
        """The names of everything in ``folder`` (none when there is no such folder yet)."""
        try:
            return cls(os.listdir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return cls()

    def add(self, name: str) -> None:
        self._digests.setdefault(_digest(name.casefold()), 0)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _digest(name.casefold()) in self._digests

    def __len__(self) -> int:
        return len(self._digests)


class _FoldedView:
    def __init__(self, digests: DigestMap):
        self._digests = digests

    def __contains__(self, folded: object) -> bool:
        return isinstance(folded, str) and _digest(folded) in self._digests


def safe_filename(
    text: str,
    *,
    used: set[str] | None = None,
    max_length: int = 80,
    suffix: str = ".docx",
) -> str:
    """Return ``text`` made into a safe file name ending in ``suffix``.

    Forbidden characters become ``_``, runs of dots collapse, leading dots
    and trailing dots/spaces go, Windows device names get a ``_`` prefix, the
    whole name is at most ``max_length`` characters and 240 UTF-8 bytes, and
    it never comes out empty.  If ``used`` is given the name is made unique
    in it case-insensitively ("x(2).docx", "x(3).docx"…) and added to it.
    """
    if _FORBIDDEN.search(suffix) or ".." in suffix or suffix.strip() != suffix:
        raise ValueError(f"unsafe suffix {suffix!r}")
    if max_length < len(suffix) + 8:
        raise ValueError("max_length leaves no room for a name")
    stem = _clean(text)
    if isinstance(used, NameSet):
        taken = used.folded
    else:
        taken = {name.casefold() for name in used} if used is not None else set()
    counter = 1
    while True:
        tag = f"({counter})" if counter > 1 else ""
        name = _fit(stem, tag, suffix, max_length) + suffix
        if name.casefold() not in taken:
            break
        counter += 1
    if used is not None:
        used.add(name)
    return name


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _FORBIDDEN.sub("_", text)
    text = _DOTS.sub(".", text)
    return " ".join(text.split())  # tabs/newlines were replaced; also squeeze spaces


def _fit(stem: str, tag: str, suffix: str, max_length: int) -> str:
    """Trim ``stem`` so stem+tag+suffix fits, then make it a legal stem."""
    room_chars = max_length - len(tag) - len(suffix)
    room_bytes = MAX_BYTES - len((tag + suffix).encode("utf-8"))

    def trim(candidate: str) -> str:
        candidate = candidate[:room_chars]
        while len(candidate.encode("utf-8")) > room_bytes:
            candidate = candidate[:-1]
        return candidate.lstrip(". ").rstrip(". ") or FALLBACK[: max(1, room_chars)]

    stem = trim(stem)
    if stem.split(".")[0].rstrip(" ").upper() in _RESERVED:
        stem = trim("_" + stem)
    return stem + tag
