"""Worked examples for the care leaver indicators (903 OC3 and contact / pathway plan events), by hand."""

from datetime import date

import pytest

from csc_reference.care_leavers import care_leaver_measure
from tests.support.facts_la import Facts
from tests.test_indicators_looked_after import MARCH, compute_many, units

EXPECTED = {   # (numerator, denominator) as at 31 March 2025, counted by hand below
    "care_leavers_in_touch_17_18": (2, 3), "care_leavers_in_touch_19_21": (0, 2),
    "care_leavers_eet_17_18": (1, 3), "care_leavers_eet_19_21": (1, 2),
    "care_leavers_suitable_accommodation_17_18": (2, 3), "care_leavers_suitable_accommodation_19_21": (1, 2),
    "care_leavers_contact_within_8_weeks": (2, 6), "pathway_plan_reviewed_within_6_months": (3, 6),
}


@pytest.fixture
def leaver_facts(engine):
    f = Facts(engine)

    def leaver(child, born, in_touch, activity, accommodation, year=2025, oc3_birth=None):
        if born:
            f.child(child, birth=born, team="Leaving Care")
        f.add("care_leaver_status", child_id=child, collection_year=year, birth_date=oc3_birth or born,
              in_touch=in_touch, activity=activity, accommodation=accommodation)

    leaver("K1", "2007-03-31", "YES", "F1", "A1")       # 18 on the as-at date: 17-18; all met
    leaver("K2", "2007-04-01", "NO", "G4", "B2")        # 18 tomorrow: 17 on the as-at date; none met
    leaver("K3", "2006-03-31", "REFU", "P2", "C1")      # 19 on the as-at date: 19-21
    leaver("K4", "2004-04-01", "NREQ", "0", None)       # 21 tomorrow: 20; not known counts as not met
    leaver("K5", "2003-03-31", "YES", "F1", "A1")       # 22: too old
    leaver("K6", "2005-06-01", "DIED", None, None)      # excluded
    leaver("K7", "2005-06-01", "RHOM", "F1", "A1")      # excluded
    leaver("K8", "2006-01-01", "YES", "F3", "D1")       # transferred to another authority: excluded
    f.episode("K8", "2020-01-01", end="2024-01-01", rec="E3")
    leaver("K9", "2006-01-01", "YES", "F1", "A1", year=2024)   # only an older OC3 row: events measures only
    f.add("care_leaver_status", child_id="K10", collection_year=2025, birth_date="2007-01-01",
          in_touch="YES", activity="G6", accommodation="E1")   # date of birth only in OC3: 18
    leaver("K11", "2008-01-01", "YES", "F1", "A1")      # looked after again: not a care leaver today
    f.episode("K11", "2025-01-01")
    f.visit("K1", "2025-02-03", kind="CL")              # 56 days before 31 March: met
    f.visit("K2", "2025-02-02", kind="CL")              # 57 days: not met
    f.visit("K3", "2025-03-30", kind="CL", seen=False)  # not seen: no contact
    f.visit("K9", "2025-03-31", kind="CL")
    f.visit("K4", "2025-04-01", kind="CL")              # after the as-at date
    f.review("K1", "2024-09-30", kind="PATHWAY")        # exactly 6 months before 31 March 2025: within
    f.review("K2", "2024-10-01", kind="PATHWAY")
    f.review("K3", "2025-01-01", kind="PATHWAY", cancelled=True)
    f.review("K4", "2025-03-31", kind="PATHWAY")
    f.review("K10", None, kind="PATHWAY", due="2025-03-01")
    return f


def test_care_leaver_measures_by_hand_and_reference(leaver_facts):
    figures = compute_many(leaver_facts, list(EXPECTED), MARCH)
    got = {i: figures[i][MARCH][("authority", "all")][:2] for i in EXPECTED}
    assert got == EXPECTED
    assert {child: status for (child, _), (status, _, _) in units(leaver_facts, "pathway_plan_reviewed_within_6_months", MARCH).items()} == {
        "K1": "met", "K2": "met", "K3": "not_met", "K4": "met", "K6": "excluded", "K7": "excluded", "K8": "excluded",
        "K9": "not_met", "K10": "not_met"}
    assert figures["care_leavers_in_touch_17_18"][MARCH][("authority", "all")][3] == "ssda903"
    assert figures["care_leavers_contact_within_8_weeks"][MARCH][("team", "Leaving Care")][:2] == (2, 5)  # K10 unallocated
    assert figures["care_leavers_contact_within_8_weeks"][MARCH][("authority", "all")][3] == "events"
    measures = {"in_touch": "in_touch", "eet": "eet", "suitable_accommodation": "accommodation"}
    rows = [leaver_facts.rows(t) for t in ("care_leaver_status", "child", "care_episode", "visit", "review_event")]
    for indicator, expected in EXPECTED.items():
        if indicator.startswith("care_leavers_contact"):
            measure, low, high = "contact", 17, 21
        elif indicator.startswith("pathway"):
            measure, low, high = "pathway", 17, 21
        else:
            name, group = indicator.removeprefix("care_leavers_").rsplit("_", 2)[0], indicator[-5:]
            measure, (low, high) = measures[name], {"17_18": (17, 18), "19_21": (19, 21)}[group]
        result = care_leaver_measure(*rows, MARCH, measure, low, high)
        assert (result["numerator"], result["denominator"]) == expected, indicator


def test_oc3_age_groups_follow_the_birthday_in_the_collection_year_at_every_as_at_date(engine):
    """The 2023/24 OC3 (collection year 2024): ages at 31 March 2024, as at that day and as at 31 December 2024.

    Measured on the as-at date, 31 December 2024 would give 17-18 2 of 2 (B17-after joins, B18-dec leaves) and
    19-21 1 of 2 (B22-after and B21-jun are 22); by the birthday in the year both dates give 1 of 2 and 2 of 3."""
    f = Facts(engine)
    for child, born, in_touch in (
        ("B17-on", "2007-03-31", "YES"),     # 17th birthday on 31 March 2024: in the year, 17-18
        ("B17-after", "2007-04-01", "YES"),  # 17th birthday the day after the year ends: in no group
        ("B18-dec", "2005-12-01", "NO"),     # 18 at 31 March 2024; 19 by 31 December 2024: stays 17-18
        ("B21-on", "2003-03-31", "YES"),     # 21 at 31 March 2024: 19-21
        ("B22-after", "2002-04-01", "YES"),  # 22nd birthday the day after the year ends: 21, so 19-21
        ("B22-on", "2002-03-31", "YES"),     # 22nd birthday on 31 March 2024: too old
        ("B21-jun", "2002-06-15", "NO"),     # 21 at 31 March 2024, 22 by 31 December 2024: stays 19-21
    ):
        f.child(child, birth=born, team="Leaving Care")
        f.add("care_leaver_status", child_id=child, collection_year=2024, birth_date=born, in_touch=in_touch,
              activity="F1", accommodation="A1")
    march, december = date(2024, 3, 31), date(2024, 12, 31)
    ids = ["care_leavers_in_touch_17_18", "care_leavers_in_touch_19_21"]
    figures = compute_many(f, ids, march, december)
    for as_at in (march, december):
        assert figures[ids[0]][as_at][("authority", "all")][:2] == (1, 2)
        assert figures[ids[1]][as_at][("authority", "all")][:2] == (2, 3)
        assert {child: (status, age) for (child, _), (status, age, _) in units(f, ids[0], as_at).items()} == {
            "B17-on": ("met", 17), "B18-dec": ("not_met", 18)}
        assert {child: (status, age) for (child, _), (status, age, _) in units(f, ids[1], as_at).items()} == {
            "B21-on": ("met", 21), "B22-after": ("met", 21), "B21-jun": ("not_met", 21)}
        rows = [f.rows(t) for t in ("care_leaver_status", "child", "care_episode", "visit", "review_event")]
        for (low, high), expected in (((17, 18), (1, 2)), ((19, 21), (2, 3))):
            result = care_leaver_measure(*rows, as_at, "in_touch", low, high)
            assert (result["numerator"], result["denominator"]) == expected
