"""On generated data, every indicator equals the figure planted by the generator (reference implementations)."""

from datetime import date

import pytest
from sqlalchemy import text

from csc_monitor.synthetic import generate
from csc_monitor.synthetic.looked_after import build_looked_after
from csc_reference.adoption import adoption_measure
from csc_monitor.indicators.definitions import load_definitions
from csc_monitor.indicators.engine import compute_all
from csc_monitor.ingest.landing import ingest_landing

AS_AT, NINE_MONTHS_ON = date(2025, 3, 31), date(2025, 12, 31)


def test_every_indicator_equals_its_planted_figure(settings, engine):
    truth = generate(settings.landing_dir, children=300, seed=8, reference_date=AS_AT, looked_after=80,
                     truth_path=settings.landing_dir.parent / "truth.json")
    assert ingest_landing(engine, settings).rejected == []
    definitions = load_definitions()
    compute_all(engine, definitions, "999", "truth-run", [AS_AT, NINE_MONTHS_ON])
    with engine.connect() as conn:
        published = {(r.as_at, r.indicator_id): {"numerator": r.numerator, "denominator": r.denominator, "overdue": r.overdue}
                     for r in conn.execute(text("SELECT * FROM indicator_result WHERE scope_type = 'authority'"))}
    for as_at, planted in ((AS_AT, truth["figures"]), (NINE_MONTHS_ON, truth["figures_nine_months_on"])):
        assert len(planted) >= 30
        none = {"numerator": 0, "denominator": 0, "overdue": 0}
        mismatches = {i: (published.get((as_at, i)), planted[i]) for i in planted if published.get((as_at, i), none) != planted[i]}
        assert (as_at, mismatches) == (as_at, {})
    icpc = truth["icpc_within_15_working_days"]
    assert published[(AS_AT, "icpc_within_15_working_days")] == {k: icpc[k] for k in ("numerator", "denominator", "overdue")}
    with engine.connect() as conn:
        by_schedule = {(r.indicator_id, r.scope): {"numerator": r.numerator, "denominator": r.denominator, "overdue": r.overdue}
                       for r in conn.execute(text("SELECT * FROM indicator_result WHERE scope_type = 'schedule' AND as_at = :d"), {"d": AS_AT})}
    planted_schedules = {(i, s): counts for i, schedules in truth["schedules"].items() for s, counts in schedules.items()}
    assert by_schedule == planted_schedules
    visits = next(d for d in definitions if d.id == "cla_visits_reg28")
    assert {s for (i, s), counts in planted_schedules.items() if i == visits.id and counts["denominator"]} == set(visits.schedules)


def test_adoption_times_on_generated_data_equal_the_planted_ones(settings, engine):
    """The 903 gives the date placed only as the A4/A6 episode's start (its PlacedAdoption date is the decision):
    the published means must equal the reference's on the planted dates, not just the counts."""
    truth = generate(settings.landing_dir, children=300, seed=1, reference_date=AS_AT, looked_after=200,
                     truth_path=settings.landing_dir.parent / "truth.json")
    assert ingest_landing(engine, settings).rejected == []
    adoption_ids = ("adoption_a1", "adoption_a2", "adoption_a10")
    compute_all(engine, [d for d in load_definitions() if d.id in adoption_ids], "999", "truth-run", [AS_AT])
    with engine.connect() as conn:
        published = {r.indicator_id: (r.numerator, r.denominator, r.value) for r in conn.execute(text(
            "SELECT * FROM indicator_result WHERE scope_type = 'authority' AND as_at = :d"), {"d": AS_AT})}
    planted = build_looked_after(1, "999", AS_AT, 200)
    for indicator in adoption_ids:
        measure = indicator.removeprefix("adoption_")
        reference = adoption_measure(planted["adoption"], planted["care_episode"], AS_AT, measure, 121 if measure == "a2" else 426)
        assert published[indicator][:2] == (truth["figures"][indicator]["numerator"], truth["figures"][indicator]["denominator"])
        assert (indicator, published[indicator][1]) == (indicator, 5)
        assert (indicator, published[indicator][2]) == (indicator, pytest.approx(reference["value"]))
