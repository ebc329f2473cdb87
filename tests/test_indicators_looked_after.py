"""Worked examples for the looked-after indicators, counted by hand from each definition.

Each child gets a team of its own, so a team's figure is that child's figure.
"""

from datetime import date

import pytest
from sqlalchemy import text

from csc_monitor.authority_config import indicator_parameters
from csc_monitor.indicators.definitions import load_definitions
from csc_monitor.indicators.engine import compute_all
from csc_reference import looked_after as ref
from tests.support.facts import AUTHORITY
from tests.support.facts_la import Facts

MARCH, JUNE = date(2025, 3, 31), date(2025, 6, 30)


def compute_many(facts: Facts, indicators: list[str], *as_at: date) -> dict:
    """{indicator: {as_at: {(scope_type, scope): (numerator, denominator, overdue, method, value)}}}, one compute_all call."""
    compute_all(facts.engine, load_definitions(indicators), AUTHORITY, "run-1", list(as_at))
    with facts.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT indicator_id, as_at, scope_type, scope, numerator, denominator, overdue, method, value "
            "FROM indicator_result")).all()
    figures: dict = {}
    for r in rows:
        figures.setdefault(r.indicator_id, {}).setdefault(r.as_at, {})[(r.scope_type, r.scope)] = (
            r.numerator, r.denominator, r.overdue, r.method, r.value)
    return figures


def compute(facts: Facts, indicator: str, *as_at: date) -> dict:
    """{as_at: {(scope_type, scope): (numerator, denominator, overdue, method, value)}} for one indicator."""
    return compute_many(facts, [indicator], *as_at).get(indicator, {})


def units(facts: Facts, indicator: str, as_at: date) -> dict:
    with facts.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT child_id, status, elapsed, start_date, end_date FROM indicator_unit WHERE indicator_id = :i AND as_at = :d"),
            {"i": indicator, "d": as_at}).all()
    return {(r.child_id, r.start_date): (r.status, r.elapsed, r.end_date) for r in rows}


def team(figures: dict, as_at: date, child: str) -> tuple:
    return figures[as_at][("team", child)][:3]


def authority(figures: dict, as_at: date) -> tuple:
    return figures[as_at][("authority", "all")][:3]


# --- cla_visits_reg28 ------------------------------------------------------------------------------

@pytest.fixture
def visit_facts(engine):
    f = Facts(engine)
    for child in "ABCDEF":
        f.child(child, team=child)
    # A: 6-week placement; first visit exactly 1 week after the start, second one day late, third missing.
    f.episode("A", "2024-12-02", place="U3")
    for day in ("2024-12-09", "2025-01-21", "2025-04-10"):
        f.visit("A", day)
    f.visit("A", "2025-03-03", seen=False)  # child not seen: not a visit
    # B: long-term foster placement (U4) starting 31 January: 3-monthly visits after the first year.
    f.episode("B", "2023-01-31", place="U4")
    for day in ("2023-12-20", "2024-01-31", "2024-04-30", "2024-07-31", "2024-10-31", "2025-01-30"):
        f.visit("B", day)
    # C: long-term placement starting 29 February 2024: the first year ends on 28 February 2025.
    f.episode("C", "2024-02-29", place="U1")
    for day in ("2024-03-07", "2024-04-18", "2024-05-30", "2024-07-11", "2024-08-22", "2024-10-03",
                "2024-11-14", "2024-12-26", "2025-02-06", "2025-02-28", "2025-05-28"):
        f.visit("C", day)
    # D leaves care before the second visit falls due; E leaves care after missing the first visit.
    f.episode("D", "2024-09-02", end="2024-10-10", rec="E13")
    f.visit("D", "2024-09-05")
    f.episode("E", "2024-09-02", end="2024-09-30", rec="E13")
    # F moves placement (RNE P: a new 1-week window); a legal status change (RNE L) is not a new placement.
    f.episode("F", "2024-11-01", end="2024-11-20")
    f.episode("F", "2024-11-20", rne="P", end="2024-12-15")
    f.episode("F", "2024-12-15", rne="L", ls="C1")
    for day in ("2024-11-05", "2024-11-27", "2025-01-08", "2025-02-20"):
        f.visit("F", day)
    return f


def test_cla_visits_windows_by_hand_and_reference(visit_facts):
    figures = compute(visit_facts, "cla_visits_reg28", MARCH, JUNE)
    assert {c: team(figures, MARCH, c) for c in "ABCDEF"} == {
        "A": (1, 2, 1), "B": (3, 4, 0), "C": (9, 9, 0), "D": (1, 1, 0), "E": (0, 1, 0), "F": (3, 4, 0)}
    assert authority(figures, MARCH) == (17, 21, 1)
    assert figures[MARCH][("authority", "all")][3] == "events"
    assert {c: team(figures, JUNE, c) for c in "ABCDEF"} == {
        "A": (1, 3, 1), "B": (2, 3, 1), "C": (8, 8, 0), "D": (1, 1, 0), "E": (0, 1, 0), "F": (3, 4, 1)}
    assert authority(figures, JUNE) == (15, 20, 3)
    march = units(visit_facts, "cla_visits_reg28", MARCH)
    assert march[("A", date(2024, 12, 2))] == ("met", 7, date(2024, 12, 9))
    assert march[("A", date(2024, 12, 9))] == ("not_met", 43, date(2025, 1, 21))
    assert march[("A", date(2025, 1, 21))] == ("overdue", 69, None)
    assert march[("B", date(2024, 1, 31))] == ("met", 90, date(2024, 4, 30))   # 31 Jan + 3 months = 30 Apr (leap year)
    assert march[("E", date(2024, 9, 2))] == ("not_met", 28, None)
    assert units(visit_facts, "cla_visits_reg28", JUNE)[("C", date(2025, 2, 28))] == ("met", 89, date(2025, 5, 28))
    for as_at in (MARCH, JUNE):
        expected = ref.cla_visits_reg28(visit_facts.rows("care_episode"), visit_facts.rows("visit"), as_at)
        assert (expected["numerator"], expected["denominator"], expected["overdue"]) == authority(figures, as_at)


@pytest.fixture
def schedule_facts(engine):
    """Reg 28(3)-(5): children at home under orders, before assessment, with a temporarily approved carer; a short break."""
    f = Facts(engine)
    for child in ("H1", "H2", "H3", "H4", "H5", "G", "SB"):
        f.child(child, team=child)
    # H1: interim care order, placed with parents: weekly until the first review (3 February), then 4-weekly.
    f.episode("H1", "2025-01-06", ls="C1", place="P1")
    f.la_review("H1", "2025-02-03")
    for day in ("2025-01-13", "2025-01-20", "2025-01-28", "2025-02-03", "2025-03-03"):
        f.visit("H1", day)
    # H2: interim order at home from 1 October 2024, first review 29 October; the care order is made on 15 January 2025
    # while the child stays at home (RNE L, C1 -> C2): a visit due within a week of it, then 6-weekly.
    f.episode("H2", "2024-10-01", ls="C1", place="P1", end="2025-01-15")
    f.episode("H2", "2025-01-15", rne="L", ls="C2", place="P1")
    f.review("H2", "2024-10-29")
    for day in ("2024-10-08", "2024-10-15", "2024-10-29", "2024-11-26", "2024-12-23", "2025-01-22", "2025-03-05"):
        f.visit("H2", day)
    # H3: goes home under a care order: first visit a day late, then 42 days, then 43.
    f.episode("H3", "2024-12-02", ls="C2", place="P1")
    for day in ("2024-12-10", "2025-01-21", "2025-03-05"):
        f.visit("H3", day)
    # H4: placed with parents before the assessment is complete (reg 19); the review of 13 January was cancelled, so
    # the first review is 3 February: weekly until then, then 6-weekly.
    f.episode("H4", "2025-01-06", ls="C2", place="P1")
    f.arrangement("H4", "2025-01-06", "REG19_BEFORE_ASSESSMENT")
    f.review("H4", "2025-01-13", cancelled=True)
    f.review("H4", "2025-02-03")
    for day in ("2025-01-13", "2025-01-27", "2025-02-03", "2025-03-17"):
        f.visit("H4", day)
    # H5: temporarily approved connected person (reg 24), first review 2 December: weekly, then 4-weekly (one 6 weeks late).
    f.episode("H5", "2024-11-04", ls="V2", place="U3")
    f.arrangement("H5", "2024-11-04", "REG24_TEMPORARY_APPROVAL")
    f.la_review("H5", "2024-12-02")
    for day in ("2024-11-11", "2024-11-18", "2024-11-25", "2024-12-02", "2024-12-30", "2025-02-10", "2025-03-10"):
        f.visit("H5", day)
    # G: an arrangement row a day off the placement start matches no placement: fully approved, reg 28(2).
    f.episode("G", "2024-11-04", place="U3")
    f.arrangement("G", "2024-11-05", "REG24_TEMPORARY_APPROVAL")
    for day in ("2024-11-11", "2024-12-23", "2025-02-03", "2025-03-17"):
        f.visit("G", day)
    # SB: short breaks (reg 48) follow their own schedule: not measured.
    f.episode("SB", "2024-06-03", ls="V3", end="2024-06-05", rec="E13")
    f.episode("SB", "2025-03-03", ls="V3", end="2025-03-05", rec="E13")
    f.visit("SB", "2025-03-04")
    return f


def test_cla_visits_each_schedule_by_hand_and_reference(schedule_facts):
    figures = compute(schedule_facts, "cla_visits_reg28", MARCH)
    assert {c: team(figures, MARCH, c) for c in ("H1", "H2", "H3", "H4", "H5", "G")} == {
        "H1": (4, 5, 1), "H2": (6, 8, 0), "H3": (1, 3, 0), "H4": (3, 4, 0), "H5": (6, 7, 0), "G": (4, 4, 0)}
    assert ("team", "SB") not in figures[MARCH]
    assert authority(figures, MARCH) == (24, 31, 1)
    assert {scope: counts[:3] for (scope_type, scope), counts in figures[MARCH].items() if scope_type == "schedule"} == {
        "reg28_ico_at_home": (8, 11, 1), "reg28_co_at_home": (3, 5, 0), "reg28_reg19": (3, 4, 0),
        "reg28_reg24": (6, 7, 0), "reg28_2": (4, 4, 0)}
    with schedule_facts.engine.connect() as conn:
        rows = conn.execute(text("SELECT child_id, start_date, status, elapsed, end_date, schedule FROM indicator_unit "
                                 "WHERE indicator_id = 'cla_visits_reg28' AND child_id IN ('H1', 'H2', 'H4', 'SB')")).all()
    d = date
    assert {(r.child_id, r.start_date): (r.status, r.elapsed, r.end_date, r.schedule) for r in rows} == {
        ("H1", d(2025, 1, 6)): ("met", 7, d(2025, 1, 13), "reg28_ico_at_home"),       # 1 week from the start, on the day
        ("H1", d(2025, 1, 13)): ("met", 7, d(2025, 1, 20), "reg28_ico_at_home"),
        ("H1", d(2025, 1, 20)): ("not_met", 8, d(2025, 1, 28), "reg28_ico_at_home"),  # weekly before the first review
        ("H1", d(2025, 1, 28)): ("met", 6, d(2025, 2, 3), "reg28_ico_at_home"),
        ("H1", d(2025, 2, 3)): ("met", 28, d(2025, 3, 3), "reg28_ico_at_home"),       # opened on the review day: 4 weeks
        ("H1", d(2025, 3, 3)): ("overdue", 28, None, "reg28_ico_at_home"),            # due on the as-at date
        ("H2", d(2024, 10, 1)): ("met", 7, d(2024, 10, 8), "reg28_ico_at_home"),
        ("H2", d(2024, 10, 8)): ("met", 7, d(2024, 10, 15), "reg28_ico_at_home"),
        ("H2", d(2024, 10, 15)): ("not_met", 14, d(2024, 10, 29), "reg28_ico_at_home"),
        ("H2", d(2024, 10, 29)): ("met", 28, d(2024, 11, 26), "reg28_ico_at_home"),
        ("H2", d(2024, 11, 26)): ("met", 27, d(2024, 12, 23), "reg28_ico_at_home"),
        ("H2", d(2024, 12, 23)): ("not_met", 30, d(2025, 1, 22), "reg28_ico_at_home"),  # opened under the interim order
        ("H2", d(2025, 1, 15)): ("met", 7, d(2025, 1, 22), "reg28_co_at_home"),       # 1 week from the care order
        ("H2", d(2025, 1, 22)): ("met", 42, d(2025, 3, 5), "reg28_co_at_home"),
        ("H4", d(2025, 1, 6)): ("met", 7, d(2025, 1, 13), "reg28_reg19"),
        ("H4", d(2025, 1, 13)): ("not_met", 14, d(2025, 1, 27), "reg28_reg19"),      # the cancelled review is no review
        ("H4", d(2025, 1, 27)): ("met", 7, d(2025, 2, 3), "reg28_reg19"),
        ("H4", d(2025, 2, 3)): ("met", 42, d(2025, 3, 17), "reg28_reg19"),
    }
    expected = ref.cla_visits_reg28(schedule_facts.rows("care_episode"), schedule_facts.rows("visit"), MARCH,
                                    la_reviews=schedule_facts.rows("la_review"), review_events=schedule_facts.rows("review_event"),
                                    arrangements=schedule_facts.rows("placement_arrangement"))
    assert (expected["numerator"], expected["denominator"], expected["overdue"]) == (24, 31, 1)
    assert {s: tuple(c.values()) for s, c in expected["schedules"].items()} == {
        "reg28_ico_at_home": (8, 11, 1), "reg28_co_at_home": (3, 5, 0), "reg28_reg19": (3, 4, 0),
        "reg28_reg24": (6, 7, 0), "reg28_2": (4, 4, 0)}


def test_visits_and_reviews_fall_back_to_annex_a_without_events(engine):
    f = Facts(engine)
    for child, last_visit, last_review in (("X", "2025-02-17", "2024-10-01"), ("Y", "2025-02-16", "2024-09-30"),
                                           ("Z", None, None)):
        f.child(child, team="Children in Care")
        for measure, value in (("last_social_work_visit", last_visit), ("latest_statutory_review", last_review)):
            f.add("annex_a_latest", extract_date="2025-03-31", list_number=8, child_id=child,
                  measure=measure, value_date=value, value_text=None)
    figures = compute_many(f, ["cla_visits_reg28", "cla_reviews_on_time"], date(2025, 3, 30), MARCH)
    # visits: 42 days before the extract met, 43 days and none not met
    assert figures["cla_visits_reg28"][MARCH][("authority", "all")][:4] == (1, 3, 0, "annex_a_snapshot")
    # reviews: 1 October 2024 and 30 September 2024, exactly 6 months before 31 March 2025, are within 6 months
    assert figures["cla_reviews_on_time"][MARCH][("authority", "all")][:4] == (2, 3, 0, "annex_a_snapshot")
    assert {child: status for (child, _), (status, _, _) in units(f, "cla_reviews_on_time", MARCH).items()} == {
        "X": "met", "Y": "met", "Z": "not_met"}
    assert date(2025, 3, 30) not in figures["cla_visits_reg28"]                       # no extract yet
    visits = ref.cla_visits_reg28([], [], MARCH, annex_a=f.rows("annex_a_latest"))
    reviews = ref.cla_reviews_on_time([], [], [], MARCH, annex_a=f.rows("annex_a_latest"))
    assert (visits["numerator"], visits["denominator"], visits["method"]) == (1, 3, "annex_a_snapshot")
    assert (reviews["numerator"], reviews["denominator"], reviews["method"]) == (2, 3, "annex_a_snapshot")


# --- cla_reviews_on_time ---------------------------------------------------------------------------

MARCH_2024 = date(2024, 3, 31)


@pytest.fixture
def review_facts(engine):
    f = Facts(engine)
    for child in ("R1", "R2", "R3", "R4", "R5"):
        f.child(child, team=child)
    # R1 starts on Friday 20 December 2024: 20 working days skip Christmas, Boxing Day and New Year's Day -> 22 January.
    f.episode("R1", "2024-12-20")
    f.la_review("R1", "2025-01-22")
    f.review("R1", "2025-01-22")           # the same review in both sources counts once
    f.review("R1", "2025-04-23")           # second review due 22 April: one day late
    # R2: first review on 31 January, so the second is due 31 January + 3 months = 30 April.
    f.episode("R2", "2025-01-06")
    f.review("R2", "2025-01-31")
    f.review("R2", "2025-04-30")
    # R3: 31 August 2023 + 6 months = 29 February 2024; later a late review, a missed one, then leaves care.
    f.episode("R3", "2023-07-03", end="2025-03-15", rec="E13")
    for day in ("2023-07-31", "2023-08-31", "2024-02-29", "2024-09-02"):
        f.la_review("R3", day)
    # R4: only a cancelled review; R5 leaves care before its first review is due.
    f.episode("R4", "2025-01-06")
    f.review("R4", "2025-01-20", cancelled=True)
    f.episode("R5", "2025-03-03", end="2025-03-10", rec="E13")
    return f


def test_cla_reviews_by_hand_and_reference(review_facts):
    figures = compute(review_facts, "cla_reviews_on_time", MARCH_2024, MARCH, JUNE)
    assert authority(figures, MARCH_2024) == (3, 3, 0)
    assert {c: team(figures, MARCH, c) for c in ("R1", "R2", "R3", "R4")} == {
        "R1": (1, 1, 0), "R2": (1, 1, 0), "R3": (0, 2, 0), "R4": (0, 0, 1)}
    assert authority(figures, MARCH) == (2, 4, 1)
    assert {c: team(figures, JUNE, c) for c in ("R1", "R2", "R3", "R4")} == {
        "R1": (1, 2, 0), "R2": (2, 2, 0), "R3": (0, 2, 0), "R4": (0, 0, 1)}
    assert authority(figures, JUNE) == (3, 6, 1)
    assert ("team", "R5") not in figures[JUNE]
    june = units(review_facts, "cla_reviews_on_time", JUNE)
    assert june[("R1", date(2024, 12, 20))] == ("met", 33, date(2025, 1, 22))
    assert june[("R1", date(2025, 1, 22))] == ("not_met", 91, date(2025, 4, 23))
    assert june[("R3", date(2024, 9, 2))] == ("not_met", 194, None)
    assert units(review_facts, "cla_reviews_on_time", MARCH_2024)[("R3", date(2023, 8, 31))] == ("met", 182, date(2024, 2, 29))
    for as_at in (MARCH_2024, MARCH, JUNE):
        expected = ref.cla_reviews_on_time(review_facts.rows("care_episode"), review_facts.rows("la_review"),
                                           review_facts.rows("review_event"), as_at)
        assert (expected["numerator"], expected["denominator"], expected["overdue"]) == authority(figures, as_at)


def test_short_break_reviews_run_over_the_series_three_months_then_six(engine):
    """Reg 48: a series of short breaks is reviewed 3 months after the first placement, then every 6 months."""
    f = Facts(engine)
    for child in ("SB1", "SB2"):
        f.child(child, team=child)
    for start, end in (("2024-06-03", "2024-06-05"), ("2024-07-01", "2024-07-03"), ("2024-09-02", "2024-09-04"),
                       ("2025-03-03", "2025-03-05")):
        f.episode("SB1", start, ls="V3", end=end, rec="E13")   # each short break a period of care of its own
    f.la_review("SB1", "2024-09-03")   # due 3 months after 3 June: met on the day (no 20-working-day review)
    f.la_review("SB1", "2025-03-10")   # due 6 months later, 3 March 2025: a week late
    f.episode("SB2", "2024-12-02", ls="V4")   # series agreed on 2 December 2024, no review yet: due 2 March 2025
    figures = compute(f, "cla_reviews_on_time", MARCH)
    assert authority(figures, MARCH) == (1, 2, 1)
    assert units(f, "cla_reviews_on_time", MARCH) == {
        ("SB1", date(2024, 6, 3)): ("met", 92, date(2024, 9, 3)),
        ("SB1", date(2024, 9, 3)): ("not_met", 188, date(2025, 3, 10)),
        ("SB2", date(2024, 12, 2)): ("overdue", 119, None),
    }
    expected = ref.cla_reviews_on_time(f.rows("care_episode"), f.rows("la_review"), [], MARCH)
    assert (expected["numerator"], expected["denominator"], expected["overdue"]) == (1, 2, 1)


# --- placement stability ---------------------------------------------------------------------------

def test_short_term_stability_by_hand_and_reference(engine):
    f = Facts(engine)
    for child in ("S1", "S2", "S3", "S4", "S5", "S6"):
        f.child(child, team=child)
    f.episode("S1", "2024-01-10", end="2024-05-01")                  # 3 placements in the year: counted
    f.episode("S1", "2024-05-01", rne="P", end="2024-09-01")
    f.episode("S1", "2024-09-01", rne="P")
    f.episode("S2", "2024-06-01", end="2024-07-01")                  # a legal status change is not a move: 2
    f.episode("S2", "2024-07-01", rne="L", ls="C1", end="2024-08-01")
    f.episode("S2", "2024-08-01", rne="P")
    f.episode("S3", "2024-04-15", place="U4", end="2024-06-01")      # adopted by the foster carer: 2
    f.episode("S3", "2024-06-01", rne="P", end="2024-10-01")
    f.episode("S3", "2024-10-01", rne="T", ls="E1", place="A5")
    for start, end in (("2024-05-01", "2024-05-05"), ("2024-06-01", "2024-06-05"), ("2025-03-28", None)):
        f.episode("S4", start, ls="V3", end=end, rec="E8" if end else None)  # short breaks only: excluded
    f.episode("S5", "2024-05-01", end="2024-06-01")                  # left care on 31 March: not looked after at 31 March
    f.episode("S5", "2024-06-01", rne="P", end="2024-07-01")
    f.episode("S5", "2024-07-01", rne="P", end="2025-03-31", rec="E13")
    f.episode("S6", "2023-01-01", end="2024-03-31")                  # first placement ended the day before the year: 2
    f.episode("S6", "2024-03-31", rne="P", end="2024-10-01")
    f.episode("S6", "2024-10-01", rne="P")
    figures = compute(f, "placement_stability_short_term", MARCH)
    assert authority(figures, MARCH) == (1, 4, 0)
    assert {c: team(figures, MARCH, c) for c in ("S1", "S2", "S3", "S4", "S6")} == {
        "S1": (1, 1, 0), "S2": (0, 1, 0), "S3": (0, 1, 0), "S4": (0, 0, 0), "S6": (0, 1, 0)}
    assert units(f, "placement_stability_short_term", MARCH)[("S1", date(2024, 1, 10))] == ("met", 3, None)
    expected = ref.placement_stability_short_term(f.rows("care_episode"), MARCH)
    assert (expected["numerator"], expected["denominator"]) == (1, 4)


def test_long_term_stability_by_hand_and_reference(engine):
    f = Facts(engine)
    for child, birth in (("L1", "2010-01-01"), ("L2", "2010-01-01"), ("L3", "2009-03-31"), ("L4", "2009-04-01"),
                         ("L5", "2015-01-01"), ("L6", "2016-01-01"), ("L7", None)):
        f.child(child, birth=birth, team=child)
    f.episode("L1", "2022-09-30", place="U4")               # looked after exactly 30 months, same placement: met
    f.episode("L2", "2022-10-01", place="U4")               # one day short of 2.5 years: not in the cohort
    f.episode("L3", "2020-01-01")                           # 16 on 31 March 2025: not in the cohort
    f.episode("L4", "2020-01-01", end="2023-04-01")         # current placement one day short of 2 years
    f.episode("L4", "2023-04-01", rne="P")
    f.episode("L5", "2020-01-01", end="2023-03-31")         # current placement exactly 2 years: met
    f.episode("L5", "2023-03-31", rne="P")
    f.episode("L6", "2021-06-01", end="2022-01-01")         # adoptive placement + the one before: met
    f.episode("L6", "2022-01-01", rne="P", place="U4", end="2024-09-01")
    f.episode("L6", "2024-09-01", rne="T", ls="E1", place="A5")
    f.episode("L7", "2020-01-01")                           # no date of birth: excluded
    figures = compute(f, "placement_stability_long_term", MARCH)
    assert authority(figures, MARCH) == (3, 4, 0)
    assert {c: team(figures, MARCH, c) for c in ("L1", "L4", "L5", "L6", "L7")} == {
        "L1": (1, 1, 0), "L4": (0, 1, 0), "L5": (1, 1, 0), "L6": (1, 1, 0), "L7": (0, 0, 0)}
    assert ("team", "L2") not in figures[MARCH] and ("team", "L3") not in figures[MARCH]
    assert units(f, "placement_stability_long_term", MARCH)[("L6", date(2022, 1, 1))] == ("met", 1185, None)
    expected = ref.placement_stability_long_term(f.rows("care_episode"), f.rows("child"), MARCH)
    assert (expected["numerator"], expected["denominator"]) == (3, 4)


# --- health --------------------------------------------------------------------------------------

IHA = "cla_initial_health_assessment_20_working_days"


def test_initial_health_assessment_by_hand_and_reference(engine):
    f = Facts(engine)
    for child in ("H1", "H2", "H3", "H4", "H5", "H6"):
        f.child(child, team=child)
    # Friday 20 December 2024: the 20th working day is 22 January 2025 (Christmas, Boxing Day, New Year skipped).
    f.episode("H1", "2024-12-20")
    f.add("health_check", child_id="H1", check_kind="IHA", check_date="2025-01-22")   # 20 working days: met
    f.episode("H2", "2024-12-20")
    f.add("health_check", child_id="H2", check_kind="IHA", check_date="2025-01-23")   # 21: not met
    f.episode("H3", "2025-01-06")                                                     # none by 3 February: overdue
    f.episode("H4", "2025-01-06", end="2025-01-20", rec="E13")                        # left before the deadline
    f.episode("H5", "2025-01-06", ls="V3")                                            # short break: excluded
    f.episode("H6", "2025-01-06", end="2025-02-10", rec="E13")                        # left after missing it
    figures = compute(f, IHA, MARCH)
    assert authority(figures, MARCH) == (1, 3, 1)
    assert {c: team(figures, MARCH, c) for c in ("H1", "H2", "H3", "H5", "H6")} == {
        "H1": (1, 1, 0), "H2": (0, 1, 0), "H3": (0, 0, 1), "H5": (0, 0, 0), "H6": (0, 1, 0)}
    assert ("team", "H4") not in figures[MARCH]
    assert units(f, IHA, MARCH)[("H2", date(2024, 12, 20))] == ("not_met", 21, date(2025, 1, 23))
    expected = ref.cla_initial_health_assessment(f.rows("care_episode"), f.rows("health_check"), MARCH)
    assert (expected["numerator"], expected["denominator"], expected["overdue"]) == (1, 3, 1)


def test_annual_health_and_dental_checks_by_hand_and_reference(engine):
    f = Facts(engine)
    for child in ("A1", "A2", "A3", "A4", "A5", "A6"):
        f.child(child, team=child)
    f.episode("A1", "2024-03-31")                                   # looked after exactly 12 months at 31 March 2025
    f.add("health_check", child_id="A1", check_kind="RHA", check_date="2024-04-01")
    f.episode("A2", "2024-04-01")                                   # one day short of 12 months: not in the cohort
    f.episode("A3", "2020-01-01")
    f.add("health_check", child_id="A3", check_kind="RHA", check_date="2024-03-31")   # exactly 12 months before 31 March: within
    f.episode("A4", "2020-01-01")
    f.add("health_check", child_id="A4", check_kind="IHA", check_date="2025-03-31")
    f.add("health_check", child_id="A4", check_kind="DENTAL", check_date="2024-06-01")
    f.episode("A5", "2020-01-01", end="2025-03-31", rec="E13")      # left care on the as-at date
    f.episode("A6", "2020-01-01")
    f.add("health_check", child_id="A6", check_kind="RHA", check_date="2024-02-29")   # within 12 months of 28 Feb 2025
    f.add("health_check", child_id="A6", check_kind="DENTAL", check_date="2024-03-31")  # exactly 12 months before 31 March
    feb = date(2025, 2, 28)
    figures = compute_many(f, ["cla_annual_health_assessment", "cla_dental_check"], feb, MARCH)
    annual, dental = figures["cla_annual_health_assessment"], figures["cla_dental_check"]
    assert authority(annual, feb) == (2, 4, 0) and authority(annual, MARCH) == (3, 4, 0)   # A5 still in care on 28 Feb
    assert authority(dental, feb) == (2, 4, 0) and authority(dental, MARCH) == (2, 4, 0)
    assert {c: team(annual, MARCH, c) for c in ("A1", "A3", "A4", "A6")} == {
        "A1": (1, 1, 0), "A3": (1, 1, 0), "A4": (1, 1, 0), "A6": (0, 1, 0)}
    assert {c: team(dental, MARCH, c) for c in ("A1", "A3", "A4", "A6")} == {
        "A1": (0, 1, 0), "A3": (0, 1, 0), "A4": (1, 1, 0), "A6": (1, 1, 0)}
    assert annual[MARCH][("authority", "all")][3] == "events"
    for as_at, annual_expected, dental_expected in ((feb, (2, 4), (2, 4)), (MARCH, (3, 4), (2, 4))):
        got = ref.cla_annual_check(f.rows("care_episode"), f.rows("health_check"), [], as_at)
        assert (got["numerator"], got["denominator"]) == annual_expected
        got = ref.cla_annual_check(f.rows("care_episode"), f.rows("health_check"), [], as_at, ("DENTAL",), "teeth_check")
        assert (got["numerator"], got["denominator"]) == dental_expected


def test_health_assessments_by_age_six_monthly_before_the_fifth_birthday(engine):
    f = Facts(engine)
    for child, born, in_care_since, checks in (
        ("U1", "2020-01-15", "2023-01-01", [("RHA", "2024-10-01")]),      # at 4: due by 1 April 2025
        ("U2", "2020-01-15", "2023-01-01", [("RHA", "2024-09-30")]),      # exactly 6 months before 31 March
        ("U3", "2020-01-15", "2023-01-01", [("RHA", "2024-03-31"), ("RHA", "2024-09-29")]),  # at 4, turned 5 since: late
        ("U4", "2020-01-15", "2023-01-01", [("RHA", "2024-07-01"), ("RHA", "2025-01-20")]),  # at 5: 12-monthly
        ("U5", "2023-06-01", "2024-09-15", [("IHA", "2024-10-10")]),      # aged 1, in care 6 months: due
        ("U6", "2023-06-01", "2024-10-15", [("IHA", "2024-11-01")]),      # in care under 6 months: not yet due
        ("U7", "2015-06-01", "2024-09-15", [("IHA", "2024-10-10")]),      # aged 9, in care under 12 months: not yet due
    ):
        f.child(child, birth=born, team=child)
        f.episode(child, in_care_since)
        for kind, day in checks:
            f.add("health_check", child_id=child, check_kind=kind, check_date=day)
    f.add("la_outcome", child_id="U1", collection_year=2025, sdq_score=None, convicted=False, health_check=True,
          immunisations=True, teeth_check=True, health_assessment=False, substance_misuse=False)
    figures = compute_many(f, ["cla_annual_health_assessment", "cla_health_assessment_oc2_dfe"], MARCH)
    assert authority(figures["cla_annual_health_assessment"], MARCH) == (4, 5, 0)
    assert {child: status for (child, _), (status, _, _) in units(f, "cla_annual_health_assessment", MARCH).items()} == {
        "U1": "met", "U2": "met", "U3": "not_met", "U4": "met", "U5": "met"}
    assert figures["cla_health_assessment_oc2_dfe"][MARCH][("authority", "all")][:4] == (0, 1, 0, "ssda903")  # OC2 despite events
    got = ref.cla_annual_check(f.rows("care_episode"), f.rows("health_check"), f.rows("la_outcome"), MARCH,
                               children=f.rows("child"), under_five_months=6)
    assert (got["numerator"], got["denominator"], got["method"]) == (4, 5, "events")
    got = ref.cla_annual_check(f.rows("care_episode"), f.rows("health_check"), f.rows("la_outcome"), MARCH,
                               children=f.rows("child"), measured_from="oc2")
    assert (got["numerator"], got["denominator"], got["method"]) == (0, 1, "ssda903")


def test_annual_checks_fall_back_to_oc2_without_events(engine):
    f = Facts(engine)
    for child, year, assessed, teeth in (("O1", 2024, True, False), ("O2", 2024, False, True),
                                         ("O1", 2025, True, True), ("O2", 2025, True, False), ("O3", 2025, False, False)):
        f.add("la_outcome", child_id=child, collection_year=year, sdq_score=None, convicted=False, health_check=True,
              immunisations=True, teeth_check=teeth, health_assessment=assessed, substance_misuse=False)
    day_before = date(2025, 3, 30)   # collection year 2024-25 has not ended: 2023-24 (2024) is the latest
    figures = compute_many(f, ["cla_annual_health_assessment", "cla_dental_check", "cla_health_assessment_oc2_dfe"], day_before, MARCH)
    annual, dental = figures["cla_annual_health_assessment"], figures["cla_dental_check"]
    assert figures["cla_health_assessment_oc2_dfe"] == annual   # without events the statutory figure is the OC2 one
    assert annual[day_before][("authority", "all")][:4] == (1, 2, 0, "ssda903")
    assert annual[MARCH][("authority", "all")][:4] == (2, 3, 0, "ssda903")
    assert authority(dental, day_before) == (1, 2, 0) and authority(dental, MARCH) == (1, 3, 0)
    got = ref.cla_annual_check([], [], f.rows("la_outcome"), MARCH, ("DENTAL",), "teeth_check")
    assert (got["numerator"], got["denominator"], got["method"]) == (1, 3, "ssda903")


# --- missing: return home interviews -------------------------------------------------------------

RHI = "return_interview_offered_within_72_hours"


def test_return_interviews_by_hand_and_reference(engine):
    f = Facts(engine)
    april = date(2025, 4, 1)

    def missing(child, start, end, returned=None, offered=None, kind="M"):
        f.child(child, team=child)
        f.add("missing_episode", child_id=child, missing_type=kind, start_date=start, end_date=end)
        if returned:
            f.add("return_interview", child_id=child, missing_start_date=start, returned_at=returned,
                  offered_at=offered, accepted=None)

    missing("M1", "2025-03-01", "2025-03-02", "2025-03-02T10:00:00", "2025-03-05T10:00:00")   # exactly 72 hours: met
    missing("M2", "2025-03-01", "2025-03-02", "2025-03-02T10:00:00", "2025-03-05T10:01:00")   # 72 hours 1 minute: not met
    missing("M3", "2025-03-09", "2025-03-10")                                                 # never offered: not met
    missing("M4", "2025-03-29", "2025-03-30", "2025-03-30T12:00:00")                          # 72 hours not yet passed
    missing("M5", "2025-03-01", "2025-03-02", kind="A")                                       # away, not missing
    missing("M6", "2024-03-30", "2024-03-31", "2024-03-31T09:00:00", "2024-04-01T09:00:00")   # before the 12 months
    missing("M7", "2025-03-28", "2025-03-29", "2025-03-29T08:00:00", "2025-04-01T07:00:00")   # offered after 31 March
    figures = compute(f, RHI, MARCH, april)
    assert authority(figures, MARCH) == (1, 3, 0)
    assert authority(figures, april) == (2, 4, 0)
    march = units(f, RHI, MARCH)
    assert march[("M1", date(2025, 3, 1))][:2] == ("met", 72)
    assert march[("M2", date(2025, 3, 1))][:2] == ("not_met", 72)
    assert march[("M3", date(2025, 3, 9))][:2] == ("not_met", 528)
    for as_at, expected in ((MARCH, (1, 3)), (april, (2, 4))):
        got = ref.return_interview_within_72_hours(f.rows("missing_episode"), f.rows("return_interview"), as_at)
        assert (got["numerator"], got["denominator"]) == expected


# --- rate ------------------------------------------------------------------------------------------

def test_cla_rate_per_10000(engine):
    f = Facts(engine)
    for child in ("C1", "C2", "C3", "C4"):
        f.child(child, team="Children in Care")
    f.episode("C1", "2024-01-01")
    f.episode("C2", "2024-01-01", end="2025-03-31", rec="E13")   # left on the as-at date: not looked after
    f.episode("C3", "2025-03-28", ls="V3")                       # short break: not counted
    f.episode("C4", "2024-01-01", end="2024-06-01")              # two episodes, one child
    f.episode("C4", "2024-06-01", rne="L", ls="C1")
    population = indicator_parameters(AUTHORITY, "cla_rate", load_definitions(["cla_rate"])[0].parameters)["population"]
    figures = compute(f, "cla_rate", MARCH)
    numerator, denominator, _, _, value = figures[MARCH][("authority", "all")]
    assert (numerator, denominator) == (2, 2)
    assert value == pytest.approx(2 * 10000 / population)
    assert ref.cla_rate(f.rows("care_episode"), MARCH, population)["value"] == pytest.approx(value)
