"""`csc-monitor demo`: synthetic exports -> the csc_nightly DAG on the embedded default -> figures and alerts.

Embedded default: DuckDB warehouse file and SQLite Airflow metadata under data/, and Slack
messages to the console and data/outbox/ unless SLACK_BOT_TOKEN is set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from .config import load_settings, project_dir
from .generate import generate


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
    env = airflow_environment(settings.data_dir)
    _airflow(["db", "migrate"], env)
    _airflow(["airflow", "setup"], env, program="csc-monitor")
    _airflow(["dags", "test", "csc_nightly", (reference_date + timedelta(days=1)).isoformat()], env)

    from .cli import main as cli_main

    print("\nPublished figures as at", reference_date.isoformat())
    cli_main(["results", "--as-at", reference_date.isoformat(), "--all-scopes"])
    print(f"\nSlack messages (no token set: written to {settings.outbox_file}):" if not settings.slack_token else "\nSlack messages sent:")
    if settings.outbox_file.exists():
        for line in settings.outbox_file.read_text().splitlines():
            print("  -", json.loads(line)["text"])
    return 0
