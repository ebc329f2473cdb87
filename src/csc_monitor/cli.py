"""csc-monitor command line: the same functions the Airflow DAGs call."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import text

from . import pipeline
from . import backfill as backfill_cli
from .alerts import cli as alerts_cli
from .authorities import AuthorityError, settings_for
from .config import load_settings
from .process import exit_quietly
from .comparators import latest_comparators, load_dfe_tidy_csv, load_quoted_figures
from .generate import generate
from .indicators.definitions import load_definitions
from .indicators.exceptions import COLUMNS as EXCEPTION_COLUMNS
from .indicators.exceptions import exception_rows
from .validation.runner import ValidationFailed


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
    return 1 if report.rejected else 0


def cmd_validate(args) -> int:
    settings = settings_for(args.authority)
    outcome = pipeline.validate(settings, args.as_at, _run_id("validate", args.as_at), stop_on_critical=False)
    print(outcome.summary())
    return 1 if outcome.critical_failures else 0


def cmd_run(args) -> int:
    if args.all_authorities:
        return _run_all_authorities(load_settings(), args)
    settings = settings_for(args.authority)
    try:
        outcome = pipeline.run(settings, args.as_at, _run_id("cli", args.as_at), send=not args.no_send)
    except ValidationFailed as failure:
        print(failure.outcome.summary(), file=sys.stderr)
        print("critical validation failure: nothing published; the last good results stay as they were", file=sys.stderr)
        return 1
    print(outcome.summary())
    return cmd_results(argparse.Namespace(as_at=args.as_at, json=False, authority=settings.authority))


def _run_all_authorities(settings, args) -> int:
    """Regional mode: one run per authority; each authority's outcome is printed under its code."""
    outcomes = pipeline.run_all_authorities(settings, args.as_at, _run_id("cli", args.as_at), send=not args.no_send)
    for authority, outcome in outcomes.items():
        print(f"== authority {authority}: {'FAILED, nothing published' if outcome.critical_failures else 'published'}")
        print(outcome.summary())
    return 1 if any(o.critical_failures for o in outcomes.values()) else 0


def result_rows(settings, as_at: date, scope_type: str = "authority") -> list[dict]:
    with pipeline.warehouse(settings).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.indicator_id, r.version, r.scope_type, r.scope, r.numerator, r.denominator, r.value, r.overdue, r.method, r.run_id, "
                "s.stale_since FROM indicator_result r LEFT JOIN result_staleness s ON s.run_id = r.run_id AND s.as_at = r.as_at "
                "WHERE r.as_at = :d AND r.authority = :a AND (:t = 'all' OR r.scope_type = :t) "
                "ORDER BY r.indicator_id, r.scope_type, r.scope"
            ),
            {"d": as_at, "a": settings.authority, "t": scope_type},
        ).mappings().all()
        comparators = latest_comparators(pipeline.warehouse(settings), as_at)
    return [{**row, "value": None if row["value"] is None else round(row["value"], 1),
             "stale_since": row["stale_since"] and row["stale_since"].isoformat(timespec="minutes"),
             "comparator": comparators.get(row["indicator_id"], {})} for row in rows]


VALUE_UNITS = {"percentage": "%", "mean_elapsed": " days", "rate_per_10000": "/10k"}


def cmd_results(args) -> int:
    rows = result_rows(settings_for(args.authority), args.as_at, "all" if getattr(args, "all_scopes", False) else "authority")
    if args.json:
        print(json.dumps([{**r, "as_at": args.as_at.isoformat()} for r in rows], indent=2))
        return 0
    units = {d.id: VALUE_UNITS[d.aggregate] for d in load_definitions()}
    print(f"{'indicator':<48} {'scope':<30} {'num':>6} {'den':>6} {'value':>12} {'overdue':>7}")
    for r in rows:
        value = "n/a" if r["value"] is None else f"{r['value']:.1f}{units.get(r['indicator_id'], '')}"
        stale = f"  STALE since {r['stale_since']} (a later run failed; these are the last good figures)" if r["stale_since"] else ""
        print(f"{r['indicator_id']:<48} {r['scope_type'] + ':' + r['scope']:<30} {r['numerator']:>6} {r['denominator']:>6} {value:>12} {r['overdue']:>7}{stale}")
    return 0


def cmd_exceptions(args) -> int:
    """Child-level list for the authority's own use: written to a file or stdout, never to Slack."""
    settings = settings_for(args.authority)
    with pipeline.warehouse(settings).connect() as conn:
        rows = exception_rows(conn, args.indicator, settings.authority, args.as_at, args.team)
    handle = open(args.out, "w", newline="") if args.out else sys.stdout
    writer = csv.DictWriter(handle, fieldnames=EXCEPTION_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
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


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(args.reference_date, args.children)


AUTHORITY_HELP = "whose figures (default CSC_MONITOR_AUTHORITY; unset, the only authority loaded)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csc-monitor", description=__doc__)
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

    p = sub.add_parser("validate", help="run the expectation suites and print the summary")
    p.add_argument("--as-at", type=_date, required=True)
    p.add_argument("--authority", help=AUTHORITY_HELP)
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

    p = sub.add_parser("demo", help="generate data and run the csc_nightly DAG once on the embedded default")
    p.add_argument("--reference-date", type=_date, default=date(2025, 3, 31))
    p.add_argument("--children", type=int, default=600)
    p.set_defaults(func=cmd_demo)
    alerts_cli.register(sub)
    backfill_cli.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AuthorityError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def entry() -> None:
    """The `csc-monitor` command."""
    exit_quietly(main())


if __name__ == "__main__":
    entry()
