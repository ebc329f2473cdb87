"""England and Wales working days, offline.

The bank-holiday table ships with the package (see its header for source and date). SQL counts
working days through `calendar_day.working_day_number`: the number of working days between two
dates is the difference of their numbers, so "same day" is 0 and a Saturday start counts from
the following Monday.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from functools import lru_cache

from .config import PACKAGE_DIR

CALENDAR_START = date(2010, 1, 1)
CALENDAR_END = date(2035, 12, 31)
HOLIDAY_FILE = PACKAGE_DIR / "data" / "bank_holidays_england_wales.csv"


@lru_cache(maxsize=1)
def bank_holidays() -> frozenset[date]:
    with HOLIDAY_FILE.open() as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return frozenset(date.fromisoformat(row["date"]) for row in rows)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays()


def calendar_rows() -> list[dict]:
    """One row per day with its running working-day number (the table SQL joins on)."""
    rows, number, day = [], 0, CALENDAR_START
    while day <= CALENDAR_END:
        working = is_working_day(day)
        number += working
        rows.append({"day": day, "is_working_day": working, "working_day_number": number})
        day += timedelta(days=1)
    return rows


def add_working_days(start: date, count: int) -> date:
    """The date `count` working days after `start` (the generator plants timings with this)."""
    day, remaining = start, count
    while remaining > 0:
        day += timedelta(days=1)
        remaining -= is_working_day(day)
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (same day = 0)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count
