"""Working days exclude weekends and England and Wales bank holidays; same day = 0."""

from datetime import date

import pytest
from sqlalchemy import text

from csc_monitor.workdays import add_working_days, bank_holidays, working_days_between

CASES = [
    # (start, end, working days after start up to end)
    (date(2025, 3, 3), date(2025, 3, 3), 0),          # same day
    (date(2016, 7, 7), date(2016, 10, 14), 70),       # worked check from seed 004 (Southend)
    (date(2025, 4, 17), date(2025, 4, 22), 1),        # Thu before Easter -> Tue after: Good Friday and Easter Monday skipped
    (date(2022, 6, 1), date(2022, 6, 6), 1),          # 2022 Spring bank holiday moved to 2 June, Platinum Jubilee 3 June
    (date(2022, 9, 16), date(2022, 9, 20), 1),        # State funeral, Monday 19 September 2022
    (date(2023, 5, 5), date(2023, 5, 9), 1),          # Coronation, Monday 8 May 2023
    (date(2025, 3, 1), date(2025, 3, 3), 1),          # a Saturday start counts from the Monday
    (date(2025, 3, 1), date(2025, 3, 2), 0),          # Saturday to Sunday: no working day
    (date(2024, 12, 24), date(2025, 1, 2), 4),        # Christmas, Boxing Day and New Year's Day skipped: 27, 30, 31 Dec, 2 Jan
]


@pytest.mark.parametrize("start,end,expected", CASES)
def test_python_counts(start, end, expected):
    assert working_days_between(start, end) == expected


def test_seventy_working_days_after_7_july_2016_is_14_october():
    assert add_working_days(date(2016, 7, 7), 70) == date(2016, 10, 14)


def test_holiday_table_covers_2010_to_2035_with_one_off_days():
    holidays = bank_holidays()
    assert {d.year for d in holidays} == set(range(2010, 2036))
    assert {date(2011, 4, 29), date(2012, 6, 5), date(2020, 5, 8), date(2022, 6, 3), date(2022, 9, 19), date(2023, 5, 8)} <= holidays
    assert date(2020, 5, 4) not in holidays  # the 2020 early May holiday moved to Friday 8 May
    assert all(d.weekday() < 5 for d in holidays)


def test_sql_calendar_counts_the_same(engine):
    with engine.connect() as conn:
        for start, end, expected in CASES:
            counted = conn.execute(
                text(
                    "SELECT e.working_day_number - s.working_day_number FROM calendar_day s, calendar_day e "
                    "WHERE s.day = :s AND e.day = :e"
                ),
                {"s": start, "e": end},
            ).scalar_one()
            assert counted == expected, (start, end)
