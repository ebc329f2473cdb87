"""Comparators from DfE tidy CSVs and quoted figures; the child-level exceptions list; results as JSON."""

import csv
import io
import json
from dataclasses import replace
from datetime import date

from sqlalchemy import text

from csc_monitor.comparators import latest_comparators, load_dfe_tidy_csv, load_quoted_figures, period_end
from csc_monitor.config import project_dir
from csc_monitor.indicators.definitions import load_definitions
from csc_monitor.indicators.engine import compute_all
from tests.support.facts import AUTHORITY, add_enquiry

# A DfE-style tidy file: BOM, columns in an unusual order, 'c' for a suppressed value, a region row to ignore.
DFE_CSV = (
    "\ufeffla_name,time_period,icpc_15_days_pct,new_la_code,geographic_level,old_la_code,re_referrals_pct\n"
    "England,202324,78.5,,National,,22.4\n"
    "North East,202324,70.0,E12000001,Regional,,30\n"
    "Neighbour A,202324,80.0,E06000001,Local authority,805,c\n"
    "Neighbour B,202324,c,E06000002,Local authority,806,20.0\n"
    "Neighbour C,202324,70.0,E06000003,Local authority,807,25.0\n"
    "Not a neighbour,202324,10.0,E09000001,Local authority,202,90.0\n"
    "England,202223,76.0,,National,,21.0\n"
)


def test_period_end_of_dfe_time_periods():
    assert period_end("202324") == date(2024, 3, 31)
    assert period_end("2024") == date(2024, 3, 31)


def test_dfe_tidy_csv_and_quoted_figures(engine, tmp_path):
    path = tmp_path / "dfe.csv"
    path.write_text(DFE_CSV, encoding="utf-8")
    assert load_dfe_tidy_csv(engine, path, AUTHORITY) == 6  # two measures x (England, neighbours) in 2023-24, England in 2022-23
    assert load_dfe_tidy_csv(engine, path, AUTHORITY) == 6  # re-loading replaces, never duplicates
    found = latest_comparators(engine, date(2024, 6, 30))
    assert found["icpc_within_15_working_days"] == {"england": 78.5, "statistical_neighbours": 75.0}  # mean of 80 and 70; 'c' ignored
    assert found["re_referrals_within_12_months"] == {"england": 22.4, "statistical_neighbours": 22.5}
    assert latest_comparators(engine, date(2023, 12, 31))["icpc_within_15_working_days"] == {"england": 76.0}
    assert load_quoted_figures(engine, project_dir() / "config" / "comparators" / "seed_quotes.csv") == 9
    assert latest_comparators(engine, date(2013, 3, 31))["re_referrals_within_12_months"] == {"england": 25.0, "statistical_neighbours": 27.0}


def _computed(engine):
    add_enquiry(engine, "LATE-1", strategy="2025-01-06", icpc="2025-01-29", team="Team A", worker="Ann")   # 17 working days
    add_enquiry(engine, "ONTIME", strategy="2025-01-06", icpc="2025-01-20", team="Team A", worker="Ann")   # 10
    add_enquiry(engine, "WAIT-1", strategy="2025-02-03", team="Team B", worker="Bo")                      # 40, still waiting
    compute_all(engine, load_definitions(["icpc_within_15_working_days"]), AUTHORITY, "run-x", [date(2025, 3, 31)])


def test_exceptions_cli_lists_only_children_not_meeting_the_standard(settings, engine, monkeypatch, capsys):
    from csc_monitor import cli

    _computed(engine)
    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)
    assert cli.main(["exceptions", "icpc_within_15_working_days", "--as-at", "2025-03-31"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["child_id"], r["status"], r["elapsed"], r["late_by"], r["team"], r["worker"]) for r in rows] == [
        ("LATE-1", "not_met", "17", "2", "Team A", "Ann"), ("WAIT-1", "overdue", "40", "25", "Team B", "Bo")]
    assert cli.main(["exceptions", "icpc_within_15_working_days", "--as-at", "2025-03-31", "--team", "Team B"]) == 0
    assert [r["child_id"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))] == ["WAIT-1"]


def test_results_json_lists_every_indicator_with_version_and_comparator(settings, engine, monkeypatch, capsys):
    from csc_monitor import cli

    _computed(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO comparator_value VALUES ('icpc_within_15_working_days', 'england', DATE '2024-03-31', 78.5)"))
    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)
    assert cli.main(["results", "--as-at", "2025-03-31", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert {k: row[k] for k in ("indicator_id", "version", "scope", "numerator", "denominator", "value", "overdue", "comparator", "method")} == {
        "indicator_id": "icpc_within_15_working_days", "version": 1, "scope": "all", "numerator": 1, "denominator": 2,
        "value": 50.0, "overdue": 1, "comparator": {"england": 78.5}, "method": "cin_census"}


def test_results_table_shows_each_value_in_its_unit(settings, engine, monkeypatch, capsys):
    from csc_monitor import cli

    _computed(engine)
    compute_all(engine, load_definitions(["referrals_rate"]), AUTHORITY, "run-rate", [date(2025, 3, 31)])
    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)
    assert cli.main(["results", "--as-at", "2025-03-31"]) == 0
    lines = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[1:]}
    assert lines["icpc_within_15_working_days"][2:7] == ["1", "2", "50.0%", "1", "v1"]   # the version that produced it
    assert lines["referrals_rate"][2:5] == ["3", "3", "0.8/10k"]  # 3 referrals per 40,000 children


def test_exceptions_cli_csv_neutralises_formulas_in_child_id_team_and_worker(settings, engine, monkeypatch, capsys):
    """OWASP CSV injection: a cell beginning = + - @ tab or CR is written with a leading apostrophe."""
    from csc_monitor import cli

    add_enquiry(engine, "=1+2*3", strategy="2025-01-06", icpc="2025-01-29", team="+cmd|' /C calc'!A0", worker="-2+3")
    add_enquiry(engine, "\tTAB-1", strategy="2025-02-03", team="\rCR team", worker="@SUM(A1:A9)")
    add_enquiry(engine, "-5", strategy="2025-01-06", icpc="2025-01-29", team='=HYPERLINK("http://x","y")', worker="Plain Name")
    compute_all(engine, load_definitions(["icpc_within_15_working_days"]), AUTHORITY, "run-x", [date(2025, 3, 31)])
    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)
    assert cli.main(["exceptions", "icpc_within_15_working_days", "--as-at", "2025-03-31"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sorted((r["child_id"], r["team"], r["worker"], r["late_by"]) for r in rows) == [
        ("'\tTAB-1", "'\rCR team", "'@SUM(A1:A9)", "25"),
        ("'-5", "'=HYPERLINK(\"http://x\",\"y\")", "Plain Name", "2"),
        ("'=1+2*3", "'+cmd|' /C calc'!A0", "'-2+3", "2"),
    ]
