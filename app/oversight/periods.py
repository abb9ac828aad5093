"""The periods compliance is measured over: a quarter ``2026-Q3`` or a year ``2026``, in
Beijing days (Asia/Shanghai), as the instants they span."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from app.kit.time import DISPLAY_ZONE

_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_YEAR = re.compile(r"(\d{4})")
FIRST_YEAR, LAST_YEAR = 2000, 2100
QUARTER_NAMES = ("一", "二", "三", "四")
_INVALID = "统计周期应为季度（如 2026-Q3）或年份（如 2026），年份在 2000—2100 之间"


@dataclass(frozen=True)
class Period:
    name: str  # as given: 2026-Q3 or 2026
    first: date
    last: date  # included
    quarters: int  # 1 or 4: how many quarters' worth of meetings it expects
    since: datetime  # first's midnight in Beijing, in UTC
    until: datetime  # the midnight after last

    @property
    def label(self) -> str:
        if self.quarters == 1:
            quarter = (self.first.month - 1) // 3
            return f"{self.first.year}年第{QUARTER_NAMES[quarter]}季度"
        return f"{self.first.year}年"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, DISPLAY_ZONE).astimezone(UTC)


def _period(name: str, first: date, after_last: date, quarters: int) -> Period:
    last = date.fromordinal(after_last.toordinal() - 1)
    return Period(name, first, last, quarters, _midnight(first), _midnight(after_last))


def parse(text: str) -> Period | None:
    """The period ``text`` names, or None if it names none."""
    if found := _QUARTER.fullmatch(text):
        year, quarter = int(found[1]), int(found[2])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            return None
        first = date(year, 3 * quarter - 2, 1)
        after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return _period(text, first, after, 1)
    if found := _YEAR.fullmatch(text):
        year = int(found[1])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            return None
        return _period(text, date(year, 1, 1), date(year + 1, 1, 1), 4)
    return None


def quarter_of(day: date) -> Period:
    found = parse(f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}")
    assert found is not None  # every day lies in a quarter
    return found


def chosen(text: str | None, *, today: date) -> Period:
    """The period a request names (validated by ``PeriodQuery``), else today's quarter."""
    if text is None:
        return quarter_of(today)
    found = parse(text)
    assert found is not None  # PeriodQuery let only a period through
    return found


def _check(text: str) -> str:
    if parse(text) is None:
        raise PydanticCustomError("period.format", _INVALID)
    return text


PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=7,
        description="A quarter (2026-Q3) or a year (2026), in Beijing days; the current "
        "quarter by default",
    ),
    AfterValidator(lambda text: None if text is None else _check(text)),
]
