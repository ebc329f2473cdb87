"""A scripted series of nightly runs against the fake Slack: exactly which messages go where, and when.

Figures are published straight into indicator_result so each night's numbers are chosen by hand;
config/authority.yml is replaced by CONFIG (for_runs 2, clear_runs 2, repeat every 3 days, East
routed to its own channel with its own warning level).
"""

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.alerts import config as alert_config_module
from csc_monitor.alerts.cli import cmd_silence
from csc_monitor.alerts.lifecycle import alert_validation_failure
from csc_monitor.alerts.outbox import deliver
from csc_monitor.validation.runner import RuleResult, ValidationFailed, ValidationOutcome
from csc_monitor.warehouse import insert_rows
from tests.support.fake_slack import FakeSlack

INDICATOR = "icpc_within_15_working_days"
TITLE = "Initial child protection conferences within 15 working days"
CP, EAST, DEFAULT = "C0CPPERF", "C0EASTCP", "C0DEFAULT"
CONFIG = {
    "alerting": {"for_runs": 2, "clear_runs": 2, "repeat_every_days": 3, "default_channel": DEFAULT},
    "thresholds": {INDICATOR: {"teams": {"East": {"warning": 75}}}},
    "routing": {
        INDICATOR: {"channel": CP, "mentions": ["<!subteam^SCPHEADS>"], "teams": {"East": {"channel": EAST, "mentions": ["<@UEASTMGR>"]}}},
        "validation": {"mentions": ["<@UDATAOWNER>"]},
    },
}
# night -> {scope: (numerator, denominator)}; "all" is the authority-wide figure
NIGHTS = {
    1: {"all": (34, 40), "East": (16, 20), "West": (18, 20)},  # 85%, 80% (East warns below 75), 90%: all clear
    2: {"all": (30, 40), "East": (14, 20), "West": (16, 20)},  # 75%, 70%, 80%: three warnings, pending
    3: {"all": (30, 40), "East": (14, 20), "West": (16, 20)},  # second run: firing -> a digest per channel
    4: {"all": (26, 40), "East": (10, 20), "West": (16, 20)},  # 65%, 50%: criticals pending
    5: {"all": (26, 40), "East": (10, 20), "West": (16, 20)},  # criticals firing; East silenced; all's warning inhibited
    6: {"all": (26, 40), "East": (10, 20), "West": (16, 20)},  # West's warning repeated (3 days since night 3)
    7: {"all": (26, 40), "East": (10, 20), "West": (16, 20)},  # East's silence has ended: its critical is told
    8: {"all": (36, 40), "East": (18, 20), "West": (18, 20)},  # first clean run
    9: {"all": (36, 40), "East": (18, 20), "West": (18, 20)},  # second clean run: resolved, in the threads
}


def night(n: int) -> date:
    return date(2025, 4, n)


def publish(engine, as_at: date, figures: dict[str, tuple[int, int]], indicator: str = INDICATOR) -> None:
    """Figures as the engine would publish them (the optional `method` column filled when the schema has it)."""
    with engine.begin() as conn:
        extra = {"method": "cin_census"} if "method" in conn.execute(text("SELECT * FROM indicator_result LIMIT 0")).keys() else {}
        insert_rows(conn, "indicator_result", [{
            "indicator_id": indicator, "version": 1, "authority": "999", "as_at": as_at,
            "scope_type": "authority" if scope == "all" else "team", "scope": scope, "numerator": num, "denominator": den,
            "value": 100.0 * num / den, "overdue": 0, "run_id": f"publish-{as_at}", **extra,
        } for scope, (num, den) in figures.items()])


PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def alerting(settings, slack, monkeypatch):
    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)  # for the CLI commands
    monkeypatch.setattr(alert_config_module, "authority_section", lambda authority: CONFIG)
    return replace(settings, slack_token="xoxb-test", slack_base_url=slack.base_url, run_link_base="https://airflow.example/runs")


def run_night(settings, n: int) -> list[str]:
    queued = pipeline.alert(settings, night(n), f"night-{n}", send=False)
    deliver(pipeline.warehouse(settings), settings, backoff_seconds=0, per_channel_interval=0)
    return queued


def timeline(slack) -> list[tuple]:
    """Every message in both channels, oldest first: (channel, text, text of the thread's parent or None)."""
    stored = [(m, c) for c in (CP, EAST, DEFAULT) for m in slack.messages(c)]
    by_ts = {m["ts"]: m for m, _ in stored}
    return [
        (c, m["text"], by_ts[m["thread_ts"]]["text"][:60] if m.get("thread_ts") not in (None, m["ts"]) else None)
        for m, c in sorted(stored, key=lambda mc: mc[0]["ts"])
    ]


def digest(n, *items, mention):
    return f"{mention} Performance alerts as at {night(n).isoformat()}: " + " | ".join(items)


def test_nightly_runs_post_exactly_this_sequence(alerting, slack, engine):
    told = {}
    for n, figures in NIGHTS.items():
        publish(engine, night(n), figures)
        told[n] = run_night(alerting, n)
        if n == 3:
            cmd_silence(type("Args", (), {"authority": None, "indicator": INDICATOR, "team": "East", "until": night(6), "who": "Ann Lead",
                                          "why": "restructure: East's figures are being re-checked"})())
    thresholds = "warning below 85%, critical below 70%"
    d3_cp = digest(3, f"Warning: {TITLE} · all teams: 75.0% (30 of 40); {thresholds}",
                   f"Warning: {TITLE} · West: 80.0% (counts withheld: small numbers); {thresholds}", mention="<!subteam^SCPHEADS>")
    d3_east = digest(3, f"Warning: {TITLE} · East: 70.0% (14 of 20); warning below 75%, critical below 70%", mention="<@UEASTMGR>")
    d5_cp = digest(5, f"Critical: {TITLE} · all teams: 65.0% (26 of 40); {thresholds}", mention="<!subteam^SCPHEADS>")
    d6_cp = digest(6, f"Warning (still breaching): {TITLE} · West: 80.0% (counts withheld: small numbers); {thresholds}", mention="<!subteam^SCPHEADS>")
    d7_east = digest(7, f"Critical: {TITLE} · East: 50.0% (10 of 20); warning below 75%, critical below 70%", mention="<@UEASTMGR>")
    trend = "Trend: " + TITLE + " · {}, recent as-at dates"
    # 36 of 40 and 18 of 20 leave 4 and 2 not met: counts withheld (complementary suppression)
    resolved = ("Resolved: " + TITLE + "{} is back within its thresholds at 90.0% (counts withheld: small numbers) as at 2025-04-09, "
                "after breaching since 2025-04-0{}")
    assert timeline(slack) == [
        (CP, d3_cp, None),
        (CP, trend.format("all teams"), d3_cp[:60]),
        (CP, trend.format("West"), d3_cp[:60]),
        (EAST, d3_east, None),
        (EAST, trend.format("East"), d3_east[:60]),
        (CP, d5_cp, None),
        (CP, trend.format("all teams"), d5_cp[:60]),
        (CP, d6_cp, None),
        (CP, trend.format("West"), d6_cp[:60]),
        (EAST, d7_east, None),
        (EAST, trend.format("East"), d7_east[:60]),
        (CP, resolved.format("", 4), d5_cp[:60]),  # the critical, in the thread that told it
        (CP, resolved.format("", 2), d3_cp[:60]),  # the warning: inhibited since night 5, still told in its thread
        (EAST, resolved.format(" for East", 4), d7_east[:60]),
        (EAST, resolved.format(" for East", 2), d3_east[:60]),
        (CP, resolved.format(" for West", 2), d3_cp[:60]),
    ]
    assert [n for n, keys in told.items() if keys] == [3, 5, 6, 7, 9]
    uploads = slack.uploads.values()
    assert len(uploads) == 6 and all(u.completed and u.data.startswith(PNG) for u in uploads)
    assert [c["channel_id"] for c in slack.calls("files.completeUploadExternal")] == [CP, CP, EAST, CP, CP, EAST]

    with engine.connect() as conn:
        states = conn.execute(text("SELECT scope, severity, status FROM alert_state ORDER BY scope, severity")).all()
    assert {tuple(s) for s in states} == {(s, v, "ok") for s in ("East", "West", "all") for v in ("critical", "warning")}


def test_digest_blocks_show_comparator_change_links_and_mentions(alerting, slack, engine):
    """One digest's blocks in full: comparator (latest on or before the date), change since the previous as-at date."""
    with engine.begin() as conn:
        insert_rows(conn, "comparator_value", [
            {"indicator_id": INDICATOR, "geography": "england", "period_end": date(2024, 3, 31), "value": 77.7},
            {"indicator_id": INDICATOR, "geography": "england", "period_end": date(2025, 3, 31), "value": 80.9},
            {"indicator_id": INDICATOR, "geography": "england", "period_end": date(2026, 3, 31), "value": 99.0},
        ])
    publish(engine, night(2), {"all": (34, 40), "East": (16, 20), "West": (18, 20)})
    publish(engine, night(3), {"all": (30, 40), "East": (15, 20), "West": (15, 20)})
    no_comparator = {"comparator": None}  # teams judged on the levels only
    local = {**CONFIG, "alerting": {"for_runs": 1}, "thresholds": {INDICATOR: {
        "warning": 60, "critical": 50, "comparator": {"geography": "england", "margin": 5}, "teams": {"East": no_comparator, "West": no_comparator}}}}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(alert_config_module, "authority_section", lambda authority: local)
        run_night(alerting, 3)
    (post,) = slack.calls("chat.postMessage")
    assert post["channel"] == CP
    assert post["text"] == (f"<!subteam^SCPHEADS> Performance alerts as at 2025-04-03: Warning: {TITLE} · all teams: 75.0% (30 of 40); "
                            "warning below 60%, critical below 50%")
    assert post["blocks"] == [
        {"type": "header", "text": {"type": "plain_text", "text": "Performance alerts as at 2025-04-03"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "For the attention of <!subteam^SCPHEADS>"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": (
            f":large_orange_circle: *Warning: {TITLE} · all teams*\nBreached: more than 5.0 points worse than England")}, "fields": [
            {"type": "mrkdwn", "text": "*Value*\n75.0% (30 of 40)"},
            {"type": "mrkdwn", "text": "*Thresholds*\nwarning below 60%, critical below 50%"},
            {"type": "mrkdwn", "text": "*Change*\n-10.0 points since 2025-04-02 (85.0%)"},
            {"type": "mrkdwn", "text": "*Breaching since*\n2025-04-03"},
            {"type": "mrkdwn", "text": "*Comparators*\nEngland 80.9% (2025-03-31)"},
        ]},
        {"type": "section", "text": {"type": "mrkdwn", "text": (
            "*Teams furthest from the standard*\n• East: 75.0% (15 of 20)\n• West: 75.0% (15 of 20)")}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"Definition `{INDICATOR}` v1 (statutory), rolling 12 months ending on the as-at date (for 2025-03-31, ICPCs dated "
            f"2024-04-01 to 2025-03-31 inclusive) · children behind the figure: `csc-monitor exceptions {INDICATOR} --as-at 2025-04-03` "
            "(inside the authority only)")}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            "run <https://airflow.example/runs/night-3|night-3> · validation report: `reports/night-3/` in the monitor's data folder · "
            "pause an alert: `csc-monitor alerts silence --indicator ID [--team T] --until YYYY-MM-DD --who NAME --why TEXT`")}]},
    ]


def test_change_rule_and_team_threshold_override(alerting, slack, engine):
    """Worse by 10 points than the previous period: a warning, though the figure is above its levels."""
    publish(engine, night(1), {"all": (38, 40), "East": (20, 20), "West": (18, 20)})
    publish(engine, night(2), {"all": (34, 40), "East": (16, 20), "West": (18, 20)})
    local = {"alerting": {"for_runs": 1}, "thresholds": {INDICATOR: {"warning": 80, "critical": 60, "teams": {"East": {"change_rule": {"worse_by": 10}}}}}}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(alert_config_module, "authority_section", lambda authority: local)
        run_night(alerting, 1)
        run_night(alerting, 2)
    (post,) = slack.calls("chat.postMessage")
    assert post["channel"] == "#cp-performance"  # no routing: the definition's channel
    assert post["text"] == f"Performance alerts as at 2025-04-02: Warning: {TITLE} · East: 80.0% (counts withheld: small numbers); warning below 80%, critical below 60%"
    assert "Breached: at least 10.0 points worse than the previous period" in post["blocks"][1]["text"]["text"]
    assert slack.uploads == {}  # charts need a channel ID, not a #name


def test_failed_validation_inhibits_figure_alerts_and_raises_its_own(alerting, slack, engine, monkeypatch):
    publish(engine, night(1), {"all": (10, 40)})
    outcome = ValidationOutcome("night-1", [RuleResult("cin_census", "icpc_after_strategy", "critical", False, 3, ("CHILD001 line 9",))])
    with engine.begin() as conn:
        insert_rows(conn, "validation_result", [{"run_id": "night-1", "suite": "cin_census", "rule": "icpc_after_strategy",
                                                 "severity": "critical", "success": False, "failing_rows": 3, "examples": "CHILD001 line 9"}])

    def failing_validate(settings, as_at, run_id, stop_on_critical=True):
        raise ValidationFailed(outcome)

    monkeypatch.setattr(pipeline, "validate", failing_validate)
    monkeypatch.setattr(alert_config_module, "authority_section", lambda authority: {**CONFIG, "alerting": {**CONFIG["alerting"], "for_runs": 1}})
    monkeypatch.setattr(pipeline, "deliver", lambda engine, settings: deliver(engine, settings, per_channel_interval=0))
    with pytest.raises(ValidationFailed):
        pipeline.run(alerting, night(1), "night-1")
    assert pipeline.alert(alerting, night(1), "night-1") == []  # inhibited: the figure (25%) is not judged
    publish(engine, night(2), {"all": (10, 40)})
    run_night(alerting, 2)  # data checks pass in this run: resolved in the thread, and the figure is told

    figure = (f"<!subteam^SCPHEADS> Performance alerts as at 2025-04-02: Critical: {TITLE} · all teams: 25.0% (10 of 40); "
              "warning below 85%, critical below 70%")
    failed = ("<@UDATAOWNER> Data checks failed as at 2025-04-01: nothing was published and the last good figures stand; "
              "figure alerts are held back until the data passes. Failed: cin_census.icpc_after_strategy")
    assert timeline(slack) == [
        (DEFAULT, failed, None),
        (DEFAULT, "Resolved: data checks pass again as at 2025-04-02; figures are published", failed[:60]),
        (CP, figure, None),
        (CP, f"Trend: {TITLE} · all teams, recent as-at dates", figure[:60]),
    ]
    (first,) = [c for c in slack.calls("chat.postMessage") if c["channel"] == DEFAULT][:1]
    assert "• cin_census.icpc_after_strategy: fewer than 5 rows failing" in first["blocks"][1]["text"]["text"]
    assert "CHILD001" not in str(slack.calls("chat.postMessage"))


def test_validation_alert_function_is_idempotent_per_date(alerting, slack, engine):
    outcome = ValidationOutcome("r", [RuleResult("s", "rule", "critical", False, 12)])
    engine_ = pipeline.warehouse(alerting)
    assert alert_validation_failure(engine_, alerting, night(1), "r", outcome, send=False) == ["validation|999|2025-04-01"]
    assert alert_validation_failure(engine_, alerting, night(1), "r-again", outcome, send=False) == []
    assert alert_validation_failure(engine_, alerting, night(2), "r2", outcome, send=False) == []  # repeated at most every 3 days
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM slack_outbox")).scalar_one() == 1


def test_a_digest_too_long_for_one_slack_message_is_split(alerting, slack, engine):
    """Seventeen alerts for one channel: fifteen in the digest, two in a second message; each resolves in its own thread."""
    teams = {f"Team {chr(65 + n)}": (10, 20) for n in range(16)}
    publish(engine, night(1), {"all": (160, 320), **teams})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(alert_config_module, "authority_section", lambda authority: {"alerting": {"for_runs": 1}})
        assert run_night(alerting, 1) == ["digest|999|#cp-performance|2025-04-01", "digest|999|#cp-performance|2025-04-01|2"]
    first, second = slack.calls("chat.postMessage")
    assert [len(first["blocks"]), len(second["blocks"])] == [1 + 15 * 2 + 1 + 1, 1 + 2 * 2 + 1]  # teams have no team list
    assert second["text"].endswith(f"Critical: {TITLE} · Team P: 50.0% (10 of 20); warning below 85%, critical below 70%")
    with engine.connect() as conn:
        threads = dict(conn.execute(text("SELECT scope, thread_key FROM alert_state WHERE severity = 'critical'")).all())
    assert threads["Team O"] == "digest|999|#cp-performance|2025-04-01|2" and threads["Team N"] == "digest|999|#cp-performance|2025-04-01"


def test_values_that_are_not_percentages_keep_their_unit_and_their_small_numbers_rule():
    from csc_monitor.alerts.messages import Figure, figure_text, threshold_text

    assert figure_text(Figure("all", 3, 12, 412.34, 0), 5, "mean_elapsed") == "412.3 days (12 counted)"  # numerator not a count here
    assert figure_text(Figure("all", 4, 4, 390.0, 0), 5, "mean_elapsed") == "small numbers: fewer than 5 counted"
    assert figure_text(Figure("all", 0, 410, 102.5, 0), 5, "rate_per_10000") == "102.5 per 10,000 (410 counted)"
    assert threshold_text({"warning": 426, "critical": 500}, False, "mean_elapsed") == "warning above 426 days, critical above 500 days"
    assert figure_text(Figure("all", 4, 40, 10.0, 0), 5) == "small numbers: fewer than 5 of 40"  # 10% of 40 would give 4 away


def test_counts_are_withheld_when_the_complement_is_small():
    """ONS/GSS complementary suppression: '71.4% (5 of 7)' would tell that 2 children were not seen."""
    from csc_monitor.alerts.messages import Figure, figure_text

    assert figure_text(Figure("all", 5, 7, 500 / 7, 0), 5) == "71.4% (counts withheld: small numbers)"
    assert figure_text(Figure("all", 5, 9, 500 / 9, 0), 5) == "55.6% (counts withheld: small numbers)"   # 4 not met
    assert figure_text(Figure("all", 5, 10, 50.0, 0), 5) == "50.0% (5 of 10)"                           # 5 and 5
    assert figure_text(Figure("all", 12, 12, 100.0, 0), 5) == "100.0% (12 of 12)"                       # none missed: zero is safe
    assert figure_text(Figure("all", 7, 7, 100.0, 0), 10) == "small numbers: fewer than 10 of fewer than 10"
    assert figure_text(Figure("all", 10, 19, 1000 / 19, 0), 10) == "52.6% (counts withheld: small numbers)"  # the limit is the authority's
