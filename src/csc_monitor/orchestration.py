"""What the Airflow tasks do, given their Airflow context. DAG files only wire these together.

The as-at date comes from the run itself (a `as_at` param, else the day before the logical date or,
for an asset-triggered run, the day before it was due, in Europe/London), never from the clock, so a
re-run or a backfill of a date computes that date. Configuration is read here, inside tasks: Airflow
connections and variables first, the CSC_MONITOR_* / SLACK_* environment (config.load_settings) after.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pendulum
from sqlalchemy import text

from . import pipeline
from .alerts.lifecycle import enqueue
from .alerts.outbox import deliver
from .config import Settings, load_settings
from .indicators.definitions import load_definitions

TIMEZONE = "Europe/London"
WAREHOUSE_CONN_ID = "csc_warehouse"
SLACK_CONN_ID = "slack_api_default"
LANDING_DIR_VARIABLE = "csc_landing_dir"
NIGHTLY_DAG_ID = "csc_nightly"


def _connection(conn_id: str):
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException, AirflowRuntimeError

    try:
        return Connection.get(conn_id)
    except (AirflowNotFoundException, AirflowRuntimeError):
        return None


def _variable(key: str) -> str | None:
    from airflow.sdk import Variable
    from airflow.sdk.exceptions import AirflowRuntimeError

    try:
        return Variable.get(key, default=None)
    except AirflowRuntimeError:
        return None


def warehouse_url_of(connection) -> str:
    """A SQLAlchemy URL from the connection: its `sqlalchemy_url` extra, else built for PostgreSQL."""
    from sqlalchemy.engine import URL

    explicit = connection.extra_dejson.get("sqlalchemy_url")
    if explicit:
        return explicit
    return URL.create("postgresql+psycopg2", username=connection.login, password=connection.password,
                      host=connection.host, port=connection.port, database=connection.schema).render_as_string(hide_password=False)


def task_settings() -> Settings:
    """Settings for a task: connection `csc_warehouse`, connection `slack_api_default` (token in the password,
    `base_url` extra) and variable `csc_landing_dir` win over the environment."""
    overrides = {}
    warehouse = _connection(WAREHOUSE_CONN_ID)
    if warehouse is not None:
        overrides["warehouse_url"] = warehouse_url_of(warehouse)
    slack = _connection(SLACK_CONN_ID)
    if slack is not None and slack.password:
        overrides["slack_token"] = slack.password
        overrides["slack_base_url"] = slack.extra_dejson.get("base_url") or None
    landing = _variable(LANDING_DIR_VARIABLE)
    if landing:
        overrides["landing_dir"] = landing
    return load_settings(**overrides)


def claimed_dir(settings: Settings) -> Path:
    """Where the landing-folder watchers move the files they fired for, until ingest archives them."""
    return settings.data_dir / "claimed"


def as_at_for(context) -> date:
    requested = (context.get("params") or {}).get("as_at")
    if requested:
        return date.fromisoformat(str(requested))
    moment = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(moment).in_timezone(TIMEZONE).date() - timedelta(days=1)


def run_type_for(context) -> str:
    return str(getattr(context["dag_run"], "run_type", "manual")).split(".")[-1].lower()


def ingest_task(context) -> list[str]:
    """Load the files the watchers claimed, then anything else in the landing folder."""
    settings = task_settings()
    loaded = []
    for folder in (claimed_dir(settings), settings.landing_dir):
        folder_settings = replace(settings, landing_dir=folder)
        report = pipeline.ingest(folder_settings)
        for line in report.lines():
            print(line)
        pipeline.report_rejections(folder_settings, report, as_at_for(context))
        loaded += report.loaded
    return loaded


def start_task(context) -> str:
    """Record the run; a late or stale export is itself an alert to the data owner (not in backfills)."""
    settings = task_settings()
    as_at = as_at_for(context)
    engine = pipeline.warehouse(settings)
    pipeline.record_run(engine, context["run_id"], as_at, run_type_for(context), "running", settings.authority)
    if run_type_for(context) != "backfill" and pipeline.check_freshness(engine, settings, as_at, datetime.now()):
        pipeline.deliver(engine, settings)
    return as_at.isoformat()


def validate_task(context) -> str:
    """A critical failure stops the run before anything is published, and is itself an alert (as in pipeline.run)."""
    settings, as_at = task_settings(), as_at_for(context)
    try:
        outcome = pipeline.validate(settings, as_at, context["run_id"])
    except pipeline.ValidationFailed as failure:
        print(failure.outcome.summary())
        pipeline.alert_validation_failure(pipeline.warehouse(settings), settings, as_at, context["run_id"], failure.outcome,
                                          send=run_type_for(context) != "backfill")
        raise
    print(outcome.summary())
    return outcome.summary()


def indicator_ids_task(context) -> list[str]:
    """Read at run time, so a new definition is computed without touching the DAG file."""
    return [definition.id for definition in load_definitions()]


def compute_task(context, indicator_id: str) -> None:
    """One indicator for the run's date: its own transaction, so its failure leaves the others published."""
    context["indicator_id"] = indicator_id  # named in the UI through the task's map_index_template
    pipeline.compute(task_settings(), [as_at_for(context)], context["run_id"], [indicator_id])


def alert_task(context) -> list[str]:
    """Backfills recompute history but do not alert unless the run's params ask them to."""
    settings = task_settings()
    as_at = as_at_for(context)
    send = run_type_for(context) != "backfill" or bool((context.get("params") or {}).get("alert_in_backfill"))
    queued = pipeline.alert(settings, as_at, context["run_id"]) if send else []
    pipeline.record_run(pipeline.warehouse(settings), context["run_id"], as_at, run_type_for(context), "published", settings.authority)
    return queued


def run_link(settings: Settings, dag_id: str, run_id: str | None = None) -> str:
    """The run's page in the Airflow UI (the DAG's page without a run)."""
    from airflow.configuration import conf

    base = settings.run_link_base or conf.get("api", "base_url", fallback="http://localhost:8080")
    link = f"{base.rstrip('/')}/dags/{quote(dag_id)}"
    return f"{link}/runs/{quote(run_id)}" if run_id else link


def post_operational_alert(settings: Settings, delivery_key: str, heading: str, details: list[str], link: str) -> None:
    """Operational alerts use the same outbox as indicator alerts; the delivery key makes a repeat a no-op."""
    fallback = f"{heading} ({link})"
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f":rotating_light: *{heading}*\n" + "\n".join(f"• {d}" for d in details)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{link}|Open the run in Airflow>"}]},
    ]
    engine = pipeline.warehouse(settings)
    with engine.begin() as conn:
        enqueue(conn, delivery_key, settings.ops_channel, (fallback, blocks))
    deliver(engine, settings)


def task_failed(context) -> None:
    """on_failure_callback of every task (after its last retry): the error's type only, never its data."""
    settings = task_settings()
    ti, dag_id, run_id = context["ti"], context["dag"].dag_id, context["run_id"]
    map_index = getattr(ti, "map_index", -1)
    task = ti.task_id if map_index in (None, -1) else f"{ti.task_id}[{context.get('indicator_id', map_index)}]"
    error = context.get("exception")
    post_operational_alert(
        settings,
        f"ops|task_failed|{dag_id}|{run_id}|{ti.task_id}|{map_index}",
        f"csc-monitor: task {task} failed in {dag_id} for as-at {as_at_for(context).isoformat()}",
        [f"run `{run_id}`", f"error: {type(error).__name__ if error else 'unknown'} (details in the task log)"],
        run_link(settings, dag_id, run_id),
    )


def deadline_check_task(context) -> bool:
    """At 07:00 Europe/London: were the night's figures (as at yesterday) published? If not, tell operations.

    A plain scheduled check rather than a sensor or an Airflow DeadlineAlert: it holds no worker slot, runs
    under dag.test, and also catches a nightly run that never started."""
    settings = task_settings()
    as_at = as_at_for(context)
    with pipeline.warehouse(settings).connect() as conn:
        published = conn.execute(
            text("SELECT COUNT(*) FROM pipeline_run WHERE as_at = :d AND authority = :a AND status = 'published'"),
            {"d": as_at, "a": settings.authority},
        ).scalar_one()
    if published:
        return True
    post_operational_alert(
        settings,
        f"ops|deadline_missed|{settings.authority}|{as_at.isoformat()}",
        f"csc-monitor: figures as at {as_at.isoformat()} were not published by 07:00",
        ["no csc_nightly run has published this date yet; the dashboards show the last good figures"],
        run_link(settings, NIGHTLY_DAG_ID),
    )
    return False
