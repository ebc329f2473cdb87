"""A bad export gets an error naming the file, the place and the rule; what was published stays as it was."""

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.synthetic import generate

AS_AT = date(2025, 3, 31)


def _published(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT indicator_id, as_at, scope_type, scope, numerator, denominator, run_id FROM indicator_result ORDER BY 1, 2, 3, 4")).all()


@pytest.fixture
def published(settings, engine):
    generate(settings.landing_dir, children=120, seed=3, reference_date=AS_AT, truth_path=settings.data_dir.parent / "truth.json")
    pipeline.ingest(settings)
    pipeline.run(settings, AS_AT, "good-run", send=False)
    before = _published(engine)
    assert before
    return before


def _drop(settings, name: str, content: str):
    settings.landing_dir.mkdir(parents=True, exist_ok=True)
    (settings.landing_dir / name).write_text(content)


# a rejected file leaving the figures as they were is proven on both engines by test_validation_corpus's bad-file cases
@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_malformed_xml_names_file_and_line(settings, engine):
    _drop(settings, "cin_census_broken.xml", "<?xml version='1.0'?>\n<Message>\n  <Header>\n</Message>\n")
    report = pipeline.ingest(settings)
    assert [str(e) for e in report.rejected] == [
        "cin_census_broken.xml: line 4, column 11: not well-formed XML: Opening and ending tag mismatch: Header line 3 and Message"
    ]
    assert (settings.data_dir / "rejected" / "cin_census_broken.xml.error.txt").exists()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM load_file")).scalar_one() == 0


def test_missing_required_element_sets_aside_that_child_and_strict_rejects_the_file(settings, engine, published):
    census = next((settings.data_dir / "archive").glob("*cin_census_999_2025.xml")).read_text()
    broken = census.replace("<S47ActualStartDate>", "<!--", 1).replace("</S47ActualStartDate>", "-->", 1)
    _drop(settings, "cin_census_missing.xml", broken)
    strict = pipeline.ingest(replace(settings, strict_ingest=True))
    (error,) = strict.rejected
    assert error.file_name == "cin_census_missing.xml"
    assert "/Message/Children/Child[" in error.location and "/Section47" in error.location
    assert error.problem in ("This element is not expected. Expected is ( S47ActualStartDate ). (ingest --strict)",)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM load_file WHERE file_name LIKE 'cin_census%'")).scalar_one() == 1
    assert _published(engine) == published

    _drop(settings, "cin_census_missing.xml", broken)
    report = pipeline.ingest(settings)
    assert report.rejected == []
    (warning,) = report.warnings
    assert warning.startswith("cin_census_missing.xml: line ") and "/Section47/" in warning
    assert warning.endswith("This element is not expected. Expected is ( S47ActualStartDate ). (child set aside; 2025 schema)")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM quarantine WHERE table_name = 'child'")).scalar_one() == 1


def test_bad_date_in_allocations_names_row_and_column(settings):
    _drop(settings, "allocations_fix.csv", "child_id,team,worker,start_date,end_date\nC1,Team A,Worker A,2025-01-02,\nC2,Team A,Worker A,02/01/2025,\n")
    (error,) = pipeline.ingest(settings).rejected
    assert str(error) == "allocations_fix.csv: row 3, column start_date: the value '99/99/9999' is not a date in yyyy-mm-dd form"


def test_unknown_shape_and_empty_file(settings):
    _drop(settings, "mystery.csv", "a,b\n1,2\n")
    _drop(settings, "empty.xml", "")
    errors = sorted(str(e) for e in pipeline.ingest(settings).rejected)
    assert errors == ["empty.xml: whole file: file is empty", "mystery.csv: header (line 1): unknown export shape: columns ?, ? (? not a column of any known export)"]


def test_critical_validation_failure_publishes_nothing(settings, engine, published):
    with engine.begin() as conn:  # an ICPC recorded before its strategy discussion
        conn.execute(text(
            "UPDATE section47_enquiry SET icpc_date = strategy_discussion_date - INTERVAL '3 days' "
            "WHERE strategy_discussion_date = (SELECT MIN(strategy_discussion_date) FROM section47_enquiry)"))
    with pytest.raises(pipeline.ValidationFailed) as failure:
        pipeline.run(settings, AS_AT, "bad-run", send=False)
    summary = failure.value.outcome.summary()
    assert "CRITICAL section47_enquiry.icpc_not_before_strategy_discussion: 1 rows failing" in summary
    assert "e.g. cin_census_999_2025.xml /Message/Children/Child[" in summary
    assert _published(engine) == published
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM pipeline_run WHERE run_id = 'bad-run'")).scalar_one() == "failed"
