"""csc-monitor command line: the same functions the Airflow DAGs call."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import text

from . import airflow_setup, exit_codes, pipeline
from . import backfill as backfill_cli
from .alerts import cli as alerts_cli
from .authorities import AuthorityError, settings_for
from .config import load_settings
from .demo import run_demo
from .ingest.lock import WarehouseBusy
from .process import exit_quietly
from .results import result_rows, results_table
from .comparators import load_dfe_tidy_csv, load_quoted_figures
from .synthetic import generate
from .indicators.catalogue import catalogue_path, render_catalogue
from .safe_output import write_csv
from .indicators.exceptions import COLUMNS as EXCEPTION_COLUMNS
from .indicators.exceptions import exception_rows
from .validation.runner import ValidationFailed
from .warehouse import reader


def _date(value: str) -> date:
    return date.fromisoformat(value)


def _run_id(prefix: str, as_at: date) -> str:
    return f"{prefix}__{as_at.isoformat()}__{datetime.now(timezone.utc):%Y%m%dT%H%M%S}"


SCALES = {  # (CIN children over the period, looked-after children, collection years)
    "small": (1000, 250, 1),
    "large": (60000, 2500, 5),  # a very large authority: ~12,000 referrals a year, 2,500 looked after, five years
}


def cmd_generate(args) -> int:
    children, looked_after, years = SCALES[args.scale] if args.scale else (args.children, args.looked_after, args.years)
    truth = generate(Path(args.out), children, args.seed, args.reference_date, args.authority,
                     looked_after=looked_after, years=years, annex_a_dir=Path(args.annex_a) if args.annex_a else None)
    figure = truth["icpc_within_15_working_days"]
    print(f"wrote exports for {truth['children']} children to {args.out}; planted ICPC figure "
          f"{figure['numerator']}/{figure['denominator']} as at {figure['as_at']}")
    return 0


def cmd_ingest(args) -> int:
    overrides = {"landing_dir": args.directory} if args.directory else {}
    overrides.update({k: v for k, v in (("collection_year", args.collection_year), ("extract_date", args.extract_date)) if v})
    settings = load_settings(**overrides, strict_ingest=args.strict)
    report = pipeline.ingest(settings)
    print("\n".join(report.lines()) or "nothing new in the landing folder", file=sys.stderr if report.rejected else sys.stdout)
    return exit_codes.REJECTED if report.rejected else exit_codes.OK


def cmd_loads(args) -> int:
    """What is loaded now, per authority and scope, with the file that supplied it."""
    from .ingest.snapshots import current_loads

    with pipeline.warehouse(load_settings()).connect() as conn:
        loads = current_loads(conn)
    print(f"{'authority':<10} {'scope':<36} {'file':<44} {'rows':>8} {'added':>7} {'removed':>7} {'changed':>7}  loaded at")
    for row in loads:
        counts = " ".join(f"{'' if row[k] is None else row[k]:>7}" for k in ("rows_added", "rows_removed", "rows_changed"))
        print(f"{row['authority']:<10} {row['scope'] or '(before scopes)':<36} {row['file_name']:<44} {row['row_count']:>8} {counts}  "
              f"{row['loaded_at']:%Y-%m-%d %H:%M}")
    return 0


def cmd_validate(args) -> int:
    settings = settings_for(args.authority)
    outcome = pipeline.validate(settings, args.as_at, _run_id("validate", args.as_at), stop_on_critical=False, tables=args.table)
    print(outcome.summary())
    return exit_codes.NOT_PUBLISHED if outcome.critical_failures else exit_codes.OK


def cmd_run(args) -> int:
    if args.all_authorities:
        return _run_all_authorities(load_settings(), args)
    settings = settings_for(args.authority)
    outcome = pipeline.run(settings, args.as_at, _run_id("cli", args.as_at), send=not args.no_send)
    print(outcome.summary())
    print("\n".join(results_table(result_rows(settings, args.as_at))))
    return exit_codes.OK


def _run_all_authorities(settings, args) -> int:
    """Regional mode: one run per authority; each authority's outcome is printed under its code."""
    outcomes = pipeline.run_all_authorities(settings, args.as_at, _run_id("cli", args.as_at), send=not args.no_send)
    for authority, outcome in outcomes.items():
        print(f"== authority {authority}: {'FAILED, nothing published' if outcome.critical_failures else 'published'}")
        print(outcome.summary())
    return exit_codes.NOT_PUBLISHED if any(o.critical_failures for o in outcomes.values()) else exit_codes.OK


def cmd_results(args) -> int:
    rows = result_rows(settings_for(args.authority), args.as_at, "all" if getattr(args, "all_scopes", False) else "authority")
    if args.json:
        print(json.dumps([{**r, "as_at": args.as_at.isoformat()} for r in rows], indent=2))
        return 0
    print("\n".join(results_table(rows)))
    return 0


def cmd_exceptions(args) -> int:
    """Child-level list for the authority's own use: written to a file or stdout, never to Slack."""
    settings = settings_for(args.authority)
    with reader(settings.warehouse_url).connect() as conn:
        rows = exception_rows(conn, args.indicator, settings.authority, args.as_at, args.team)
    handle = open(args.out, "w", newline="") if args.out else sys.stdout
    write_csv(handle, EXCEPTION_COLUMNS, rows)
    if args.out:
        handle.close()
        print(f"{len(rows)} children not meeting the standard written to {args.out}", file=sys.stderr)
    return 0


def cmd_comparators(args) -> int:
    settings = load_settings()
    engine = pipeline.warehouse(settings)
    loaded = (load_quoted_figures(engine, Path(args.file)) if args.quoted
              else load_dfe_tidy_csv(engine, Path(args.file), settings.authority))
    print(f"{loaded} comparator values stored from {args.file}")
    return 0


def cmd_docs(args) -> int:
    """Write docs/indicators.md from the definitions (or, with --check, say whether it is out of date)."""
    path, catalogue = catalogue_path(), render_catalogue()
    if args.check:
        current = path.read_text() if path.exists() else ""
        print(f"{path} is {'up to date' if current == catalogue else 'out of date: run csc-monitor docs'}")
        return exit_codes.OK if current == catalogue else exit_codes.REJECTED
    path.write_text(catalogue)
    print(f"wrote {path}")
    return exit_codes.OK


def cmd_demo(args) -> int:
    return run_demo(args.reference_date, args.children)


AUTHORITY_HELP = "whose figures (default CSC_MONITOR_AUTHORITY; unset, the only authority loaded)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csc-monitor", description=__doc__, epilog=exit_codes.epilog(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="write synthetic exports and their planted ground truth")
    p.add_argument("--children", type=int, default=1000, help="children referred over the period (CIN census)")
    p.add_argument("--looked-after", type=int, default=None, help="looked-after children (default a quarter of --children)")
    p.add_argument("--years", type=int, default=1, help="collection years of CIN census history")
    p.add_argument("--scale", choices=sorted(SCALES), help="preset sizes (overrides the three above)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--annex-a", help="also write the same authority as an Ofsted Annex A workbook into this folder")
    p.add_argument("--out", required=True, help="folder for the exports (e.g. the landing folder)")
    p.add_argument("--reference-date", type=_date, default=date(2025, 3, 31))
    p.add_argument("--authority", default="999")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("ingest", help="load every new export in the landing folder (or DIR)")
    p.add_argument("directory", nargs="?")
    p.add_argument("--strict", action="store_true", help="reject a CIN census whole at its first schema violation (default: set aside what breaks it, load the rest)")
    p.add_argument("--collection-year", type=int, help="903 files whose name and folder give no year: the collection year (2025 = 2024/25)")
    p.add_argument("--extract-date", type=_date, help="an Annex A whose name and folder give no date: its extract date")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("loads", help="list what is loaded, per authority and scope, with the file that supplied it")
    p.set_defaults(func=cmd_loads)

    p = sub.add_parser("validate", help="run the expectation suites and print the summary")
    p.add_argument("--as-at", type=_date, required=True)
    p.add_argument("--authority", help=AUTHORITY_HELP)
    p.add_argument("--table", action="append", help="only the suites reading this table (repeatable): checking one corrected export")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("run", help="validate, compute and alert for one as-at date")
    p.add_argument("--as-at", type=_date, required=True)
    p.add_argument("--no-send", action="store_true", help="queue messages but do not deliver them")
    p.add_argument("--authority", help=AUTHORITY_HELP)
    p.add_argument("--all-authorities", action="store_true",
                   help="regional mode: one run per authority (CSC_MONITOR_AUTHORITIES, else every authority loaded)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("results", help="print the published figures for an as-at date")
    p.add_argument("--as-at", type=_date, required=True)
    p.add_argument("--json", action="store_true")
    p.add_argument("--all-scopes", action="store_true", help="include team and worker figures")
    p.add_argument("--authority", help=AUTHORITY_HELP)
    p.set_defaults(func=cmd_results)

    p = sub.add_parser("exceptions", help="CSV of the children not meeting an indicator's standard (stays inside the authority)")
    p.add_argument("indicator")
    p.add_argument("--as-at", type=_date, required=True)
    p.add_argument("--team")
    p.add_argument("--out", help="file to write (default: standard output)")
    p.add_argument("--authority", help=AUTHORITY_HELP)
    p.set_defaults(func=cmd_exceptions)

    p = sub.add_parser("comparators", help="load England / statistical-neighbour figures from a DfE tidy CSV")
    p.add_argument("file")
    p.add_argument("--quoted", action="store_true", help="the file is a hand-kept list of quoted figures (indicator_id, geography, period_end, value, source)")
    p.set_defaults(func=cmd_comparators)

    p = sub.add_parser("docs", help="write the indicator catalogue docs/indicators.md from indicators/*.yml")
    p.add_argument("--check", action="store_true", help="only say whether the file is out of date (exit 1 if it is)")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("demo", help="generate data and run the csc_nightly DAG once on the embedded default")
    p.add_argument("--reference-date", type=_date, default=date(2025, 3, 31))
    p.add_argument("--children", type=int, default=600)
    p.set_defaults(func=cmd_demo)
    alerts_cli.register(sub)
    backfill_cli.register(sub)
    airflow_setup.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValidationFailed as failure:
        print(failure.outcome.summary(), file=sys.stderr)
        print("critical validation failure: nothing published; the last good results stay as they were", file=sys.stderr)
        return exit_codes.NOT_PUBLISHED
    except WarehouseBusy as busy:
        print(f"{busy}; nothing done (CSC_MONITOR_LOCK_WAIT_SECONDS sets how long to wait)", file=sys.stderr)
        return exit_codes.BUSY
    except AuthorityError as error:
        print(f"error: {error}", file=sys.stderr)
        return exit_codes.NO_DATA


def entry() -> None:
    """The `csc-monitor` command."""
    exit_quietly(main())


if __name__ == "__main__":
    entry()
