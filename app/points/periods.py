"""The periods points are counted over, in Asia/Shanghai days: a year ``2026``, a month
``2026-12``, an ISO week ``2026-W49`` (Monday to Sunday)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.kit.time import DISPLAY_ZONE
from app.points.errors import InvalidPeriod

_YEAR = re.compile(r"(\d{4})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class Period:
    name: str
    first: date
    end: date  # the day after the last


def _year(value: int) -> int:
    if not FIRST_YEAR <= value <= LAST_YEAR:
        raise InvalidPeriod()
    return value


def parse(text: str) -> Period:
    if found := _YEAR.fullmatch(text):
        year = _year(int(found[1]))
        return Period(text, date(year, 1, 1), date(year + 1, 1, 1))
    if found := _MONTH.fullmatch(text):
        year, month = _year(int(found[1])), int(found[2])
        if not 1 <= month <= 12:
            raise InvalidPeriod()
        first = date(year, month, 1)
        return Period(text, first, (first + timedelta(days=31)).replace(day=1))
    if found := _WEEK.fullmatch(text):
        try:
            first = date.fromisocalendar(_year(int(found[1])), int(found[2]), 1)
        except ValueError as exc:  # week 0, or 53 of a year of 52
            raise InvalidPeriod() from exc
        return Period(text, first, first + timedelta(days=7))
    raise InvalidPeriod()


def today(now: datetime) -> date:
    return now.astimezone(DISPLAY_ZONE).date()


def this_month(now: datetime) -> Period:
    day = today(now)
    return parse(f"{day.year:04d}-{day.month:02d}")


def week_of(day: date) -> Period:
    year, week, _ = day.isocalendar()
    return parse(f"{year:04d}-W{week:02d}")
