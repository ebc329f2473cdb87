"""`csc-monitor demo`: synthetic exports -> the csc_nightly DAG on the embedded default -> figures and alerts.

Embedded default: DuckDB warehouse file and SQLite Airflow metadata under data/, and Slack
messages to the console and data/outbox/ unless SLACK_BOT_TOKEN is set.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

from . import exit_codes, pipeline
from .config import Settings, load_settings, project_dir
from .results import formatted_value, result_rows, value_units
from .synthetic import generate


def airflow_environment(data_dir: Path) -> dict[str, str]:
    """Environment for an embedded Airflow: SQLite metadata under data/, this project's dags/."""
    airflow_home = data_dir / "airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(project_dir() / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "CSC_MONITOR_DATA_DIR": str(data_dir),
        "GX_ANALYTICS_ENABLED": "false",
    }


def _airflow(args: list[str], env: dict[str, str], program: str = "airflow") -> None:
    command = [str(Path(sys.executable).with_name(program)), *args]
    print("$", " ".join([program, *args]), flush=True)
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise SystemExit(f"{program} {' '.join(args)} failed ({completed.returncode})")


def run_demo(reference_date: date, children: int) -> int:
    settings = load_settings()
    truth = generate(settings.landing_dir, children, seed=2025, reference_date=reference_date, code=settings.authority,
                     truth_path=settings.data_dir / "ground_truth.json")
    planted = truth["icpc_within_15_working_days"]
    print(f"generated exports for {truth['children']} children in {settings.landing_dir} "
          f"(planted ICPC figure {planted['numerator']}/{planted['denominator']})")
    # the generator has just written the exports whole: ingest need not wait for them to stand unchanged
    env = {**airflow_environment(settings.data_dir), "CSC_MONITOR_SETTLE_SECONDS": "0"}
    _airflow(["db", "migrate"], env)
    _airflow(["airflow", "setup"], env, program="csc-monitor")
    _airflow(["dags", "test", "csc_nightly", (reference_date + timedelta(days=1)).isoformat()], env)
    rows = result_rows(settings, reference_date)
    print("\n".join(summary(settings, reference_date, planted, rows)))
    if not rows:
        print(f"nothing was published for {reference_date.isoformat()}: `csc-monitor ingest` and `csc-monitor run "
              f"--as-at {reference_date.isoformat()}` say why", file=sys.stderr)
        return exit_codes.NO_DATA
    return exit_codes.OK


def summary(settings: Settings, as_at: date, planted: dict, rows: list[dict]) -> list[str]:
    """What a manager reads in ten seconds: the headline figure, the breaches by severity, where to look next."""
    units = value_units()
    with pipeline.warehouse(settings).connect() as conn:
        breaches = conn.execute(text(
            "SELECT severity, indicator_id FROM alert_state WHERE authority = :a AND scope = 'all' AND status = 'firing' "
            "ORDER BY severity, indicator_id"), {"a": settings.authority}).all()
    icpc = next((r for r in rows if r["indicator_id"] == "icpc_within_15_working_days"), None)
    messages = settings.outbox_file.read_text().splitlines() if settings.outbox_file.exists() else []
    lines = [f"\n== authority {settings.authority}, figures as at {as_at.isoformat()} =="]
    if icpc:
        agrees = "equals" if (icpc["numerator"], icpc["denominator"]) == (planted["numerator"], planted["denominator"]) else "DIFFERS FROM"
        lines.append(f"ICPC within 15 working days: {formatted_value(icpc, units)} ({icpc['numerator']} of {icpc['denominator']}), "
                     f"which {agrees} the planted {planted['numerator']} of {planted['denominator']}")
    critical = [b.indicator_id for b in breaches if b.severity == "critical"]  # past its critical line (so its warning line too)
    by_severity = {"critical": critical,
                   "warning": [b.indicator_id for b in breaches if b.severity == "warning" and b.indicator_id not in critical]}
    lines.append(f"{len(rows)} indicators published: {len(by_severity['critical'])} breaching critical, "
                 f"{len(by_severity['warning'])} breaching warning")
    lines += [f"  {severity}: {', '.join(ids)}" for severity, ids in by_severity.items() if ids]
    lines.append(f"Slack: {len(messages)} messages " + ("sent" if settings.slack_token else f"written to {settings.outbox_file}"))
    lines.append("Dashboard: Airflow's api-server serves it at /csc/ (docs/dashboard.md)")
    lines.append(f"Every figure, team and worker: csc-monitor results --as-at {as_at.isoformat()} --all-scopes")
    return lines
