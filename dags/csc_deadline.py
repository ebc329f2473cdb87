"""csc_deadline: at 07:00 Europe/London, tell the operations channel if last night's figures are not published.

Thin on purpose: the check is csc_monitor.orchestration.deadline_check_task.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, get_current_context, task

from csc_monitor import airflow_callbacks


@dag(
    dag_id="csc_deadline",
    schedule=CronTriggerTimetable("0 7 * * *", timezone="Europe/London"),
    start_date=pendulum.datetime(2025, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "performance-team", "retries": 2, "retry_delay": timedelta(minutes=2),
                  "on_failure_callback": airflow_callbacks.task_failed},
    tags=["csc-monitor", "operations"],
    doc_md=__doc__,
)
def csc_deadline():
    @task
    def check_published():
        from csc_monitor import orchestration

        return orchestration.deadline_check_task(get_current_context())

    check_published()


csc_deadline()
