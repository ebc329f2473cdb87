"""Freshness alerts, the results check that puts the last good figures back, and the per-run report."""

from dataclasses import replace
from datetime import date, datetime, time

import pytest
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.validation.freshness import check_freshness
from csc_monitor.warehouse import insert_rows
from tests.support.facts import add_enquiry
from tests.support.validation_corpus import failed_warnings

AS_AT = date(2025, 3, 31)


def _load(engine, loaded_at: datetime, reference_date: date | None):
    with engine.begin() as conn:
        insert_rows(conn, "load_file", [{
            "sha256": f"sha-{loaded_at.isoformat()}", "file_name": "cin_census_999_2025.xml", "kind": "cin_census", "authority": "999",
            "collection_year": 2025, "reference_date": reference_date, "row_count": 1, "loaded_at": loaded_at, "archived_as": "x",
        }])


def _outbox(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT delivery_key, channel, text FROM slack_outbox ORDER BY delivery_key")).all()


def test_no_export_by_the_due_time_and_an_old_reference_date_alert_the_data_owner_once(settings, engine):
    settings = replace(settings, export_due_by=time(7, 0), export_max_age_days=31)
    _load(engine, datetime(2025, 2, 20, 23, 0), date(2025, 2, 10))
    assert check_freshness(engine, settings, date(2025, 3, 17), datetime(2025, 3, 18, 6, 59)) == ["old_reference_date"]
    assert check_freshness(engine, settings, date(2025, 3, 17), datetime(2025, 3, 18, 7, 0)) == ["no_new_export", "old_reference_date"]
    assert check_freshness(engine, settings, date(2025, 3, 17), datetime(2025, 3, 18, 9, 0)) == ["no_new_export", "old_reference_date"]
    keys = [row.delivery_key for row in _outbox(engine)]
    assert keys == ["freshness|999|2025-03-17|no_new_export", "freshness|999|2025-03-17|old_reference_date"]
    assert [row.text for row in _outbox(engine)] == ["No new export has arrived for 2025-03-17", "The latest export is 35 days old at 2025-03-17"]


def test_fresh_exports_and_an_authority_with_no_export_yet_raise_nothing(settings, engine):
    assert check_freshness(engine, settings, AS_AT, datetime(2025, 4, 1, 12, 0)) == []
    _load(engine, datetime(2025, 4, 1, 2, 0), AS_AT)
    assert check_freshness(engine, settings, AS_AT, datetime(2025, 4, 1, 12, 0)) == []
    assert _outbox(engine) == []


def test_a_figure_failing_its_check_puts_the_previous_figures_back_and_marks_them_stale(settings, engine, monkeypatch):
    for n in range(6):
        add_enquiry(engine, f"C{n}", strategy="2025-01-06", icpc="2025-01-20" if n < 4 else "2025-02-20")
    pipeline.run(settings, AS_AT, "good", send=False)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT scope_type, scope, numerator, denominator, run_id FROM indicator_result ORDER BY 1, 2")).all()
    assert ("authority", "all", 4, 6, "good") in before

    real_compute = pipeline.compute

    def broken_compute(settings_, dates, run_id, *args):  # a defect that publishes more met than counted
        real_compute(settings_, dates, run_id, *args)
        with pipeline.warehouse(settings_).begin() as conn:
            conn.execute(text("UPDATE indicator_result SET numerator = denominator + 1, value = 120 WHERE run_id = :r"), {"r": run_id})

    monkeypatch.setattr(pipeline, "compute", broken_compute)
    with pytest.raises(pipeline.ValidationFailed) as failure:
        pipeline.run(settings, AS_AT, "broken", send=False)
    failing = {(r.suite, r.rule, r.severity) for r in failure.value.outcome.critical_failures}
    assert failing == {("indicator_result", "numerator_not_above_denominator", "critical"),
                       ("indicator_result", "percentage_between_0_and_100", "critical")}
    with engine.connect() as conn:
        after = conn.execute(text("SELECT scope_type, scope, numerator, denominator, run_id FROM indicator_result ORDER BY 1, 2")).all()
        stale = conn.execute(text("SELECT stale_since FROM result_staleness WHERE run_id = 'good'")).scalar_one()
    assert after == before and stale is not None
    summary = (settings.reports_dir / "broken" / "summary.txt").read_text()
    assert f"CRITICAL indicator_result.numerator_not_above_denominator: {len(before)} rows failing" in summary  # every figure of the run
    assert "e.g. indicator_result icpc_within_15_working_days authority=all as at 2025-03-31" in summary


def test_a_collapsed_denominator_publishes_with_a_warning_caveat(settings, engine):
    for n in range(10):
        add_enquiry(engine, f"C{n}", strategy="2025-01-06", icpc="2025-01-20")
    pipeline.run(settings, AS_AT, "first", send=False)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM section47_enquiry WHERE child_id IN ('C0', 'C1', 'C2', 'C3', 'C4', 'C5')"))
    outcome = pipeline.run(replace(settings, volume_band_percent=100), date(2025, 4, 1), "second", send=False)
    assert [(r.suite, r.rule, r.severity, r.failing_rows) for r in outcome.warnings] == [
        ("indicator_result", "denominator_not_collapsed", "warning", 1)]
    assert failed_warnings(engine, "second") == ["indicator_result.denominator_not_collapsed: 1 rows failing"]


def _referral(engine, child_id: str, referral: str, closure: str, source_file: str = "test") -> None:
    with engine.begin() as conn:
        insert_rows(conn, "referral", [{
            "authority": "999", "child_id": child_id, "referral_date": date.fromisoformat(referral), "referral_source": "1A",
            "primary_need": "N1", "closure_date": date.fromisoformat(closure), "closure_reason": "RC1", "referral_nfa": False,
            "source_file": source_file, "source_ref": f"{child_id} referral",
        }])


def test_a_quarantined_row_is_a_caveat_of_the_figures_reading_its_table_until_corrected(settings, engine):
    from csc_monitor.dashboard.model import set_aside_texts, summarise
    from csc_monitor.indicators.definitions import load_definitions
    from csc_monitor.validation.quarantine import still_set_aside

    for n in range(3):
        add_enquiry(engine, f"C{n}", strategy="2025-01-06", icpc="2025-01-20")
    _referral(engine, "R1", referral="2025-02-10", closure="2025-02-03")  # closes a week before it starts: CIN-8630
    outcome = pipeline.run(settings, AS_AT, "first", send=False)
    assert [(r.rule, r.failing_rows, r.quarantined) for r in outcome.warnings] == [("closure_not_before_referral", 1, 1)]
    definitions = {d.id: d for d in load_definitions(["icpc_within_15_working_days", "cla_visits_reg28"])}
    with engine.connect() as conn:
        assert still_set_aside(conn, "999") == {(("referral",), "closure_not_before_referral"): 1}
        icpc = summarise(conn, definitions["icpc_within_15_working_days"], "999", AS_AT)
        assert icpc.caveats == [
            "1 record did not pass the data check “An episode does not close before it starts”.",  # what the run found
            "1 record set aside by the data check “An episode does not close before it starts” is left out of the figures "
            "until a corrected export arrives.",
        ]
        assert "referral" not in definitions["cla_visits_reg28"].spec["reads"]
        assert set_aside_texts(still_set_aside(conn, "999"), definitions["cla_visits_reg28"]) == []

    _referral(engine, "R1", referral="2025-02-10", closure="2025-02-14", source_file="corrected")  # the same key again
    with engine.connect() as conn:
        assert still_set_aside(conn, "999") == {}
    with engine.begin() as conn:  # a later export replaces the first file's picture without the row: nothing to correct
        conn.execute(text("DELETE FROM referral WHERE child_id = 'R1'"))
        assert still_set_aside(conn, "999") == {(("referral",), "closure_not_before_referral"): 1}
        conn.execute(text("DELETE FROM referral WHERE source_file = 'test'"))
        assert still_set_aside(conn, "999") == {}


def test_data_docs_and_summary_are_written_per_run(settings, engine):
    add_enquiry(engine, "C1", strategy="2025-01-06", icpc="2025-01-20")
    outcome = pipeline.validate(replace(settings, data_docs=True), AS_AT, "docs-run")
    report = settings.reports_dir / "docs-run"
    assert (report / "index.html").exists()
    assert (report / "summary.txt").read_text() == outcome.summary() + "\n"
    assert outcome.summary().endswith(f"report: {report / 'summary.txt'} (Data Docs: {report / 'index.html'})")


def test_a_suite_over_no_rows_records_what_great_expectations_finds_of_no_rows(settings, engine, monkeypatch):
    """Suites over empty tables skip GX: the rules, severities and volumes recorded are those GX itself gives them."""
    from csc_monitor.validation import runner

    add_enquiry(engine, "C1", strategy="2025-01-06", icpc="2025-01-20")  # the tables an enquiry fills go through GX either way
    shortcut = runner.validate_warehouse(engine, settings, AS_AT, "no-rows")
    monkeypatch.setattr(runner, "_has_rows", lambda engine, relation: True)
    through_gx = runner.validate_warehouse(engine, settings, AS_AT, "no-rows-gx")

    assert shortcut.results == through_gx.results
    empty = {r.suite for r in shortcut.results} - {"child", "referral", "section47_enquiry", "allocation"}
    assert {"care_episode", "uasc", "visit", "placement_arrangement", "annex_a_latest"} <= empty
    with engine.connect() as conn:
        volumes = conn.execute(text("SELECT run_id, table_name, row_count FROM table_volume WHERE table_name = 'care_episode' ORDER BY run_id")).all()
    assert [tuple(v) for v in volumes] == [("no-rows", "care_episode", 0), ("no-rows-gx", "care_episode", 0)]
