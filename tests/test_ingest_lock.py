"""One writer at a time: a second ingest (another process) waits or says who holds the warehouse; never a traceback,
never a duplicate row. On DuckDB (lock file beside the warehouse) and PostgreSQL (advisory lock)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date

from sqlalchemy import text

from csc_monitor.warehouse import make_engine

HOLD = """
import sys
from csc_monitor.config import load_settings
from csc_monitor.ingest.lock import exclusive
with exclusive(load_settings(), sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()
"""
VISITS = "child_id,visit_kind,visit_date,seen,seen_alone,worker\nA1,CP,2025-01-02,Y,Y,Sam\nA2,CP,2025-01-03,Y,N,Sam\n"


def _environment(settings, **extra) -> dict:
    return {**os.environ, "CSC_MONITOR_WAREHOUSE_URL": settings.warehouse_url, "CSC_MONITOR_DATA_DIR": str(settings.data_dir),
            "CSC_MONITOR_LANDING_DIR": str(settings.landing_dir), "CSC_MONITOR_SETTLE_SECONDS": "0", **extra}


def _csc_monitor(settings, *args, **extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "csc_monitor.cli", *args], env=_environment(settings, **extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _visits(settings) -> list[tuple]:
    """Read by a fresh engine, closed again: a DuckDB file held open by this process would lock the others out."""
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text("SELECT child_id, visit_date FROM visit ORDER BY 1"))]
    engine.dispose()
    return rows


LOADED = [("A1", date(2025, 1, 2)), ("A2", date(2025, 1, 3))]


def test_a_second_ingest_says_who_holds_the_warehouse_and_loads_once_it_is_free(settings, engine):
    engine.dispose()  # the schema is in place; this process keeps no connection open
    settings.landing_dir.mkdir(parents=True)
    (settings.landing_dir / "visits_999_2025-03-31.csv").write_text(VISITS)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, "ingest"], env=_environment(settings), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        second = _csc_monitor(settings, "ingest")
        out, err = second.communicate(timeout=120)
        assert second.returncode == 75 and out == ""
        assert re.fullmatch(rf"another ingest is running \(pid {holder.pid}, since \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\); nothing done "
                            r"\(CSC_MONITOR_LOCK_WAIT_SECONDS sets how long to wait\)\n", err), err
        figures = _csc_monitor(settings, "run", "--as-at", "2025-03-31", "--no-send")
        _, err = figures.communicate(timeout=120)
        assert figures.returncode == 75 and err.startswith(f"another ingest is running (pid {holder.pid}, since ")
        assert (settings.landing_dir / "visits_999_2025-03-31.csv").exists()
    finally:
        holder.communicate("done\n", timeout=60)
    again = _csc_monitor(settings, "ingest")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0 and out.startswith("loaded     visits_999_2025-03-31.csv: visits 999 ..2025-03-31: +2 added"), err
    assert _visits(settings) == LOADED


def test_two_ingests_at_once_load_each_file_once(settings, engine):
    engine.dispose()  # the schema is in place; this process keeps no connection open
    settings.landing_dir.mkdir(parents=True)
    (settings.landing_dir / "visits_999_2025-03-31.csv").write_text(VISITS)
    runs = [_csc_monitor(settings, "ingest", CSC_MONITOR_LOCK_WAIT_SECONDS="120") for _ in range(2)]
    outputs = [run.communicate(timeout=240) for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert not any("Traceback" in out + err for out, err in outputs)
    assert sorted(out.split(":")[0] for out, _ in outputs) == ["loaded     visits_999_2025-03-31.csv", "nothing new in the landing folder\n"]
    assert _visits(settings) == LOADED
