"""csc_nightly: load what has landed, validate, compute every indicator and alert, for one as-at date per run.

**When.** At 01:30 Europe/London every night (computing as at yesterday), and once per drop of exports
in the landing folder (the watcher claims every export that landed together, once they have settled). A backfill computes its logical dates as the as-at
dates: `csc-monitor backfill --airflow --from D1 --to D2 --every day` (or, in the UI or `airflow backfill
create`, from D1 00:00 to D2 23:59) computes exactly D1..D2, with alerts muted unless the param
`alert_in_backfill` is set. The `as_at` param of a manual run overrides all of this. Each run's note
states the as-at date it computes (written by the scheduler as the run starts: plugins/csc_run_note.py).

**Before the first run**, `csc-monitor airflow setup` creates the `csc_warehouse` pool the warehouse tasks
share; `check_setup` fails the run, naming that command, if it has not been run.

**Tasks.** Each authority the run covers (one, or a region's in regional mode) is validated, computed and
published by its own mapped task instances, labelled by authority code and indicator id. An authority
whose data checks fail is skipped and not published while the others publish; any failed task posts to
the operations channel. Each task's log says the authority, as-at date, what it read and wrote and how
long it took.

Thin on purpose: each task calls csc_monitor.orchestration, the same code the CLI and tests run.
Nothing here reads configuration: connections and variables are read inside the tasks.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import (
    Asset, AssetOrTimeSchedule, AssetWatcher, CronTriggerTimetable, Param, TriggerRule,
    dag, get_current_context, task,
)

from csc_monitor import airflow_callbacks
from csc_monitor.airflow_setup import WAREHOUSE_POOL
from csc_monitor.airflow_triggers import LandedDropTrigger


def _call(step: str, **kwargs):
    """Run one step of csc_monitor.orchestration; imported here so parsing the DAG stays fast."""
    from csc_monitor import orchestration

    return getattr(orchestration, step)(get_current_context(), **kwargs)


# One watcher for the whole landing folder: a drop of many exports is one event, so one run.
EXPORTS_LANDED = Asset("csc_exports_landed", group="csc-exports", watchers=[AssetWatcher("landing_folder", LandedDropTrigger())])

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
        timetable=CronTriggerTimetable("30 1 * * *", timezone="Europe/London"), assets=EXPORTS_LANDED
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
    @task(pool="default_pool")  # outside the pool it checks for; fails without retrying (AirflowFailException)
    def check_setup():
        _call("check_setup_task")

    @task
    def ingest_exports():
        return _call("ingest_task")

    @task
    def list_authorities(loaded: list[str]):
        return _call("authorities_task", loaded=loaded)

    @task(map_index_template="{{ authority }}")
    def validate_data(authority: str):
        return _call("validate_task", authority=authority)

    @task
    def list_indicators():
        return _call("indicator_ids_task")

    @task(map_index_template="{{ authority }} {{ indicator_id }}", trigger_rule=TriggerRule.ALL_DONE)
    def compute_indicator(authority: str, indicator_id: str):
        _call("compute_task", authority=authority, indicator_id=indicator_id)

    @task(map_index_template="{{ authority }}", trigger_rule=TriggerRule.ALL_DONE)
    def publish(authority: str):
        _call("publish_task", authority=authority)

    loaded = ingest_exports()
    check_setup() >> loaded
    authorities, indicators = list_authorities(loaded), list_indicators()
    computed = compute_indicator.expand(authority=authorities, indicator_id=indicators)
    validate_data.expand(authority=authorities) >> computed >> publish.expand(authority=authorities)


csc_nightly()
