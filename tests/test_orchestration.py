"""The Airflow task functions without Airflow: operational alerts, the deadline check, and a re-run after failure."""

import logging
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from csc_monitor import orchestration, pipeline
from csc_monitor.config import load_settings
from csc_monitor.synthetic import generate
from csc_monitor.validation.report import report_dir
from tests.support.facts import add_enquiry
from tests.support.fake_slack import FakeSlack

AS_AT = date(2025, 3, 31)
RUN_ID = "scheduled__2025-04-01T00:30:00+00:00"


def context(task_id="compute_indicator", map_index=-1, run_type="scheduled", error=None):
    """What Airflow hands a task or a failure callback, reduced to what orchestration reads."""
    logical = datetime(2025, 4, 1, 0, 30, tzinfo=timezone.utc)
    return {
        "params": {}, "logical_date": logical, "run_id": RUN_ID, "exception": error,
        "dag_run": SimpleNamespace(run_type=run_type, run_after=logical),
        "dag": SimpleNamespace(dag_id="csc_nightly"), "ti": SimpleNamespace(task_id=task_id, map_index=map_index),
    }


@pytest.fixture
def slack_env(settings, monkeypatch):
    with FakeSlack() as slack:
        for name, value in {"CSC_MONITOR_WAREHOUSE_URL": settings.warehouse_url, "CSC_MONITOR_DATA_DIR": str(settings.data_dir),
                            "CSC_MONITOR_LANDING_DIR": str(settings.landing_dir), "SLACK_BOT_TOKEN": "xoxb-test",
                            "SLACK_API_BASE_URL": slack.base_url, "CSC_MONITOR_RUN_LINK_BASE": "https://airflow.example/"}.items():
            monkeypatch.setenv(name, value)
        yield slack


def test_failed_task_posts_once_to_the_operations_channel(settings, engine, slack_env):
    failure = context(map_index=4, error=RuntimeError("child C001000042 broke the query"))
    orchestration.task_failed(failure)
    orchestration.task_failed(failure)  # a retried callback
    (post,) = slack_env.calls("chat.postMessage")
    assert post["channel"] == "#csc-operations"
    link = "https://airflow.example/dags/csc_nightly/runs/scheduled__2025-04-01T00%3A30%3A00%2B00%3A00"
    assert post["text"] == f"csc-monitor: task compute_indicator[4] failed in csc_nightly for as-at 2025-03-31 ({link})"
    assert "C001000042" not in str(post) and "RuntimeError" in str(post["blocks"])
    assert post["metadata"]["event_payload"]["delivery_key"] == f"ops|task_failed|csc_nightly|{RUN_ID}|compute_indicator|4"


def test_deadline_check_alerts_once_until_published(settings, engine, slack_env):
    check = context(task_id="check_published")
    assert orchestration.deadline_check_task(check) is False
    assert orchestration.deadline_check_task(check) is False
    (post,) = slack_env.calls("chat.postMessage")
    assert (post["channel"], post["text"]) == (
        "#csc-operations", "csc-monitor: figures as at 2025-03-31 were not published by 07:00 (https://airflow.example/dags/csc_nightly)")
    pipeline.record_run(engine, RUN_ID, AS_AT, "scheduled", "published", "999")
    assert orchestration.deadline_check_task(check) is True


def test_publish_task_checks_the_figures_and_puts_the_last_good_ones_back(settings, engine, slack_env, monkeypatch):
    """The Airflow path checks the results as pipeline.run does, though validate, compute and publish are separate
    tasks: the figures kept by validate_data come back when publish finds a figure above its denominator."""
    monkeypatch.setenv("CSC_MONITOR_DATA_DOCS", "0")
    for n in range(6):
        add_enquiry(engine, f"C{n}", strategy="2025-01-06", icpc="2025-01-20" if n < 4 else "2025-02-20")
    pipeline.run(settings, AS_AT, "good", send=False)
    figures = text("SELECT indicator_id, scope_type, scope, numerator, denominator, run_id FROM indicator_result ORDER BY 1, 2, 3")
    with engine.connect() as conn:
        before = conn.execute(figures).all()
    assert ("icpc_within_15_working_days", "authority", "all", 4, 6, "good") in before

    orchestration.validate_task(context("validate_data"), "999")
    orchestration.compute_task(context(), "999", "icpc_within_15_working_days")
    with engine.begin() as conn:  # a defect that publishes more met than counted
        conn.execute(text("UPDATE indicator_result SET numerator = denominator + 1, value = 120 WHERE run_id = :r"), {"r": RUN_ID})
    with pytest.raises(pipeline.ValidationFailed) as failure:
        orchestration.publish_task(context("publish"), "999")
    assert {r.rule for r in failure.value.outcome.critical_failures} == {"numerator_not_above_denominator", "percentage_between_0_and_100"}
    with engine.connect() as conn:
        assert conn.execute(figures).all() == before
        assert conn.execute(text("SELECT status FROM pipeline_run WHERE run_id = :r"), {"r": RUN_ID}).scalar_one() == "failed"
        assert conn.execute(text("SELECT COUNT(*) FROM kept_indicator_result")).scalar_one() == 0
    good, broken = ((report_dir(settings, r) / "summary.txt").read_text().splitlines()[0] for r in ("good", RUN_ID))
    rules = int(good.split(": ")[1].split(" rules")[0])  # both stages, as pipeline.run's report, and the start-event check
    assert broken == f"validation {RUN_ID}: {rules + 1} rules, 2 critical failures, 0 warnings"
    (post,) = [p for p in slack_env.calls("chat.postMessage") if p["channel"] == "#csc-performance"]
    assert "numerator_not_above_denominator" in str(post["blocks"])


def _run_nightly(failing: str | None, patch) -> None:
    """The DAG's task order; `failing` fails its first compute, then Airflow's failure callback and a cleared re-run."""
    orchestration.ingest_task(context("ingest_exports"))
    (authority,) = orchestration.authorities_task(context("list_authorities"))
    orchestration.validate_task(context("validate_data"), authority)
    compute, failed = pipeline.compute, []

    def flaky(settings, dates, run_id, ids=None):
        if ids == [failing] and not failed:
            failed.append(failing)
            raise RuntimeError("warehouse connection lost")
        return compute(settings, dates, run_id, ids)

    patch.setattr(pipeline, "compute", flaky)
    ids = orchestration.indicator_ids_task(context())
    for index, indicator in enumerate(ids):
        try:
            orchestration.compute_task(context(map_index=index), authority, indicator)
        except RuntimeError as error:
            orchestration.task_failed(context(map_index=index, error=error))
    orchestration.publish_task(context("publish"), authority)
    if failed:  # the operator clears the failed task and its downstream for the same run
        orchestration.compute_task(context(map_index=ids.index(failing)), authority, failing)
        orchestration.publish_task(context("publish"), authority)


def _snapshot(url: str):
    engine = pipeline.warehouse(load_settings(warehouse_url=url))
    with engine.connect() as conn:
        results = conn.execute(text("SELECT indicator_id, as_at, scope_type, scope, numerator, denominator, value, overdue, run_id "
                                    "FROM indicator_result ORDER BY 1, 2, 3, 4")).all()
        messages = conn.execute(text("SELECT delivery_key, channel, thread_key, text, blocks_json FROM slack_outbox "
                                     "WHERE channel <> '#csc-operations' ORDER BY delivery_key")).all()
    return results, messages


@pytest.fixture(scope="module")
def clean_and_rerun(tmp_path_factory):
    """The same night twice: cleanly, and with one indicator failing then re-run (as the operator would clear it)."""
    tmp_path = tmp_path_factory.mktemp("rerun")
    snapshots, slack_posts = [], []
    for name, failing in (("clean", None), ("failed", "icpc_within_15_working_days")):
        url = f"duckdb:///{tmp_path / name / 'wh.duckdb'}"
        with FakeSlack() as slack, pytest.MonkeyPatch.context() as patch:
            for key, value in {"CSC_MONITOR_WAREHOUSE_URL": url, "CSC_MONITOR_DATA_DIR": str(tmp_path / name),
                               "CSC_MONITOR_LANDING_DIR": str(tmp_path / name / "landing"), "SLACK_BOT_TOKEN": "xoxb-test",
                               "SLACK_API_BASE_URL": slack.base_url}.items():
                patch.setenv(key, value)
            generate(tmp_path / name / "landing", children=150, seed=8, reference_date=AS_AT)
            _run_nightly(failing, patch)
            snapshots.append(_snapshot(url))
            slack_posts.append(sorted((p["channel"], p["text"]) for p in slack.calls("chat.postMessage")))
    return snapshots, slack_posts


def test_rerun_after_a_failed_indicator_leaves_the_clean_figures_and_one_operational_alert(clean_and_rerun):
    ((clean_results, clean_messages), (rerun_results, rerun_messages)), (clean_posts, rerun_posts) = clean_and_rerun
    assert rerun_results == clean_results
    index = orchestration.indicator_ids_task({}).index("icpc_within_15_working_days")
    ops = [text.split(" (")[0] for channel, text in rerun_posts if channel == "#csc-operations"]
    assert ops == [f"csc-monitor: task compute_indicator[{index}] failed in csc_nightly for as-at 2025-03-31"]
    assert not [p for p in clean_posts if p[0] == "#csc-operations"]


def _told(messages) -> list[str]:
    """Every alert item told in tonight's digests (a digest's fallback text lists them after its heading)."""
    return sorted(item for m in messages if m.delivery_key.startswith("digest|") for item in m.text.split(": ", 1)[1].split(" | "))


def test_rerun_after_a_failed_indicator_tells_managers_every_breach_a_clean_run_tells(clean_and_rerun):
    """The completed indicator's breaches arrive in a second digest for the date; nothing is lost, nothing repeated."""
    ((_, clean_messages), (_, rerun_messages)), _ = clean_and_rerun
    assert _told(rerun_messages) == _told(clean_messages) != []
    assert [m.delivery_key for m in rerun_messages if not m.delivery_key.startswith("digest|")] == \
        [m.delivery_key for m in clean_messages if not m.delivery_key.startswith("digest|")]


def test_task_settings_come_from_airflow_connections_and_variables_before_the_environment(monkeypatch):
    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", "duckdb:///from-env.duckdb")
    assert orchestration.task_settings().warehouse_url == "duckdb:///from-env.duckdb"
    monkeypatch.setenv("AIRFLOW_CONN_CSC_WAREHOUSE", "postgresql://csc:s3cret@postgres:5432/warehouse")
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_API_DEFAULT", '{"conn_type": "slack", "password": "xoxb-1", "extra": {"base_url": "http://slack.local/api/"}}')
    monkeypatch.setenv("AIRFLOW_VAR_CSC_LANDING_DIR", "/srv/drop")
    settings = orchestration.task_settings()
    assert settings.warehouse_url == "postgresql+psycopg2://csc:s3cret@postgres:5432/warehouse"
    assert (settings.slack_token, settings.slack_base_url, str(settings.landing_dir)) == ("xoxb-1", "http://slack.local/api/", "/srv/drop")


def test_as_at_is_the_day_before_a_nightly_run_and_the_logical_date_of_a_backfill_run():
    """A backfill's logical date is the as-at date, so `airflow backfill create --from-date D1 --to-date D2` (whole
    days, London time) computes D1..D2; the run at 01:30 London computes yesterday; an `as_at` param wins."""
    assert orchestration.as_at_for(context()) == date(2025, 3, 31)
    backfill_in_summer = {**context(run_type="backfill"), "logical_date": datetime(2025, 3, 31, 0, 30, tzinfo=timezone.utc)}
    backfill_in_winter = {**context(run_type="backfill"), "logical_date": datetime(2025, 3, 29, 1, 30, tzinfo=timezone.utc)}
    assert orchestration.as_at_for(backfill_in_summer) == date(2025, 3, 31)
    assert orchestration.as_at_for(backfill_in_winter) == date(2025, 3, 29)
    assert orchestration.as_at_for({**context(run_type="backfill"), "params": {"as_at": "2024-12-31"}}) == date(2024, 12, 31)


def test_every_nightly_run_states_its_as_at_date_in_its_note_as_it_starts():
    """The scheduler's listener (plugins/csc_run_note.py): the 01:30 run on 1 April (00:30 UTC) and a drop's run due
    at 09:15 BST that day compute 31 March; a backfill its logical date; a manual run its `as_at` param, below the
    note a person wrote. Started again after a clear, the run is not noted twice; other DAGs' runs are left alone."""
    from csc_monitor.airflow_run_note import on_dag_run_running

    def started(run_type, logical_date, run_after=None, conf=None, note=None, dag_id="csc_nightly"):
        run = SimpleNamespace(dag_id=dag_id, run_type=run_type, logical_date=logical_date, run_after=run_after or logical_date,
                              conf=conf, note=note)
        on_dag_run_running(dag_run=run, msg="started")
        return run.note

    assert started("scheduled", datetime(2025, 4, 1, 0, 30, tzinfo=timezone.utc)) == "as-at 2025-03-31"
    assert started("asset_triggered", None, run_after=datetime(2025, 4, 1, 8, 15, tzinfo=timezone.utc)) == "as-at 2025-03-31"
    assert started("backfill", datetime(2025, 3, 29, 1, 30, tzinfo=timezone.utc)) == "as-at 2025-03-29"
    assert started("manual", datetime(2025, 4, 1, 8, 15, tzinfo=timezone.utc), conf={"as_at": "2024-12-31"},
                   note="rerun after the census fix") == "rerun after the census fix\n\nas-at 2024-12-31"
    assert started("scheduled", datetime(2025, 4, 1, 0, 30, tzinfo=timezone.utc), note="as-at 2025-03-31") == "as-at 2025-03-31"
    assert started("scheduled", datetime(2025, 4, 1, 6, 0, tzinfo=timezone.utc), dag_id="csc_deadline") is None


def test_the_nightly_run_fails_first_naming_the_setup_command_until_airflow_is_set_up(monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    monkeypatch.delenv("AIRFLOW_VAR_CSC_MONITOR_SETUP", raising=False)
    with pytest.raises(AirflowFailException) as missing:
        orchestration.check_setup_task(context("check_setup"))
    assert str(missing.value) == ("Airflow is not set up for csc-monitor: run `csc-monitor airflow setup` "
                                  "(it creates the csc_warehouse pool every warehouse task waits for)")
    monkeypatch.setenv("AIRFLOW_VAR_CSC_MONITOR_SETUP", '{"pool": "csc_warehouse", "pool_slots": 1}')
    assert orchestration.check_setup_task(context("check_setup")) is None


def test_a_drop_is_claimed_whole_once_every_export_in_it_has_settled(tmp_path):
    """Files landing together are one event: nothing while any export is still changing, then all of them at once,
    then nothing (they left the landing folder). A file that is not an export stays where it is."""
    from csc_monitor.airflow_triggers import claim_drop

    generate(tmp_path / "gen", children=40, seed=3, reference_date=AS_AT)
    landing, claimed = tmp_path / "landing", tmp_path / "claimed"
    landing.mkdir()
    names = ["allocations_999_2025-03-31.csv", "cin_census_999_2025.xml", "visits_999_2025-03-31.csv"]
    for name in names:
        (tmp_path / "gen" / name).rename(landing / name)
    (landing / "readme.txt").write_text("not an export")
    for name in names[:2]:
        (landing / f"{name}.done").touch()  # the copy job's word that these two are complete
    assert claim_drop(landing, claimed, settle_seconds=60) == {}  # the visits file is still landing
    (landing / f"{names[2]}.done").touch()
    assert claim_drop(landing, claimed, settle_seconds=60) == {
        "allocations_999_2025-03-31.csv": "allocations", "cin_census_999_2025.xml": "cin_census", "visits_999_2025-03-31.csv": "events"}
    assert claim_drop(landing, claimed, settle_seconds=60) == {}
    assert sorted(p.name for p in claimed.iterdir()) == names and [p.name for p in landing.iterdir()] == ["readme.txt"]


def test_a_run_started_by_a_drop_an_earlier_run_loaded_covers_no_authority(monkeypatch, capsys):
    monkeypatch.delenv("CSC_MONITOR_AUTHORITIES", raising=False)
    drop_run = context("list_authorities", run_type="asset_triggered")
    assert orchestration.authorities_task(drop_run, loaded=["cin_census_999_2025.xml"]) == ["999"]
    assert orchestration.authorities_task(drop_run, loaded=[]) == []
    assert "nothing new loaded: an earlier run loaded the exports that started this run" in capsys.readouterr().out
    assert orchestration.authorities_task(context("list_authorities"), loaded=[]) == ["999"]  # the nightly run still runs


def test_a_run_on_stale_exports_publishes_with_a_caveat_and_one_freshness_alert_instead_of_breaches(settings, engine, slack_env, capsys,
                                                                                                  caplog):
    """Exports dated 31 March computed as at 30 June (91 days later; the limit is 31): the figures publish, marked
    stale, and the only message is the freshness alert naming the as-at date; no breach is judged on old data."""
    generate(settings.landing_dir, children=150, seed=8, reference_date=AS_AT)
    stale = {"params": {"as_at": "2025-06-30"}}
    orchestration.ingest_task({**context("ingest_exports"), **stale})
    orchestration.validate_task({**context("validate_data"), **stale}, "999")
    for indicator in orchestration.indicator_ids_task({}):
        orchestration.compute_task({**context(), **stale}, "999", indicator)
    orchestration.publish_task({**context("publish"), **stale}, "999")

    (post,) = slack_env.calls("chat.postMessage")
    assert (post["channel"], post["text"]) == ("#csc-performance", "The latest export is 91 days old at 2025-06-30")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM pipeline_run WHERE run_id = :r"), {"r": RUN_ID}).scalar_one() == "published"
        assert conn.execute(text("SELECT run_id FROM indicator_result WHERE as_at = '2025-06-30' AND scope_type = 'authority' "
                                 "AND indicator_id = 'icpc_within_15_working_days'")).scalar_one() == RUN_ID
        assert conn.execute(text("SELECT severity, examples FROM validation_result WHERE run_id = :r AND suite = 'freshness'"),
                            {"r": RUN_ID}).one() == ("warning", "figures as at 2025-06-30 come from exports last dated 2025-03-31, "
                                                                "91 days earlier (limit 31): breach alerts held back")
        assert conn.execute(text("SELECT COUNT(*) FROM alert_state")).scalar_one() == 0
    log = capsys.readouterr().out
    assert "publish: authority 999, as-at 2025-06-30" in log
    assert "breach alerts held back: the exports are older than the freshness limit (the data-freshness alert says so)" in log
    assert [r.getMessage() for r in caplog.records if r.name.startswith("great_expectations") and r.levelno < logging.WARNING] == []
