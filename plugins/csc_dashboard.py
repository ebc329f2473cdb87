"""Airflow loads this from its plugins folder; the dashboard itself lives in csc_monitor.dashboard."""

from csc_monitor.dashboard.plugin import CscDashboardPlugin  # noqa: F401
