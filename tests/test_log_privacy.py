"""Files whose every value is a marker: rejected with file, place and rule, and the marker reaches no log, no
console output and no Slack message; only the file itself (moved to rejected/) still holds it."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from csc_monitor import pipeline
from csc_monitor.ingest.errors import quoted, without_values
from tests.test_ingest_formats import EPISODES

MARKER = "Zqmarkerx"   # neither a code nor the shape of a date or number, so never quotable


def _census(year: str, value: str) -> str:
    return (f"<Message><Header><CollectionDetails><Collection>{value}</Collection><Year>{year}</Year>"
            f"<ReferenceDate>{value}</ReferenceDate></CollectionDetails><Source><SourceLevel>{value}</SourceLevel>"
            f"<LEA>{value}</LEA><SoftwareCode>{value}</SoftwareCode><Release>{value}</Release><SerialNo>{value}</SerialNo>"
            f"<DateTime>{value}</DateTime></Source></Header><Children><Child><ChildIdentifiers><LAchildID>{value}</LAchildID>"
            f"</ChildIdentifiers></Child></Children></Message>")


def _row(columns: int) -> str:
    return ",".join([MARKER] * columns) + "\n"


def test_no_marker_from_a_bad_file_reaches_logs_console_or_slack(settings, engine, capsys, caplog):
    landing = settings.landing_dir
    landing.mkdir(parents=True, exist_ok=True)
    files = {
        "visits_markers.csv": "child_id,visit_kind,visit_date,seen,seen_alone,worker\n" + _row(6),
        "episodes_2025.csv": EPISODES + _row(13),
        "no_header.csv": _row(5) + _row(5),
        "census_year.xml": _census(MARKER, MARKER),
        "census_values.xml": _census("2025", MARKER),
    }
    for name, content in files.items():
        (landing / name).write_text(content)
    caplog.set_level(logging.DEBUG)
    report = pipeline.ingest(settings)
    task_log = "\n".join(report.lines())          # what the CLI and the Airflow ingest task print
    pipeline.report_rejections(settings, report, date(2025, 3, 31))
    printed = capsys.readouterr()
    console = task_log + printed.out + printed.err
    rejected = settings.data_dir / "rejected"
    reasons = sorted(p.read_text() for p in rejected.glob("*.error.txt"))
    with engine.connect() as conn:
        outbox = " ".join(f"{t} {b}" for t, b in conn.execute(text("SELECT text, blocks_json FROM slack_outbox")).all())
    outbox_file = settings.outbox_file.read_text()
    for where, seen in {"console": console, "logs": caplog.text, "outbox": outbox, "outbox file": outbox_file,
                        "rejection reasons": "".join(reasons)}.items():
        assert MARKER not in seen, where
    assert reasons == sorted([
        "census_values.xml: line 1 (/Message/Header/CollectionDetails/Collection): Element 'Collection': [facet 'enumeration'] "
        "The value (not quoted) is not an element of the set {'CIN'}.\n",
        "census_year.xml: /Message/Header/CollectionDetails/Year: not a collection year (expected yyyy, e.g. 2025)\n",
        "episodes_2025.csv: row 2, column DECOM: the value (not quoted) is not a date in dd/mm/yyyy form\n",
        "no_header.csv: header (line 1): unknown export shape: columns ?, ?, ?, ?, ? (? not a column of any known export)\n",
        "visits_markers.csv: row 2, column visit_kind: the value (not quoted) is not a known code (CIN, CL, CLA, CP)\n",
    ])
    assert "5 export(s) rejected on 2025-03-31" in outbox
    assert all(MARKER in (rejected / name).read_text() for name in files)   # the file itself is kept for its owner


def test_a_value_is_quoted_only_as_a_code_or_a_shape():
    assert [quoted(v) for v in ("1A", "RC1", "HOME", "2023-06-01", "02/01/2025", "12:30", "John Smith", "MARKER1",
                                "=1+2", "9" * 81)] == [
        "'1A'", "'RC1'", "'HOME'", "'9999-99-99'", "'99/99/9999'", "'99:99'", "(not quoted)", "(not quoted)",
        "(not quoted)", "(not quoted)"]
    assert without_values("Element 'CINreferralDate': '2024-30-05' is not a valid value of the atomic type 'xs:date'.") == (
        "Element 'CINreferralDate': '9999-99-99' is not a valid value of the atomic type 'xs:date'.")
    assert without_values("Element 'LAchildID': [facet 'maxLength'] The value 'Ann Smith 123' has a length of '13'.") == (
        "Element 'LAchildID': [facet 'maxLength'] The value (not quoted) has a length of '13'.")


@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)  # PostgreSQL's own DETAIL line may echo a row
def test_a_failed_statement_does_not_print_its_parameters(engine):
    with pytest.raises(IntegrityError) as failure, engine.begin() as conn:
        conn.execute(text("INSERT INTO allocation (child_id, team) VALUES (:m, :m)"), {"m": MARKER})
    assert MARKER not in str(failure.value) and "[SQL parameters hidden due to hide_parameters=True]" in str(failure.value)
