"""The whole nightly run, timed against the cost of reading the data and an analyst's row-by-row baseline.

    python -m benchmarks.run [--smoke] [--warehouse-url postgresql+psycopg2://postgres@127.0.0.1:5432/postgres]

Three data sets, measured one after another in this process: `small` and `large` (the CLI presets) for one
authority, and a region of 20 authorities generated into one landing folder and run in regional mode. For each:
ingest, validation, indicator computation (whole catalogue, one as-at date), alert evaluation, the whole run (their
sum), and a backfill of 60 month-ends, each beside two references measured in the same run:

- the parse floor: every export parsed once (`parse_export`, no warehouse), the least any run must spend;
- the analyst's baseline: ICPC timeliness, CLA visits (reg 28) and CP reviews computed row by row in plain
  Python/pandas from the warehouse rows already in memory (`csc_reference`), against the SQL engine
  computing the same three; their figures must be identical.

Peak resident memory (sampled from /proc) is shown per stage, and growth exponents (the slope of log time
and log peak memory against log rows parsed) are fitted over the three sizes. `--smoke` runs tiny sizes.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

import duckdb
import numpy as np
import pandas as pd
import sqlalchemy as sa

from csc_monitor import pipeline
from csc_monitor.authority_config import indicator_parameters
from csc_monitor.backfill import as_at_dates
from csc_monitor.cli import SCALES
from csc_monitor.config import load_settings
from csc_monitor.dates import add_months
from csc_monitor.synthetic import generate
from csc_monitor.indicators.definitions import load_definitions
from csc_monitor.indicators.engine import compute_all
from csc_monitor.ingest.landing import file_authority, parse_export
from csc_reference.front_door import known, period_contains
from csc_monitor.synthetic.truth import REFERENCES
from csc_monitor.workdays import working_days_between

AS_AT = date(2025, 3, 31)
BACKFILL = as_at_dates(add_months(AS_AT, -60) + timedelta(days=1), AS_AT)  # 60 month-ends ending on AS_AT
ICPC = "icpc_within_15_working_days"
SHARED = (ICPC, "cla_visits_reg28", "cp_reviews_on_time")  # the three indicators the baseline computes
REGION = [str(code) for code in range(801, 821)]
DATA_SETS = {  # name -> [(authority, CIN children, looked-after children, census years)]
    "full": {
        "small": [("801", *SCALES["small"])],
        "large": [("801", *SCALES["large"])],
        "20 authorities": [(code, 4000, 200, 5) for code in REGION],
    },
    "reduced": {  # `full` within minutes while CIN census parsing is quadratic (see README, Performance)
        "small": [("801", *SCALES["small"])],
        "large": [("801", 12000, 1000, 3)],
        "20 authorities": [(code, 1000, 100, 3) for code in REGION],
    },
    "smoke": {
        "small": [("801", 60, 15, 1)],
        "large": [("801", 150, 30, 2)],
        "20 authorities": [(code, 60, 15, 1) for code in REGION[:2]],
    },
}
STAGES = ("parse floor", "ingest", "validation", "computation", "alert evaluation", "whole run", "backfill 60 month-ends",
          "3 indicators: SQL", "3 indicators: row-by-row baseline", "dashboard: overview page", "dashboard: indicator page")
DASHBOARD_PAGES = (("dashboard: overview page", "/"), ("dashboard: indicator page", "/indicators/icpc_within_15_working_days"))
TARGETS = (  # (what, stage, reference stage, at most this ratio); checked on the large authority
    ("computation <= 3x parse floor", "computation", "parse floor", 3.0),
    ("60-date backfill <= 5x one date", "backfill 60 month-ends", "computation", 5.0),
    ("SQL <= 0.05x the baseline on 3 indicators", "3 indicators: SQL", "3 indicators: row-by-row baseline", 1 / 20),
)


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass
class Measurements:
    rows: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    peak_mb: dict[str, float] = field(default_factory=dict)
    figures: dict[str, tuple[dict, dict]] = field(default_factory=dict)  # "authority indicator" -> (SQL, baseline)

    @contextmanager
    def stage(self, name: str):
        """Time a stage (added up over authorities) and sample its peak resident memory every 10 ms."""
        peak, done = [_rss_mb()], threading.Event()

        def sample():
            while not done.wait(0.01):
                peak[0] = max(peak[0], _rss_mb())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
            done.set()
            sampler.join()
            self.peak_mb[name] = max(self.peak_mb.get(name, 0.0), peak[0], _rss_mb())

    @property
    def identical(self) -> bool:
        return all(sql == baseline for sql, baseline in self.figures.values())


def icpc_row_by_row(enquiries: pd.DataFrame, referrals: pd.DataFrame, as_at: date, timescale: int) -> dict:
    """ICPC timeliness as an analyst would write it in pandas: one enquiry at a time, working days counted day by day."""
    closures = {(r.child_id, r.referral_date): r.closure_date for r in referrals.itertuples()}
    numerator = denominator = overdue = 0
    for e in enquiries.itertuples():
        if e.strategy_discussion_date > as_at:
            continue
        icpc = known(e.icpc_date, as_at)
        if icpc is not None:
            if period_contains(icpc, as_at):
                denominator += 1
                numerator += working_days_between(e.strategy_discussion_date, icpc) <= timescale
        elif period_contains(e.strategy_discussion_date, as_at) and not e.icpc_not_required:
            closed = known(closures.get((e.child_id, e.referral_date)), as_at) is not None
            overdue += not closed and working_days_between(e.strategy_discussion_date, as_at) > timescale
    return {"numerator": numerator, "denominator": denominator, "overdue": overdue}


def _rows(conn: sa.Connection, table: str, authority: str) -> list[dict]:
    return [dict(r) for r in conn.execute(sa.text(f"SELECT * FROM {table} WHERE authority = :a"), {"a": authority}).mappings()]


def baseline_and_sql(m: Measurements, settings, authority: str) -> None:
    """The three shared indicators: SQL engine vs row-by-row baseline on the same warehouse rows (loading them is not timed)."""
    engine = pipeline.warehouse(settings)
    definitions = {d.id: d for d in load_definitions(list(SHARED))}
    with m.stage("3 indicators: SQL"):
        compute_all(engine, list(definitions.values()), authority, f"bench-sql3-{authority}", [AS_AT])
    with engine.connect() as conn:
        sql = {r.indicator_id: {"numerator": r.numerator, "denominator": r.denominator, "overdue": r.overdue} for r in conn.execute(sa.text(
            "SELECT indicator_id, numerator, denominator, overdue FROM indicator_result "
            "WHERE authority = :a AND as_at = :d AND scope_type = 'authority'"), {"a": authority, "d": AS_AT})}
        facts = {t: _rows(conn, t, authority) for t in ("care_episode", "visit", "annex_a_latest", "cp_plan", "cp_review",
                                                       "la_review", "review_event", "placement_arrangement")}
        enquiries, referrals = (pd.DataFrame(_rows(conn, t, authority)) for t in ("section47_enquiry", "referral"))
    parameters = {i: indicator_parameters(authority, i, d.parameters) for i, d in definitions.items()}
    with m.stage("3 indicators: row-by-row baseline"):
        baseline = {ICPC: icpc_row_by_row(enquiries, referrals, AS_AT, parameters[ICPC]["timescale_working_days"]),
                    **{i: REFERENCES[i](facts, AS_AT, parameters[i]) for i in SHARED[1:]}}
    empty = {"numerator": 0, "denominator": 0, "overdue": 0}
    for i in SHARED:
        m.figures[f"{authority} {i}"] = (sql.get(i, empty), {k: baseline[i][k] for k in empty})


def dashboard_pages(m: Measurements, settings, authority: str) -> None:
    """Render each dashboard page over the five years of monthly figures the backfill wrote (issue 9: under a second).

    The login is Airflow's and is tested in tests/test_dashboard_app.py; here it is stood aside to time the pages alone.
    """
    from fastapi.testclient import TestClient

    from csc_monitor.dashboard.app import create_app
    from csc_monitor.dashboard.auth import Grants, dashboard_user

    app = create_app()
    app.dependency_overrides[dashboard_user] = lambda: Grants(user="benchmark", children=False)  # figures only
    environment = {"CSC_MONITOR_WAREHOUSE_URL": settings.warehouse_url, "CSC_MONITOR_AUTHORITY": authority}
    with mock.patch.dict(os.environ, environment):
        client = TestClient(app)
        for stage, path in DASHBOARD_PAGES:
            with m.stage(stage):
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)


@contextmanager
def fresh_warehouse(server_url: str | None, folder: Path):
    """A new DuckDB file, or a schema of its own on the PostgreSQL server (dropped afterwards)."""
    if not server_url:
        yield f"duckdb:///{folder / 'warehouse.duckdb'}"
        return
    schema, admin = f"bench_{uuid.uuid4().hex[:10]}", sa.create_engine(server_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{server_url}{'&' if '?' in server_url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def measure(authorities: list[tuple], folder: Path, server_url: str | None, smoke: bool) -> Measurements:
    codes = [a[0] for a in authorities]
    landing = folder / "landing"
    with mock.patch("csc_monitor.synthetic.planted_figures", return_value={}), \
            mock.patch("csc_monitor.synthetic.planted_schedules", return_value={}):  # the planted truth is quadratic and not needed here
        for code, children, looked_after, years in authorities:
            generate(landing, children, seed=int(code), reference_date=AS_AT, code=code, truth_path=folder / f"truth_{code}.json",
                     looked_after=looked_after, years=years)
    m = Measurements()
    with fresh_warehouse(server_url, folder) as url:
        settings = load_settings(warehouse_url=url, data_dir=folder / "data", landing_dir=landing, authority=codes[0],
                                 authorities=tuple(codes) if len(codes) > 1 else (), slack_token=None, data_docs=not smoke,
                                 settle_seconds=0)  # the exports were written whole just now: none is still arriving
        files = sorted(landing.iterdir())
        with m.stage("parse floor"):
            m.rows = sum(parse_export(p, settings.authority if p.suffix == ".xml" else file_authority(p, settings)).row_count for p in files)
        with m.stage("ingest"):
            report = pipeline.ingest(settings)
        assert report.loaded and not report.rejected and not report.waiting, report.lines()
        for code in codes:
            own = replace(settings, authority=code)
            run_id = f"bench-{code}"
            with m.stage("validation"):
                pipeline.validate(own, AS_AT, run_id, stop_on_critical=False)
            with m.stage("computation"):
                pipeline.compute(own, [AS_AT], run_id)
            with m.stage("alert evaluation"):
                pipeline.alert(own, AS_AT, run_id, send=False)
            baseline_and_sql(m, own, code)
            with m.stage("backfill 60 month-ends"):
                compute_all(pipeline.warehouse(own), load_definitions(), code, f"bench-backfill-{code}", BACKFILL)
            dashboard_pages(m, own, code)
        m.seconds["whole run"] = sum(m.seconds[s] for s in ("ingest", "validation", "computation", "alert evaluation"))
        m.peak_mb["whole run"] = max(m.peak_mb[s] for s in ("ingest", "validation", "computation", "alert evaluation"))
        pipeline.warehouse(settings).dispose()
    return m


def _cell(m: Measurements, stage: str) -> str:
    ratio = m.seconds[stage] / m.seconds["parse floor"] if m.seconds["parse floor"] else math.inf
    return f"{m.seconds[stage]:8.2f}s {ratio:6.1f}x {m.peak_mb[stage]:6.0f}MB"


def _exponent(sizes: list[int], values: list[float]) -> str:
    if len(set(sizes)) < 2 or min(values) <= 0:
        return "n/a"
    return f"{np.polyfit(np.log(sizes), np.log(values), 1)[0]:.2f}"


def machine() -> str:
    with open("/proc/meminfo") as handle:
        total_kb = int(next(line for line in handle if line.startswith("MemTotal")).split()[1])
    return (f"machine: {os.cpu_count()} cores, {total_kb / 2**20:.1f} GB memory, load average {os.getloadavg()[0]:.1f}, "
            f"{platform.platform()}, Python {platform.python_version()}, DuckDB {duckdb.__version__}, pandas {pd.__version__}, "
            f"SQLAlchemy {sa.__version__}")


def report(results: dict[str, Measurements], warehouse: str) -> None:
    names = list(results)
    print(machine())
    print(f"warehouse: {warehouse}; as at {AS_AT}; each cell: seconds, ratio to that data set's parse floor, peak resident memory")
    print(f"{'stage':<36}" + "".join(f"{n:>32}" for n in names))
    print(f"{'rows parsed':<36}" + "".join(f"{results[n].rows:>32,}" for n in names))
    for stage in STAGES:
        print(f"{stage:<36}" + "".join(f"{_cell(results[n], stage):>32}" for n in names))
    print(f"{'baseline / SQL (3 indicators)':<36}" + "".join(
        f"{results[n].seconds['3 indicators: row-by-row baseline'] / results[n].seconds['3 indicators: SQL']:>31.1f}x" for n in names))
    print(f"{'backfill / one date':<36}" + "".join(
        f"{results[n].seconds['backfill 60 month-ends'] / results[n].seconds['computation']:>31.1f}x" for n in names))
    print(f"{'3 indicators: denominators compared':<36}" + "".join(
        f"{sum(sql['denominator'] for sql, _ in results[n].figures.values()):>32,}" for n in names))
    print(f"{'baseline and SQL figures identical':<36}" + "".join(f"{'yes' if results[n].identical else 'NO':>32}" for n in names))
    for name, m in results.items():
        for key, (sql, baseline) in m.figures.items():
            if sql != baseline:
                print(f"  MISMATCH {name} {key}: SQL {sql} baseline {baseline}")
    sizes = [results[n].rows for n in names]
    print("growth exponents (log seconds, log peak MB against log rows parsed; 1.0 = linear):")
    for stage in STAGES:
        print(f"  {stage:<34} time {_exponent(sizes, [results[n].seconds[stage] for n in names]):>5}"
              f"   memory {_exponent(sizes, [results[n].peak_mb[stage] for n in names]):>5}")
    large = results["large"]
    print("targets on the large authority:")
    for what, stage, reference, limit in TARGETS:
        ratio = large.seconds[stage] / large.seconds[reference]
        print(f"  {what:<42} {ratio:7.2f} {'met' if ratio <= limit else 'MISSED'}")
    print(f"peak resident memory of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (the test suite runs this); same as --preset smoke")
    parser.add_argument("--preset", choices=sorted(DATA_SETS), default="full", help="data set sizes (default: full)")
    parser.add_argument("--warehouse-url", help="PostgreSQL server URL (a schema is created and dropped per data set); default a DuckDB file")
    args = parser.parse_args(argv)
    import great_expectations  # noqa: F401  (its import, ~6-10 s, is paid once here, not by the first validation)

    results = {}
    with tempfile.TemporaryDirectory(prefix="csc-bench-") as folder:
        for name, authorities in DATA_SETS["smoke" if args.smoke else args.preset].items():
            print(f"measuring {name}: {len(authorities)} authorit{'y' if len(authorities) == 1 else 'ies'} ...", file=sys.stderr, flush=True)
            results[name] = measure(authorities, Path(folder) / name.replace(" ", "_"), args.warehouse_url, args.smoke)
    print(f"preset: {'smoke' if args.smoke else args.preset} " + ", ".join(
        f"{name} = {len(a)} x ({a[0][1]:,} CIN children, {a[0][2]:,} looked after, {a[0][3]} census years)" for name, a in
        DATA_SETS["smoke" if args.smoke else args.preset].items()))
    report(results, "PostgreSQL" if args.warehouse_url else "DuckDB file")
    return 0 if all(m.identical for m in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
