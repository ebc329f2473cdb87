"""What the Airflow tasks do, given their Airflow context. DAG files only wire these together.

The as-at date comes from the run itself, never from the clock: the `as_at` param; else, in a backfill,
the logical date itself (so `airflow backfill create --from-date D1 --to-date D2` computes as-at dates
D1..D2); else the day before the logical date or, for an asset-triggered run, the day before it was due
(the night's run computes yesterday), all in Europe/London. Configuration is read here, inside tasks: Airflow
connections and variables first, the CSC_MONITOR_* / SLACK_* environment (config.load_settings) after.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pendulum
from sqlalchemy import text

from . import pipeline
from .airflow_setup import SETUP_VARIABLE, missing_setup_message
from .alerts.lifecycle import enqueue
from .alerts.outbox import deliver
from .config import Settings, load_settings
from .indicators.definitions import load_definitions
from .run_ids import authority_run_id
from .validation.freshness import is_stale

TIMEZONE = "Europe/London"
WAREHOUSE_CONN_ID = "csc_warehouse"
SLACK_CONN_ID = "slack_api_default"
LANDING_DIR_VARIABLE = "csc_landing_dir"
NIGHTLY_DAG_ID = "csc_nightly"
INGEST_LOCK_WAIT_SECONDS = 1800  # the DAG's ingest waits for a command-line ingest or run to finish rather than fail


def _quiet_library_logs() -> None:
    """Great Expectations logs one INFO line per public function it registers (200+ per task) and sets one of its
    loggers to INFO when imported: not news in a task log. Its warnings and errors still show."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    from great_expectations.data_context.types import base

    logging.getLogger(base.__name__).setLevel(logging.WARNING)


def _log_step(step: str, authority: str, as_at: date, started: float, *did: str) -> None:
    """The few lines each task logs: the step, authority and as-at date, what it read and wrote, how long it took."""
    print(f"{step}: authority {authority}, as-at {as_at.isoformat()}, {time.monotonic() - started:.1f} s")
    for line in did:
        print(f"  {line}")


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
    if run_type_for(context) == "backfill":
        return pendulum.instance(context["logical_date"]).in_timezone(TIMEZONE).date()
    moment = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(moment).in_timezone(TIMEZONE).date() - timedelta(days=1)


def run_type_for(context) -> str:
    return str(getattr(context["dag_run"], "run_type", "manual")).split(".")[-1].lower()


def check_setup_task(context) -> None:
    """First task of the nightly DAG, outside the pool: without `csc-monitor airflow setup` the pool is missing and
    every warehouse task would wait in `scheduled` for ever, so the run fails here, naming the command."""
    from airflow.sdk.exceptions import AirflowFailException

    if _variable(SETUP_VARIABLE) is None:
        raise AirflowFailException(missing_setup_message())
    print(f"Airflow set up for csc-monitor: {_variable(SETUP_VARIABLE)}")


def ingest_task(context) -> list[str]:
    """Load the drop the watcher claimed, then anything else in the landing folder."""
    started, settings, as_at = time.monotonic(), task_settings(), as_at_for(context)
    settings = replace(settings, lock_wait_seconds=max(settings.lock_wait_seconds, INGEST_LOCK_WAIT_SECONDS))
    loaded, lines = [], []
    for folder, settle_seconds in ((claimed_dir(settings), 0.0), (settings.landing_dir, settings.settle_seconds)):
        folder_settings = replace(settings, landing_dir=folder, settle_seconds=settle_seconds)  # a claimed file was complete
        report = pipeline.ingest(folder_settings)
        lines += [f"{folder}: {len(report.loaded)} loaded, {len(report.duplicates)} already loaded, "
                  f"{len(report.rejected)} rejected", *report.lines()]
        pipeline.report_rejections(folder_settings, report, as_at)
        loaded += report.loaded
    _log_step("ingest_exports", settings.authority, as_at, started, *lines,
              f"wrote {_rows_loaded(settings, loaded)} rows from {len(loaded)} file(s)")
    return loaded


def _rows_loaded(settings: Settings, file_names: list[str]) -> int:
    query = text("SELECT COALESCE(SUM(row_count), 0) FROM load_file WHERE file_name = :f")
    with pipeline.warehouse(settings).connect() as conn:
        return sum(conn.execute(query, {"f": name}).scalar_one() for name in file_names)


def authorities_task(context, loaded: list[str] | None = None) -> list[str]:
    """The authorities tonight's run covers: CSC_MONITOR_AUTHORITIES (regional mode), else the one authority. A run
    started by a drop that an earlier run already loaded covers none: its mapped tasks have nothing to do."""
    settings = task_settings()
    if run_type_for(context) == "asset_triggered" and not loaded:
        print("nothing new loaded: an earlier run loaded the exports that started this run; nothing to compute")
        return []
    return list(settings.authorities) or [settings.authority]


def _for_authority(context, authority: str) -> tuple[Settings, str]:
    """One authority's settings and run id; in regional mode each authority's share of the run has its own id."""
    settings = task_settings()
    context["authority"] = authority  # named in the UI through the tasks' map_index_template
    run_id = authority_run_id(context["run_id"], authority) if settings.authorities else context["run_id"]
    return replace(settings, authority=authority), run_id


def validate_task(context, authority: str) -> str:
    """Record the run, check freshness, validate and keep the published figures (pipeline.begin). A critical
    failure stops this authority before anything is published and is itself an alert; retrying cannot mend an
    export, so the task fails without retries."""
    from airflow.sdk.exceptions import AirflowFailException

    _quiet_library_logs()
    started, as_at, run_type = time.monotonic(), as_at_for(context), run_type_for(context)
    settings, run_id = _for_authority(context, authority)
    try:
        outcome = pipeline.begin(settings, as_at, run_id, run_type, send=run_type != "backfill")
    except pipeline.ValidationFailed as failure:
        _log_step("validate_data", authority, as_at, started, f"run {run_id}", *failure.outcome.summary().splitlines())
        raise AirflowFailException(f"authority {authority}: a critical data check failed; nothing is published") from failure
    _log_step("validate_data", authority, as_at, started, f"run {run_id} ({run_type})", *outcome.summary().splitlines())
    return outcome.summary()


def indicator_ids_task(context) -> list[str]:
    """Read at run time, so a new definition is computed without touching the DAG file."""
    return [definition.id for definition in load_definitions()]


def compute_task(context, authority: str, indicator_id: str) -> None:
    """One indicator for one authority: its own transaction, so its failure leaves the others published.
    Skipped for an authority whose data checks did not pass."""
    from airflow.sdk.exceptions import AirflowSkipException

    started, as_at = time.monotonic(), as_at_for(context)
    settings, run_id = _for_authority(context, authority)
    context["indicator_id"] = indicator_id
    if not pipeline.open_for_figures(settings, as_at, run_id, run_type_for(context)):
        raise AirflowSkipException(f"authority {authority}: data checks did not pass for run {run_id}")
    pipeline.compute(settings, [as_at], run_id, [indicator_id])
    _log_step("compute_indicator", authority, as_at, started, f"run {run_id}, indicator {indicator_id}",
              _computed(settings, run_id, indicator_id, as_at))


def _computed(settings: Settings, run_id: str, indicator_id: str, as_at: date) -> str:
    """What compute wrote: counts only (the units are child-level and stay in the warehouse)."""
    where = "WHERE run_id = :r AND indicator_id = :i AND authority = :a AND as_at = :d"
    keys = {"r": run_id, "i": indicator_id, "a": settings.authority, "d": as_at}
    with pipeline.warehouse(settings).connect() as conn:
        units = conn.execute(text(f"SELECT COUNT(*) FROM indicator_unit {where}"), keys).scalar_one()
        figures = conn.execute(text(f"SELECT COUNT(*) FROM indicator_result {where}"), keys).scalar_one()
        authority = conn.execute(text(f"SELECT numerator, denominator FROM indicator_result {where} AND scope_type = 'authority'"),
                                 keys).first()
    overall = f"; authority figure {authority.numerator}/{authority.denominator}" if authority else ""
    return f"wrote {units} units and {figures} figures (authority, teams, workers){overall}"


def publish_task(context, authority: str) -> None:
    """Check the figures just computed, alert and mark the authority's run published (pipeline.publish).

    Backfills recompute history but do not alert unless the run's params ask them to. An authority whose
    data checks failed is not published: the task fails, so the Airflow run shows it."""
    from airflow.sdk.exceptions import AirflowFailException

    _quiet_library_logs()
    started, as_at, run_type = time.monotonic(), as_at_for(context), run_type_for(context)
    settings, run_id = _for_authority(context, authority)
    if not pipeline.open_for_figures(settings, as_at, run_id, run_type):
        raise AirflowFailException(f"authority {authority}: data checks did not pass for run {run_id}; the last good figures stay")
    backfill = run_type == "backfill"
    alerts = not backfill or bool((context.get("params") or {}).get("alert_in_backfill"))
    queued_before = _outbox_keys(settings)
    outcome = pipeline.publish(settings, as_at, run_id, run_type, send=alerts, alerts=alerts)
    if not alerts:
        messages = "alerts muted: a backfill recomputes history (param alert_in_backfill to alert)"
    elif is_stale(pipeline.warehouse(settings), run_id):
        messages = "breach alerts held back: the exports are older than the freshness limit (the data-freshness alert says so)"
    else:
        messages = f"{len(_outbox_keys(settings) - queued_before)} Slack message(s) queued and delivered"
    _log_step("publish", authority, as_at, started, f"run {run_id} ({run_type}) published", messages,
              *outcome.summary().splitlines())


def _outbox_keys(settings: Settings) -> set[str]:
    with pipeline.warehouse(settings).connect() as conn:
        return set(conn.execute(text("SELECT delivery_key FROM slack_outbox")).scalars())


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
    label = " ".join(context[k] for k in ("authority", "indicator_id") if context.get(k)) or map_index
    task = ti.task_id if map_index in (None, -1) else f"{ti.task_id}[{label}]"
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
        published = set(conn.execute(
            text("SELECT DISTINCT authority FROM pipeline_run WHERE as_at = :d AND status = 'published'"), {"d": as_at}).scalars())
    missing = [a for a in authorities_task(context) if a not in published]
    if not missing:
        return True
    post_operational_alert(
        settings,
        f"ops|deadline_missed|{','.join(missing)}|{as_at.isoformat()}",
        f"csc-monitor: figures as at {as_at.isoformat()} were not published by 07:00",
        [f"no csc_nightly run has published this date yet for authority {', '.join(missing)}; "
         "the dashboards show the last good figures"],
        run_link(settings, NIGHTLY_DAG_ID),
    )
    return False
