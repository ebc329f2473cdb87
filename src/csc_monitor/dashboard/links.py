"""Links into the dashboard, for Slack messages and anything else that points people at a figure."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote, urlencode

URL_PREFIX = "/csc"


def indicator_url(base: str, indicator_id: str, as_at: date, team: str | None = None) -> str:
    """The indicator page for one as-at date (and team), under the Airflow api-server at `base`.

    `base` may be the api-server's address or the dashboard's own (ending in /csc), with or without a
    trailing slash: people copy whichever address their browser shows.

    indicator_url("https://airflow.example.org", "icpc_within_15_working_days", date(2025, 3, 31), "CP East")
    -> "https://airflow.example.org/csc/indicators/icpc_within_15_working_days?as_at=2025-03-31&team=CP+East"
    """
    query = {"as_at": as_at.isoformat(), **({"team": team} if team else {})}
    return f"{dashboard_root(base)}/indicators/{quote(indicator_id)}?{urlencode(query)}"


def dashboard_root(base: str) -> str:
    """The dashboard's address (no trailing slash) from the api-server's address or the dashboard's own."""
    server = base.rstrip("/").removesuffix(URL_PREFIX).rstrip("/")
    return f"{server}{URL_PREFIX}"
