"""What the Airflow tasks do, given their Airflow context. DAG files only wire these together.

The as-at date comes from the run itself (a `as_at` param, else the day before the logical date
in Europe/London), never from the clock, so a re-run or a backfill of a date computes that date.
"""

from __future__ import annotations

from datetime import date, timedelta

import pendulum

from . import pipeline
from .config import load_settings

TIMEZONE = "Europe/London"


def as_at_for(context) -> date:
    requested = (context.get("params") or {}).get("as_at")
    if requested:
        return date.fromisoformat(str(requested))
    moment = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(moment).in_timezone(TIMEZONE).date() - timedelta(days=1)


def run_type_for(context) -> str:
    return str(getattr(context["dag_run"], "run_type", "manual")).split(".")[-1].lower()


def ingest_task(context) -> list[str]:
    settings = load_settings()
    report = pipeline.ingest(settings)
    for line in report.lines():
        print(line)
    pipeline.report_rejections(settings, report, as_at_for(context))
    return report.loaded


def start_task(context) -> str:
    settings = load_settings()
    as_at = as_at_for(context)
    pipeline.record_run(pipeline.warehouse(settings), context["run_id"], as_at, run_type_for(context), "running", settings.authority)
    return as_at.isoformat()


def validate_task(context) -> str:
    outcome = pipeline.validate(load_settings(), as_at_for(context), context["run_id"])
    print(outcome.summary())
    return outcome.summary()


def compute_task(context) -> None:
    pipeline.compute(load_settings(), [as_at_for(context)], context["run_id"])


def alert_task(context) -> list[str]:
    """Backfills recompute history but do not alert unless the run's params ask them to."""
    settings = load_settings()
    as_at = as_at_for(context)
    send = run_type_for(context) != "backfill" or bool((context.get("params") or {}).get("alert_in_backfill"))
    kinds = pipeline.alert(settings, as_at, context["run_id"]) if send else []
    pipeline.record_run(pipeline.warehouse(settings), context["run_id"], as_at, run_type_for(context), "published", settings.authority)
    return kinds
