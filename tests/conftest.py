"""Shared fixtures: every warehouse test runs on DuckDB and on the real PostgreSQL at 127.0.0.1:5432.

Airflow reads its configuration at import, so its home (SQLite metadata) is set here, before any
test module imports it, and shared by the whole session.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="csc-airflow-"))
os.environ.update({
    "AIRFLOW_HOME": str(AIRFLOW_HOME),
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
    "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "GX_ANALYTICS_ENABLED": "false",
    "CSC_MONITOR_DATA_DOCS": "0",  # Data Docs are built and tested in tests/test_validation.py only
    "CSC_MONITOR_SETTLE_SECONDS": "0",  # files are written whole before a test ingests them (tests/test_arrival.py sets its own)
})
for leaked in ("SLACK_BOT_TOKEN", "SLACK_API_BASE_URL", "CSC_MONITOR_WAREHOUSE_URL", "CSC_MONITOR_DATA_DIR", "CSC_MONITOR_LANDING_DIR"):
    os.environ.pop(leaked, None)

import sqlalchemy as sa  # noqa: E402

from csc_monitor.config import load_settings  # noqa: E402
from csc_monitor.process import exit_quietly  # noqa: E402
from csc_monitor.warehouse import ensure_schema, make_engine  # noqa: E402

_exit_status: dict[str, int] = {}


# Test files in the order the two workers take them: longest first (whole-file totals from `make test`'s durations),
# so the run does not end with one worker alone on a long file. Files not listed follow, shortest are last anyway.
LONGEST_FIRST = (
    "test_orchestration_scheduler.py", "test_dags.py", "test_validation_rules_dates.py",
    "test_dashboard_concurrency.py", "test_slack_alerts.py", "test_orchestration.py", "test_validation_rules_keys.py",
    "test_benchmark_smoke.py", "test_many_dates.py", "test_demo.py", "test_dfe_rules.py", "test_validation_corpus.py",
    "test_dashboard_browser.py", "test_dashboard_app.py", "test_bad_exports.py", "test_backfill.py",
    "test_regional.py", "test_validation_rules_codes_and_volumes.py", "test_validation.py", "test_hostile_exports.py",
    "test_generated_truth.py", "test_alert_privacy.py", "test_real_shapes.py", "test_dashboard_links.py",
    "test_walking_skeleton.py", "test_reexports.py", "test_ingest_formats.py", "test_ingest_lock.py",
    "test_annex_a.py", "test_alert_delivery.py", "test_private_files.py", "test_indicators_looked_after.py",
    "test_arrival.py", "test_docs_and_exit_codes.py",
)


def pytest_collection_modifyitems(config, items):
    """Longest files first (make test passes --no-loadscope-reorder so xdist keeps this order)."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: tests keep their order within a file


def pytest_sessionfinish(session, exitstatus):
    _exit_status["code"] = int(exitstatus)


def pytest_unconfigure(config):
    """End after pytest's summary line, before the interpreter teardown that duckdb 2.0 fills with false leak reports."""
    if "code" in _exit_status:
        exit_quietly(_exit_status["code"])


POSTGRES_SERVER = os.environ.get("CSC_MONITOR_TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432")


@pytest.fixture(scope="session")
def postgres_database():
    """A fresh database for this test session on the running server; dropped afterwards."""
    name = f"csc_monitor_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    yield f"{POSTGRES_SERVER}/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="session")
def airflow_db():
    """Migrate this test process's SQLite metadata database once (Airflow home is set above) and set it up for
    csc-monitor, as an administrator would. Every test that touches Airflow's metadata asks for it, whichever
    test file a worker happens to run first."""
    from airflow import settings as airflow_settings

    # the database this process's Airflow opened, whatever an earlier test module left in its configuration
    env = {**os.environ, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_settings.SQL_ALCHEMY_CONN}
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, env=env)
    subprocess.run([str(airflow.with_name("csc-monitor")), "airflow", "setup"], check=True, capture_output=True, env=env)


def new_warehouse_url(request, kind: str, folder: Path) -> tuple[str, str | None]:
    """An empty warehouse: a DuckDB file in `folder`, or a schema of its own in this process's PostgreSQL database.
    Returns the URL and the PostgreSQL schema (None for DuckDB)."""
    if kind == "duckdb":
        return f"duckdb:///{folder / 'warehouse.duckdb'}", None
    database = request.getfixturevalue("postgres_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(database)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return f"{database}?options=-csearch_path%3D{schema}", schema


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_url(request, tmp_path):
    """A new, empty warehouse for each test: a DuckDB file, or a schema of its own in PostgreSQL (dropped after)."""
    url, schema = new_warehouse_url(request, request.param, tmp_path)
    yield url
    if schema is None:
        return
    engine = sa.create_engine(request.getfixturevalue("postgres_database"))
    with engine.begin() as conn:
        # the engines the test left behind (the pipeline's and the readers' caches) keep idle connections open: close
        # them, or a long worker exhausts the server's connections (an engine used again reconnects: pool_pre_ping)
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                             "AND pid <> pg_backend_pid() AND state = 'idle'"))
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


@pytest.fixture
def settings(warehouse_url, tmp_path):
    return load_settings(
        warehouse_url=warehouse_url, data_dir=tmp_path / "data", landing_dir=tmp_path / "landing",
        slack_token=None, slack_base_url=None, authority="999",
    )


@pytest.fixture
def engine(settings):
    engine = make_engine(settings.warehouse_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()
