"""A real Airflow scheduler, dag-processor and api-server (LocalExecutor, SQLite metadata) carry out
`airflow backfill create` over six dates: one result set per date, the single-date figures, no alert.

The only test that starts Airflow's processes; they run in their own process group and are killed
as a group at the end. Only the ICPC indicator is enabled (a project folder with one definition) to
keep the number of task processes small.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.config import load_settings
from csc_monitor.synthetic import generate
from tests.conftest import PROJECT
from tests.support.fake_slack import FakeSlack

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
INDICATOR = "icpc_within_15_working_days"
DATES = [date(2025, 3, 26) + timedelta(days=n) for n in range(6)]  # as-at dates: runs 27-31 March and 1 April


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, condition, timeout: float, logs: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(2)
    tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(logs.glob("*.log")))
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


def _project_with_one_indicator(folder: Path) -> Path:
    for name in ("sql", "expectations", "config", "dags"):
        if (PROJECT / name).exists():
            shutil.copytree(PROJECT / name, folder / name)
    (folder / "indicators").mkdir()
    shutil.copy(PROJECT / "indicators" / f"{INDICATOR}.yml", folder / "indicators")
    return folder


def test_airflow_backfill_over_six_dates(postgres_database, tmp_path):
    schema = "backfill_sched"
    admin = pipeline.make_engine(postgres_database)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    warehouse_url = f"{postgres_database}?options=-csearch_path%3D{schema}"
    project = _project_with_one_indicator(tmp_path / "project")
    home, logs, port = tmp_path / "airflow", tmp_path / "logs", _free_port()
    logs.mkdir()
    with FakeSlack() as slack:
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__DAGS_FOLDER": str(project / "dags"), "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "2", "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API__PORT": str(port), "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API_AUTH__JWT_SECRET": "test-secret", "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            # Backfill runs only on an unpaused DAG; no cron run of "today" may join them (it would alert).
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "CSC_MONITOR_PROJECT_DIR": str(project), "CSC_MONITOR_DATA_DIR": str(tmp_path / "data"),
            "CSC_MONITOR_LANDING_DIR": str(tmp_path / "landing"), "CSC_MONITOR_DATA_DOCS": "0",
            "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": slack.base_url,
        }
        env["AIRFLOW_CONN_CSC_WAREHOUSE"] = '{"conn_type": "generic", "extra": {"sqlalchemy_url": "%s"}}' % warehouse_url
        settings = load_settings(warehouse_url=warehouse_url, data_dir=tmp_path / "data", landing_dir=tmp_path / "landing")
        generate(settings.landing_dir, children=150, seed=4, reference_date=date(2025, 3, 31))
        pipeline.ingest(settings)

        subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=120)
        subprocess.run([AIRFLOW, "pools", "set", "csc_warehouse", "2", "test"], env=env, check=True, capture_output=True, timeout=60)
        processes = [
            subprocess.Popen([AIRFLOW, *command], env=env, stdout=(logs / f"{command[0]}.log").open("w"),
                             stderr=subprocess.STDOUT, start_new_session=True)
            for command in (["api-server", "--port", str(port)], ["scheduler"], ["dag-processor"])
        ]
        try:
            _wait("the DAG to be parsed", lambda: "csc_nightly" in subprocess.run(
                [AIRFLOW, "dags", "list", "-o", "plain"], env=env, capture_output=True, text=True, timeout=60).stdout, 120, logs)
            subprocess.run([AIRFLOW, "dags", "unpause", "csc_nightly"], env=env, check=True, capture_output=True, timeout=60)
            created = subprocess.run(
                [AIRFLOW, "backfill", "create", "--dag-id", "csc_nightly", "--from-date", "2025-03-27T00:00:00+00:00",
                 "--to-date", "2025-04-01T12:00:00+00:00", "--max-active-runs", "2"],
                env=env, capture_output=True, text=True, timeout=60)
            assert created.returncode == 0, created.stderr[-3000:]
            engine = pipeline.warehouse(settings)

            def published():
                with engine.connect() as conn:
                    return conn.execute(text("SELECT COUNT(*) FROM pipeline_run WHERE run_type = 'backfill' AND status = 'published'")).scalar_one() == 6
            _wait("six published backfill runs", published, 300, logs)
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)

        query = text("SELECT as_at, scope_type, scope, numerator, denominator, value, overdue FROM indicator_result "
                     "WHERE indicator_id = :i ORDER BY as_at, scope_type, scope")
        with engine.connect() as conn:
            backfilled = conn.execute(query, {"i": INDICATOR}).all()
            authority = conn.execute(text("SELECT as_at, COUNT(*) FROM indicator_result WHERE scope_type = 'authority' GROUP BY as_at")).all()
            outbox = conn.execute(text("SELECT COUNT(*) FROM slack_outbox")).scalar_one()
        assert sorted(authority) == [(d, 1) for d in DATES]
        assert outbox == 0 and slack.calls("chat.postMessage") == []
        for d in DATES:
            pipeline.compute(settings, [d], f"single__{d.isoformat()}", [INDICATOR])
        with engine.connect() as conn:
            assert conn.execute(query, {"i": INDICATOR}).all() == backfilled
