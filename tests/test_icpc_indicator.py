"""Worked examples for icpc_within_15_working_days, counted by hand from the definition."""

from datetime import date

import pytest
from sqlalchemy import text

from csc_monitor.indicators.definitions import load_definitions
from csc_monitor.indicators.engine import compute_all
from tests.support.facts import AUTHORITY, add_allocation, add_enquiry

ICPC = "icpc_within_15_working_days"


def _compute(engine, *as_at: date, run_id: str = "run-1"):
    compute_all(engine, load_definitions([ICPC]), AUTHORITY, run_id, list(as_at))


def _figures(engine, as_at: date) -> dict:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT scope_type, scope, numerator, denominator, overdue FROM indicator_result WHERE as_at = :d"), {"d": as_at}
        ).all()
    return {(r.scope_type, r.scope): (r.numerator, r.denominator, r.overdue) for r in rows}


def _statuses(engine, as_at: date) -> dict:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT child_id, status, elapsed, team FROM indicator_unit WHERE as_at = :d"), {"d": as_at}).all()
    return {r.child_id: (r.status, r.elapsed, r.team) for r in rows}


@pytest.fixture
def worked_cases(engine):
    add_enquiry(engine, "A-15-days", strategy="2025-01-06", icpc="2025-01-27")            # exactly 15 working days: met
    add_enquiry(engine, "B-16-days", strategy="2025-01-06", icpc="2025-01-28", team=None)  # 16 working days: not met
    with engine.begin() as conn:                                                           # B moved team before the ICPC
        add_allocation(conn, "B-16-days", "Team A", "Worker A", "2024-12-01", "2025-01-20")
        add_allocation(conn, "B-16-days", "Team B", "Worker B", "2025-01-21", None)
    add_enquiry(engine, "C-easter", strategy="2024-03-20", icpc="2024-04-12")  # 23 calendar days, 15 working (Good Friday, Easter Monday)
    add_enquiry(engine, "D-waiting", strategy="2025-02-03")                    # no ICPC, 40 working days by 31 March: overdue
    add_enquiry(engine, "E-recent", strategy="2025-03-24")                     # no ICPC, 5 working days: not yet due
    add_enquiry(engine, "F-not-required", strategy="2025-01-15", not_required=True)  # excluded
    add_enquiry(engine, "H-after-as-at", strategy="2025-03-10", icpc="2025-04-02")   # ICPC after the as-at date: not yet held
    add_enquiry(engine, "I-closed", strategy="2025-01-06", closed="2025-02-01")      # episode closed without ICPC: not waiting
    return engine


def test_as_at_31_march_2025(worked_cases):
    as_at = date(2025, 3, 31)
    _compute(worked_cases, as_at)
    assert _statuses(worked_cases, as_at) == {
        "A-15-days": ("met", 15, "Team A"),
        "B-16-days": ("not_met", 16, "Team B"),
        "C-easter": ("met", 15, "Team A"),
        "D-waiting": ("overdue", 40, "Team A"),
        "F-not-required": ("excluded", 53, "Team A"),
    }
    figures = _figures(worked_cases, as_at)
    assert figures[("authority", "all")] == (2, 3, 1)
    assert figures[("team", "Team A")] == (2, 2, 1)
    assert figures[("team", "Team B")] == (0, 1, 0)
    assert figures[("worker", "Worker B")] == (0, 1, 0)


def test_the_same_facts_as_at_a_later_date(worked_cases):
    """By 2 April the late ICPC of H has happened (17 working days): it joins the denominator as not met."""
    as_at = date(2025, 4, 2)
    _compute(worked_cases, as_at)
    statuses = _statuses(worked_cases, as_at)
    assert statuses["H-after-as-at"] == ("not_met", 17, "Team A")
    assert _figures(worked_cases, as_at)[("authority", "all")] == (2, 4, 1)


def test_as_at_1_april_h_is_waiting_past_its_timescale(worked_cases):
    as_at = date(2025, 4, 1)
    _compute(worked_cases, as_at)
    assert _statuses(worked_cases, as_at)["H-after-as-at"] == ("overdue", 16, "Team A")


def test_twelve_month_window_is_inclusive_of_its_first_day(engine):
    add_enquiry(engine, "in-window", strategy="2024-06-24", icpc="2024-07-01")    # first day of the window for 30 June 2025
    add_enquiry(engine, "before-window", strategy="2024-06-21", icpc="2024-06-28")
    _compute(engine, date(2025, 6, 30))
    assert set(_statuses(engine, date(2025, 6, 30))) == {"in-window"}
    assert _figures(engine, date(2025, 6, 30))[("authority", "all")] == (1, 1, 0)


def test_rerun_replaces_and_many_dates_equal_single_dates(worked_cases):
    dates = [date(2025, 3, 31), date(2025, 4, 1), date(2025, 4, 2)]
    _compute(worked_cases, *dates, run_id="backfill")
    together = {d: _figures(worked_cases, d) for d in dates}
    for d in dates:
        _compute(worked_cases, d, run_id=f"single-{d}")
        _compute(worked_cases, d, run_id=f"again-{d}")
        assert _figures(worked_cases, d) == together[d]
    with worked_cases.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM indicator_result WHERE scope_type = 'authority'")).scalar_one() == 3
