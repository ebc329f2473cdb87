"""On generated data, every indicator equals the figure planted by the generator (reference implementations)."""

from datetime import date

from sqlalchemy import text

from csc_monitor.synthetic import generate
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
