"""`csc-monitor backfill`: recompute history outside Airflow, for the performance team.

After a definition change or a late correction, every as-at date in a range is recomputed in one
set-based pass per indicator (each indicator's SQL serves all the dates at once), with a progress bar.
Figures for each date replace any earlier ones, exactly as a single-date run would write them. No
alerts are posted unless asked: history is not news, and alert state only moves forward anyway.
"""

from __future__ import annotations

import calendar
import sys
from datetime import date, datetime, timedelta, timezone

from tqdm import tqdm

from . import exit_codes, pipeline
from .config import Settings, load_settings
from .indicators.definitions import load_definitions
from .ingest.lock import exclusive

EVERY = ("month-end", "day")


def as_at_dates(start: date, end: date, every: str = "month-end") -> list[date]:
    """The as-at dates in [start, end]: every day, or every month's last day."""
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    if every == "day":
        return days
    return [d for d in days if d.day == calendar.monthrange(d.year, d.month)[1]]


def backfill(settings: Settings, dates: list[date], run_id: str, alert: bool = False, progress: bool = True) -> list[str]:
    """Validate once (as at the last date), compute every indicator for all dates, alert in date order if asked."""
    engine = pipeline.warehouse(settings)
    last = max(dates)
    pipeline.record_run(engine, run_id, last, "backfill", "running", settings.authority)
    try:
        pipeline.validate(settings, last, run_id)
        definitions = load_definitions()
        for definition in tqdm(definitions, desc=f"{len(dates)} as-at dates", unit="indicator", file=sys.stderr, disable=not progress):
            pipeline.compute(settings, dates, run_id, [definition.id])
        queued = [key for d in sorted(dates) for key in pipeline.alert(settings, d, run_id)] if alert else []
    except Exception as error:
        pipeline.record_run(engine, run_id, last, "backfill", "failed", settings.authority, str(error)[:2000])
        raise
    pipeline.record_run(engine, run_id, last, "backfill", "published", settings.authority)
    return queued


def cmd_backfill(args) -> int:
    dates = as_at_dates(args.start, args.end, args.every)
    if not dates:
        print(f"no {args.every} dates between {args.start} and {args.end}", file=sys.stderr)
        return exit_codes.NOTHING_TO_DO
    run_id = f"backfill__{dates[0].isoformat()}__{dates[-1].isoformat()}__{datetime.now(timezone.utc):%Y%m%dT%H%M%S}"
    settings = load_settings()
    with exclusive(settings, "backfill writing figures"):
        queued = backfill(settings, dates, run_id, alert=args.alert, progress=not args.no_progress)
    print(f"recomputed {len(dates)} as-at dates ({dates[0]} to {dates[-1]}) in run {run_id}; "
          f"{len(queued) if args.alert else 'no'} alert message(s) queued")
    return exit_codes.OK


def register(sub) -> None:
    """Add the `backfill` subcommand to the csc-monitor parser."""
    p = sub.add_parser("backfill", help="recompute every as-at date in a range (no alerts unless --alert)")
    p.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    p.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
    p.add_argument("--every", choices=EVERY, default="month-end")
    p.add_argument("--alert", action="store_true", help="evaluate and post alerts for each date, oldest first")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (e.g. in logs)")
    p.set_defaults(func=cmd_backfill)
