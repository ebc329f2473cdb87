"""Worked examples for adoption A1, A2 and A10 (mean days), counted by hand from the definitions."""

import pytest

from csc_reference.adoption import adoption_measure
from tests.support.facts_la import Facts
from tests.test_indicators_looked_after import MARCH, compute_many

EXPECTED = {   # (within the legacy threshold, children, mean days) as at 31 March 2025
    "adoption_a1": (4, 5, (366 + 735 + 409 + 184 + 250) / 5),
    "adoption_a10": (5, 5, (366 + 142 + 409 + 184 + 78) / 5),
    "adoption_a2": (2, 3, (153 + 0 + 121) / 3),
}


@pytest.fixture
def adoption_facts(engine):
    f = Facts(engine)

    def adoption(child, placed=None, order=None, match=None, adopted=None, foster=False, decision=None):
        f.add("adoption", child_id=child, decision_date=decision, placement_order_date=order, match_date=match,
              placed_date=placed, placed_ceased_date=None, reason_placed_ceased=None, adoption_order_date=adopted,
              adopted_by_foster_carer=foster, decision_reversed_date=None)

    for child in ("D1", "D2", "D3", "D4", "D5", "D6", "D7"):
        f.child(child, team=child)
    # D1: 366 days in care before moving in on the date placed Annex A gives (leap year), which stands over
    # the A4 episode's start (20 February); authority to match 153 days (over 121).
    f.episode("D1", "2023-03-01", end="2024-02-20")
    f.episode("D1", "2024-02-20", rne="P", ls="E1", place="A4", end="2024-06-01", rec="E11")
    adoption("D1", placed="2024-03-01", order="2023-09-01", match="2024-02-01", adopted="2024-06-01")
    # D2: adopted by the foster carer it moved in with on 1 June 2022 (RNE U keeps the carer); matched before
    # the authority (E1 from the 903, no placement order date) -> A2 0 days; adoption date from REC E12.
    f.episode("D2", "2022-01-10", end="2022-06-01")
    f.episode("D2", "2022-06-01", rne="P", place="U4", end="2024-01-15")
    f.episode("D2", "2024-01-15", rne="U", ls="E1", place="A5", end="2024-09-01", rec="E12")
    adoption("D2", placed="2024-01-15", match="2024-01-01", foster=True)
    # D3: adopted the day before the 12 months: not counted.
    f.episode("D3", "2022-01-01", end="2024-03-31", rec="E11")
    adoption("D3", placed="2023-06-01", order="2023-01-01", match="2023-05-01", adopted="2024-03-31")
    # D4: adopted on the as-at date; 409 days; 30 November + 121 days = 30 March (exactly 4 months' threshold).
    f.episode("D4", "2023-01-31", end="2024-03-15")
    f.episode("D4", "2024-03-15", rne="P", ls="E1", place="A4", end="2025-03-31", rec="E11")
    adoption("D4", placed="2024-03-15", order="2023-11-30", match="2024-03-30", adopted="2025-03-31")
    # D5: no care history and no court or match dates: excluded from every measure.
    adoption("D5", placed="2024-05-01", adopted="2024-12-01")
    # D6: 903 only: placed on the first A3-A6 placement's start, 2 October 2023 (184 days after 1 April), not the
    # decision (1 September) nor the later A6 placement after the A4 one broke down; adopted 30 November 2024.
    f.episode("D6", "2023-04-01", end="2023-10-02")
    f.episode("D6", "2023-10-02", rne="P", ls="E1", place="A4", end="2024-01-10")
    f.episode("D6", "2024-01-10", rne="P", ls="E1", place="U4", end="2024-06-01")
    f.episode("D6", "2024-06-01", rne="P", ls="E1", place="A6", end="2024-11-30", rec="E11")
    adoption("D6", decision="2023-09-01")
    # D7: 903 only, adopted by the foster carer: A1 stops at the A5 start, 20 February 2024 (250 days from
    # 15 June 2023); A10 at 1 September 2023, when the child moved in with that carer (78 days).
    f.episode("D7", "2023-06-15", place="U1", end="2023-09-01")
    f.episode("D7", "2023-09-01", rne="P", place="U4", end="2024-02-20")
    f.episode("D7", "2024-02-20", rne="U", ls="E1", place="A5", end="2025-01-15", rec="E12")
    adoption("D7", decision="2023-08-01", foster=True)
    return f


def test_adoption_measures_by_hand_and_reference(adoption_facts):
    figures = compute_many(adoption_facts, list(EXPECTED), MARCH)
    for indicator, (numerator, denominator, mean) in EXPECTED.items():
        got = figures[indicator][MARCH][("authority", "all")]
        assert got[:2] == (numerator, denominator), indicator
        assert got[4] == pytest.approx(mean), indicator
        assert ("team", "D3") not in figures[indicator][MARCH]
        assert figures[indicator][MARCH][("team", "D5")][:2] == (0, 0)
        if indicator != "adoption_a2":   # no match date: not in A2
            assert figures[indicator][MARCH][("team", "D6")][4] == 184, indicator
        reference = adoption_measure(adoption_facts.rows("adoption"), adoption_facts.rows("care_episode"), MARCH,
                                     indicator.removeprefix("adoption_"), 121 if indicator == "adoption_a2" else 426)
        assert (reference["numerator"], reference["denominator"]) == (numerator, denominator)
        assert reference["value"] == pytest.approx(mean)
    assert figures["adoption_a2"][MARCH][("team", "D2")][3] == "ssda903"
