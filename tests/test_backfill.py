"""`csc-monitor backfill`: many as-at dates in one set-based pass give exactly the single-date figures, and no alerts."""

from datetime import date

from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.backfill import airflow_backfill_command, as_at_dates
from csc_monitor.cli import main
from csc_monitor.synthetic import generate

RESULT = ("SELECT indicator_id, version, as_at, scope_type, scope, numerator, denominator, value, overdue "
          "FROM indicator_result ORDER BY indicator_id, as_at, scope_type, scope")


def test_as_at_dates():
    assert as_at_dates(date(2024, 1, 15), date(2024, 4, 30)) == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]
    assert as_at_dates(date(2024, 12, 30), date(2025, 1, 2), "day") == [date(2024, 12, 30), date(2024, 12, 31), date(2025, 1, 1), date(2025, 1, 2)]
    assert as_at_dates(date(2024, 2, 1), date(2024, 2, 28)) == []


def test_backfill_equals_single_date_runs_and_posts_nothing(settings, engine, monkeypatch, capsys):
    for name, value in {"CSC_MONITOR_WAREHOUSE_URL": settings.warehouse_url, "CSC_MONITOR_DATA_DIR": str(settings.data_dir),
                        "CSC_MONITOR_LANDING_DIR": str(settings.landing_dir)}.items():
        monkeypatch.setenv(name, value)
    generate(settings.landing_dir, children=150, seed=3, reference_date=date(2025, 3, 31))
    pipeline.ingest(settings)

    assert main(["backfill", "--from", "2024-10-01", "--to", "2025-03-31", "--no-progress"]) == 0
    dates = [date(2024, 10, 31), date(2024, 11, 30), date(2024, 12, 31), date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)]
    assert "recomputed 6 as-at dates (2024-10-31 to 2025-03-31)" in capsys.readouterr().out
    with engine.connect() as conn:
        backfilled = conn.execute(text(RESULT)).all()
        per_indicator_and_date = conn.execute(text(
            "SELECT indicator_id, as_at, COUNT(*) FROM indicator_result WHERE scope_type = 'authority' GROUP BY indicator_id, as_at")).all()
        assert conn.execute(text("SELECT COUNT(*) FROM slack_outbox")).scalar_one() == 0
    assert {row.as_at for row in per_indicator_and_date} == set(dates)
    assert {row[2] for row in per_indicator_and_date} == {1}  # exactly one authority figure per indicator and date
    assert {row.indicator_id for row in per_indicator_and_date if row.as_at == date(2024, 10, 31)} >= {"icpc_within_15_working_days"}

    for d in dates:
        pipeline.compute(settings, [d], f"single__{d.isoformat()}")
    with engine.connect() as conn:
        assert conn.execute(text(RESULT)).all() == backfilled


def test_airflow_backfill_covers_whole_london_days_so_its_runs_compute_the_dates_given(capsys):
    """csc_nightly's backfill runs fall at 01:30 London on each as-at date: the window is the first date's midnight to
    the last date's 23:59:59, London time (here across the change to summer time)."""
    assert airflow_backfill_command(date(2025, 3, 29), date(2025, 3, 31), max_active_runs=2) == [
        "airflow", "backfill", "create", "--dag-id", "csc_nightly", "--from-date", "2025-03-29T00:00:00+00:00",
        "--to-date", "2025-03-31T23:59:59+01:00", "--max-active-runs", "2", "--reprocess-behavior", "completed"]
    assert airflow_backfill_command(date(2025, 1, 1), date(2025, 1, 5), alert=True)[-2:] == ["--dag-run-conf", '{"alert_in_backfill": true}']
    assert main(["backfill", "--airflow", "--from", "2025-01-01", "--to", "2025-01-31", "--every", "month-end"]) == 2
    assert "for month-ends only, leave out --airflow" in capsys.readouterr().err
