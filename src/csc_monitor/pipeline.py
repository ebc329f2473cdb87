"""The nightly pipeline as plain functions: the CLI, the tests and the Airflow DAGs all call these.

ingest -> validate -> compute -> alert. Each step reads and writes only its own as-at date, so
any date can be re-run and gives the same figures and sends nothing twice.
"""

from __future__ import annotations

import atexit
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import Engine, text

from .alerts.lifecycle import alert_validation_failure, enqueue, evaluate_all
from .alerts.messages import rejected_exports_message
from .alerts.outbox import deliver
from .config import Settings
from .indicators.definitions import load_definitions
from .indicators.engine import compute_all, register_run_dates
from .indicators.start_event_check import icpc_start_event_check
from .ingest.landing import IngestReport, ingest_landing
from .ingest.lock import exclusive
from .validation.runner import ValidationFailed, ValidationOutcome, stored_outcome, validate_warehouse  # noqa: F401 (re-exported)
from .validation.freshness import check_freshness, is_stale, mark_stale
from .validation.results import keep_figures, release_figures, restore_figures
from .authorities import loaded_authorities
from .private import private_umask
from .run_ids import authority_run_id
from .warehouse import ensure_schema, insert_rows, make_engine, publish_copy


@lru_cache(maxsize=None)
def _engine(url: str) -> Engine:
    private_umask()
    engine = make_engine(url)
    ensure_schema(engine)
    atexit.register(engine.dispose)
    return engine


def warehouse(settings: Settings) -> Engine:
    """One engine per warehouse URL per process, with the schema in place."""
    return _engine(settings.warehouse_url)


def record_run(engine: Engine, run_id: str, as_at: date, run_type: str, status: str, authority: str, message: str | None = None) -> None:
    with engine.begin() as conn:
        started = conn.execute(text("SELECT started_at FROM pipeline_run WHERE run_id = :r"), {"r": run_id}).scalar()
        conn.execute(text("DELETE FROM pipeline_run WHERE run_id = :r"), {"r": run_id})
        finished = datetime.now() if status in ("published", "failed") else None
        insert_rows(conn, "pipeline_run", [{
            "run_id": run_id, "authority": authority, "as_at": as_at, "run_type": run_type, "status": status,
            "started_at": started or datetime.now(), "finished_at": finished, "message": message,
        }])
    if finished:
        publish_copy(engine)  # DuckDB: readers see the warehouse as this finished run left it


def ingest(settings: Settings) -> IngestReport:
    """Load what has landed, one ingest at a time. Good files load even when another file is rejected; the report says which."""
    with exclusive(settings, "ingest"):
        return ingest_landing(warehouse(settings), settings)


def report_rejections(settings: Settings, report: IngestReport, as_at: date) -> None:
    """A rejected export is itself an alert to the data owner (file and place only: no values from the file)."""
    if not report.rejected:
        return
    engine = warehouse(settings)
    names = ",".join(sorted(e.file_name for e in report.rejected))
    with engine.begin() as conn:
        enqueue(conn, f"rejected|{settings.authority}|{as_at.isoformat()}|{names}", settings.default_channel,
                rejected_exports_message(report.rejected, as_at))
    deliver(engine, settings)


def validate(settings: Settings, as_at: date, run_id: str, stop_on_critical: bool = True,
             tables: list[str] | None = None) -> ValidationOutcome:
    """Run the expectation suites (with `tables`, only those reading these tables); on a critical failure raise
    ValidationFailed (nothing is published)."""
    outcome = validate_warehouse(warehouse(settings), settings, as_at, run_id, tables=tables)
    if stop_on_critical:
        outcome.raise_if_critical()
    return outcome


def compute(settings: Settings, as_at_dates: list[date], run_id: str, indicator_ids: list[str] | None = None) -> None:
    engine = warehouse(settings)
    compute_all(engine, load_definitions(indicator_ids), settings.authority, run_id, as_at_dates)
    record_start_event_check(engine, settings.authority, run_id)


def record_start_event_check(engine: Engine, authority: str, run_id: str) -> None:
    """The Southend check, stored as a warning on the run so alerts and the dashboard show it as a caveat."""
    with engine.begin() as conn:
        latest = max(icpc_start_event_check(conn, authority, run_id), key=lambda c: c.as_at, default=None)
        if latest is None:
            return
        conn.execute(text("DELETE FROM validation_result WHERE run_id = :r AND suite = 'start_event_check'"), {"r": run_id})
        insert_rows(conn, "validation_result", [{
            "run_id": run_id, "suite": "start_event_check", "rule": "icpc_clock_starts_at_strategy_discussion",
            "severity": "warning", "success": latest.affected == 0, "failing_rows": latest.affected,
            "examples": f"{latest.affected} of {latest.checked} section 47 enquiries in the 12 months to {latest.as_at.isoformat()} "
                        "have an ICPC target or ICPC implying an earlier start than the recorded strategy discussion",
        }])


def alert(settings: Settings, as_at: date, run_id: str, send: bool = True) -> list[str]:
    """Evaluate thresholds, queue one digest per channel (resolved alerts in their threads), deliver the outbox
    unless send is False; returns the delivery keys queued."""
    engine = warehouse(settings)
    with engine.begin() as conn:
        queued = evaluate_all(conn, settings, as_at, run_id)
    if send:
        deliver(engine, settings)
    return queued


def run_status(settings: Settings, run_id: str) -> str | None:
    with warehouse(settings).connect() as conn:
        return conn.execute(text("SELECT status FROM pipeline_run WHERE run_id = :r"), {"r": run_id}).scalar()


def open_for_figures(settings: Settings, as_at: date, run_id: str, run_type: str) -> bool:
    """May this run compute and publish figures? Yes once its data checks passed (`validated`). A published run
    whose task an operator clears in Airflow is re-opened: its figures are kept again first, so a failure of
    the re-run still puts them back."""
    status = run_status(settings, run_id)
    if status == "published":
        keep_figures(warehouse(settings), settings.authority, [as_at], run_id)
        record_run(warehouse(settings), run_id, as_at, run_type, "validated", settings.authority)
        return True
    return status == "validated"


def _failed(settings: Settings, as_at: date, run_id: str, run_type: str, error: Exception, send: bool) -> None:
    """A failed run is recorded (its date's figures turn stale); a failed data check is itself an alert."""
    engine = warehouse(settings)
    if isinstance(error, ValidationFailed):
        alert_validation_failure(engine, settings, as_at, run_id, error.outcome, send=send)
    record_run(engine, run_id, as_at, run_type, "failed", settings.authority, str(error)[:2000])


def begin(settings: Settings, as_at: date, run_id: str, run_type: str = "manual", send: bool = True) -> ValidationOutcome:
    """Record the run, check the exports are fresh (not in backfills), validate the facts, and keep the figures
    published for the date so a later failure can put them back. The run is then `validated`."""
    engine = warehouse(settings)
    record_run(engine, run_id, as_at, run_type, "running", settings.authority)
    try:
        problems = check_freshness(engine, settings, as_at, datetime.now()) if run_type != "backfill" else []
        if "old_reference_date" in problems:
            mark_stale(engine, settings, as_at, run_id)
        if problems and send:
            deliver(engine, settings)
        outcome = validate(settings, as_at, run_id)
    except Exception as error:
        _failed(settings, as_at, run_id, run_type, error, send)
        raise
    keep_figures(engine, settings.authority, [as_at], run_id)
    with engine.begin() as conn:
        register_run_dates(conn, run_id, [as_at])
    record_run(engine, run_id, as_at, run_type, "validated", settings.authority)
    return outcome


def publish(settings: Settings, as_at: date, run_id: str, run_type: str = "manual", send: bool = True,
            alerts: bool = True, outcome: ValidationOutcome | None = None) -> ValidationOutcome:
    """Check the figures just computed (a critical failure puts the kept figures back), then evaluate alerts
    (unless `alerts` is False, as in backfills, or the run is stale: its freshness alert says so instead) and
    deliver them (unless `send` is False)."""
    engine = warehouse(settings)
    try:
        try:
            outcome = validate_warehouse(engine, settings, as_at, run_id, stage="results",
                                         outcome=outcome or stored_outcome(engine, run_id))
            outcome.raise_if_critical()
        except Exception:
            restore_figures(engine, settings.authority, [as_at], run_id)
            raise
        if alerts and not is_stale(engine, run_id):
            alert(settings, as_at, run_id, send=send)
    except Exception as error:
        _failed(settings, as_at, run_id, run_type, error, send)
        raise
    release_figures(engine, run_id)
    record_run(engine, run_id, as_at, run_type, "published", settings.authority)
    return outcome


def run(settings: Settings, as_at: date, run_id: str, run_type: str = "manual", send: bool = True) -> ValidationOutcome:
    """One as-at date in one process: begin, compute, publish (ingest is a separate step). Airflow runs the same
    three steps as separate tasks. It holds the warehouse lock, so it never writes figures beside an ingest or another run."""
    with exclusive(settings, "run writing figures"):
        return _run(settings, as_at, run_id, run_type, send)


def _run(settings: Settings, as_at: date, run_id: str, run_type: str, send: bool) -> ValidationOutcome:
    outcome = begin(settings, as_at, run_id, run_type, send)
    try:
        compute(settings, [as_at], run_id)
    except Exception as error:
        restore_figures(warehouse(settings), settings.authority, [as_at], run_id)
        _failed(settings, as_at, run_id, run_type, error, send)
        raise
    return publish(settings, as_at, run_id, run_type, send, outcome=outcome)


def authorities(settings: Settings) -> list[str]:
    """The authorities a regional run covers: settings.authorities, else every authority with a loaded export."""
    if settings.authorities:
        return list(settings.authorities)
    return loaded_authorities(warehouse(settings))


def run_all_authorities(settings: Settings, as_at: date, run_id: str, run_type: str = "manual",
                        send: bool = True) -> dict[str, ValidationOutcome]:
    """Regional mode: `run` once per authority (its own run id, figures, thresholds, routing and alerts, all keyed by
    the authority). A critical validation failure stops only that authority's run; its outcome is returned with the rest."""
    outcomes = {}
    for authority in authorities(settings):
        try:
            outcomes[authority] = run(replace(settings, authority=authority), as_at, authority_run_id(run_id, authority), run_type, send)
        except ValidationFailed as failure:
            outcomes[authority] = failure.outcome
    return outcomes
