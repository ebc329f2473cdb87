"""Worked examples for the front-door indicators and the CIN and referral rates, counted by hand from the
definitions (indicators/*.yml), and the plain-Python reference agreeing with the SQL on the same facts."""

from datetime import date

import pytest
from sqlalchemy import text

from csc_monitor.indicators.definitions import load_definitions
from csc_monitor.indicators.engine import compute_all
from csc_reference import front_door
from tests.support.facts import AUTHORITY
from tests.support.facts_cp import add_assessment, add_referral, add_visit, allocate, table_rows

MARCH_31 = date(2025, 3, 31)
APRIL_1 = date(2025, 4, 1)


def compute(engine, ids: list[str], *as_at: date, run_id: str = "run-1") -> None:
    compute_all(engine, load_definitions(ids), AUTHORITY, run_id, list(as_at))


def figure(engine, indicator_id: str, as_at: date, scope: tuple[str, str] = ("authority", "all")) -> tuple:
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT numerator, denominator, overdue, value, method FROM indicator_result "
            "WHERE indicator_id = :i AND as_at = :d AND scope_type = :t AND scope = :s"
        ), {"i": indicator_id, "d": as_at, "t": scope[0], "s": scope[1]}).one()
    return row.numerator, row.denominator, row.overdue, round(row.value, 4) if row.value is not None else None, row.method


def units(engine, indicator_id: str, as_at: date) -> dict:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT unit_key, status, elapsed FROM indicator_unit WHERE indicator_id = :i AND as_at = :d"
        ), {"i": indicator_id, "d": as_at}).all()
    return {r.unit_key: (r.status, r.elapsed) for r in rows}


def reference_figure(result: dict) -> tuple:
    return result["numerator"], result["denominator"], result["overdue"]


@pytest.fixture
def referrals(engine):
    with engine.begin() as conn:
        add_referral(conn, "RR-A", "2024-06-10", closed="2024-08-01")
        add_referral(conn, "RR-A", "2025-01-15")                       # re-referral: 7 months after the first
        add_referral(conn, "RR-leap", "2024-02-29", closed="2024-03-15")
        add_referral(conn, "RR-leap", "2025-02-28")                    # 28 Feb 2025 - 12 months = 28 Feb 2024: 29 Feb is within
        add_referral(conn, "RR-exact", "2023-05-10", closed="2023-06-01")
        add_referral(conn, "RR-exact", "2024-05-10", closed="2024-06-01")  # exactly 12 months: a re-referral
        add_referral(conn, "RR-late", "2023-05-09", closed="2023-06-01")
        add_referral(conn, "RR-late", "2024-05-10", closed="2024-07-01")   # 12 months and a day: not a re-referral
        add_referral(conn, "RR-nfa", "2024-09-01", closed="2024-09-01", nfa=True)  # counted; not a child in need
        add_referral(conn, "RR-edge", "2024-03-31", closed="2025-03-31")   # the day before the period; closed on the as-at date
        add_referral(conn, "RR-after", "2025-04-02")                        # after the as-at date
        add_referral(conn, "CIN-long", "2020-01-01")                        # open for years: a child in need
        add_referral(conn, "CIN-two", "2019-01-01")                         # two open episodes: one child in need
        add_referral(conn, "CIN-two", "2019-06-01")
        allocate(conn, "RR-A", "Team A", "Worker A")
        allocate(conn, "RR-leap", "Team B", "Worker B")
    return engine


def test_re_referrals_within_12_months(referrals):
    compute(referrals, ["re_referrals_within_12_months"], MARCH_31)
    assert units(referrals, "re_referrals_within_12_months", MARCH_31) == {
        "RR-A/2024-06-10": ("not_met", None),
        "RR-A/2025-01-15": ("met", 219),
        "RR-leap/2025-02-28": ("met", 365),
        "RR-exact/2024-05-10": ("met", 366),
        "RR-late/2024-05-10": ("not_met", None),
        "RR-nfa/2024-09-01": ("not_met", None),
    }
    assert figure(referrals, "re_referrals_within_12_months", MARCH_31) == (3, 6, 0, 50.0, "cin_census")
    assert figure(referrals, "re_referrals_within_12_months", MARCH_31, ("team", "Team B")) == (1, 1, 0, 100.0, "cin_census")
    assert figure(referrals, "re_referrals_within_12_months", MARCH_31, ("team", "Unallocated"))[:2] == (1, 3)
    facts = table_rows(referrals, "referral")
    assert reference_figure(front_door.re_referrals_within_12_months(facts, MARCH_31)) == (3, 6, 0)


def test_referral_and_children_in_need_rates_per_10000(referrals):
    """Population 40,000 (config/authority.yml): 6 referrals in the year is 1.5 per 10,000; 4 children in need is 1.0."""
    compute(referrals, ["referrals_rate", "cin_rate"], MARCH_31)
    assert figure(referrals, "referrals_rate", MARCH_31) == (6, 6, 0, 1.5, "cin_census")
    assert set(units(referrals, "cin_rate", MARCH_31)) == {"RR-A", "RR-leap", "CIN-long", "CIN-two"}
    assert figure(referrals, "cin_rate", MARCH_31) == (4, 4, 0, 1.0, "cin_census")
    facts = table_rows(referrals, "referral")
    assert front_door.referrals_rate(facts, MARCH_31, population=40000)["value"] == 1.5
    assert front_door.cin_rate(facts, MARCH_31, population=40000)["value"] == 1.0


@pytest.fixture
def assessments(engine):
    with engine.begin() as conn:
        add_assessment(conn, "AS-45", "2025-01-06", "2025-01-08", "2025-03-10")    # 45 working days from referral; 43 from start
        add_assessment(conn, "AS-46", "2025-01-06", "2025-01-07", "2025-03-11")    # 46 from referral (late); 45 from start
        add_assessment(conn, "AS-easter", "2024-03-20", "2024-03-20", "2024-05-28")  # 45 working days over Easter and May Day
        add_assessment(conn, "AS-waiting", "2025-01-02", "2025-01-03")             # 62 / 61 working days by 31 March: overdue
        add_assessment(conn, "AS-closed", "2025-01-02", "2025-01-03", closed="2025-02-01")  # episode closed: not waiting
        add_assessment(conn, "AS-later", "2025-03-03", "2025-03-04", "2025-04-03")  # authorised after the as-at date; 20 days in
        add_assessment(conn, "AS-same-day", "2024-10-01", "2024-10-01", "2024-10-01")
        add_assessment(conn, "AS-before", "2024-01-10", "2024-01-10", "2024-03-28")  # authorised before the period
        for child in ("AS-45", "AS-46", "AS-easter", "AS-waiting"):
            allocate(conn, child)
    return engine


def test_assessments_within_45_working_days_both_clocks(assessments):
    ids = ["assessments_within_45_working_days_from_referral", "assessments_within_45_working_days_dfe"]
    compute(assessments, ids, MARCH_31)
    assert units(assessments, ids[0], MARCH_31) == {
        "AS-45/2025-01-08": ("met", 45),
        "AS-46/2025-01-07": ("not_met", 46),
        "AS-easter/2024-03-20": ("met", 45),
        "AS-waiting/2025-01-03": ("overdue", 62),
        "AS-same-day/2024-10-01": ("met", 0),
    }
    assert units(assessments, ids[1], MARCH_31) == {
        "AS-45/2025-01-08": ("met", 43),
        "AS-46/2025-01-07": ("met", 45),
        "AS-easter/2024-03-20": ("met", 45),
        "AS-waiting/2025-01-03": ("overdue", 61),
        "AS-same-day/2024-10-01": ("met", 0),
    }
    assert figure(assessments, ids[0], MARCH_31) == (3, 4, 1, 75.0, "cin_census")
    assert figure(assessments, ids[1], MARCH_31) == (4, 4, 1, 100.0, "cin_census")
    assert figure(assessments, ids[0], MARCH_31, ("team", "Team A"))[:3] == (2, 3, 1)
    facts = table_rows(assessments, "assessment"), table_rows(assessments, "referral")
    assert reference_figure(front_door.assessments_within_45_working_days_from_referral(*facts, MARCH_31)) == (3, 4, 1)
    assert reference_figure(front_door.assessments_within_45_working_days_dfe(*facts, MARCH_31)) == (4, 4, 1)


@pytest.fixture
def seen(engine):
    with engine.begin() as conn:
        add_assessment(conn, "SEEN-5", "2025-03-03", "2025-03-03")
        add_visit(conn, "SEEN-5", "2025-03-10", kind="CIN")                 # Monday to Monday: 5 working days
        add_assessment(conn, "SEEN-6", "2025-03-03", "2025-03-03")
        add_visit(conn, "SEEN-6", "2025-02-28", kind="CIN")                 # before the assessment: does not count
        add_visit(conn, "SEEN-6", "2025-03-04", kind="CIN", seen=False)     # child not seen: does not count
        add_visit(conn, "SEEN-6", "2025-03-11", kind="CIN")                 # 6 working days
        add_assessment(conn, "SEEN-xmas", "2024-12-20", "2024-12-20")
        add_visit(conn, "SEEN-xmas", "2024-12-31", kind="CP")               # 5 working days over Christmas and Boxing Day
        add_assessment(conn, "SEEN-none", "2025-03-20", "2025-03-20")       # not seen, 7 working days by 31 March: overdue
        add_assessment(conn, "SEEN-recent", "2025-03-27", "2025-03-27")     # not seen, 2 working days: not yet due
        add_assessment(conn, "SEEN-after", "2025-02-03", "2025-02-03")
        add_visit(conn, "SEEN-after", "2025-02-04", kind="CLA")             # a looked-after visit does not count
        add_visit(conn, "SEEN-after", "2025-04-01", kind="CIN")             # seen after 41 working days, on 1 April
    return engine


def test_child_seen_within_5_working_days_of_the_assessment_start(seen):
    indicator = "child_seen_within_n_working_days"
    compute(seen, [indicator], MARCH_31, APRIL_1)
    assert units(seen, indicator, MARCH_31) == {
        "SEEN-5/2025-03-03": ("met", 5),
        "SEEN-6/2025-03-03": ("not_met", 6),
        "SEEN-xmas/2024-12-20": ("met", 5),
        "SEEN-none/2025-03-20": ("overdue", 7),
        "SEEN-after/2025-02-03": ("overdue", 40),
    }
    assert units(seen, indicator, APRIL_1)["SEEN-after/2025-02-03"] == ("not_met", 41)
    assert figure(seen, indicator, MARCH_31) == (2, 3, 2, pytest.approx(66.6667), "events")
    assert figure(seen, indicator, APRIL_1)[:3] == (2, 4, 1)
    facts = table_rows(seen, "assessment"), table_rows(seen, "visit")
    assert reference_figure(front_door.child_seen_within_n_working_days(*facts, MARCH_31)) == (2, 3, 2)
    assert reference_figure(front_door.child_seen_within_n_working_days(*facts, APRIL_1)) == (2, 4, 1)
