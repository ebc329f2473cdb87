"""How long validation takes next to the indicator computation, on a large generated authority.

    .venv/bin/python benchmarks/validation.py [--children 20000] [--postgres postgresql+psycopg2://postgres@127.0.0.1:5432/postgres]

Generates the exports, ingests them into a fresh warehouse (a temporary DuckDB file, and a temporary
schema on PostgreSQL when --postgres is given), then times the fact suites, the indicator computation
and the results suite for one as-at date. The first validation pays Great Expectations' import (~6-10 s):
it is warmed up first and not counted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from unittest import mock

import sqlalchemy as sa

from csc_monitor import pipeline
from csc_monitor.config import load_settings
from csc_monitor.synthetic import generate
from csc_monitor.validation.runner import validate_warehouse

AS_AT = date(2025, 3, 31)


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(url: str, folder: Path, children: int) -> dict:
    settings = load_settings(warehouse_url=url, data_dir=folder / "data", landing_dir=folder / "landing", data_docs=False)
    with mock.patch("csc_monitor.synthetic.planted_figures", return_value={}), \
            mock.patch("csc_monitor.synthetic.planted_schedules", return_value={}):  # the planted truth is quadratic and not needed here
        generate(settings.landing_dir, children=children, seed=7, reference_date=AS_AT)
    pipeline.ingest(settings)
    engine = pipeline.warehouse(settings)
    validate_warehouse(engine, settings, AS_AT, "warm-up")
    with engine.connect() as conn:
        rows = sum(conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                   for t in ("child", "referral", "assessment", "section47_enquiry", "cp_plan", "cp_review", "allocation"))
    facts = _timed(lambda: validate_warehouse(engine, settings, AS_AT, "bench"))
    compute = _timed(lambda: pipeline.compute(settings, [AS_AT], "bench"))
    results = _timed(lambda: validate_warehouse(engine, settings, AS_AT, "bench", stage="results"))
    engine.dispose()
    return {"rows": rows, "facts": facts, "compute": compute, "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=20000)
    parser.add_argument("--postgres", help="server URL (a temporary schema is created and dropped)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="csc-bench-"))
    targets = [("duckdb", f"duckdb:///{folder / 'duckdb' / 'warehouse.duckdb'}", None)]
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        targets.append(("postgresql", f"{args.postgres}?options=-csearch_path%3D{schema}", schema))
    for name, url, schema in targets:
        admin = sa.create_engine(args.postgres) if schema else None
        if admin:
            with admin.begin() as conn:
                conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        try:
            m = measure(url, folder / name, args.children)
        finally:
            if admin:
                with admin.begin() as conn:
                    conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
                admin.dispose()
        validation = m["facts"] + m["results"]
        print(f"{name:<10} {args.children} children, {m['rows']} fact rows: validation {validation:.2f} s "
              f"(facts {m['facts']:.2f} s, results {m['results']:.2f} s), indicator computation {m['compute']:.2f} s, "
              f"ratio {validation / m['compute']:.1f}x")


if __name__ == "__main__":
    main()
