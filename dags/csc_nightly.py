"""csc_nightly: load what has landed, validate, compute every indicator and alert, for one as-at date per run.

Runs at 01:30 Europe/London every night, and also whenever a watcher sees a new export of any kind in
the landing folder (one asset per kind), so figures are current the morning after data lands and the
nightly run still happens when nothing arrived. Each indicator is its own mapped task, named in the
UI; alerts go out for those that computed, and any failed task posts to the operations channel.

Thin on purpose: each task calls csc_monitor.orchestration, the same code the CLI and tests run.
Nothing here reads configuration: connections and variables are read inside the tasks.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import (
    Asset, AssetAny, AssetOrTimeSchedule, AssetWatcher, CronTriggerTimetable, Param, TriggerRule,
    dag, get_current_context, task,
)

from csc_monitor import airflow_callbacks
from csc_monitor.airflow_triggers import LandedExportTrigger
from csc_monitor.export_kinds import EXPORT_KINDS, asset_name

WAREHOUSE_POOL = "csc_warehouse"  # bounds concurrent warehouse work across nightly, event and backfill runs


def _call(step: str, **kwargs):
    """Run one step of csc_monitor.orchestration; imported here so parsing the DAG stays fast."""
    from csc_monitor import orchestration

    return getattr(orchestration, step)(get_current_context(), **kwargs)


EXPORT_ASSETS = [
    Asset(asset_name(kind), group="csc-exports", watchers=[AssetWatcher(f"landing_{kind}", LandedExportTrigger(kind))])
    for kind in EXPORT_KINDS
]

DEFAULT_ARGS = {
    "owner": "performance-team",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "pool": WAREHOUSE_POOL,
    "on_failure_callback": airflow_callbacks.task_failed,
}


@dag(
    dag_id="csc_nightly",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("30 1 * * *", timezone="Europe/London"), assets=AssetAny(*EXPORT_ASSETS)
    ),
    start_date=pendulum.datetime(2025, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=2,
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
    def list_indicators():
        return _call("indicator_ids_task")

    @task(map_index_template="{{ indicator_id }}")
    def compute_indicator(indicator_id: str):
        _call("compute_task", indicator_id=indicator_id)

    @task(trigger_rule=TriggerRule.ALL_DONE_MIN_ONE_SUCCESS)
    def send_alerts():
        return _call("alert_task")

    indicators = list_indicators()
    ingest_exports() >> start_run() >> validate_data() >> indicators
    compute_indicator.expand(indicator_id=indicators) >> send_alerts()


csc_nightly()
