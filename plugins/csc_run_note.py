"""Airflow loads this from its plugins folder: the scheduler's listener that states each run's as-at date in its note."""

from airflow.plugins_manager import AirflowPlugin

from csc_monitor import airflow_run_note


class CscRunNotePlugin(AirflowPlugin):
    name = "csc_run_note"
    listeners = [airflow_run_note]
