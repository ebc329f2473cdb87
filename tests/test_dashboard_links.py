"""Every link an alert carries opens its page, whichever form of the dashboard's address the authority configured.

The links are followed through the api-server's own app with the plugin loaded, as a signed-in user.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.dashboard import indicator_url
from tests.test_dashboard_app import airflow_auth, plugins_folder  # noqa: F401 (fixtures)
from tests.test_slack_alerts import AS_AT, breaching, icpc_alerts_only  # noqa: F401 (fixtures)

ICPC = "icpc_within_15_working_days"
SERVER = "http://testserver"  # the TestClient's own address


@pytest.mark.parametrize("configured", [SERVER, f"{SERVER}/", f"{SERVER}/csc", f"{SERVER}/csc/"])
def test_indicator_url_accepts_the_api_servers_address_or_the_dashboards(configured):
    assert indicator_url(configured, ICPC, date(2025, 3, 31), "CP East") == (
        f"{SERVER}/csc/indicators/{ICPC}?as_at=2025-03-31&team=CP+East")


@pytest.mark.parametrize("warehouse_url", ["duckdb", "postgresql"], indirect=True)
def test_every_alert_link_opens_a_page_after_sign_in(settings, breaching, plugins_folder, airflow_auth, monkeypatch):  # noqa: F811
    from airflow.api_fastapi.app import create_app as create_api_server_app

    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)
    monkeypatch.setenv("CSC_MONITOR_AUTHORITY", "999")
    api_server = TestClient(create_api_server_app(apps="core"))
    followed = []
    for n, configured in enumerate([SERVER, f"{SERVER}/", f"{SERVER}/csc", f"{SERVER}/csc/"]):
        run_id = f"run-links-{n}"
        with breaching.begin() as conn:  # each address gets fresh alerts: forget the earlier run's state and messages
            conn.execute(text("DELETE FROM alert_state"))
            conn.execute(text("DELETE FROM slack_outbox"))
        pipeline.run(replace(settings, dashboard_url=configured), AS_AT, run_id)
        with breaching.connect() as conn:
            blocks = [json.loads(b) for b in conn.execute(text("SELECT blocks_json FROM slack_outbox")).scalars()]
        links = re.findall(r"<(http[^|>]+)\|trend, teams and children", json.dumps(blocks))
        assert [urlsplit(link).path for link in links] == [f"/csc/indicators/{ICPC}"] * 3, configured
        for link in links:
            assert api_server.get(link).status_code == 401  # behind Airflow's login
            page = api_server.get(link, cookies={"_token": airflow_auth("viewer")})
            assert page.status_code == 200, link
            followed.append((link.removeprefix(SERVER), "as at 2025-03-31" in page.text))
    assert followed == [(f"/csc/indicators/{ICPC}?as_at=2025-03-31{team}", True)
                        for team in ("", "&team=Team+B", "&team=Team+A")] * 4
