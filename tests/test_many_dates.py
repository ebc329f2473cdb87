"""A 60-date backfill is one set-based pass per indicator, and gives the same figures as 60 single runs."""

from datetime import date, timedelta

from sqlalchemy import text

from csc_monitor.synthetic import generate
from csc_monitor.indicators.definitions import load_definitions
from csc_monitor.indicators import engine as engine_module
from csc_monitor.indicators.engine import compute_all
from csc_monitor.ingest.landing import ingest_landing

INDICATORS = ["icpc_within_15_working_days", "cp_reviews_on_time", "cla_visits_reg28", "placement_stability_short_term"]


def month_ends(last: date, count: int) -> list[date]:
    ends, day = [], last
    for _ in range(count):
        ends.append(day)
        day = day.replace(day=1) - timedelta(days=1)
    return sorted(ends)


def _figures(engine) -> set[tuple]:
    with engine.connect() as conn:
        return set(conn.execute(text(
            "SELECT indicator_id, as_at, scope_type, scope, numerator, denominator, overdue FROM indicator_result")).all())


def test_sixty_month_ends_at_once_equal_sixty_single_runs(settings, engine, monkeypatch):
    """Written a few dates per statement, as a large authority's backfill is (engine.CHILD_DATES_PER_STATEMENT)."""
    generate(settings.landing_dir, children=150, seed=12, reference_date=date(2025, 3, 31), looked_after=40, years=5,
             truth_path=settings.landing_dir.parent / "truth.json")
    assert ingest_landing(engine, settings).rejected == []
    definitions = load_definitions(INDICATORS)
    dates = month_ends(date(2025, 3, 31), 60)
    assert len(dates) == 60 and dates[0] == date(2020, 4, 30)
    with engine.connect() as conn:
        children = conn.execute(text("SELECT COUNT(*) FROM child")).scalar_one()
    monkeypatch.setattr(engine_module, "CHILD_DATES_PER_STATEMENT", children * 7)  # 7 dates a statement: 9 statements
    compute_all(engine, definitions, "999", "backfill-60", dates)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM run_as_at WHERE run_id LIKE 'backfill-60#%'")).scalar_one() == 0
    together = _figures(engine)
    for day in dates:
        compute_all(engine, definitions, "999", f"single-{day.isoformat()}", [day])
    assert _figures(engine) == together
    assert sum(1 for row in together if row[2] == "authority" and row[5] > 0) > 100  # real figures, not empty dates
