"""The DAGs import cleanly, follow house rules, and csc_nightly runs end to end under dag.test()."""

import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.config import load_settings
from csc_monitor.generate import generate
from tests.conftest import PROJECT
from tests.support.fake_slack import FakeSlack

AS_AT = date(2025, 3, 31)


@pytest.fixture(scope="session")
def airflow_db():
    """Migrate the session's SQLite metadata database once (Airflow home is set in conftest)."""
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True)


@pytest.fixture(scope="session")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT / "dags"))


def test_dagbag_has_no_import_errors_and_house_rules(dagbag):
    assert dagbag.import_errors == {}
    assert "csc_nightly" in dagbag.dags
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, dag_id
        for task in dag.tasks:
            assert task.retries >= 1, (dag_id, task.task_id)
            assert task.owner == "performance-team", (dag_id, task.task_id)


def test_nightly_task_order(dagbag):
    dag = dagbag.dags["csc_nightly"]
    order, task = [], dag.get_task("ingest_exports")
    while task:
        order.append(task.task_id)
        task = next(iter(task.downstream_list), None)
    assert order == ["ingest_exports", "start_run", "validate_data", "compute_indicators", "send_alerts"]


def test_dag_test_runs_nightly_on_generated_data(dagbag, warehouse_url, tmp_path, monkeypatch):
    with FakeSlack() as slack:
        for name, value in {
            "CSC_MONITOR_WAREHOUSE_URL": warehouse_url, "CSC_MONITOR_DATA_DIR": str(tmp_path / "data"),
            "CSC_MONITOR_LANDING_DIR": str(tmp_path / "landing"), "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": slack.base_url,
        }.items():
            monkeypatch.setenv(name, value)
        truth = generate(tmp_path / "landing", children=150, seed=21, reference_date=AS_AT, truth_path=tmp_path / "truth.json")
        run = dagbag.dags["csc_nightly"].test(logical_date=datetime(2025, 4, 1, 0, 30, tzinfo=timezone.utc))
        assert str(run.state) == "success"

        with pipeline.warehouse(load_settings()).connect() as conn:
            figure = conn.execute(text(
                "SELECT numerator, denominator, overdue, run_id FROM indicator_result "
                "WHERE as_at = :d AND scope_type = 'authority'"), {"d": AS_AT}).one()
            status = conn.execute(text("SELECT status FROM pipeline_run WHERE run_id = :r"), {"r": run.run_id}).scalar_one()
        planted = truth["icpc_within_15_working_days"]
        assert figure[:3] == (planted["numerator"], planted["denominator"], planted["overdue"])
        assert figure.run_id == run.run_id and status == "published"
        (post,) = slack.calls("chat.postMessage")
        assert post["channel"] == "#cp-performance"
        assert post["text"].startswith(f"Critical: Initial child protection conferences within 15 working days: "
                                       f"{100 * planted['numerator'] / planted['denominator']:.1f}% ({planted['numerator']} of {planted['denominator']}) as at 2025-03-31")
