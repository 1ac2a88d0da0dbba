"""Chinese working days: statutory holidays and adjusted working days (调休).

chinese-calendar knows the State Council's schedule only up to the year it
was released for; for later years the settings may list the year's holidays
and adjusted working days (``[calendar] holidays`` / ``workdays``), and
otherwise Monday to Friday is assumed with a visible warning, never a crash.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Iterable

import chinese_calendar


class WorkCalendar:
    """Working-day arithmetic; ``warnings`` collects the fallbacks used."""

    def __init__(self, holidays: Iterable[date | str] = (), workdays: Iterable[date | str] = ()):
        self.holidays = {_as_date(d) for d in holidays}
        self.workdays = {_as_date(d) for d in workdays}
        self.configured_years = {d.year for d in self.holidays | self.workdays}
        self.uncovered_years: set[int] = set()

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if day.year in self.configured_years:
            return day.weekday() < 5
        try:
            return _statutory_workday(day)
        except NotImplementedError:
            self.uncovered_years.add(day.year)
            return day.weekday() < 5

    def add_workdays(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
        day = start
        remaining = count
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count

    @property
    def warnings(self) -> list[str]:
        return [
            f"{year}年的法定节假日安排未收录（所用日历库不含该年），已按周一至周五计算工作日；"
            f"可在配置文件 [calendar] 的 holidays 与 workdays 中填写该年安排"
            for year in sorted(self.uncovered_years)
        ]


@lru_cache(maxsize=4096)
def _statutory_workday(day: date) -> bool:
    """chinese-calendar's answer, remembered: a batch asks about the same few weeks for every letter."""
    return chinese_calendar.is_workday(day)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
