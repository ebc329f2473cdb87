"""The DAGs import cleanly, follow house rules, and csc_nightly runs end to end under dag.test()."""

import json
from dataclasses import replace
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.config import load_settings
from csc_monitor.synthetic import generate
from tests.conftest import PROJECT
from tests.support.fake_slack import FakeSlack

AS_AT = date(2025, 3, 31)


@pytest.fixture(scope="session")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT / "dags"))


def test_dagbag_has_no_import_errors_and_house_rules(dagbag):
    assert dagbag.import_errors == {}
    assert {"csc_nightly", "csc_deadline"} <= set(dagbag.dags)
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, dag_id
        for task in dag.tasks:
            assert task.retries >= 1, (dag_id, task.task_id)
            assert task.owner == "performance-team", (dag_id, task.task_id)


def test_nightly_task_order(dagbag):
    dag = dagbag.dags["csc_nightly"]
    upstream = {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks}
    assert upstream == {
        "check_setup": [], "ingest_exports": ["check_setup"], "list_authorities": ["ingest_exports"], "validate_data": ["list_authorities"],
        "list_indicators": [], "compute_indicator": ["list_authorities", "list_indicators", "validate_data"],
        "publish": ["compute_indicator", "list_authorities"],
    }
    assert dag.get_task("compute_indicator").map_index_template == "{{ authority }} {{ indicator_id }}"
    assert dag.get_task("validate_data").map_index_template == dag.get_task("publish").map_index_template == "{{ authority }}"
    assert dag.get_task("compute_indicator").trigger_rule == dag.get_task("publish").trigger_rule == "all_done"
    assert {t.task_id: t.pool for t in dag.tasks if t.pool != "csc_warehouse"} == {"check_setup": "default_pool"}


def test_nightly_is_scheduled_by_time_or_by_one_watcher_on_the_landing_folder(dagbag):
    from csc_monitor.airflow_triggers import LandedDropTrigger

    dag = dagbag.dags["csc_nightly"]
    timetable = dag.timetable
    assert type(timetable).__name__ == "AssetOrTimeSchedule"
    assert (timetable.timetable.expression, str(timetable.timetable.timezone)) == ("30 1 * * *", "Europe/London")
    asset = dag.timetable.asset_condition
    (watcher,) = asset.watchers
    assert asset.name == "csc_exports_landed" and isinstance(watcher.trigger, LandedDropTrigger)


def test_dag_test_runs_nightly_on_generated_data(dagbag, warehouse_url, tmp_path, monkeypatch):
    with FakeSlack() as slack:
        for name, value in {
            "CSC_MONITOR_WAREHOUSE_URL": warehouse_url, "CSC_MONITOR_DATA_DIR": str(tmp_path / "data"),
            "CSC_MONITOR_LANDING_DIR": str(tmp_path / "landing"), "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": slack.base_url,
        }.items():
            monkeypatch.setenv(name, value)
        truth = generate(tmp_path / "landing", children=150, seed=21, reference_date=AS_AT, truth_path=tmp_path / "truth.json")
        run = dagbag.dags["csc_nightly"].test(logical_date=datetime(2025, 4, 1, 0, 30, tzinfo=timezone.utc))
        assert str(run.state) == "success"

        with pipeline.warehouse(load_settings()).connect() as conn:
            figure = conn.execute(text(
                "SELECT numerator, denominator, overdue, run_id FROM indicator_result "
                "WHERE as_at = :d AND scope_type = 'authority' AND indicator_id = 'icpc_within_15_working_days'"), {"d": AS_AT}).one()
            status = conn.execute(text("SELECT status FROM pipeline_run WHERE run_id = :r"), {"r": run.run_id}).scalar_one()
        planted = truth["icpc_within_15_working_days"]
        assert figure[:3] == (planted["numerator"], planted["denominator"], planted["overdue"])
        assert figure.run_id == run.run_id and status == "published"
        channels = {post["channel"] for post in slack.calls("chat.postMessage")}
        assert "#cp-performance" in channels and "#csc-operations" not in channels


def test_dag_test_runs_the_event_driven_path(dagbag, tmp_path, monkeypatch):
    """A census and an allocations file land together; the watcher claims both at once; the run loads and publishes.

    Configuration comes from an Airflow connection and variable here (the nightly test uses the environment)."""
    from csc_monitor.airflow_triggers import LandedDropTrigger

    landing, warehouse_url = tmp_path / "drop", f"duckdb:///{tmp_path / 'wh.duckdb'}"
    with FakeSlack() as slack:
        monkeypatch.setenv("CSC_MONITOR_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("AIRFLOW_VAR_CSC_LANDING_DIR", str(landing))
        monkeypatch.setenv("AIRFLOW_CONN_CSC_WAREHOUSE", json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": warehouse_url}}))
        monkeypatch.setenv("AIRFLOW_CONN_SLACK_API_DEFAULT", json.dumps({"conn_type": "slack", "password": "xoxb-test", "extra": {"base_url": slack.base_url}}))
        generate(tmp_path / "gen", children=150, seed=21, reference_date=AS_AT, truth_path=tmp_path / "truth.json")
        landing.mkdir()
        for name in ("cin_census_999_2025.xml", "allocations_999_2025-03-31.csv"):
            (tmp_path / "gen" / name).rename(landing / name)

        watcher = LandedDropTrigger(settle_seconds=0)
        assert watcher.claim() == {"allocations_999_2025-03-31.csv": "allocations", "cin_census_999_2025.xml": "cin_census"}
        assert watcher.claim() == {}  # the same files cannot fire twice
        assert list(landing.iterdir()) == []

        run = dagbag.dags["csc_nightly"].test(logical_date=None, run_after=datetime(2025, 4, 1, 9, 15, tzinfo=timezone.utc))
        assert str(run.state) == "success"
        engine = pipeline.warehouse(load_settings(warehouse_url=warehouse_url))
        with engine.connect() as conn:
            loaded = conn.execute(text("SELECT file_name FROM load_file ORDER BY file_name")).scalars().all()
            figure = conn.execute(text(
                "SELECT numerator, denominator, run_id FROM indicator_result WHERE as_at = :d AND scope_type = 'authority' "
                "AND indicator_id = 'icpc_within_15_working_days'"), {"d": AS_AT}).one()
        planted = json.loads((tmp_path / "truth.json").read_text())["icpc_within_15_working_days"]
        assert loaded == ["allocations_999_2025-03-31.csv", "cin_census_999_2025.xml"]
        assert figure == (planted["numerator"], planted["denominator"], run.run_id)
        assert list((tmp_path / "data" / "claimed").iterdir()) == []  # archived by ingest
        assert "#cp-performance" in {call["channel"] for call in slack.calls("chat.postMessage")}


def test_dag_test_maps_each_authority_and_stops_only_the_one_whose_checks_fail(dagbag, tmp_path, monkeypatch):
    """Regional mode: every authority gets its own mapped validate, compute and publish instances. 802's data
    gains an ICPC before its strategy discussion (critical): 802 stops with its earlier figures kept and a data
    alert in its own channel, while 801 publishes its planted figures to its own channels."""
    import shutil

    from csc_monitor import authority_config
    from tests.test_regional import REGIONAL_CONFIG

    project = tmp_path / "project"  # two indicators keep the 2 x N mapped computes quick
    for name in ("sql", "expectations", "config"):
        shutil.copytree(PROJECT / name, project / name)
    (project / "indicators").mkdir()
    for indicator in ("icpc_within_15_working_days", "cp_reviews_on_time"):
        shutil.copy(PROJECT / "indicators" / f"{indicator}.yml", project / "indicators")
    monkeypatch.setattr(authority_config, "_document", lambda: REGIONAL_CONFIG)
    warehouse_url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    with FakeSlack() as slack:
        for name, value in {
            "CSC_MONITOR_WAREHOUSE_URL": warehouse_url, "CSC_MONITOR_DATA_DIR": str(tmp_path / "data"),
            "CSC_MONITOR_LANDING_DIR": str(tmp_path / "landing"), "CSC_MONITOR_PROJECT_DIR": str(project),
            "CSC_MONITOR_AUTHORITIES": "801,802", "CSC_MONITOR_DATA_DOCS": "0",
            "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": slack.base_url,
        }.items():
            monkeypatch.setenv(name, value)
        truth = {code: generate(tmp_path / "landing", children=150, seed=seed, reference_date=AS_AT, code=code, looked_after=30)
                 for code, seed in (("801", 11), ("802", 13))}
        settings = load_settings()
        engine = pipeline.warehouse(settings)
        pipeline.ingest(settings)
        pipeline.run(replace(settings, authority="802"), AS_AT, "earlier")
        figures = text("SELECT indicator_id, scope_type, scope, numerator, denominator, run_id FROM indicator_result "
                       "WHERE authority = :a ORDER BY 1, 2, 3")
        with engine.begin() as conn:
            earlier_802 = conn.execute(figures, {"a": "802"}).all()
            conn.execute(text("UPDATE section47_enquiry SET icpc_date = strategy_discussion_date - 1 WHERE authority = '802' "
                              "AND child_id = (SELECT MIN(child_id) FROM section47_enquiry WHERE authority = '802')"))
        posted_before = len(slack.calls("chat.postMessage"))

        run = dagbag.dags["csc_nightly"].test(logical_date=datetime(2025, 4, 1, 0, 30, tzinfo=timezone.utc))

        states = {(ti.task_id, ti.rendered_map_index): str(ti.state) for ti in run.get_task_instances()}
        with engine.connect() as conn:
            runs = dict(conn.execute(text("SELECT run_id, status FROM pipeline_run WHERE run_id <> 'earlier'")).all())
            icpc_801 = conn.execute(text(
                "SELECT numerator, denominator, overdue, run_id FROM indicator_result WHERE authority = '801' AND as_at = :d "
                "AND scope_type = 'authority' AND indicator_id = 'icpc_within_15_working_days'"), {"d": AS_AT}).one()
            after_802 = conn.execute(figures, {"a": "802"}).all()
    assert str(run.state) == "failed"
    assert {k: v for k, v in states.items() if k[0] in ("validate_data", "publish")} == {
        ("validate_data", "801"): "success", ("validate_data", "802"): "failed",
        ("publish", "801"): "success", ("publish", "802"): "failed"}
    assert {k[1]: v for k, v in states.items() if k[0] == "compute_indicator"} == {
        "801 icpc_within_15_working_days": "success", "801 cp_reviews_on_time": "success",
        "802 icpc_within_15_working_days": "skipped", "802 cp_reviews_on_time": "skipped"}
    assert runs == {f"{run.run_id}@801": "published", f"{run.run_id}@802": "failed"}
    planted = truth["801"]["icpc_within_15_working_days"]
    assert icpc_801 == (planted["numerator"], planted["denominator"], planted["overdue"], f"{run.run_id}@801")
    assert after_802 == earlier_802 and {r.run_id for r in after_802} == {"earlier"}
    posts = slack.calls("chat.postMessage")[posted_before:]
    assert {p["channel"] for p in posts} == {"C0801ICPC", "C0802DFLT", "#csc-operations"}
    (data_alert,) = [p for p in posts if p["channel"] == "C0802DFLT"]
    assert "icpc_not_before_strategy_discussion" in str(data_alert["blocks"])
    assert not [p for p in posts if p["channel"].startswith("C0801") and "802" in p["text"]]
