"""Alerts reach a local server that answers like Slack's Web API, through the real slack-sdk client."""

import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.alerts import lifecycle
from csc_monitor.alerts.outbox import EVENT_TYPE, deliver
from csc_monitor.indicators.definitions import load_definitions
from tests.support.facts import add_enquiry
from tests.support.fake_slack import FakeSlack

AS_AT = date(2025, 3, 31)
CHANNEL = "#cp-performance"
TITLE = "Initial child protection conferences within 15 working days"
EXPECTED_TEXT = (
    f"Performance alerts as at 2025-03-31: Critical: {TITLE} · all teams: 50.0% (5 of 10); warning below 85%, critical below 70% | "
    f"Critical: {TITLE} · Team B: small numbers: fewer than 5 of 5; warning below 85%, critical below 70% | "
    f"Warning: {TITLE} · Team A: small numbers: fewer than 5 of 5; warning below 85%, critical below 70%"
)
PERIOD = "rolling 12 months ending on the as-at date (for 2025-03-31, ICPCs dated 2024-04-01 to 2025-03-31 inclusive)"


def _item(icon, heading, reason, value, team_option=""):
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{icon} *{heading}*\nBreached: {reason}"}, "fields": [
            {"type": "mrkdwn", "text": f"*Value*\n{value}"},
            {"type": "mrkdwn", "text": "*Thresholds*\nwarning below 85%, critical below 70%"},
            {"type": "mrkdwn", "text": "*Change*\nno earlier figure"},
            {"type": "mrkdwn", "text": "*Breaching since*\n2025-03-31"},
        ]},
        *([{"type": "section", "text": {"type": "mrkdwn", "text": (
            "*Teams furthest from the standard*\n• Team B: small numbers: fewer than 5 of 5\n• Team A: small numbers: fewer than 5 of 5")}}]
          if not team_option else []),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"Definition `icpc_within_15_working_days` v1 (statutory), {PERIOD} · children behind the figure: "
            f"`csc-monitor exceptions icpc_within_15_working_days --as-at 2025-03-31{team_option}` (inside the authority only)")}]},
    ]


EXPECTED_BLOCKS = [
    {"type": "header", "text": {"type": "plain_text", "text": "Performance alerts as at 2025-03-31"}},
    *_item(":red_circle:", f"Critical: {TITLE} · all teams", "critical threshold", "50.0% (5 of 10)"),
    *_item(":red_circle:", f"Critical: {TITLE} · Team B", "critical threshold", "small numbers: fewer than 5 of 5", " --team 'Team B'"),
    *_item(":large_orange_circle:", f"Warning: {TITLE} · Team A", "warning threshold", "small numbers: fewer than 5 of 5", " --team 'Team A'"),
    {"type": "context", "elements": [{"type": "mrkdwn", "text": (
        "run `run-1` · validation report: `reports/run-1/` in the monitor's data folder · pause an alert: "
        "`csc-monitor alerts silence --indicator ID [--team T] --until YYYY-MM-DD --who NAME --why TEXT`")}]},
]
DIGEST_KEY = "digest|999|#cp-performance|2025-03-31"
CHILDREN = [f"CHILD{n:03d}" for n in range(10)]


@pytest.fixture(autouse=True)
def icpc_alerts_only(monkeypatch):
    """Exact payloads for one indicator: other indicators' figures (computed from the same facts) are not judged here."""
    monkeypatch.setattr(lifecycle, "load_definitions", lambda: load_definitions(["icpc_within_15_working_days"]))


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def slack_settings(settings, slack):
    return replace(settings, slack_token="xoxb-test", slack_base_url=slack.base_url)


@pytest.fixture
def breaching(engine):
    """10 ICPCs, 5 within 15 working days: Team A 4 of 5, Team B 1 of 5."""
    for n, child in enumerate(CHILDREN):
        met = n in (0, 1, 2, 3, 5)
        add_enquiry(engine, child, strategy="2025-01-06", icpc="2025-01-27" if met else "2025-01-28",
                    team="Team A" if n < 5 else "Team B", worker=f"Worker {n}")
    return engine


def _posts(slack):
    return slack.calls("chat.postMessage")


def test_breach_posts_exactly_one_message_and_rerun_posts_none(slack_settings, slack, breaching):
    pipeline.run(slack_settings, AS_AT, "run-1")
    (post,) = _posts(slack)
    assert post["channel"] == CHANNEL
    assert post["text"] == EXPECTED_TEXT
    assert post["blocks"] == EXPECTED_BLOCKS
    assert post["metadata"] == {"event_type": EVENT_TYPE, "event_payload": {"delivery_key": DIGEST_KEY}}
    payload = json.dumps(post)
    assert not [child for child in CHILDREN if child in payload]

    pipeline.run(slack_settings, AS_AT, "run-1-again")
    pipeline.run(slack_settings, date(2025, 4, 1), "run-2")  # still breaching, but repeated at most weekly
    assert len(_posts(slack)) == 1


def test_still_breaching_is_repeated_after_seven_days_then_resolved_in_thread(slack_settings, slack, breaching):
    pipeline.run(slack_settings, AS_AT, "run-1")
    pipeline.run(slack_settings, date(2025, 4, 7), "run-2")
    for n in range(10, 40):  # thirty more conferences, all on time, lift the figure to 35 of 40
        add_enquiry(breaching, f"LATER{n}", strategy="2025-04-01", icpc="2025-04-08")
    pipeline.run(slack_settings, date(2025, 4, 8), "run-3")
    first, repeat, resolved, team_a_resolved = _posts(slack)
    assert repeat["text"].startswith(f"Performance alerts as at 2025-04-07: Critical (still breaching): {TITLE} · all teams: 50.0% (5 of 10);")
    assert resolved["text"] == (
        "Resolved: Initial child protection conferences within 15 working days is back within its thresholds at 87.5% (35 of 40) "
        "as at 2025-04-08, after breaching since 2025-03-31"
    )
    assert team_a_resolved["text"] == (  # the thirty were allocated to Team A (34 of 35: 1 missed, so no counts); Team B stays quiet
        "Resolved: Initial child protection conferences within 15 working days for Team A is back within its thresholds at 97.1% "
        "(counts withheld: small numbers) as at 2025-04-08, after breaching since 2025-03-31"
    )
    first_ts = slack.messages(CHANNEL)[0]["ts"]
    assert resolved["thread_ts"] == team_a_resolved["thread_ts"] == first_ts and "thread_ts" not in first


def test_a_passing_figure_posts_nothing(slack_settings, slack, engine):
    for n in range(6):
        add_enquiry(engine, f"OK{n}", strategy="2025-01-06", icpc="2025-01-20")
    pipeline.run(slack_settings, AS_AT, "run-ok")
    assert _posts(slack) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM indicator_result WHERE scope_type = 'authority' "
                                 "AND indicator_id = 'icpc_within_15_working_days'")).scalar_one() == 100.0


def test_response_lost_after_posting_is_not_posted_again(slack_settings, slack, breaching):
    slack.fail_after_processing_next("chat.postMessage")
    pipeline.compute(slack_settings, [AS_AT], "run-1")
    pipeline.alert(slack_settings, AS_AT, "run-1", send=False)
    delivered = deliver(pipeline.warehouse(slack_settings), slack_settings, backoff_seconds=0.01, per_channel_interval=0)
    assert delivered == [DIGEST_KEY]
    assert len(slack.messages(CHANNEL)) == 1
    assert [r.method for r in slack.requests] == ["chat.postMessage", "conversations.history"]


def test_killed_between_posting_and_marking_does_not_post_again(slack_settings, slack, breaching):
    """The process died after Slack stored the message: attempts was recorded, delivered_at was not."""
    pipeline.compute(slack_settings, [AS_AT], "run-1")
    pipeline.alert(slack_settings, AS_AT, "run-1", send=False)
    engine = pipeline.warehouse(slack_settings)
    key = DIGEST_KEY
    from slack_sdk import WebClient

    WebClient(token="xoxb-test", base_url=slack.base_url).chat_postMessage(
        channel=CHANNEL, text="posted before the crash", metadata={"event_type": EVENT_TYPE, "event_payload": {"delivery_key": key}})
    with engine.begin() as conn:
        conn.execute(text("UPDATE slack_outbox SET attempts = 1 WHERE delivery_key = :k"), {"k": key})
    assert deliver(engine, slack_settings, per_channel_interval=0) == [key]
    assert len(_posts(slack)) == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT message_ts FROM slack_outbox")).scalar_one() == slack.messages(CHANNEL)[0]["ts"]


def test_rate_limits_and_server_errors_then_recovery_deliver_once(slack_settings, slack, breaching):
    slack.fail_next("chat.postMessage", 429, times=2, retry_after=0)
    slack.fail_next("chat.postMessage", 503, times=1)
    pipeline.compute(slack_settings, [AS_AT], "run-1")
    pipeline.alert(slack_settings, AS_AT, "run-1", send=False)
    deliver(pipeline.warehouse(slack_settings), slack_settings, backoff_seconds=0.01, per_channel_interval=0)
    statuses = [r.status for r in slack.requests if r.method == "chat.postMessage"]
    assert statuses == [429, 429, 503, 200]
    assert len(slack.messages(CHANNEL)) == 1


def test_without_a_token_messages_go_to_the_local_outbox_file(settings, breaching, capsys):
    pipeline.run(settings, AS_AT, "run-1")
    (record,) = [json.loads(line) for line in settings.outbox_file.read_text().splitlines()]
    assert record["text"] == EXPECTED_TEXT and record["channel"] == CHANNEL
    assert f"[slack -> {CHANNEL}] {EXPECTED_TEXT}" in capsys.readouterr().out


def test_each_alert_links_to_its_figure_in_the_dashboard(slack_settings, slack, breaching):
    settings = replace(slack_settings, dashboard_url="https://airflow.example.org")
    pipeline.run(settings, AS_AT, "run-1")
    (post,) = _posts(slack)
    contexts = [e["text"] for b in post["blocks"] if b["type"] == "context" for e in b["elements"]]
    links = [c.split("<", 1)[1].split("|", 1)[0] for c in contexts if "dashboard>" in c]
    assert links == [
        "https://airflow.example.org/csc/indicators/icpc_within_15_working_days?as_at=2025-03-31",
        "https://airflow.example.org/csc/indicators/icpc_within_15_working_days?as_at=2025-03-31&team=Team+B",
        "https://airflow.example.org/csc/indicators/icpc_within_15_working_days?as_at=2025-03-31&team=Team+A",
    ]
