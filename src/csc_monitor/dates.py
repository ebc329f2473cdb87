"""Calendar arithmetic shared by the generator and the ground truth (SQL does its own)."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's end: 31 January + 3 months is 30 April."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))

