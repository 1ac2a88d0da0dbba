"""The field catalogue a reader fills, and how column headers name its fields.

The caller (the schema module) describes a letter kind's fields as
:class:`Field` objects; this module parses their paths and answers "which
field does this header mean?" without knowing anything about Cerberus.

Path syntax: dots nest (``recipient.name``), ``[]`` marks a list: a ``[]``
segment followed by more segments is a list of dicts (``items[].invoice_no``,
one element per spreadsheet row), a trailing ``[]`` is a list of scalars split
from one cell (``attachments[]``).  A field whose path is a prefix of other
fields' paths (``contact`` with label 联系人) is a *container*: it is not a
column, but its label qualifies its children's labels (``联系人·电话``).
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

_SEGMENT = re.compile(r"([^\[\].]+)(\[\])?")
# Separators accepted between a parent label and a label; normalise() maps
# the look-alike dots to "·" so only "·" and "." need index entries.
_DOT_LOOKALIKES = str.maketrans({"・": "·", "•": "·", "‧": "·", "∙": "·", "\ufeff": None})
_SEPARATORS = ("·", ".")


@dataclass(frozen=True)
class Field:
    """One field of a letter kind: its path, Chinese label and other names."""

    path: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slot:
    """A leaf field, i.e. something one column can fill.

    ``names`` are the path's segments without ``[]``; ``list_at`` is the index
    of the list-of-dicts segment (``items`` in ``items[].amount``) or None;
    ``splits`` is true when the last segment is a list of scalars.
    """

    field: Field
    names: tuple[str, ...]
    list_at: int | None
    splits: bool

    @property
    def path(self) -> str:
        return self.field.path

    @property
    def label(self) -> str:
        return self.field.label

    @property
    def list_names(self) -> tuple[str, ...] | None:
        """Path of the list of dicts this field is an element field of."""
        return None if self.list_at is None else self.names[: self.list_at + 1]


def normalise(text: str) -> str:
    """Header comparison form: NFKC, trimmed, single spaces, ASCII lower-case."""
    text = unicodedata.normalize("NFKC", text).translate(_DOT_LOOKALIKES)
    text = " ".join(text.split())
    return "".join(c.lower() if c.isascii() else c for c in text)


def parse_path(path: str) -> tuple[tuple[str, ...], int | None, bool]:
    """Split ``a.b[].c`` into names, the list-of-dicts index and ``splits``."""
    names: list[str] = []
    lists: list[int] = []
    for i, segment in enumerate(path.split(".")):
        match = _SEGMENT.fullmatch(segment.strip())
        if not match:
            raise ValueError(f"invalid field path {path!r}")
        names.append(match.group(1))
        if match.group(2):
            lists.append(i)
    splits = bool(lists) and lists[-1] == len(names) - 1
    dict_lists = lists[:-1] if splits else lists
    if len(dict_lists) > 1:
        raise ValueError(f"nested lists of dicts are not supported: {path!r}")
    return tuple(names), (dict_lists[0] if dict_lists else None), splits


class Catalogue:
    """Index of a field list: resolves headers and names fields in messages."""

    def __init__(self, fields: list[Field]):
        parsed = [(f, *parse_path(f.path)) for f in fields]
        all_names = [p[1] for p in parsed]
        self.container_labels: dict[tuple[str, ...], str] = {}
        self.slots: list[Slot] = []
        for field, names, list_at, splits in parsed:
            if any(other[: len(names)] == names and len(other) > len(names) for other in all_names):
                self.container_labels[names] = field.label
            else:
                self.slots.append(Slot(field, names, list_at, splits))
        seen: set[tuple[str, ...]] = set()
        for slot in self.slots:
            if slot.names in seen:
                raise ValueError(f"duplicate field path {slot.path!r}")
            seen.add(slot.names)
        self._by_path: dict[str, Slot] = {}
        self._by_name: dict[str, list[Slot]] = {}
        for slot in self.slots:
            for key in (slot.path, ".".join(slot.names)):
                self._by_path[normalise(key)] = slot
            for name in (slot.label, *slot.field.aliases, *self._qualified_names(slot)):
                bucket = self._by_name.setdefault(normalise(name), [])
                if slot not in bucket:
                    bucket.append(slot)

    def _qualifiers(self, slot: Slot) -> list[str]:
        """Names of the slot's parent: its container label(s) and path segment."""
        parents = [slot.names[:i] for i in range(1, len(slot.names))]
        if not parents:
            return []
        chain = [self.container_labels[p] for p in parents if p in self.container_labels]
        found = [slot.names[-2]]
        if parents[-1] in self.container_labels:
            found.append(self.container_labels[parents[-1]])
        if len(chain) > 1:
            found += [sep.join(chain) for sep in _SEPARATORS]
        return found

    def _qualified_names(self, slot: Slot) -> list[str]:
        return [q + sep + slot.label for q in self._qualifiers(slot) for sep in _SEPARATORS]

    def display(self, slot: Slot) -> str:
        """How to name a field to the user: its label, qualified if ambiguous."""
        if len(self._by_name.get(normalise(slot.label), ())) <= 1:
            return slot.label
        if len(slot.names) < 2:
            return slot.label
        parent = self.container_labels.get(slot.names[:-1], slot.names[-2])
        return f"{parent}·{slot.label}"

    def resolve(self, header: str) -> list[Slot]:
        """Fields a header may mean: one (a match), several (ambiguous) or none."""
        key = normalise(header)
        if key in self._by_path:
            return [self._by_path[key]]
        return list(self._by_name.get(key, ()))

    def suggestions(self, header: str, limit: int = 3) -> list[str]:
        """Closest field names to an unknown header, for "did you mean"."""
        pool: dict[str, str] = {}
        for slot in self.slots:
            shown = self.display(slot)
            for name in (shown, *slot.field.aliases):
                pool.setdefault(normalise(name), name)
            pool.setdefault(normalise(".".join(slot.names)), ".".join(slot.names))
        close = difflib.get_close_matches(normalise(header), list(pool), n=limit, cutoff=0.5)
        return [pool[c] for c in close]
