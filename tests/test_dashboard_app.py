"""The dashboard app through FastAPI's test client, on hand-built figures, with Airflow's own tokens and its
Simple auth manager (the one the stack ships), and the allow-list `dashboard_access` deciding child lists,
teams and authorities.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from csc_monitor.dashboard import indicator_url
from csc_monitor.indicators.definitions import load_definitions
from csc_monitor.warehouse import insert_rows

ICPC = "icpc_within_15_working_days"
DATES = [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)]
PROJECT = Path(__file__).resolve().parents[1]
# viewer-user is not listed: figures only, every team.
ACCESS = {"users": {
    "admin-user": {"children": True},
    "op-user": {"children": True},
    "east-user": {"children": True, "teams": ["CP East"], "authorities": ["999"]},
    "figures-east-user": {"teams": ["CP East"]},
    "other-authority-user": {"children": True, "authorities": ["801"]},
}}


@pytest.fixture(scope="session")
def airflow_auth(airflow_db):
    """Airflow's Simple auth manager over the migrated metadata (token checks read its revoked tokens), with the
    allow-list above; yields a token maker by role (and user name, default `<role>-user`)."""
    from airflow.api_fastapi import app as airflow_app
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    from csc_monitor.dashboard import auth

    previous = airflow_app._AuthManagerState.instance
    manager = SimpleAuthManager()
    manager.init()
    airflow_app._AuthManagerState.instance = manager
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "dashboard_access", lambda: ACCESS)
        yield lambda role, user=None: manager.generate_jwt(SimpleAuthManagerUser(username=user or f"{role}-user", role=role))
    airflow_app._AuthManagerState.instance = previous


def _result(as_at, scope_type, scope, numerator, denominator, overdue=0, run_id=None):
    return {"indicator_id": ICPC, "version": 1, "authority": "999", "as_at": as_at, "scope_type": scope_type, "scope": scope,
            "numerator": numerator, "denominator": denominator, "value": 100.0 * numerator / denominator if denominator else None,
            "overdue": overdue, "method": "cin_census", "run_id": run_id or f"run-{as_at.isoformat()}"}


def _unit(child, status, elapsed, team, worker, end=None):
    return {"indicator_id": ICPC, "version": 1, "authority": "999", "as_at": DATES[-1], "unit_key": f"{child}|s47",
            "child_id": child, "start_date": date(2025, 1, 6), "end_date": end, "elapsed": elapsed, "status": status,
            "in_denominator": status in ("met", "not_met"), "met": status == "met", "team": team, "worker": worker,
            "source_file": "test", "source_ref": child, "method": "cin_census", "run_id": "run-2025-03-31"}


@pytest.fixture
def warehouse(settings, engine, monkeypatch):
    """Three month-ends of figures (60%, 75%, 80%), two teams, the units behind March, two validation warnings,
    England's figure for three years, two Slack messages, a firing and an ok alert state and a silence."""
    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)
    monkeypatch.setenv("CSC_MONITOR_AUTHORITY", "999")
    with engine.begin() as conn:
        insert_rows(conn, "indicator_result", [
            _result(DATES[0], "authority", "all", 6, 10), _result(DATES[1], "authority", "all", 6, 8),
            _result(DATES[2], "authority", "all", 8, 10, overdue=1),
            _result(DATES[2], "team", "CP East", 5, 6, overdue=1), _result(DATES[2], "team", "CP West", 3, 4),
            _result(DATES[2], "worker", "Eve Morris", 3, 4, overdue=1), _result(DATES[2], "worker", "Sam Patel", 2, 2),
            _result(DATES[2], "worker", "Ola Reed", 3, 4),
        ])
        insert_rows(conn, "indicator_unit", [
            _unit("C1", "not_met", 19, "CP East", "Eve Morris", date(2025, 1, 31)),
            _unit("C2", "overdue", 21, "CP East", "Eve Morris"),
            _unit("C3", "not_met", 16, "CP West", "Ola Reed", date(2025, 1, 28)),
            _unit("C4", "met", 10, "CP East", "Sam Patel", date(2025, 1, 20)),
            _unit("C5", "excluded", 0, "CP West", "Ola Reed"),
        ])
        insert_rows(conn, "validation_result", [
            {"run_id": "run-2025-03-31", "suite": "indicator_result", "rule": "denominator_not_collapsed", "severity": "warning",
             "success": False, "failing_rows": 3, "examples": None},
            {"run_id": "run-2025-03-31", "suite": "section47_enquiry", "rule": "icpc_target_date_in_calendar", "severity": "warning",
             "success": False, "failing_rows": 1, "examples": "C9 row 4"},
            {"run_id": "run-2025-03-31", "suite": "cin_census", "rule": "child_ids_unique", "severity": "critical",
             "success": True, "failing_rows": 0, "examples": None},
        ])
        insert_rows(conn, "slack_outbox", [
            {"delivery_key": "digest|999|#cp-performance|2025-02-28", "channel": "#cp-performance", "thread_key": None,
             "text": "Warning: ICPCs 75.0% (6 of 8)", "blocks_json": "[]", "created_at": datetime(2025, 3, 1, 6, 0),
             "attempts": 1, "delivered_at": datetime(2025, 3, 1, 6, 1), "message_ts": "1.1", "last_error": None},
            {"delivery_key": f"resolved|{ICPC}|999|CP West|warning|2025-03-31", "channel": "#cp-performance",
             "thread_key": "digest|999|#cp-performance|2025-02-28", "text": "Resolved: ICPCs in CP West 75.0% (3 of 4)", "blocks_json": "[]",
             "created_at": datetime(2025, 4, 1, 6, 0), "attempts": 0, "delivered_at": None, "message_ts": None, "last_error": None},
        ])
        insert_rows(conn, "alert_state", [{
            "indicator_id": ICPC, "authority": "999", "scope": "all", "status": "firing", "severity": "warning",
            "breach_runs": 2, "clean_runs": 0, "breaching_since": DATES[1], "last_evaluated_as_at": DATES[2], "last_notified_as_at": DATES[2],
            "channel": "#cp-performance", "thread_key": "digest|999|#cp-performance|2025-02-28",
        }, {
            "indicator_id": ICPC, "authority": "999", "scope": "CP West", "status": "ok", "severity": "warning",
            "breach_runs": 0, "clean_runs": 1, "breaching_since": None, "last_evaluated_as_at": DATES[2], "last_notified_as_at": DATES[1],
            "channel": "#cp-performance", "thread_key": None,
        }])
        insert_rows(conn, "comparator_value", [
            {"indicator_id": ICPC, "geography": "England", "period_end": date(2023, 3, 31), "value": 77.0},
            {"indicator_id": ICPC, "geography": "England", "period_end": date(2024, 3, 31), "value": 78.0},
            {"indicator_id": ICPC, "geography": "England", "period_end": date(2025, 3, 31), "value": 79.5},
        ])
        insert_rows(conn, "alert_silence", [{
            "silence_id": "s1", "authority": "999", "indicator_id": ICPC, "team": "CP East", "until_date": date(2025, 4, 30),
            "created_by": "Head of Service", "reason": "Conference room closures", "created_at": datetime(2025, 4, 1, 9, 0),
        }])


@pytest.fixture
def client(airflow_auth):
    from csc_monitor.dashboard.app import create_app

    return TestClient(create_app())


PAGES = ["/", f"/indicators/{ICPC}", f"/indicators/{ICPC}?team=CP+East&as_at=2025-03-31", "/alerts"]
CHILD_PAGES = [f"/indicators/{ICPC}/exceptions", f"/indicators/{ICPC}/exceptions.csv?team=CP+East"]


def test_every_endpoint_refuses_anonymous_and_forged_requests(warehouse, client, monkeypatch):
    monkeypatch.setenv("CSC_MONITOR_DASHBOARD_URL", "https://airflow.example.org/")
    for url in PAGES + CHILD_PAGES:
        anonymous = client.get(url, headers={"Host": "phish.example.net"})
        assert anonymous.status_code == 401, url
        assert "Sign in to Airflow" in anonymous.text and "C1" not in anonymous.text
        assert "/auth/login?next=https%3A%2F%2Fairflow.example.org%2F" in anonymous.text and "phish" not in anonymous.text
        assert client.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 403, url
        assert client.get(url, cookies={"_token": "not-a-token"}).status_code == 403, url


def test_every_endpoint_serves_an_authorised_user_by_bearer_or_cookie(warehouse, client, airflow_auth):
    token = airflow_auth("admin")
    for url in PAGES + CHILD_PAGES:
        served = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert served.status_code == 200, url
        assert served.headers["cache-control"] == "no-store" and "default-src 'none'" in served.headers["content-security-policy"]
        assert client.get(url, cookies={"_token": token}).status_code == 200, url


def test_child_level_endpoints_need_their_own_permission(warehouse, client, airflow_auth):
    viewer = {"Authorization": f"Bearer {airflow_auth('viewer')}"}
    for url in CHILD_PAGES:
        refused = client.get(url, headers=viewer)
        assert refused.status_code == 403 and "csc_children" in refused.text and "C1" not in refused.text
    page = client.get(f"/indicators/{ICPC}", headers=viewer)
    assert page.status_code == 200 and "exceptions-link" not in page.text
    op = client.get(f"/indicators/{ICPC}", headers={"Authorization": f"Bearer {airflow_auth('op')}"})
    assert 'id="exceptions-link"' in op.text


def test_overview_shows_figure_status_change_caveat_and_comparator(warehouse, client, airflow_auth):
    page = client.get("/", headers={"Authorization": f"Bearer {airflow_auth('viewer')}"}).text
    assert 'data-as-at="2025-03-31">Every figure on this page is as at <strong>2025-03-31</strong>' in page
    assert '<td class="num value">80.0%</td>' in page
    assert "8 of 10; 1 overdue" in page
    assert "status-warning" in page and ">warning<" in page        # 80 is under the warning line (85), above critical (70)
    assert "+5.0 points (better)" in page                         # 75.0% in February
    caveats = page.split('<ul id="caveats">')[1].split("</ul>")[0]
    assert caveats == (
        '<li class="caveat">3 authority figures counted far fewer cases than at the previous date (a fall beyond the allowed '
        'band, half by default): check that every export arrived complete.</li>'
        '<li class="caveat">1 record did not pass the data check “The recorded ICPC target date is inside the working-day '
        'calendar”.</li>')
    assert "denominator_not_collapsed" not in page and "C9" not in page  # no rule names, no example rows
    assert "child_ids_unique" not in page                          # passed rules and critical rules are no caveat
    assert "England 79.5% (2025-03-31)" in page
    # the sparkline spaces 31 Jan, 28 Feb and 31 Mar by their days (28, 31) inside a 4-pixel inset, with round joins
    assert 'stroke-linejoin="round" stroke-linecap="round" points="4.0,24.0 57.2,9.0 116.0,4.0"' in page
    assert '<meta name="viewport"' in page and 'lang="en-GB"' in page


def test_indicator_page_trend_definition_and_team_filter(warehouse, client, airflow_auth):
    headers = {"Authorization": f"Bearer {airflow_auth('viewer')}"}
    page = client.get(f"/indicators/{ICPC}", headers=headers).text
    assert page.count('data-geography="England"') == 1                # one step line, at 78.0 then 79.5
    assert page.count('class="point"') == 3 and 'data-threshold="warning"' in page and 'data-threshold="critical"' in page
    # x is proportional to time: 28 then 31 days over 576 pixels from x=48; ticks on the first of each month
    assert [p.split('"')[0] for p in page.split('class="point" cx="')[1:]] == ["48.0", "321.4", "624.0"]
    ticks = re.findall(r'class="date-tick" x1="([0-9.]+)".*?text-anchor="(\w+)" font-size="11">([^<]+)</text>', page)
    assert ticks == [("57.8", "start", "1 Feb 2025"), ("331.1", "middle", "1 Mar 2025")]
    assert "strategy discussion that initiated the section 47 enquiry" in page and "Statutory or local compliance" in page
    assert all(name in page for name in ("Eve Morris", "Sam Patel", "Ola Reed"))
    west = client.get(f"/indicators/{ICPC}?as_at=2025-03-31&team=CP+West", headers=headers).text
    workers = west.split('id="workers"')[1]
    assert "Ola Reed" in workers and "Eve Morris" not in workers and "Sam Patel" not in workers
    assert '<span class="value">75.0%</span> (3 of 4' in west       # the team's own figure heads the page
    assert client.get("/indicators/no_such_indicator", headers=headers).status_code == 404
    assert client.get(f"/indicators/{ICPC}?as_at=2020-01-31", headers=headers).status_code == 404


def test_a_retired_definitions_figures_stay_readable_with_the_version_that_produced_them(warehouse, engine, client, airflow_auth):
    """cp_plans_two_years_or_more version 1 ended: no run computes it, but its page shows what it published and why it ended."""
    retired = "cp_plans_two_years_or_more"
    with engine.begin() as conn:
        insert_rows(conn, "indicator_result", [{**_result(DATES[2], "authority", "all", 3, 4), "indicator_id": retired}])
    page = client.get(f"/indicators/{retired}", headers={"Authorization": f"Bearer {airflow_auth('viewer')}"}).text
    assert "No longer computed: version 1 ended on 3 December 2026" in page
    assert '<td class="num">75.0%</td><td class="num">3</td><td class="num">4</td><td>v1</td>' in page
    assert "<dt>Version 1</dt><dd>plans open at the as-at date or ended in the 12 months to it" in page


def test_reg28_visits_show_each_schedule_beside_the_figure_and_keep_version_1_readable(warehouse, engine, client, airflow_auth):
    visits = "cla_visits_reg28"
    with engine.begin() as conn:
        insert_rows(conn, "indicator_result", [
            {**_result(DATES[1], "authority", "all", 17, 21), "indicator_id": visits, "method": "events"},   # published by version 1
            *({**_result(DATES[2], scope_type, scope, n, d, o), "indicator_id": visits, "version": 2, "method": "events"}
              for scope_type, scope, n, d, o in (("authority", "all", 24, 31, 1), ("schedule", "reg28_ico_at_home", 8, 11, 1),
                                                 ("schedule", "reg28_reg19", 3, 4, 0)))])
    page = client.get(f"/indicators/{visits}", headers={"Authorization": f"Bearer {airflow_auth('viewer')}"}).text
    schedules = page[page.index('<table id="schedules">'):page.index("<h2>By team</h2>")]
    assert ('<th scope="row">reg 28(4): interim care order, placed with parents: weekly until the first review, then 4 weeks</th>'
            '<td class="num">72.7%</td><td class="num">8 of 11</td><td class="num">1</td>') in schedules
    assert "reg 28(3): placed with parents before the assessment is complete (reg 19)" in schedules
    assert schedules.count("<tr>") == 3                        # the header and the two schedules published
    assert '<td class="num">81.0%</td><td class="num">17</td><td class="num">21</td><td>v1</td>' in page
    assert "<dt>Version 1</dt><dd>every placement on the reg 28(2) schedule" in page
    icpc = client.get(f"/indicators/{ICPC}", headers={"Authorization": f"Bearer {airflow_auth('viewer')}"}).text
    assert 'id="schedules"' not in icpc


def test_descriptions_are_written_for_managers():
    """No file, parameter, column or indicator-id names and no notes about test data in what a manager reads."""
    for definition in load_definitions():
        words = definition.spec["description"]
        assert not re.findall(r"\w+_\w+|\.sql|\.yml|config/|\bseed\b|\bparameter\b", words), definition.id


def test_exceptions_csv_is_exactly_the_children_not_meeting_the_standard(warehouse, client, airflow_auth):
    headers = {"Authorization": f"Bearer {airflow_auth('op')}"}
    east = client.get(f"/indicators/{ICPC}/exceptions.csv?team=CP+East", headers=headers)
    assert east.headers["content-type"].startswith("text/csv")
    assert east.text == (
        "child_id,status,team,worker,start_date,end_date,elapsed,late_by\r\n"
        "C2,overdue,CP East,Eve Morris,2025-01-06,,21,6\r\n"
        "C1,not_met,CP East,Eve Morris,2025-01-06,2025-01-31,19,4\r\n"
    )
    every_team = client.get(f"/indicators/{ICPC}/exceptions.csv", headers=headers).text.splitlines()
    assert [line.split(",")[0] for line in every_team[1:]] == ["C2", "C1", "C3"]
    page = client.get(f"/indicators/{ICPC}/exceptions?team=CP+West", headers=headers).text
    assert "1 child." in page and "C3" in page and "C1" not in page


def test_alerts_page_shows_what_is_breaching_then_recent_messages(warehouse, engine, client, airflow_auth):
    with engine.begin() as conn:  # the whole authority is also past the critical line, not yet told: one row, the firing one
        insert_rows(conn, "alert_state", [{
            "indicator_id": ICPC, "authority": "999", "scope": "all", "status": "pending", "severity": "critical",
            "breach_runs": 1, "clean_runs": 0, "breaching_since": DATES[2], "last_evaluated_as_at": DATES[2],
            "last_notified_as_at": None, "channel": "#cp-performance", "thread_key": None}])
        insert_rows(conn, "slack_outbox", [{
            "delivery_key": "digest|999|#cp-performance|2025-03-31", "channel": "#cp-performance", "thread_key": None,
            "text": "Performance alerts as at 2025-03-31: " + " | ".join(["Warning: ICPCs 80.0% (8 of 10)"] * 6),
            "blocks_json": "[]", "created_at": datetime(2025, 4, 1, 5, 0), "attempts": 0, "delivered_at": None,
            "message_ts": None, "last_error": None}])
    page = client.get("/alerts", headers={"Authorization": f"Bearer {airflow_auth('viewer')}"}).text
    assert 'data-as-at="2025-03-31">Alerts as last evaluated, for figures as at <strong>2025-03-31</strong>.\n  1 alert is within its thresholds' in page
    assert page.index('id="alert-states"') < page.index('id="alert-events"') < page.index('id="alert-silences"')
    states = page.split('id="alert-states"')[1].split("</table>")[0]
    assert ('<td>whole authority</td><td>firing</td><td class="status status-warning">warning</td><td class="date">2025-02-28</td>'
            '<td class="date">2025-03-31</td>') in states
    assert states.count("<td>whole authority</td>") == 1 and "<td>pending</td>" not in states
    assert "CP West" not in states                                 # an ok state is counted, not listed
    events = page.split('id="alert-events"')[1]
    assert events.index("<td>resolved</td>") < events.index("<td>fired or repeated</td>")       # newest first
    assert f'href="/indicators/{ICPC}?as_at=2025-03-31">Initial child protection' in events
    assert "Resolved: ICPCs in CP West 75.0% (3 of 4)" in events and "waiting" in events and "2025-03-01 06:01" in events
    long = "Performance alerts as at 2025-03-31: " + " | ".join(["Warning: ICPCs 80.0% (8 of 10)"] * 6)
    assert f'<td class="message"><details><summary>{long[:150]}…</summary>{long}</details></td>' in events  # long: folded
    assert 'class="pager"' not in page                             # three messages: one page
    silences = page.split('id="alert-silences"')[1].split("</table>")[0]
    assert "<td>CP East</td>" in silences and "2025-04-30" in silences and "Conference room closures" in silences


def test_alert_messages_are_paged_newest_first(warehouse, engine, client, airflow_auth):
    with engine.begin() as conn:
        insert_rows(conn, "slack_outbox", [
            {"delivery_key": f"digest|999|#cp-performance|2025-04-{day:02d}", "channel": "#cp-performance", "thread_key": None,
             "text": f"Message {day}", "blocks_json": "[]", "created_at": datetime(2025, 4, day, 6, 0), "attempts": 1,
             "delivered_at": None, "message_ts": None, "last_error": None} for day in range(2, 30)])
    headers = {"Authorization": f"Bearer {airflow_auth('viewer')}"}
    first, second = (client.get(f"/alerts?page={n}", headers=headers).text for n in (1, 2))
    shown = [re.findall(r'<td class="message">([^<]+)</td>', p) for p in (first, second)]
    assert shown[0] == [f"Message {day}" for day in range(29, 4, -1)]                  # 25 newest
    assert shown[1] == ["Message 4", "Message 3", "Message 2", "Resolved: ICPCs in CP West 75.0% (3 of 4)",
                        "Warning: ICPCs 75.0% (6 of 8)"]
    assert "page 1 of 2, 30 messages" in first and 'rel="next" href="/alerts?page=2">Older messages' in first
    assert 'rel="prev" href="/alerts?page=1">Newer messages' in second and 'rel="next"' not in second
    assert client.get("/alerts?page=0", headers=headers).status_code == 422


def test_indicator_url_for_slack():
    assert indicator_url("https://airflow.example.org/", ICPC, date(2025, 3, 31), "CP East") == (
        "https://airflow.example.org/csc/indicators/icpc_within_15_working_days?as_at=2025-03-31&team=CP+East")
    assert indicator_url("http://localhost:8080", ICPC, date(2025, 3, 31)).endswith(f"/csc/indicators/{ICPC}?as_at=2025-03-31")


@pytest.fixture
def plugins_folder(monkeypatch):
    """Airflow's plugin caches, pointed at this repository's plugins/ and cleared before and after."""
    from airflow import plugins_manager
    from airflow import settings as airflow_settings

    caches = (plugins_manager._get_plugins, plugins_manager.get_fastapi_plugins, plugins_manager._get_ui_plugins)
    monkeypatch.setattr(airflow_settings, "PLUGINS_FOLDER", str(PROJECT / "plugins"))
    for cache in caches:
        cache.cache_clear()
    yield plugins_manager
    for cache in caches:
        cache.cache_clear()


def test_plugins_manager_mounts_the_app_under_csc_and_adds_a_nav_entry(plugins_folder):
    apps, _ = plugins_folder.get_fastapi_plugins()
    views, _ = plugins_folder._get_ui_plugins()
    assert [(a["url_prefix"], a["name"]) for a in apps] == [("/csc", "CSC performance dashboard")]
    assert views == [{"name": "CSC performance", "href": "csc/", "destination": "nav", "url_route": "csc-performance"}]


@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)  # the queries are covered on both engines above
def test_the_api_servers_own_app_serves_the_dashboard_behind_its_login(warehouse, plugins_folder, airflow_auth):
    from airflow.api_fastapi.app import create_app as create_api_server_app

    api_server = TestClient(create_api_server_app(apps="core"))
    assert api_server.get("/csc/").status_code == 401
    page = api_server.get("/csc/", cookies={"_token": airflow_auth("viewer")})
    assert page.status_code == 200 and '<td class="num value">80.0%</td>' in page.text
    assert f'href="/csc/indicators/{ICPC}"' in page.text          # links carry the mount point
    assert api_server.get(f"/csc/indicators/{ICPC}/exceptions.csv", cookies={"_token": airflow_auth("viewer")}).status_code == 403


def test_exceptions_csv_neutralises_formulas_in_child_id_team_and_worker(settings, engine, monkeypatch, client, airflow_auth):
    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)
    monkeypatch.setenv("CSC_MONITOR_AUTHORITY", "999")
    with engine.begin() as conn:
        insert_rows(conn, "indicator_result", [_result(DATES[2], "authority", "all", 0, 2)])
        insert_rows(conn, "indicator_unit", [
            _unit("=1+2*3", "not_met", 19, "+cmd|' /C calc'!A0", "-2+3", date(2025, 1, 31)),
            _unit("@SUM(A1:A9)", "overdue", 21, "\rCR team", "\tTab Worker"),
        ])
    served = client.get(f"/indicators/{ICPC}/exceptions.csv", headers={"Authorization": f"Bearer {airflow_auth('admin')}"})
    assert served.status_code == 200
    assert sorted(served.text.split("\r\n")) == sorted([
        "child_id,status,team,worker,start_date,end_date,elapsed,late_by",
        "'=1+2*3,not_met,'+cmd|' /C calc'!A0,'-2+3,2025-01-06,2025-01-31,19,4",
        "'@SUM(A1:A9),overdue,\"'\rCR team\",'\tTab Worker,2025-01-06,,21,6",
        "",
    ])


def _as(airflow_auth, user: str, role: str = "viewer") -> dict:
    return {"Authorization": f"Bearer {airflow_auth(role, user)}"}


def test_without_a_dashboard_grant_a_viewer_sees_figures_but_no_child(warehouse, client, airflow_auth):
    viewer = _as(airflow_auth, "viewer-user")
    for url in PAGES:
        assert client.get(url, headers=viewer).status_code == 200, url
    for url in CHILD_PAGES + [f"/indicators/{ICPC}/exceptions?team=CP+West"]:
        refused = client.get(url, headers=viewer)
        assert refused.status_code == 403, url
        assert "Child-level lists need the csc_children grant (children: true in dashboard_access)" in refused.text, url
        assert "C1" not in refused.text and "C3" not in refused.text
    # an Airflow Admin is no exception: the allow-list decides
    assert client.get(CHILD_PAGES[1], headers=_as(airflow_auth, "someone-admin", "admin")).status_code == 403


def test_a_user_limited_to_one_team_sees_that_team_only(warehouse, client, airflow_auth):
    east = _as(airflow_auth, "east-user")
    page = client.get(f"/indicators/{ICPC}", headers=east).text
    teams, workers = page.split('id="teams"')[1].split("</table>")[0], page.split('id="workers"')[1].split("</table>")[0]
    assert "CP East" in teams and "CP West" not in teams
    assert "Eve Morris" in workers and "Sam Patel" in workers and "Ola Reed" not in workers
    assert '<option value="CP West"' not in page and 'id="exceptions-link"' in page
    own = client.get(f"/indicators/{ICPC}?as_at=2025-03-31&team=CP+East", headers=east)
    assert own.status_code == 200 and '<span class="value">83.3%</span>' in own.text
    for url in [f"/indicators/{ICPC}?as_at=2025-03-31&team=CP+West", f"/indicators/{ICPC}/exceptions?team=CP+West",
                f"/indicators/{ICPC}/exceptions.csv?team=CP+West"]:
        refused = client.get(url, headers=east)
        assert refused.status_code == 403 and "This needs a grant for team &#39;CP West&#39; in dashboard_access" in refused.text, url
        assert "C3" not in refused.text and "Ola Reed" not in refused.text
    listed = client.get(f"/indicators/{ICPC}/exceptions", headers=east).text
    assert "C1" in listed and "C2" in listed and "C3" not in listed
    csv_text = client.get(f"/indicators/{ICPC}/exceptions.csv", headers=east).text
    assert [line.split(",")[0] for line in csv_text.splitlines()] == ["child_id", "C2", "C1"]
    alerts = client.get("/alerts", headers=east).text
    assert "<td>whole authority</td><td>firing</td>" in alerts and "<td>CP East</td>" in alerts.split('id="alert-silences"')[1]
    assert "CP West" not in alerts                                     # the West resolution is another team's message
    figures_only = _as(airflow_auth, "figures-east-user")
    assert client.get(f"/indicators/{ICPC}?team=CP+East", headers=figures_only).status_code == 200
    assert client.get(f"/indicators/{ICPC}/exceptions?team=CP+East", headers=figures_only).status_code == 403


def test_a_user_of_another_authority_is_refused_every_route(warehouse, client, airflow_auth):
    other = _as(airflow_auth, "other-authority-user")
    for url in PAGES + CHILD_PAGES:
        refused = client.get(url, headers=other)
        assert refused.status_code == 403, url
        assert "This needs a grant for authority 999 in dashboard_access" in refused.text, url
        assert "80.0%" not in refused.text and "C1" not in refused.text


def test_alert_history_lists_only_the_dashboards_authority(warehouse, client, airflow_auth, engine):
    with engine.begin() as conn:
        insert_rows(conn, "slack_outbox", [
            {"delivery_key": "digest|802|#cp-performance|2025-02-28", "channel": "#cp-performance", "thread_key": None,
             "text": "Warning: ICPCs in 802", "blocks_json": "[]", "created_at": datetime(2025, 3, 1, 6, 0),
             "attempts": 1, "delivered_at": datetime(2025, 3, 1, 6, 1), "message_ts": "2.1", "last_error": None}])
    page = client.get("/alerts", headers=_as(airflow_auth, "admin-user", "admin")).text
    assert "ICPCs 75.0% (6 of 8)" in page and "ICPCs in 802" not in page


def test_hostile_team_names_are_inert_in_pages_and_csv_names(settings, engine, monkeypatch, client, airflow_auth):
    team = "<script>alert(1)</script>\u202e\"'=cmd"
    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)
    monkeypatch.setenv("CSC_MONITOR_AUTHORITY", "999")
    with engine.begin() as conn:
        insert_rows(conn, "indicator_result", [_result(DATES[2], "authority", "all", 0, 1), _result(DATES[2], "team", team, 0, 1)])
        insert_rows(conn, "indicator_unit", [_unit("C9", "not_met", 19, team, "<img src=x onerror=alert(2)>", date(2025, 1, 31))])
    admin = _as(airflow_auth, "admin-user", "admin")
    for url in [f"/indicators/{ICPC}", f"/indicators/{ICPC}/exceptions"]:
        page = client.get(url, headers=admin, params={"team": team} if "exceptions" in url else None).text
        assert "<script>alert" not in page and "<img src=x" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
    download = client.get(f"/indicators/{ICPC}/exceptions.csv", headers=admin, params={"team": team})
    assert download.headers["content-disposition"] == (
        f'attachment; filename="{ICPC}_2025-03-31__script_alert_1_script_cmd_exceptions.csv"')
