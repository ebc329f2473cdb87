"""The dashboard in Debian's chromium (headless, driven by Playwright) on generated data, served by uvicorn.

The app is mounted under /csc exactly as the api-server mounts the plugin, and every request goes
through the same Airflow token check (the browser carries the `_token` cookie the Airflow UI sets).
"""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import sync_playwright
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.config import load_settings
from csc_monitor.dashboard.model import format_value
from csc_monitor.synthetic import generate
from csc_monitor.indicators.definitions import load_definitions
from tests.test_dashboard_app import airflow_auth  # noqa: F401 (session fixture: Airflow's tokens)

PROJECT = Path(__file__).resolve().parents[1]
ARTIFACTS = PROJECT / "test-artifacts"
LATEST = date(2025, 3, 31)
EARLIER = [date(2024, 4, 30), date(2024, 5, 31), date(2024, 6, 30), date(2024, 7, 31), date(2024, 8, 31), date(2024, 9, 30),
           date(2024, 10, 31), date(2024, 11, 30), date(2024, 12, 31), date(2025, 1, 31), date(2025, 2, 28)]
ICPC = "icpc_within_15_working_days"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """Generated exports in a DuckDB file: a full run (validation included) for the latest month-end, and the
    eleven month-ends before it computed in one set-based step; the dashboard reads the same file."""
    root = tmp_path_factory.mktemp("dashboard")
    settings = load_settings(warehouse_url=f"duckdb:///{root / 'warehouse.duckdb'}", data_dir=root / "data",
                             landing_dir=root / "landing", slack_token=None, slack_base_url=None, authority="999")
    generate(settings.landing_dir, children=300, seed=11, reference_date=LATEST, truth_path=root / "truth.json")
    pipeline.ingest(settings)
    pipeline.compute(settings, EARLIER, "browser-history")
    pipeline.run(settings, LATEST, "browser-latest", send=False)
    patch = pytest.MonkeyPatch()
    patch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)
    patch.setenv("CSC_MONITOR_AUTHORITY", "999")
    yield pipeline.warehouse(settings)
    patch.undo()


@pytest.fixture(scope="module")
def base_url(warehouse, airflow_auth):  # noqa: F811
    from csc_monitor.dashboard.app import create_app

    root = FastAPI()
    root.mount("/csc", create_app())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(root, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join()


@pytest.fixture(scope="module")
def page(base_url, airflow_auth):  # noqa: F811
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "_token", "value": airflow_auth("admin"), "url": base_url}])
        yield context.new_page()
        browser.close()


def test_overview_shows_every_indicator_with_the_warehouse_figures(warehouse, base_url, page):
    with warehouse.connect() as conn:
        figures = dict(conn.execute(text(
            "SELECT indicator_id, value FROM indicator_result r WHERE scope_type = 'authority' AND authority = '999' "
            "AND as_at = (SELECT MAX(as_at) FROM indicator_result m WHERE m.indicator_id = r.indicator_id)")).all())
    definitions = load_definitions()
    assert set(figures) == {d.id for d in definitions}
    page.goto(f"{base_url}/csc/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-overview.png"), full_page=True)
    assert page.locator("h1").inner_text() == "Performance indicators"
    shown = {row.get_attribute("data-indicator"): row.locator("td.value").inner_text()
             for row in page.locator("#overview tbody tr").all()}
    assert shown == {d.id: format_value(d, figures[d.id]) for d in definitions}
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
