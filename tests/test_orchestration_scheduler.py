"""The real stack: PostgreSQL metadata (a database of this test's own), api-server, scheduler, dag-processor and
triggerer as separate processes (tests/support/airflow_stack.py), set up by `csc-monitor airflow setup`.

`csc-monitor backfill --airflow` of three named as-at dates (across the change to British Summer Time) computes
exactly those three dates, one run each, with the single-date figures, run ids that show the date, and no alert:
the publish log says alerts are muted. The only test that starts Airflow's processes; one combined test, since
they are slow and CPU-heavy. Only the ICPC indicator is enabled (a project folder with one definition) to keep
the number of task processes small.
"""

from __future__ import annotations

import json
import shutil
from datetime import date

from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.config import load_settings
from csc_monitor.synthetic import generate
from tests.conftest import PROJECT
from tests.support.airflow_stack import airflow_stack
from tests.support.fake_slack import FakeSlack

INDICATOR = "icpc_within_15_working_days"
AS_AT_DATES = [date(2025, 3, 29), date(2025, 3, 30), date(2025, 3, 31)]  # clocks went forward on 30 March 2025
RUN_IDS = {  # 01:30 Europe/London on the as-at date (01:30 does not exist on 30 March: Airflow runs it at 02:30 BST)
    "backfill__2025-03-29T01:30:00+00:00": date(2025, 3, 29),
    "backfill__2025-03-30T01:30:00+00:00": date(2025, 3, 30),
    "backfill__2025-03-31T00:30:00+00:00": date(2025, 3, 31),
}


def _project_with_one_indicator(folder):
    for name in ("sql", "expectations", "config", "dags"):
        if (PROJECT / name).exists():
            shutil.copytree(PROJECT / name, folder / name)
    (folder / "indicators").mkdir()
    shutil.copy(PROJECT / "indicators" / f"{INDICATOR}.yml", folder / "indicators")
    return folder


def test_real_stack_setup_and_a_backfill_of_three_as_at_dates(postgres_database, tmp_path):
    schema = "backfill_sched"
    admin = pipeline.make_engine(postgres_database)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    warehouse_url = f"{postgres_database}?options=-csearch_path%3D{schema}"
    project = _project_with_one_indicator(tmp_path / "project")
    settings = load_settings(warehouse_url=warehouse_url, data_dir=tmp_path / "data", landing_dir=tmp_path / "landing")
    generate(settings.landing_dir, children=150, seed=4, reference_date=date(2025, 3, 31))
    pipeline.ingest(settings)
    engine = pipeline.warehouse(settings)

    with FakeSlack() as slack, airflow_stack(tmp_path / "airflow", project / "dags", {
        # No cron run of "today" may join the backfill (it would alert).
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW_CONN_CSC_WAREHOUSE": json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": warehouse_url}}),
        "CSC_MONITOR_PROJECT_DIR": str(project), "CSC_MONITOR_DATA_DIR": str(settings.data_dir),
        "CSC_MONITOR_LANDING_DIR": str(settings.landing_dir), "CSC_MONITOR_DATA_DOCS": "0",
        "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": slack.base_url,
    }) as stack:
        stack.run("csc-monitor", "airflow", "setup", "--pool-slots", "1")
        assert stack.run("csc-monitor", "airflow", "setup", "--pool-slots", "2").stdout == (
            "pool csc_warehouse: 2 slot(s); variable csc_monitor_setup set\n")  # idempotent: run again, resized
        pools = json.loads(stack.run("airflow", "pools", "get", "csc_warehouse", "-o", "json").stdout)
        assert [(p["pool"], int(p["slots"])) for p in pools] == [("csc_warehouse", 2)]

        stack.wait("the DAG to be parsed", lambda: "csc_nightly" in stack.run("airflow", "dags", "list", "-o", "plain").stdout, 180)
        stack.run("airflow", "dags", "unpause", "csc_nightly")
        created = stack.run("csc-monitor", "backfill", "--airflow", "--from", "2025-03-29", "--to", "2025-03-31",
                            "--every", "day", "--max-active-runs", "2")
        assert "--from-date 2025-03-29T00:00:00+00:00 --to-date 2025-03-31T23:59:59+01:00" in created.stdout

        def published():
            with engine.connect() as conn:
                return conn.execute(text("SELECT COUNT(*) FROM pipeline_run WHERE run_type = 'backfill' AND status <> 'running' "
                                         "AND status <> 'validated'")).scalar_one() == 3
        stack.wait("three finished backfill runs", published, 900)
        publish_logs = stack.task_logs("csc_nightly", "publish")

    with engine.connect() as conn:
        runs = dict(conn.execute(text("SELECT run_id, as_at FROM pipeline_run WHERE run_type = 'backfill' AND status = 'published'")).all())
        authority = conn.execute(text("SELECT as_at, run_id FROM indicator_result WHERE scope_type = 'authority' ORDER BY as_at")).all()
        outbox = conn.execute(text("SELECT COUNT(*) FROM slack_outbox")).scalar_one()
        backfilled = conn.execute(text("SELECT as_at, scope_type, scope, numerator, denominator, overdue FROM indicator_result "
                                       "ORDER BY as_at, scope_type, scope")).all()
    assert runs == RUN_IDS
    assert [(row.as_at, row.run_id) for row in authority] == [(d, r) for r, d in RUN_IDS.items()]
    assert outbox == 0 and slack.calls("chat.postMessage") == []
    assert set(publish_logs) == set(RUN_IDS)
    for run_id, as_at in RUN_IDS.items():
        assert f"publish: authority 999, as-at {as_at.isoformat()}" in publish_logs[run_id]
        assert "alerts muted: a backfill recomputes history (param alert_in_backfill to alert)" in publish_logs[run_id]

    for as_at in AS_AT_DATES:
        pipeline.compute(settings, [as_at], f"single__{as_at.isoformat()}", [INDICATOR])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT as_at, scope_type, scope, numerator, denominator, overdue FROM indicator_result "
                                 "ORDER BY as_at, scope_type, scope")).all() == backfilled
