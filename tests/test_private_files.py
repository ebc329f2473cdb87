"""Child data on disk is for the owner only: everything csc-monitor writes under the data folder (warehouse, archive,
rejected files and their reasons, validation reports, the Slack outbox, exception CSVs) is 0700 or 0600."""

from __future__ import annotations

import stat
from datetime import date

from csc_monitor import pipeline
from csc_monitor.cli import main
from csc_monitor.synthetic import generate

AS_AT = date(2025, 3, 31)


def _mode(path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_everything_written_under_the_data_folder_is_owner_only(settings, monkeypatch, tmp_path):
    generate(settings.landing_dir, children=80, seed=3, reference_date=AS_AT, truth_path=tmp_path / "truth.json")
    (settings.landing_dir / "broken_visits.csv").write_text("child_id,visit_kind,visit_date,seen,seen_alone,worker\nA1,CP,2025-13-01,Y,Y,\n")
    for path in settings.landing_dir.iterdir():
        path.chmod(0o644)  # as a copy job leaves them
    report = pipeline.ingest(settings)
    assert [e.file_name for e in report.rejected] == ["broken_visits.csv"]
    pipeline.run(settings, AS_AT, "modes-run", send=True)
    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)
    exceptions = settings.data_dir / "exceptions" / "icpc.csv"
    (settings.data_dir / "exceptions").mkdir()
    assert main(["exceptions", "icpc_within_15_working_days", "--as-at", AS_AT.isoformat(), "--out", str(exceptions)]) == 0

    written = {path.relative_to(settings.data_dir).parts[0] for path in settings.data_dir.rglob("*")}
    assert {"archive", "rejected", "reports", "outbox", "exceptions"} <= written
    folders = [p for p in [settings.data_dir, *settings.data_dir.rglob("*")] if p.is_dir()]
    files = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    assert {str(p.relative_to(settings.data_dir)): _mode(p) for p in folders if _mode(p) != 0o700} == {}
    assert {str(p.relative_to(settings.data_dir)): _mode(p) for p in files if _mode(p) != 0o600} == {}
    assert (settings.data_dir / "rejected" / "broken_visits.csv.error.txt").exists() and exceptions.exists()
    if settings.warehouse_url.startswith("duckdb:///"):
        warehouse = settings.warehouse_url.removeprefix("duckdb:///")
        assert _mode(tmp_path / "warehouse.duckdb") == 0o600 and warehouse == str(tmp_path / "warehouse.duckdb")
