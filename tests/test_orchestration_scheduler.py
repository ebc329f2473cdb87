"""The real stack: PostgreSQL metadata (a database of its own), api-server, scheduler, dag-processor and triggerer
as separate processes (tests/support/airflow_stack.py) with the project's plugins, set up by `csc-monitor airflow
setup`, all stopped by pid at the end. The only Airflow stack the suite starts: one module fixture drives it
through the whole story, and each test below checks one part of what it saw.

1. Unpausing csc_nightly (catchup=False) starts one nightly run at once, for the latest 01:30 London.
2. `csc-monitor backfill --airflow` of two named as-at dates (the day the clocks go forward, when 01:30 London does not
   exist, and the first day of British Summer Time) computes exactly those two dates, one run each, with the single-date figures, run ids that show the date, and no alert:
   the publish log says alerts are muted.
3. A drop of exports (written elsewhere, then moved in, as a copy job finishes) is claimed by the landing watcher
   and starts exactly one asset-triggered run, which loads it and publishes; the claimed files never start another.
   While that run runs, the dashboard under /csc on the api-server, signed in, answers every request with the
   figures of one published run.
4. Every run's note states its as-at date (written by the scheduler's listener as the run starts).

Only the ICPC indicator is enabled (a project folder with one definition) to keep the number of task processes small.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import httpx
import pendulum
import pytest
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.config import load_settings
from csc_monitor.synthetic import generate
from tests.conftest import PROJECT
from tests.support.airflow_stack import airflow_stack
from tests.support.fake_slack import FakeSlack

INDICATOR = "icpc_within_15_working_days"
LONDON = "Europe/London"
AS_AT_DATES = [date(2025, 3, 30), date(2025, 3, 31)]  # clocks went forward on 30 March 2025
RUN_IDS = {  # 01:30 Europe/London on the as-at date (01:30 does not exist on 30 March: Airflow runs it at 02:30 BST)
    "backfill__2025-03-30T01:30:00+00:00": date(2025, 3, 30),
    "backfill__2025-03-31T00:30:00+00:00": date(2025, 3, 31),
}
OVERVIEW, BACKFILLED_PAGE = "/csc/", f"/csc/indicators/{INDICATOR}?as_at=2025-03-31"  # the latest as-at; a backfilled one
PAGES = (OVERVIEW, BACKFILLED_PAGE)
PAGE_AS_AT = re.compile(r'(?:data-as-at|name="as_at" value)="(\d{4}-\d\d-\d\d)"')  # the overview's, the indicator page's
POLL_SECONDS = 1  # the landing watcher's poll (CSC_MONITOR_DROP_POLL_SECONDS)
FIGURES = text("SELECT run_id, as_at, scope_type, scope, numerator, denominator, overdue FROM indicator_result "
               "WHERE as_at <= '2025-03-31' ORDER BY as_at, scope_type, scope")


def _project_with_one_indicator(folder):
    for name in ("sql", "expectations", "config", "dags", "plugins"):
        if (PROJECT / name).exists():
            shutil.copytree(PROJECT / name, folder / name)
    (folder / "indicators").mkdir()
    shutil.copy(PROJECT / "indicators" / f"{INDICATOR}.yml", folder / "indicators")
    return folder


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _london_date(moment: datetime) -> date:
    return pendulum.instance(moment).in_timezone(LONDON).date()


def _nightly_logical_dates(unpaused: datetime, finished: datetime) -> list[datetime]:
    """The runs a catchup=False schedule at 01:30 London makes: at once, the latest 01:30 before it was unpaused;
    then each 01:30 until the end (none, unless the test runs across 01:30)."""
    first = _london_date(unpaused) - timedelta(days=1)
    days = [first + timedelta(days=n) for n in range((_london_date(finished) - first).days + 1)]
    points = [pendulum.datetime(day.year, day.month, day.day, 1, 30, tz=LONDON) for day in days]
    latest_before = max(point for point in points if point <= unpaused)
    return [point for point in points if point == latest_before or unpaused < point <= finished]


class DashboardWatch:
    """Requests the dashboard's pages in turn, about every 100 ms, from a thread until stopped: (moment, page, status,
    as-at date the page shows)."""

    def __init__(self, client):
        self.client, self.seen, self.stopping = client, [], threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        while not self.stopping.is_set():
            for page in PAGES:
                try:
                    answer = self.client.get(page)
                except httpx.HTTPError as error:  # recorded, so the test says what went wrong
                    self.seen.append((datetime.now(timezone.utc), page, type(error).__name__, None))
                    continue
                shown = PAGE_AS_AT.search(answer.text)
                self.seen.append((datetime.now(timezone.utc), page, answer.status_code, shown and shown.group(1)))
            self.stopping.wait(0.1)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(timeout=120)


@pytest.fixture(scope="module")
def story(postgres_database, tmp_path_factory):
    """Everything the stack did, read back after its processes stopped."""
    tmp_path = tmp_path_factory.mktemp("stack")
    schema = "backfill_sched"
    admin = pipeline.make_engine(postgres_database)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    warehouse_url = f"{postgres_database}?options=-csearch_path%3D{schema}"
    project = _project_with_one_indicator(tmp_path / "project")
    settings = load_settings(warehouse_url=warehouse_url, data_dir=tmp_path / "data", landing_dir=tmp_path / "landing")
    generate(settings.landing_dir, children=150, seed=4, reference_date=date(2025, 3, 31))
    pipeline.ingest(settings)
    engine = pipeline.warehouse(settings)
    drop = tmp_path / "drop"  # written here, then moved into the landing folder
    generate(drop, children=150, seed=5, reference_date=date(2025, 4, 30))
    out = SimpleNamespace(settings=settings, engine=engine, drop=sorted(p.name for p in drop.iterdir()))

    with FakeSlack() as slack, airflow_stack(tmp_path / "airflow", project / "dags", {
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(project / "plugins"),
        "AIRFLOW_CONN_CSC_WAREHOUSE": json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": warehouse_url}}),
        "CSC_MONITOR_WAREHOUSE_URL": warehouse_url,  # the dashboard in the api-server reads the environment
        "CSC_MONITOR_PROJECT_DIR": str(project), "CSC_MONITOR_DATA_DIR": str(settings.data_dir),
        "CSC_MONITOR_LANDING_DIR": str(settings.landing_dir), "CSC_MONITOR_DATA_DOCS": "0",
        "CSC_MONITOR_SETTLE_SECONDS": "2", "CSC_MONITOR_DROP_POLL_SECONDS": str(POLL_SECONDS),
        "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": slack.base_url,
    }) as stack:
        stack.run("csc-monitor", "airflow", "setup", "--pool-slots", "1")
        out.setup_again = stack.run("csc-monitor", "airflow", "setup", "--pool-slots", "2").stdout
        out.pools = json.loads(stack.run("airflow", "pools", "get", "csc_warehouse", "-o", "json").stdout)
        api = stack.api()

        def runs():
            return api.get("/api/v2/dags/csc_nightly/dagRuns", params={"limit": 100}).raise_for_status().json()["dag_runs"]

        stack.wait("the DAG to be parsed", lambda: api.get("/api/v2/dags/csc_nightly").is_success, 180)
        out.unpaused = datetime.now(timezone.utc)
        stack.run("airflow", "dags", "unpause", "csc_nightly")
        out.backfill = stack.run("csc-monitor", "backfill", "--airflow", "--from", "2025-03-30", "--to", "2025-03-31",
                                 "--every", "day", "--max-active-runs", "2").stdout

        def all_finished():
            now = runs()
            return len(now) >= 1 + len(AS_AT_DATES) and all(run["state"] in ("success", "failed") for run in now)
        stack.wait("the nightly run and the backfill runs to finish", all_finished, 900)
        with engine.connect() as conn:
            out.files_before = set(conn.execute(text("SELECT sha256 FROM load_file")).scalars())
            out.backfilled = conn.execute(FIGURES).all()
        for as_at in AS_AT_DATES:  # each date on its own, outside Airflow, on the same data (before the drop)
            pipeline.compute(settings, [as_at], f"single__{as_at.isoformat()}", [INDICATOR])
        with engine.connect() as conn:
            out.single = conn.execute(FIGURES).all()

        with DashboardWatch(stack.api()) as watch:
            out.dropped = datetime.now(timezone.utc)
            for path in sorted(drop.iterdir()):
                path.rename(settings.landing_dir / path.name)

            def drop_run_finished():
                finished = [run["state"] in ("success", "failed") for run in _runs_of(runs(), "asset_triggered")]
                return finished and all(finished)
            stack.wait("the drop's run to finish", drop_run_finished, 600)
        time.sleep(3 * POLL_SECONDS + 2)  # a few more watcher polls and a scheduler loop: the claimed files start nothing
        out.runs, out.pages, out.finished = runs(), watch.seen, datetime.now(timezone.utc)
        out.publish_logs = stack.task_logs("csc_nightly", "publish")
        out.landing_after = sorted(p.name for p in settings.landing_dir.rglob("*"))
    out.slack = slack
    return out


def _runs_of(runs, run_type):
    return [run for run in runs if run["run_type"] == run_type]


def _published(story):
    with story.engine.connect() as conn:
        return {row.run_id: row for row in conn.execute(text("SELECT run_id, as_at, run_type, status FROM pipeline_run"))}


def test_setup_is_idempotent_and_resizes_the_pool(story):
    assert story.setup_again == "pool csc_warehouse: 2 slot(s); variable csc_monitor_setup set\n"
    assert [(p["pool"], int(p["slots"])) for p in story.pools] == [("csc_warehouse", 2)]


def test_unpausing_starts_one_nightly_run_for_the_latest_0130_which_computes_the_day_before(story):
    expected = _nightly_logical_dates(story.unpaused, story.finished)
    scheduled = sorted(_runs_of(story.runs, "scheduled"), key=lambda run: run["logical_date"])
    assert [_moment(run["logical_date"]) for run in scheduled] == expected
    published = _published(story)
    for run in scheduled:
        as_at = _london_date(_moment(run["logical_date"])) - timedelta(days=1)
        assert (run["state"], run["note"]) == ("success", f"as-at {as_at.isoformat()}")
        assert (published[run["dag_run_id"]].as_at, published[run["dag_run_id"]].status) == (as_at, "published")


def test_a_backfill_of_two_named_dates_computes_exactly_those_with_alerts_muted(story):
    assert "--from-date 2025-03-30T00:00:00+00:00 --to-date 2025-03-31T23:59:59+01:00" in story.backfill
    backfills = _runs_of(story.runs, "backfill")
    assert {run["dag_run_id"]: (run["state"], run["note"]) for run in backfills} == {
        run_id: ("success", f"as-at {as_at.isoformat()}") for run_id, as_at in RUN_IDS.items()}
    published = _published(story)
    assert {run_id: (row.as_at, row.status) for run_id, row in published.items() if row.run_type == "backfill"} == {
        run_id: (as_at, "published") for run_id, as_at in RUN_IDS.items()}
    assert [(row.as_at, row.run_id) for row in story.backfilled if row.scope_type == "authority"] == [
        (d, r) for r, d in RUN_IDS.items()]
    with story.engine.connect() as conn:
        outbox = conn.execute(text("SELECT delivery_key FROM slack_outbox")).scalars().all()
    assert [key for key in outbox if any(f"|{d.isoformat()}" in key for d in AS_AT_DATES)] == []
    for run_id, as_at in RUN_IDS.items():
        assert f"publish: authority 999, as-at {as_at.isoformat()}" in story.publish_logs[run_id]
        assert "alerts muted: a backfill recomputes history (param alert_in_backfill to alert)" in story.publish_logs[run_id]
    assert [row[1:] for row in story.single] == [row[1:] for row in story.backfilled]  # each date computed on its own


def test_a_drop_of_exports_starts_exactly_one_run_which_loads_it_and_states_its_as_at_date(story):
    (run,) = _runs_of(story.runs, "asset_triggered")  # and no second one from the same claimed files
    run_after = _moment(run["run_after"])
    assert story.dropped < run_after < story.finished
    as_at = _london_date(run_after) - timedelta(days=1)  # a drop's run computes yesterday, as the night's would
    assert (run["state"], run["note"]) == ("success", f"as-at {as_at.isoformat()}")
    published = _published(story)[run["dag_run_id"]]
    assert (published.as_at, published.run_type, published.status) == (as_at, "asset_triggered", "published")
    with story.engine.connect() as conn:
        loaded = conn.execute(text("SELECT sha256, file_name FROM load_file")).all()
    assert sorted(name for sha, name in loaded if sha not in story.files_before) == story.drop
    assert story.landing_after == []  # claimed, loaded and archived
    assert f"publish: authority 999, as-at {as_at.isoformat()}" in story.publish_logs[run["dag_run_id"]]


def test_the_dashboard_answers_through_the_api_server_all_through_the_drops_run(story):
    """Every answer a page, signed in: the overview as at the last published run's date (the nightly run's, then
    the drop's once it publishes: the same date unless the day changed), a backfilled date's indicator page as at
    that date. (The ICPC page as at the nightly date would say, rightly, that exports from 2025 give no figure.)"""
    (run,) = _runs_of(story.runs, "asset_triggered")
    started, ended = _moment(run["start_date"]), _moment(run["end_date"])
    during = [page for moment, page, _, _ in story.pages if started <= moment <= ended]
    assert set(during) == set(PAGES) and len(during) >= 10  # both pages, many times, while the run ran
    assert [status for _, _, status, _ in story.pages] == [200] * len(story.pages)
    nightly = max(_london_date(_moment(r["logical_date"])) - timedelta(days=1) for r in _runs_of(story.runs, "scheduled"))
    drop = _london_date(_moment(run["run_after"])) - timedelta(days=1)
    overview = [date.fromisoformat(shown) for _, page, _, shown in story.pages if page == OVERVIEW]
    assert set(overview) <= {nightly, drop} and overview == sorted(overview) and overview[-1] == drop
    assert {shown for _, page, _, shown in story.pages if page == BACKFILLED_PAGE} == {"2025-03-31"}
