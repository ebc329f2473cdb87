"""Worked examples for the child protection indicators, the CP rate and the ICPC start-event check, counted by
hand from the definitions (indicators/*.yml), and the plain-Python reference agreeing with the SQL on the same facts."""

from datetime import date

import pytest
from sqlalchemy import text

from csc_monitor.indicators.definitions import load_definitions
from csc_monitor.indicators.engine import compute_all, register_run_dates
from csc_monitor.indicators.start_event_check import StartEventCheck, icpc_start_event_check
from csc_reference import child_protection
from tests.support.facts_cp import (add_enquiry, add_plan, add_reviews, add_visit, add_visit_frequency, allocate,
                                    table_rows)
from tests.test_indicators_front_door import compute, figure, reference_figure, units

MARCH_31 = date(2025, 3, 31)
APRIL_2 = date(2025, 4, 2)


@pytest.fixture
def visit_windows(engine):
    """Windows of 10 working days (20 for VIS-20) from each plan start; as at 31 March 2025."""
    with engine.begin() as conn:
        add_plan(conn, "VIS-all", "2025-01-06")              # windows end 20 Jan, 3 Feb, 17 Feb, 3 Mar, 17 Mar, 31 Mar
        for day in ("2025-01-06", "2025-01-21", "2025-02-17", "2025-02-18", "2025-03-10", "2025-03-31"):
            add_visit(conn, "VIS-all", day)                  # plan start day, first day after a window, window end days
        add_plan(conn, "VIS-gap", "2025-01-06")
        for day in ("2025-01-10", "2025-01-30", "2025-02-21"):
            add_visit(conn, "VIS-gap", day)
        add_visit(conn, "VIS-gap", "2025-02-10", seen=False)  # not seen: window 3 is not met
        add_visit(conn, "VIS-gap", "2025-03-12", kind="CIN")  # not a CP visit: window 5 is not met
        add_plan(conn, "VIS-20", "2025-01-06")                # per-plan override: windows end 3 Feb, 3 Mar, 31 Mar
        add_visit_frequency(conn, "VIS-20", "2025-01-06", 20)
        for day in ("2025-01-31", "2025-03-03", "2025-03-20"):
            add_visit(conn, "VIS-20", day)
        add_plan(conn, "VIS-xmas", "2024-12-09", end="2025-01-20")  # windows end 23 Dec, 9 Jan (bank holidays); 23 Jan after the plan
        for day in ("2024-12-23", "2025-01-08"):
            add_visit(conn, "VIS-xmas", day)
        add_plan(conn, "VIS-saturday", "2025-03-01")          # Saturday start: windows end Fri 14 Mar, Fri 28 Mar
        for day in ("2025-03-01", "2025-03-15", "2025-03-25"):  # Saturday 15 March is in the second window
            add_visit(conn, "VIS-saturday", day)
        add_plan(conn, "VIS-old", "2023-01-02", end="2024-03-01")   # every window ended before the period
        allocate(conn, "VIS-gap", "Team B", "Worker B")
    return engine


def test_cp_visits_every_window_since_the_plan_started(visit_windows):
    indicator = "cp_visits_in_line_with_plan"
    compute(visit_windows, [indicator], MARCH_31)
    statuses = units(visit_windows, indicator, MARCH_31)
    assert {k: v for k, v in statuses.items() if k.startswith("VIS-gap")} == {
        "VIS-gap/2025-01-06/2025-01-20": ("met", 4),
        "VIS-gap/2025-01-06/2025-02-03": ("met", 7),
        "VIS-gap/2025-01-06/2025-02-17": ("not_met", None),
        "VIS-gap/2025-01-06/2025-03-03": ("met", 3),
        "VIS-gap/2025-01-06/2025-03-17": ("not_met", None),
        "VIS-gap/2025-01-06/2025-03-31": ("not_met", None),
        "VIS-gap/2025-01-06/overdue": ("overdue", 26),   # last seen 21 February
    }
    assert {k: v for k, v in statuses.items() if not k.startswith(("VIS-gap", "VIS-all"))} == {
        "VIS-20/2025-01-06/2025-02-03": ("met", 19),
        "VIS-20/2025-01-06/2025-03-03": ("met", 19),
        "VIS-20/2025-01-06/2025-03-31": ("met", 12),
        "VIS-xmas/2024-12-09/2024-12-23": ("met", 10),
        "VIS-xmas/2024-12-09/2025-01-09": ("met", 8),
        "VIS-saturday/2025-03-01/2025-03-14": ("met", 0),
        "VIS-saturday/2025-03-01/2025-03-28": ("met", 0),
    }
    assert {k: v for k, v in statuses.items() if k.startswith("VIS-all")} == {   # working days from each window's first day
        "VIS-all/2025-01-06/2025-01-20": ("met", 0),
        "VIS-all/2025-01-06/2025-02-03": ("met", 0),
        "VIS-all/2025-01-06/2025-02-17": ("met", 9),
        "VIS-all/2025-01-06/2025-03-03": ("met", 0),
        "VIS-all/2025-01-06/2025-03-17": ("met", 4),
        "VIS-all/2025-01-06/2025-03-31": ("met", 9),
    }
    assert figure(visit_windows, indicator, MARCH_31) == (16, 19, 1, pytest.approx(84.2105), "events")
    assert figure(visit_windows, indicator, MARCH_31, ("team", "Team B"))[:3] == (3, 6, 1)
    facts = [table_rows(visit_windows, table) for table in ("cp_plan", "visit", "cp_visit_frequency")]
    assert reference_figure(child_protection.cp_visits_in_line_with_plan(*facts, MARCH_31)) == (16, 19, 1)


def test_cp_visits_seen_alone(engine):
    with engine.begin() as conn:
        add_visit(conn, "ALONE-1", "2025-03-03", alone=True)
        add_visit(conn, "ALONE-1", "2024-04-01", alone=True)            # first day of the period
        add_visit(conn, "ALONE-2", "2025-03-04", alone=False)
        add_visit(conn, "ALONE-2", "2025-03-05", alone=None)            # not recorded: not seen alone
        add_visit(conn, "ALONE-2", "2025-03-06", seen=False)            # not seen: not counted
        add_visit(conn, "ALONE-2", "2025-03-07", kind="CIN", alone=True)  # not a CP visit
        add_visit(conn, "ALONE-2", "2024-03-31", alone=True)            # before the period
    compute(engine, ["cp_visits_seen_alone"], MARCH_31)
    assert figure(engine, "cp_visits_seen_alone", MARCH_31) == (2, 4, 0, 50.0, "events")
    assert reference_figure(child_protection.cp_visits_seen_alone(table_rows(engine, "visit"), MARCH_31)) == (2, 4, 0)


@pytest.fixture
def reviews(engine):
    with engine.begin() as conn:
        add_plan(conn, "REV-jan31", "2024-01-31")                 # due 30 April (31 Jan + 3 months), then 30 Oct
        add_reviews(conn, "REV-jan31", "2024-01-31", "2024-04-30", "2024-10-30")
        add_plan(conn, "REV-late", "2024-06-03")                  # due 3 Sep, held 4 Sep; next due 4 Mar 2025, not held
        add_reviews(conn, "REV-late", "2024-06-03", "2024-09-04")
        add_plan(conn, "REV-leap", "2023-11-29")                  # due 29 Feb 2024 (before the period), then 29 Aug, 20 Feb
        add_reviews(conn, "REV-leap", "2023-11-29", "2024-02-29", "2024-08-20", "2025-02-20")
        add_plan(conn, "REV-missed", "2024-07-01", end="2024-11-15")  # due 1 Oct; plan ran past it with no review
        add_plan(conn, "REV-short", "2024-09-02", end="2024-11-01")   # ended before its first review was due
        add_plan(conn, "REV-after", "2024-12-16")                 # due 16 March 2025, held 2 April
        add_reviews(conn, "REV-after", "2024-12-16", "2025-04-02")
        allocate(conn, "REV-late", "Team B", "Worker B")
    return engine


def test_cp_reviews_on_time(reviews):
    indicator = "cp_reviews_on_time"
    compute(reviews, [indicator], MARCH_31, APRIL_2)
    assert units(reviews, indicator, MARCH_31) == {
        "REV-jan31/2024-01-31/2024-04-30": ("met", 90),
        "REV-jan31/2024-01-31/2024-10-30": ("met", 183),
        "REV-late/2024-06-03/2024-09-03": ("not_met", 93),
        "REV-late/2024-06-03/2025-03-04": ("overdue", 208),
        "REV-leap/2023-11-29/2024-08-29": ("met", 173),
        "REV-leap/2023-11-29/2025-02-20": ("met", 184),
        "REV-missed/2024-07-01/2024-10-01": ("not_met", 137),
        "REV-after/2024-12-16/2025-03-16": ("overdue", 105),
    }
    assert units(reviews, indicator, APRIL_2)["REV-after/2024-12-16/2025-03-16"] == ("not_met", 107)
    assert figure(reviews, indicator, MARCH_31) == (4, 6, 2, pytest.approx(66.6667), "cin_census")
    assert figure(reviews, indicator, APRIL_2)[:3] == (4, 7, 1)
    assert figure(reviews, indicator, MARCH_31, ("team", "Team B"))[:3] == (0, 1, 1)
    facts = table_rows(reviews, "cp_plan"), table_rows(reviews, "cp_review")
    assert reference_figure(child_protection.cp_reviews_on_time(*facts, MARCH_31)) == (4, 6, 2)
    assert reference_figure(child_protection.cp_reviews_on_time(*facts, APRIL_2)) == (4, 7, 1)


def test_cp_reviews_all_on_time_dfe(reviews):
    """Plans open at the date for 3 months+; REV-late had a late review, REV-missed and REV-after one overdue."""
    indicator = "cp_reviews_on_time_dfe"
    october = date(2024, 10, 31)
    compute(reviews, [indicator], october, MARCH_31)
    assert units(reviews, indicator, october) == {
        "REV-jan31/2024-01-31": ("met", 274),
        "REV-late/2024-06-03": ("not_met", 150),
        "REV-leap/2023-11-29": ("met", 337),
        "REV-missed/2024-07-01": ("not_met", 122),
    }
    assert {k: v[0] for k, v in units(reviews, indicator, MARCH_31).items()} == {
        "REV-jan31/2024-01-31": "met", "REV-late/2024-06-03": "not_met", "REV-leap/2023-11-29": "met",
        "REV-after/2024-12-16": "not_met",
    }
    assert figure(reviews, indicator, MARCH_31) == (2, 4, 0, 50.0, "cin_census")
    facts = table_rows(reviews, "cp_plan"), table_rows(reviews, "cp_review")
    assert reference_figure(child_protection.cp_reviews_on_time_dfe(*facts, october)) == (2, 4, 0)
    assert reference_figure(child_protection.cp_reviews_on_time_dfe(*facts, MARCH_31)) == (2, 4, 0)


def test_repeat_plans_ever_and_within_two_years(engine):
    with engine.begin() as conn:
        add_plan(conn, "REP-first", "2024-06-01")
        add_plan(conn, "REP-census", "2024-07-01", previous_plans=2)   # earlier plans known only from the census count
        add_plan(conn, "REP-recent", "2022-01-10", end="2023-03-31")
        add_plan(conn, "REP-recent", "2025-03-31")                     # exactly 24 months after the last plan ended
        add_plan(conn, "REP-old", "2020-01-01", end="2021-01-01")
        add_plan(conn, "REP-old", "2024-09-01")
        add_plan(conn, "REP-over", "2021-05-01", end="2022-10-31")
        add_plan(conn, "REP-over", "2024-11-01")                       # 24 months and a day
    compute(engine, ["repeat_cp_plans_ever", "repeat_cp_plans_within_2_years"], MARCH_31)
    assert figure(engine, "repeat_cp_plans_ever", MARCH_31) == (4, 5, 0, 80.0, "cin_census")
    assert units(engine, "repeat_cp_plans_within_2_years", MARCH_31) == {
        "REP-first/2024-06-01": ("not_met", None),
        "REP-census/2024-07-01": ("not_met", None),
        "REP-recent/2025-03-31": ("met", 731),
        "REP-old/2024-09-01": ("not_met", 1339),
        "REP-over/2024-11-01": ("not_met", 732),
    }
    assert figure(engine, "repeat_cp_plans_within_2_years", MARCH_31) == (1, 5, 0, 20.0, "cin_census")
    plans = table_rows(engine, "cp_plan")
    assert reference_figure(child_protection.repeat_cp_plans_ever(plans, MARCH_31)) == (4, 5, 0)
    assert reference_figure(child_protection.repeat_cp_plans_within_2_years(plans, MARCH_31)) == (1, 5, 0)


def test_plans_lasting_two_years_or_more_ceased_in_the_year_and_open_at_the_date_and_cp_rate(engine):
    with engine.begin() as conn:
        add_plan(conn, "TWO-ceased-exact", "2022-06-15", end="2024-06-15")   # ceased after exactly 2 years
        add_plan(conn, "TWO-ceased-short", "2022-09-02", end="2024-09-01")   # ceased a day short of 2 years
        add_plan(conn, "TWO-ceased-early", "2024-01-10", end="2024-07-01")
        add_plan(conn, "TWO-before", "2021-01-01", end="2024-03-31")         # ceased the day before the period
        add_plan(conn, "TWO-on-date", "2023-03-31", end="2025-03-31")        # ceased on the as-at date, exactly 2 years
        add_plan(conn, "TWO-open-exact", "2023-03-31")                       # open: exactly 2 years on 31 March 2025
        add_plan(conn, "TWO-open-short", "2023-04-01")                       # open: a day short
        add_plan(conn, "TWO-ends-later", "2023-01-10", end="2025-06-01")     # open at 31 March 2025
        add_plan(conn, "TWO-leap", "2020-02-29", end="2022-02-28")           # 29 Feb 2020 + 24 months = 28 Feb 2022
    march_2022 = date(2022, 3, 31)
    ceased, still_open = "cp_plans_ceased_two_years_or_more", "cp_plans_open_two_years_or_more"
    compute(engine, [ceased, still_open, "cp_rate"], MARCH_31, march_2022)
    assert units(engine, ceased, MARCH_31) == {
        "TWO-ceased-exact/2022-06-15": ("met", 731),
        "TWO-ceased-short/2022-09-02": ("not_met", 730),
        "TWO-ceased-early/2024-01-10": ("not_met", 173),
        "TWO-on-date/2023-03-31": ("met", 731),
    }
    assert units(engine, still_open, MARCH_31) == {
        "TWO-open-exact/2023-03-31": ("met", 731),
        "TWO-open-short/2023-04-01": ("not_met", 730),
        "TWO-ends-later/2023-01-10": ("met", 811),
    }
    assert units(engine, ceased, march_2022) == {"TWO-leap/2020-02-29": ("met", 730)}
    assert units(engine, still_open, march_2022) == {"TWO-before/2021-01-01": ("not_met", 454)}
    assert figure(engine, ceased, MARCH_31) == (2, 4, 0, 50.0, "cin_census")
    assert figure(engine, still_open, MARCH_31) == (2, 3, 0, 66.6667, "cin_census")
    assert figure(engine, "cp_rate", MARCH_31) == (3, 3, 0, 0.75, "cin_census")   # population 40,000
    plans = table_rows(engine, "cp_plan")
    assert reference_figure(child_protection.cp_plans_ceased_two_years_or_more(plans, MARCH_31)) == (2, 4, 0)
    assert reference_figure(child_protection.cp_plans_open_two_years_or_more(plans, MARCH_31)) == (2, 3, 0)
    assert reference_figure(child_protection.cp_plans_ceased_two_years_or_more(plans, march_2022)) == (1, 1, 0)
    assert reference_figure(child_protection.cp_plans_open_two_years_or_more(plans, march_2022)) == (0, 1, 0)
    assert child_protection.cp_rate(plans, MARCH_31, population=40000)["value"] == 0.75


def test_the_retired_mixed_definition_is_not_computed_but_its_figures_stay_readable(engine):
    """cp_plans_two_years_or_more version 1 ended: no run computes it; what it published keeps its version."""
    from csc_monitor.indicators.definitions import load_definitions as load

    assert "cp_plans_two_years_or_more" not in [d.id for d in load()]
    (retired,) = load(["cp_plans_two_years_or_more"], include_retired=True)
    assert (retired.version, retired.retired.split(":")[0]) == (1, "version 1 ended on 3 December 2026")
    assert retired.version_history == {1: "plans open at the as-at date or ended in the 12 months to it, lasting 24 calendar months or more (ended)"}


def test_icpc_start_event_check_counts_enquiries_whose_recorded_start_is_too_late(engine):
    with engine.begin() as conn:
        add_enquiry(conn, "E-target-15", "2025-01-06", target="2025-01-27")       # target 15 working days on: consistent
        add_enquiry(conn, "E-target-10", "2025-01-13", target="2025-01-27")       # target implies a start on 6 January
        add_enquiry(conn, "E-icpc-first", "2025-02-10", icpc="2025-02-05")        # ICPC before the recorded start
        add_enquiry(conn, "E-no-target", "2025-02-10", icpc="2025-02-20")
        add_enquiry(conn, "E-christmas", "2024-12-16", target="2025-01-08")       # 14 working days over Christmas
        add_enquiry(conn, "E-before", "2024-03-28", target="2024-03-29")          # before the period: not checked
        register_run_dates(conn, "check-run", [MARCH_31, date(2024, 3, 31)])
        result = icpc_start_event_check(conn, "999", "check-run")
    assert result == [StartEventCheck(date(2024, 3, 31), checked=1, affected=1), StartEventCheck(MARCH_31, checked=5, affected=3)]
    enquiries = table_rows(engine, "section47_enquiry")
    assert child_protection.icpc_start_event_check(enquiries, MARCH_31) == {"checked": 5, "affected": 3}


def test_many_dates_in_one_run_equal_single_runs(reviews):
    ids = ["cp_reviews_on_time", "cp_visits_in_line_with_plan", "cp_plans_open_two_years_or_more"]   # no plan in it has ended
    dates = [date(2024, 10, 31), MARCH_31, APRIL_2]
    compute(reviews, ids, *dates)
    together = {(i, d): figure(reviews, i, d) for i in ids for d in dates}
    for d in dates:
        compute(reviews, ids, d, run_id=f"single-{d}")
        assert {(i, d): figure(reviews, i, d) for i in ids} == {(i, d): together[(i, d)] for i in ids}


def test_cp_visits_fall_back_to_annex_a_when_no_visit_events_exist(engine):
    """Annex A list 7 alone: time since the last statutory visit at the extract date, against F = 10 working days."""
    from csc_monitor.warehouse import insert_rows

    def snapshot(child_id, last_visit):
        return {"authority": "999", "extract_date": date(2025, 3, 31), "list_number": 7, "child_id": child_id,
                "measure": "last_statutory_visit", "value_date": last_visit, "value_text": None,
                "source_file": "annex", "source_ref": f"sheet List 7, row {child_id}"}

    with engine.begin() as conn:
        insert_rows(conn, "annex_a_latest", [
            snapshot("A", date(2025, 3, 17)),   # Monday: 10 working days before Monday 31 March -> met
            snapshot("B", date(2025, 3, 14)),   # Friday: 11 working days -> not met
            snapshot("C", None),                # no visit recorded -> not met
        ])
    compute_all(engine, load_definitions(["cp_visits_in_line_with_plan"]), "999", "annex-run", [date(2025, 3, 31), date(2025, 4, 30)])
    with engine.connect() as conn:
        units = conn.execute(text("SELECT as_at, child_id, status, elapsed, method FROM indicator_unit ORDER BY as_at, child_id")).all()
        figure = conn.execute(text("SELECT numerator, denominator, method FROM indicator_result "
                                   "WHERE scope_type = 'authority' AND as_at = DATE '2025-03-31'")).one()
    assert [tuple(u) for u in units if u.as_at == date(2025, 3, 31)] == [
        (date(2025, 3, 31), "A", "met", 10, "annex_a_snapshot"),
        (date(2025, 3, 31), "B", "not_met", 11, "annex_a_snapshot"),
        (date(2025, 3, 31), "C", "not_met", None, "annex_a_snapshot"),
    ]
    assert len(units) == 6  # a month later the same extract is still the latest: the snapshot does not age
    assert tuple(figure) == (1, 3, "annex_a_snapshot")


def test_cp_reviews_fall_back_to_annex_a_when_no_review_conferences_are_recorded(engine):
    """Annex A list 7 alone: was each child's next review conference still in time on the extract date?"""
    from csc_monitor.warehouse import insert_rows

    extract = date(2025, 3, 31)
    plans = {  # child: (plan start, latest review conference on the extract)
        "P1": (date(2024, 6, 1), date(2024, 12, 1)),   # next due 1 June 2025: in time -> met
        "P2": (date(2024, 1, 10), date(2024, 9, 15)),  # next due 15 March 2025: passed -> not met
        "P3": (date(2025, 2, 1), None),                 # first due 1 May 2025: in time -> met
        "P4": (date(2024, 10, 1), None),                # first due 1 January 2025: passed -> not met
    }
    with engine.begin() as conn:
        insert_rows(conn, "cp_plan", [{
            "authority": "999", "child_id": child, "start_date": start, "end_date": None, "initial_category": "NEG",
            "latest_category": "NEG", "previous_plans": 0, "collection_year": None, "source_file": "annex",
            "source_ref": f"sheet List 7, row {child}"} for child, (start, _) in plans.items()])
        insert_rows(conn, "annex_a_latest", [{
            "authority": "999", "extract_date": extract, "list_number": 7, "child_id": child, "measure": "latest_review_conference",
            "value_date": review, "value_text": None, "source_file": "annex", "source_ref": f"sheet List 7, row {child}"}
            for child, (_, review) in plans.items() if review])
    compute_all(engine, load_definitions(["cp_reviews_on_time"]), "999", "annex-run", [extract])
    with engine.connect() as conn:
        units = conn.execute(text("SELECT child_id, status, method FROM indicator_unit ORDER BY child_id")).all()
        figure = conn.execute(text("SELECT numerator, denominator, method FROM indicator_result WHERE scope_type = 'authority'")).one()
    assert [tuple(u) for u in units] == [("P1", "met", "annex_a_snapshot"), ("P2", "not_met", "annex_a_snapshot"),
                                         ("P3", "met", "annex_a_snapshot"), ("P4", "not_met", "annex_a_snapshot")]
    assert tuple(figure) == (2, 4, "annex_a_snapshot")
