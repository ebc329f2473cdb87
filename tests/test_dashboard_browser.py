"""The dashboard in Debian's chromium (headless, driven by Playwright) on generated data, served by a real
`airflow api-server` process with the project's plugins folder, after signing in to Airflow.

The api-server (SQLite metadata, Simple auth manager, one worker) runs in its own process group and is
stopped by its id at the end. Screenshots of each page at 1280 and 800 pixels wide go to test-artifacts/.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
import yaml
from playwright.sync_api import sync_playwright
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.config import load_settings
from csc_monitor.dashboard.model import format_value
from csc_monitor.synthetic import generate
from csc_monitor.indicators.definitions import load_definitions

PROJECT = Path(__file__).resolve().parents[1]
ARTIFACTS = PROJECT / "test-artifacts"
LATEST = date(2025, 3, 31)
EARLIER = [date(2024, 4, 30), date(2024, 5, 31), date(2024, 6, 30), date(2024, 7, 31), date(2024, 8, 31), date(2024, 9, 30),
           date(2024, 10, 31), date(2024, 11, 30), date(2024, 12, 31), date(2025, 1, 31), date(2025, 2, 28)]
ICPC = "icpc_within_15_working_days"
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
PASSWORD = "browser-test-password"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """Generated exports in a DuckDB file: a full run (validation included) for the latest month-end, and the
    eleven month-ends before it computed in one set-based step; the dashboard reads the copy the run published."""
    root = tmp_path_factory.mktemp("dashboard")
    settings = load_settings(warehouse_url=f"duckdb:///{root / 'warehouse.duckdb'}", data_dir=root / "data",
                             landing_dir=root / "landing", slack_token=None, slack_base_url=None, authority="999")
    generate(settings.landing_dir, children=300, seed=11, reference_date=LATEST, truth_path=root / "truth.json")
    pipeline.ingest(settings)
    pipeline.compute(settings, EARLIER, "browser-history")
    pipeline.run(settings, LATEST, "browser-latest", send=False)
    return pipeline.warehouse(settings)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(warehouse, tmp_path_factory):
    """`airflow api-server` with the plugin loaded, reading the warehouse the module generated; yields its address."""
    home, port = tmp_path_factory.mktemp("airflow-home"), _free_port()
    (home / "dags").mkdir()
    (home / "passwords.json").write_text(json.dumps({"manager": PASSWORD}))
    access = yaml.safe_load((PROJECT / "config" / "authority.yml").read_text())
    access["dashboard_access"] = {"users": {"manager": {"children": True}}}  # the manager may open child lists
    (home / "authority.yml").write_text(yaml.safe_dump(access))
    env = {
        **os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"), "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__API_AUTH__JWT_SECRET": "browser-test-secret",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "manager:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "CSC_MONITOR_WAREHOUSE_URL": str(warehouse.url.render_as_string(hide_password=False)), "CSC_MONITOR_AUTHORITY": "999",
        "CSC_MONITOR_AUTHORITY_CONFIG": str(home / "authority.yml"),
    }
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    log = home / "api-server.log"
    server = subprocess.Popen([AIRFLOW, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"], env=env,
                              stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    address = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # up to about 5 minutes on a busy machine: a readiness bound, not a timing assertion
            try:
                if httpx.get(f"{address}/csc/", timeout=5).status_code == 401:  # the plugin answers, behind the login
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, log.read_text()[-3000:]
            time.sleep(1)
        else:
            raise AssertionError(f"the api-server did not serve /csc/\n{log.read_text()[-3000:]}")
        yield address
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the api-server's own process group: it and its worker
        server.wait(timeout=60)


@pytest.fixture(scope="module")
def page(base_url):
    """A browser signed in to Airflow: the token from the Simple auth manager's login, as the cookie the UI sets."""
    token = httpx.post(f"{base_url}/auth/token", json={"username": "manager", "password": PASSWORD}).json()["access_token"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "_token", "value": token, "url": base_url}])
        yield context.new_page()
        browser.close()


def test_overview_shows_every_indicator_as_at_the_published_runs_date(warehouse, base_url, page):
    with warehouse.connect() as conn:
        figures = dict(conn.execute(text(
            "SELECT indicator_id, value FROM indicator_result WHERE scope_type = 'authority' AND authority = '999' "
            "AND as_at = :d"), {"d": LATEST}).all())
    definitions = load_definitions()
    assert ICPC in figures and len(figures) > 20  # some indicators have nothing to count in 300 children on the date
    page.goto(f"{base_url}/csc/")
    assert page.locator("h1").inner_text() == "Performance indicators"
    assert page.locator("#page-as-at").get_attribute("data-as-at") == LATEST.isoformat()
    shown = {row.get_attribute("data-indicator"): row.locator("td.value").inner_text()
             for row in page.locator("#overview tbody tr").all()}
    assert shown == {d.id: format_value(d, figures.get(d.id)) for d in definitions}
    assert shown[ICPC] == f"{figures[ICPC]:.1f}%"


def test_indicator_page_draws_its_chart_and_the_team_filter_changes_the_breakdown(warehouse, base_url, page):
    page.goto(f"{base_url}/csc/indicators/{ICPC}")
    chart = page.locator("svg.trend")
    assert chart.is_visible() and chart.bounding_box()["width"] > 300
    assert page.locator("svg.trend circle.point").count() == 12
    assert page.locator("svg.trend line.threshold").count() == 2
    every_worker = page.locator("#workers tbody th").all_inner_texts()
    with warehouse.connect() as conn:
        team, workers = conn.execute(text(
            "SELECT team, COUNT(DISTINCT worker) FROM indicator_unit WHERE indicator_id = :i AND as_at = :d "
            "GROUP BY team ORDER BY COUNT(DISTINCT worker), team LIMIT 1"), {"i": ICPC, "d": LATEST}).one()
        expected = list(conn.execute(text(
            "SELECT DISTINCT worker FROM indicator_unit WHERE indicator_id = :i AND as_at = :d AND team = :t ORDER BY worker"),
            {"i": ICPC, "d": LATEST, "t": team}).scalars())
    page.select_option("#team", team)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**team=*")
    filtered = page.locator("#workers tbody th").all_inner_texts()
    assert filtered == expected and filtered != every_worker
    assert page.locator("#teams tr.selected th").inner_text() == team


def test_csv_download_holds_exactly_the_exceptions_in_the_warehouse(warehouse, base_url, page):
    with warehouse.connect() as conn:
        team = conn.execute(text(
            "SELECT team FROM indicator_unit WHERE indicator_id = :i AND as_at = :d AND status IN ('not_met', 'overdue') "
            "GROUP BY team ORDER BY COUNT(*) DESC, team LIMIT 1"), {"i": ICPC, "d": LATEST}).scalar_one()
        expected = sorted(conn.execute(text(
            "SELECT child_id, status, worker, elapsed FROM indicator_unit WHERE indicator_id = :i AND as_at = :d AND team = :t "
            "AND status IN ('not_met', 'overdue')"), {"i": ICPC, "d": LATEST, "t": team}).all())
    page.goto(f"{base_url}/csc/indicators/{ICPC}?team={team}")
    page.locator("#exceptions-link").click()
    assert page.locator("#exceptions tbody tr").count() == len(expected) > 0
    with page.expect_download() as download:
        page.locator("#csv-link").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert sorted((r["child_id"], r["status"], r["worker"], int(r["elapsed"])) for r in rows) == expected
    assert {r["team"] for r in rows} == {team}
    assert all(int(r["late_by"]) == int(r["elapsed"]) - 15 for r in rows)


@pytest.mark.parametrize("width", [1280, 800])
def test_pages_fit_the_window_and_draw_every_chart_whole(base_url, page, width):
    """Screenshots for a person to look at; no page scrolls sideways and no sparkline is cut by its cell or table."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    for name, path in (("overview", "/csc/"), ("indicator", f"/csc/indicators/{ICPC}"), ("alerts", "/csc/alerts")):
        page.goto(f"{base_url}{path}")
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    page.goto(f"{base_url}/csc/")
    cut = page.evaluate("""() => [...document.querySelectorAll('svg.sparkline')].filter(svg => {
        const box = svg.getBoundingClientRect(), cell = svg.closest('td').getBoundingClientRect(),
              wrap = svg.closest('.table-wrap').getBoundingClientRect();
        return box.left < cell.left || box.right > cell.right || box.right > wrap.right || box.width < 120; }).length""")
    assert page.locator("svg.sparkline").count() > 20 and cut == 0
    page.set_viewport_size({"width": 1280, "height": 900})
