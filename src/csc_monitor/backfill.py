"""`csc-monitor backfill`: recompute history outside Airflow, for the performance team.

After a definition change or a late correction, every as-at date in a range is recomputed in one
set-based pass per indicator (each indicator's SQL serves all the dates at once), with a progress bar.
Figures for each date replace any earlier ones, exactly as a single-date run would write them. No
alerts are posted unless asked: history is not news, and alert state only moves forward anyway.

`--airflow` instead creates the Airflow backfill of csc_nightly whose runs compute exactly the as-at dates
asked for (one run per day, each visible in the Airflow UI with its own task logs).
"""

from __future__ import annotations

import calendar
import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pendulum
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


def airflow_backfill_command(start: date, end: date, alert: bool = False, max_active_runs: int = 1) -> list[str]:
    """`airflow backfill create` for as-at dates start..end: a backfill run computes its logical date (Europe/London)
    as the as-at date, and csc_nightly runs at 01:30, so the window is start 00:00 to end 23:59:59 London time."""
    from .orchestration import NIGHTLY_DAG_ID, TIMEZONE

    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    window = (pendulum.datetime(start.year, start.month, start.day, tz=TIMEZONE),
              pendulum.datetime(end.year, end.month, end.day, 23, 59, 59, tz=TIMEZONE))
    command = ["airflow", "backfill", "create", "--dag-id", NIGHTLY_DAG_ID,
               "--from-date", window[0].isoformat(), "--to-date", window[1].isoformat(),
               "--max-active-runs", str(max_active_runs), "--reprocess-behavior", "completed"]
    return command + (["--dag-run-conf", json.dumps({"alert_in_backfill": True})] if alert else [])


def cmd_airflow_backfill(args) -> int:
    if args.every == "month-end":
        print("an Airflow backfill runs every day from --from to --to; for month-ends only, leave out --airflow", file=sys.stderr)
        return exit_codes.USAGE
    command = airflow_backfill_command(args.start, args.end, args.alert, args.max_active_runs)
    print("$", " ".join(command), flush=True)
    return subprocess.run([str(Path(sys.executable).with_name("airflow")), *command[1:]]).returncode


def cmd_backfill(args) -> int:
    if args.airflow:
        return cmd_airflow_backfill(args)
    every = args.every or "month-end"
    dates = as_at_dates(args.start, args.end, every)
    if not dates:
        print(f"no {every} dates between {args.start} and {args.end}", file=sys.stderr)
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
    p.add_argument("--every", choices=EVERY, help="as-at dates: month-end (the default) or day (the only choice with --airflow)")
    p.add_argument("--alert", action="store_true", help="evaluate and post alerts for each date, oldest first")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (e.g. in logs)")
    p.add_argument("--airflow", action="store_true", help="create the Airflow backfill of csc_nightly for these as-at dates instead")
    p.add_argument("--max-active-runs", type=int, default=1, help="with --airflow: runs at once")
    p.set_defaults(func=cmd_backfill)
