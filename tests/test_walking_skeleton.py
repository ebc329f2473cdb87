"""Generated exports -> ingest -> validate -> compute: the figure equals the planted ground truth exactly."""

import json
from datetime import date

import pytest
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.synthetic import generate
from csc_monitor.ingest.landing import ingest_landing

AS_AT = date(2025, 3, 31)


@pytest.fixture
def generated(settings):
    return generate(settings.landing_dir, children=300, seed=11, reference_date=AS_AT, truth_path=settings.data_dir.parent / "truth.json")


def test_figure_equals_planted_truth(settings, engine, generated):
    report = pipeline.ingest(settings)
    assert report.rejected == [] and {"allocations_999_2025-03-31.csv", "cin_census_999_2025.xml"} <= set(report.loaded)
    outcome = pipeline.run(settings, AS_AT, "run-truth", send=True)
    assert outcome.critical_failures == [] and outcome.warnings == []

    truth = generated["icpc_within_15_working_days"]
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT scope_type, scope, numerator, denominator, overdue, value FROM indicator_result "
            "WHERE indicator_id = 'icpc_within_15_working_days' AND as_at = :d"), {"d": AS_AT}).all()
    overall = next(r for r in rows if r.scope_type == "authority")
    assert (overall.numerator, overall.denominator, overall.overdue) == (truth["numerator"], truth["denominator"], truth["overdue"])
    assert overall.value == pytest.approx(100 * truth["numerator"] / truth["denominator"])
    teams = {r.scope: {"numerator": r.numerator, "denominator": r.denominator} for r in rows if r.scope_type == "team" and r.denominator}
    assert teams == truth["by_team"]
    # the planted boundary cases are present, so the figure really tests 15 against 16
    planted = [e["planted_working_days"] for e in generated["enquiries"]]
    assert 15 in planted and 16 in planted


def test_same_file_twice_is_a_no_op(settings, engine, generated):
    census = next(settings.landing_dir.glob("*.xml")).read_bytes()
    pipeline.ingest(settings)
    (settings.landing_dir / "copy_of_census.xml").write_bytes(census)
    report = pipeline.ingest(settings)
    assert report.loaded == [] and report.duplicates == ["copy_of_census.xml"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM load_file WHERE kind = 'cin_census'")).scalar_one() == 1
        enquiries = conn.execute(text("SELECT COUNT(*) FROM section47_enquiry")).scalar_one()
    assert enquiries == len(generated["enquiries"])


def test_generator_is_deterministic(tmp_path):
    first = generate(tmp_path / "a", children=50, seed=5, reference_date=AS_AT)
    second = generate(tmp_path / "b", children=50, seed=5, reference_date=AS_AT)
    assert (tmp_path / "a" / "cin_census_999_2025.xml").read_bytes() == (tmp_path / "b" / "cin_census_999_2025.xml").read_bytes()
    assert json.dumps(first) == json.dumps(second)
    assert first != generate(tmp_path / "c", children=50, seed=6, reference_date=AS_AT)
