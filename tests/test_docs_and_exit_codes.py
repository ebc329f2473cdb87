"""The catalogue in docs/ is the YAML's, and `csc-monitor` exits with codes a scheduler can act on."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from csc_monitor import cli, exit_codes
from csc_monitor.indicators.catalogue import catalogue_path, render_catalogue
from csc_monitor.indicators.definitions import load_definitions
from tests.support.facts import add_enquiry


def test_docs_indicators_md_is_what_csc_monitor_docs_writes():
    assert catalogue_path().read_text() == render_catalogue(), "docs/indicators.md is out of date: run `csc-monitor docs`"


def test_catalogue_names_every_definition_with_its_version_and_events():
    catalogue = render_catalogue()
    for definition in load_definitions():
        assert f"## `{definition.id}`" in catalogue
        assert f"(version {definition.version};" in catalogue
    assert ("- **Start event**: strategy discussion that initiated the section 47 enquiry (S47ActualStartDate)"
            in catalogue)


def test_docs_check_says_out_of_date_and_exits_1(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "docs" / "indicators.md"
    stale.parent.mkdir()
    stale.write_text("# an old catalogue\n")
    monkeypatch.setattr(cli, "catalogue_path", lambda: stale)
    assert cli.main(["docs", "--check"]) == exit_codes.REJECTED
    assert capsys.readouterr().out == f"{stale} is out of date: run csc-monitor docs\n"
    assert cli.main(["docs"]) == exit_codes.OK
    assert cli.main(["docs", "--check"]) == exit_codes.OK


def test_help_lists_every_exit_code(capsys):
    with pytest.raises(SystemExit) as usage:
        cli.main(["--help"])
    assert usage.value.code == 0
    out = capsys.readouterr().out
    for code, meaning in exit_codes.MEANINGS.items():
        assert f"  {code}  {meaning}" in out


def test_bad_arguments_exit_2():
    with pytest.raises(SystemExit) as usage:
        cli.main(["run"])
    assert usage.value.code == exit_codes.USAGE


@pytest.fixture
def cli_settings(settings, monkeypatch):
    for name, value in {"CSC_MONITOR_WAREHOUSE_URL": settings.warehouse_url, "CSC_MONITOR_DATA_DIR": str(settings.data_dir),
                        "CSC_MONITOR_LANDING_DIR": str(settings.landing_dir), "CSC_MONITOR_AUTHORITY": settings.authority}.items():
        monkeypatch.setenv(name, value)
    return settings


def test_run_and_validate_exit_3_when_a_critical_check_stops_publication(cli_settings, engine, capsys):
    # an ICPC dated before the strategy discussion that started its enquiry is critical: the figure would be wrong
    add_enquiry(engine, "C1", strategy="2025-03-10", icpc="2025-03-03")
    assert cli.main(["validate", "--as-at", "2025-03-31"]) == exit_codes.NOT_PUBLISHED
    assert cli.main(["run", "--as-at", "2025-03-31", "--no-send"]) == exit_codes.NOT_PUBLISHED
    assert "critical validation failure: nothing published" in capsys.readouterr().err
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM indicator_result")).scalar_one() == 0


def test_run_exits_0_when_published(cli_settings, engine):
    add_enquiry(engine, "C1", strategy="2025-03-03", icpc="2025-03-10")
    assert cli.main(["run", "--as-at", "2025-03-31", "--no-send"]) == exit_codes.OK
    with engine.connect() as conn:
        published = conn.execute(text(
            "SELECT numerator, denominator FROM indicator_result WHERE indicator_id = 'icpc_within_15_working_days' "
            "AND scope_type = 'authority'")).one()
    assert tuple(published) == (1, 1)


def test_ingest_exits_1_when_an_export_is_rejected(cli_settings):
    cli_settings.landing_dir.mkdir(parents=True)
    (cli_settings.landing_dir / "notes.txt").write_text("not an export\n")
    assert cli.main(["ingest"]) == exit_codes.REJECTED


def test_backfill_exits_4_with_no_dates_in_the_range(cli_settings):
    assert cli.main(["backfill", "--from", "2025-03-02", "--to", "2025-03-30", "--no-progress"]) == exit_codes.NOTHING_TO_DO
