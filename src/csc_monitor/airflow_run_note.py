"""Every csc_nightly run states its as-at date in its note (the Airflow UI shows it beside the run), whatever
started it: the nightly schedule, a drop of exports, a backfill or a person.

The Task SDK gives a task no way to write its own run's note, so a listener in the scheduler writes it as the run
starts, by the rule the tasks compute with (orchestration.as_at_for). A note someone already wrote is kept, with
the as-at line added below it; a run cleared and started again is not noted twice.
"""

from __future__ import annotations

from datetime import date

from airflow.listeners import hookimpl


def noted(note: str | None, as_at: date) -> str:
    """The run's note with its as-at line: alone on a run without a note, else below what is there."""
    line = f"as-at {as_at.isoformat()}"
    if not note:
        return line
    return note if line in note else f"{note}\n\n{line}"


@hookimpl
def on_dag_run_running(dag_run, msg: str) -> None:
    """Called by the scheduler in its own transaction as a queued run starts (and as a cleared one starts again).
    The run's `as_at` param comes from its conf, as in a task."""
    from .orchestration import NIGHTLY_DAG_ID, as_at_for  # on the first run, not as the scheduler loads its plugins

    if dag_run.dag_id == NIGHTLY_DAG_ID:
        context = {"params": dag_run.conf or {}, "logical_date": dag_run.logical_date, "dag_run": dag_run}
        dag_run.note = noted(dag_run.note, as_at_for(context))
