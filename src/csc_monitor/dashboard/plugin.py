"""The Airflow plugin: the dashboard app under /csc on the api-server, and an entry in Airflow's navigation."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from .app import create_app
from .links import URL_PREFIX


class CscDashboardPlugin(AirflowPlugin):
    name = "csc_dashboard"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "CSC performance dashboard"}]
    external_views = [{
        "name": "CSC performance", "href": f"{URL_PREFIX.lstrip('/')}/", "destination": "nav",
        "url_route": "csc-performance",
    }]
