"""A run writes in its own process (as an Airflow task does) while the dashboard and a read command are used
every 100 ms: no request fails, the run does not fail, and every page shows one published run's figures.

On DuckDB the pages read the published copy the run swaps in when it finishes; on PostgreSQL they read in
read-only, repeatable-read transactions (see docs/dashboard.md).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import text

from csc_monitor.config import load_settings
from csc_monitor.results import result_rows
from csc_monitor.dashboard.model import format_value
from csc_monitor.synthetic import generate
from csc_monitor.indicators.definitions import load_definitions
from csc_monitor.warehouse import reader
from tests.test_dashboard_app import airflow_auth  # noqa: F401 (session fixture: Airflow's tokens)

FIRST, SECOND = date(2025, 2, 28), date(2025, 3, 31)
ICPC = "icpc_within_15_working_days"
CSC_MONITOR = str(Path(sys.executable).parent / "csc-monitor")
MAX_ROUNDS = 3000  # a bound on the polling loop (5 minutes at 100 ms), not a timing assertion


@pytest.fixture
def served(settings, monkeypatch, airflow_auth):  # noqa: F811
    """The dashboard app under /csc in a uvicorn thread of this process (which never opens the warehouse itself)."""
    from csc_monitor.dashboard.app import create_app

    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)
    monkeypatch.setenv("CSC_MONITOR_AUTHORITY", "999")
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
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/csc", cookies={"_token": airflow_auth("viewer")}, timeout=60) as client:
        yield client
    server.should_exit = True
    thread.join()


def _csc_monitor(settings, *args: str, wait: bool = True):
    env = {**os.environ, "CSC_MONITOR_WAREHOUSE_URL": settings.warehouse_url, "CSC_MONITOR_DATA_DIR": str(settings.data_dir),
           "CSC_MONITOR_LANDING_DIR": str(settings.landing_dir), "CSC_MONITOR_AUTHORITY": "999"}
    process = subprocess.Popen([CSC_MONITOR, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if wait:
        output, _ = process.communicate()
        assert process.returncode == 0, output
    return process


def _overview(html: str) -> tuple[str, dict[str, str]]:
    as_at = re.search(r'id="page-as-at" data-as-at="([0-9-]+)"', html).group(1)
    return as_at, dict(re.findall(r'<tr data-indicator="([a-z0-9_]+)">.*?<td class="num value">([^<]*)</td>', html, re.S))


def _published(settings, as_at: date) -> dict[str, str]:
    """Each indicator's authority figure on the date as the pages show it ('no figure' where the run computed none)."""
    with reader(settings.warehouse_url).connect() as conn:
        values = dict(conn.execute(text("SELECT indicator_id, value FROM indicator_result WHERE authority = '999' "
                                        "AND as_at = :d AND scope_type = 'authority'"), {"d": as_at}).all())
    return {d.id: format_value(d, values.get(d.id)) for d in load_definitions()}


def test_pages_and_read_commands_answer_while_a_run_writes(settings, served):
    generate(settings.landing_dir, children=100, seed=7, reference_date=SECOND, truth_path=settings.landing_dir.parent / "truth.json")
    _csc_monitor(settings, "ingest")
    _csc_monitor(settings, "run", "--as-at", FIRST.isoformat(), "--no-send")
    first_results = result_rows(load_settings(), FIRST)

    writer = _csc_monitor(settings, "run", "--as-at", SECOND.isoformat(), "--no-send", wait=False)
    overviews, indicator_pages, alert_pages, reads = [], [], [], 0
    for round_ in range(MAX_ROUNDS):
        if writer.poll() is not None:
            break
        for path, pages in (("/", overviews), (f"/indicators/{ICPC}", indicator_pages), ("/alerts", alert_pages)):
            response = served.get(path)
            assert response.status_code == 200, (path, response.text[:500])
            pages.append(response.text)
        if round_ % 10 == 0:
            assert result_rows(load_settings(), FIRST) == first_results  # a read command, during the run, sees the published run
            reads += 1
        time.sleep(0.1)
    output, _ = writer.communicate()
    assert writer.returncode == 0, output
    assert len(overviews) >= 5 and reads >= 1  # the run was long enough for the pages to be read while it wrote

    published = {FIRST.isoformat(): _published(settings, FIRST), SECOND.isoformat(): _published(settings, SECOND)}
    assert published[FIRST.isoformat()] != published[SECOND.isoformat()]
    for html in overviews:
        as_at, shown = _overview(html)
        assert shown == published[as_at]  # one as-at date, and exactly that run's figures
    for html in indicator_pages:
        as_at, value = re.search(r'<span class="value">([^<]*)</span>.*? as at ([0-9-]+)', html, re.S).group(2, 1)
        assert value == published[as_at][ICPC]
    for html in alert_pages:
        assert len(set(re.findall(r'data-evaluated="([0-9-]+)"', html))) == 1  # every alert state from one run
    assert _overview(served.get("/").text) == (SECOND.isoformat(), published[SECOND.isoformat()])
