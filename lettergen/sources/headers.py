"""Map a sheet's header row onto the field catalogue, reporting bad headers."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Problem
from .fields import Catalogue, Slot, normalise


@dataclass
class ColumnMap:
    """Which column fills which field, and what the header row got wrong."""

    slots: dict[int, Slot] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def header_of(self, headers: list[str]) -> dict[str, str]:
        """Field path → header as written in the file."""
        return {slot.path: headers[i] for i, slot in self.slots.items()}


def column_name(headers: list[str], index: int) -> str:
    """The header as written, or 第N列 for a column without one."""
    return headers[index] or f"第{index + 1}列"


def map_headers(
    headers: list[str],
    catalogue: Catalogue,
    header_row: int,
    *,
    keep: set[int] = frozenset(),
) -> ColumnMap:
    """Resolve every header; ``keep`` columns (e.g. a group key) may be unknown."""
    result = ColumnMap()
    used_by: dict[str, int] = {}
    for index, header in enumerate(headers):
        if not normalise(header):
            continue
        matches = catalogue.resolve(header)
        if index in keep and len(matches) != 1:
            continue
        if len(matches) > 1:
            result.problems.append(_ambiguous(catalogue, header, matches, header_row))
        elif not matches:
            result.problems.append(_unknown(catalogue, header, header_row))
        else:
            slot = matches[0]
            if slot.path in used_by:
                first = used_by[slot.path]
                result.problems.append(Problem(
                    slot.path, slot.label,
                    f"列「{header}」与第{first + 1}列「{headers[first]}」重复，都对应字段「{catalogue.display(slot)}」"
                    "；请删除或改名其中一列",
                    row=header_row, column=header,
                ))
            else:
                used_by[slot.path] = index
                result.slots[index] = slot
    return result


def _ambiguous(catalogue: Catalogue, header: str, matches: list[Slot], row: int) -> Problem:
    options = "、".join(f"「{catalogue.display(s)}」（{s.path}）" for s in matches)
    return Problem(
        "", header,
        f"列名「{header}」有歧义，可能是：{options}；请写成带上级名称的列名或字段路径",
        row=row, column=header,
    )


def _unknown(catalogue: Catalogue, header: str, row: int) -> Problem:
    close = catalogue.suggestions(header)
    hint = f"；是否想写：{'、'.join(f'「{c}」' for c in close)}？" if close else ""
    return Problem("", header, f"未知的列「{header}」，该列内容将被忽略{hint}", row=row, column=header)
