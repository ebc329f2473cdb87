"""csc-monitor command line: the same functions the Airflow DAGs call."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import text

from . import pipeline
from .config import load_settings
from .generate import generate
from .validation.runner import ValidationFailed


def _date(value: str) -> date:
    return date.fromisoformat(value)


def _run_id(prefix: str, as_at: date) -> str:
    return f"{prefix}__{as_at.isoformat()}__{datetime.now(timezone.utc):%Y%m%dT%H%M%S}"


def cmd_generate(args) -> int:
    truth = generate(Path(args.out), args.children, args.seed, args.reference_date, args.authority)
    figure = truth["icpc_within_15_working_days"]
    print(f"wrote exports for {truth['children']} children to {args.out}; planted ICPC figure "
          f"{figure['numerator']}/{figure['denominator']} as at {figure['as_at']}")
    return 0


def cmd_ingest(args) -> int:
    settings = load_settings(**({"landing_dir": args.directory} if args.directory else {}))
    report = pipeline.ingest(settings)
    print("\n".join(report.lines()) or "nothing new in the landing folder", file=sys.stderr if report.rejected else sys.stdout)
    return 1 if report.rejected else 0


def cmd_validate(args) -> int:
    settings = load_settings()
    outcome = pipeline.validate(settings, args.as_at, _run_id("validate", args.as_at), stop_on_critical=False)
    print(outcome.summary())
    return 1 if outcome.critical_failures else 0


def cmd_run(args) -> int:
    settings = load_settings()
    try:
        outcome = pipeline.run(settings, args.as_at, _run_id("cli", args.as_at), send=not args.no_send)
    except ValidationFailed as failure:
        print(failure.outcome.summary(), file=sys.stderr)
        print("critical validation failure: nothing published; the last good results stay as they were", file=sys.stderr)
        return 1
    print(outcome.summary())
    return cmd_results(argparse.Namespace(as_at=args.as_at, json=False))


def result_rows(as_at: date, scope_type: str = "authority") -> list[dict]:
    settings = load_settings()
    with pipeline.warehouse(settings).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT indicator_id, version, scope_type, scope, numerator, denominator, value, overdue, run_id "
                "FROM indicator_result WHERE as_at = :d AND authority = :a AND (:t = 'all' OR scope_type = :t) "
                "ORDER BY indicator_id, scope_type, scope"
            ),
            {"d": as_at, "a": settings.authority, "t": scope_type},
        ).mappings().all()
    return [{**row, "value": None if row["value"] is None else round(row["value"], 1)} for row in rows]


def cmd_results(args) -> int:
    rows = result_rows(args.as_at, "all" if getattr(args, "all_scopes", False) else "authority")
    if args.json:
        print(json.dumps([{**r, "as_at": args.as_at.isoformat()} for r in rows], indent=2))
        return 0
    print(f"{'indicator':<32} {'scope':<28} {'num':>5} {'den':>5} {'value':>7} {'overdue':>7}")
    for r in rows:
        value = "n/a" if r["value"] is None else f"{r['value']:.1f}%"
        print(f"{r['indicator_id']:<32} {r['scope_type'] + ':' + r['scope']:<28} {r['numerator']:>5} {r['denominator']:>5} {value:>7} {r['overdue']:>7}")
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(args.reference_date, args.children)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csc-monitor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="write synthetic exports and their planted ground truth")
    p.add_argument("--children", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, help="folder for the exports (e.g. the landing folder)")
    p.add_argument("--reference-date", type=_date, default=date(2025, 3, 31))
    p.add_argument("--authority", default="999")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("ingest", help="load every new export in the landing folder (or DIR)")
    p.add_argument("directory", nargs="?")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("validate", help="run the expectation suites and print the summary")
    p.add_argument("--as-at", type=_date, required=True)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("run", help="validate, compute and alert for one as-at date")
    p.add_argument("--as-at", type=_date, required=True)
    p.add_argument("--no-send", action="store_true", help="queue messages but do not deliver them")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("results", help="print the published figures for an as-at date")
    p.add_argument("--as-at", type=_date, required=True)
    p.add_argument("--json", action="store_true")
    p.add_argument("--all-scopes", action="store_true", help="include team and worker figures")
    p.set_defaults(func=cmd_results)

    p = sub.add_parser("demo", help="generate data and run the csc_nightly DAG once on the embedded default")
    p.add_argument("--reference-date", type=_date, default=date(2025, 3, 31))
    p.add_argument("--children", type=int, default=600)
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
