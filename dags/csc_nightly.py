"""csc_nightly: every night, load what has landed, validate, compute every indicator and alert.

Thin on purpose: each task calls csc_monitor.orchestration, the same code the CLI and tests run.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, dag, get_current_context, task

def _call(step: str):
    """Run one step of csc_monitor.orchestration; imported here so parsing the DAG stays fast."""
    from csc_monitor import orchestration

    return getattr(orchestration, step)(get_current_context())


DEFAULT_ARGS = {"owner": "performance-team", "retries": 2, "retry_delay": timedelta(minutes=5)}


@dag(
    dag_id="csc_nightly",
    schedule=CronTriggerTimetable("30 1 * * *", timezone="Europe/London"),
    start_date=pendulum.datetime(2025, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["csc-monitor", "nightly"],
    params={
        "as_at": Param(None, type=["null", "string"], format="date", description="Compute as at this date (default: the day before the run)"),
        "alert_in_backfill": Param(False, type="boolean", description="Post alerts even when the run is a backfill"),
    },
    doc_md=__doc__,
)
def csc_nightly():
    @task
    def ingest_exports():
        return _call("ingest_task")

    @task
    def start_run():
        return _call("start_task")

    @task
    def validate_data():
        return _call("validate_task")

    @task
    def compute_indicators():
        _call("compute_task")

    @task
    def send_alerts():
        return _call("alert_task")

    ingest_exports() >> start_run() >> validate_data() >> compute_indicators() >> send_alerts()


csc_nightly()
