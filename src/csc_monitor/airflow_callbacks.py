"""Airflow callbacks the DAG files name at parse time: light on purpose, so the package is only imported
when a callback actually runs (DAG files must parse in well under a second)."""


def task_failed(context) -> None:
    from .orchestration import task_failed as post

    post(context)

