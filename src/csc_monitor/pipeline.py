"""The nightly pipeline as plain functions: the CLI, the tests and the Airflow DAGs all call these.

ingest -> validate -> compute -> alert. Each step reads and writes only its own as-at date, so
any date can be re-run and gives the same figures and sends nothing twice.
"""

from __future__ import annotations

import atexit
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import Engine, text

from .alerts.lifecycle import enqueue, evaluate
from .alerts.outbox import deliver
from .config import Settings
from .indicators.definitions import load_definitions
from .indicators.engine import compute_all
from .ingest.landing import IngestReport, ingest_landing
from .validation.runner import ValidationFailed, ValidationOutcome, validate_warehouse  # noqa: F401 (re-exported)
from .warehouse import ensure_schema, insert_rows, make_engine

SMALL_NUMBER_LIMIT = 5  # counts below this are not shown in Slack


@lru_cache(maxsize=None)
def _engine(url: str) -> Engine:
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


def ingest(settings: Settings) -> IngestReport:
    """Load what has landed. Good files load even when another file is rejected; the report says which."""
    return ingest_landing(warehouse(settings), settings)


def report_rejections(settings: Settings, report: IngestReport, as_at: date) -> None:
    """A rejected export is itself an alert to the data owner (file and place only: no values from the file)."""
    if not report.rejected:
        return
    engine = warehouse(settings)
    lines = "\n".join(f"• {e.file_name}: {e.location}" for e in report.rejected)
    text_ = f"{len(report.rejected)} export(s) rejected on {as_at.isoformat()}; the figures use the files that loaded."
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f":warning: *{text_}*\n{lines}\nReasons are in the rejected/ folder beside each file."}}]
    names = ",".join(sorted(e.file_name for e in report.rejected))
    with engine.begin() as conn:
        enqueue(conn, f"rejected|{settings.authority}|{as_at.isoformat()}|{names}", settings.default_channel, (text_, blocks))
    deliver(engine, settings)


def validate(settings: Settings, as_at: date, run_id: str, stop_on_critical: bool = True) -> ValidationOutcome:
    """Run the expectation suites; on a critical failure raise ValidationFailed (nothing is published)."""
    outcome = validate_warehouse(warehouse(settings), settings, as_at, run_id)
    if stop_on_critical:
        outcome.raise_if_critical()
    return outcome


def compute(settings: Settings, as_at_dates: list[date], run_id: str, indicator_ids: list[str] | None = None) -> None:
    compute_all(warehouse(settings), load_definitions(indicator_ids), settings.authority, run_id, as_at_dates)


def alert(settings: Settings, as_at: date, run_id: str, send: bool = True) -> list[str]:
    """Evaluate thresholds, queue messages, and deliver the outbox; returns the kinds of message queued."""
    engine = warehouse(settings)
    with engine.begin() as conn:
        kinds = [evaluate(conn, d, settings.authority, as_at, run_id, SMALL_NUMBER_LIMIT) for d in load_definitions()]
    if send:
        deliver(engine, settings)
    return [k for k in kinds if k]


def run(settings: Settings, as_at: date, run_id: str, run_type: str = "manual", send: bool = True) -> ValidationOutcome:
    """Validate, compute and alert for one as-at date (ingest is a separate step)."""
    engine = warehouse(settings)
    record_run(engine, run_id, as_at, run_type, "running", settings.authority)
    try:
        outcome = validate(settings, as_at, run_id)
        compute(settings, [as_at], run_id)
        alert(settings, as_at, run_id, send=send)
    except Exception as error:
        record_run(engine, run_id, as_at, run_type, "failed", settings.authority, str(error)[:2000])
        raise
    record_run(engine, run_id, as_at, run_type, "published", settings.authority)
    return outcome
