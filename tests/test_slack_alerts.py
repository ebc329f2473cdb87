"""Alerts reach a local server that answers like Slack's Web API, through the real slack-sdk client."""

import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.alerts.outbox import EVENT_TYPE, deliver
from tests.support.facts import add_enquiry
from tests.support.fake_slack import FakeSlack

AS_AT = date(2025, 3, 31)
CHANNEL = "#cp-performance"
EXPECTED_TEXT = (
    "Critical: Initial child protection conferences within 15 working days: 50.0% (5 of 10) as at 2025-03-31; "
    "warning below 85%, critical below 70%"
)
EXPECTED_BLOCKS = [
    {"type": "header", "text": {"type": "plain_text", "text": "Critical: Initial child protection conferences within 15 working days"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": ":red_circle: As at *2025-03-31*"}, "fields": [
        {"type": "mrkdwn", "text": "*Value*\n50.0% (5 of 10)"},
        {"type": "mrkdwn", "text": "*Thresholds*\nwarning below 85%, critical below 70%"},
        {"type": "mrkdwn", "text": "*Period*\nrolling 12 months ending on the as-at date (for 2025-03-31, ICPCs dated 2024-04-01 to 2025-03-31 inclusive)"},
        {"type": "mrkdwn", "text": "*Breaching since*\n2025-03-31"},
    ]},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Teams furthest from the standard*\n• Team B: 20.0% (1 of 5)\n• Team A: 80.0% (4 of 5)"}},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": (
        "Definition `icpc_within_15_working_days` v1 (statutory) · run `run-1` · children behind the figure: "
        "`csc-monitor exceptions icpc_within_15_working_days --as-at 2025-03-31` (inside the authority only)")}]},
]
CHILDREN = [f"CHILD{n:03d}" for n in range(10)]


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
    assert post["metadata"] == {"event_type": EVENT_TYPE, "event_payload": {"delivery_key": "icpc_within_15_working_days|999|all|2025-03-31|new"}}
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
    first, repeat, resolved = _posts(slack)
    assert repeat["text"].startswith("Critical (still breaching): Initial child protection conferences within 15 working days: 50.0% (5 of 10) as at 2025-04-07")
    assert resolved["text"] == (
        "Resolved: Initial child protection conferences within 15 working days is back within its thresholds at 87.5% (35 of 40) "
        "as at 2025-04-08, after breaching since 2025-03-31"
    )
    first_ts = slack.messages(CHANNEL)[0]["ts"]
    assert resolved["thread_ts"] == first_ts and "thread_ts" not in first


def test_a_passing_figure_posts_nothing(slack_settings, slack, engine):
    for n in range(6):
        add_enquiry(engine, f"OK{n}", strategy="2025-01-06", icpc="2025-01-20")
    pipeline.run(slack_settings, AS_AT, "run-ok")
    assert _posts(slack) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM indicator_result WHERE scope_type = 'authority'")).scalar_one() == 100.0


def test_response_lost_after_posting_is_not_posted_again(slack_settings, slack, breaching):
    slack.fail_after_processing_next("chat.postMessage")
    pipeline.compute(slack_settings, [AS_AT], "run-1")
    pipeline.alert(slack_settings, AS_AT, "run-1", send=False)
    delivered = deliver(pipeline.warehouse(slack_settings), slack_settings, backoff_seconds=0.01, per_channel_interval=0)
    assert delivered == ["icpc_within_15_working_days|999|all|2025-03-31|new"]
    assert len(slack.messages(CHANNEL)) == 1
    assert [r.method for r in slack.requests] == ["chat.postMessage", "conversations.history"]


def test_killed_between_posting_and_marking_does_not_post_again(slack_settings, slack, breaching):
    """The process died after Slack stored the message: attempts was recorded, delivered_at was not."""
    pipeline.compute(slack_settings, [AS_AT], "run-1")
    pipeline.alert(slack_settings, AS_AT, "run-1", send=False)
    engine = pipeline.warehouse(slack_settings)
    key = "icpc_within_15_working_days|999|all|2025-03-31|new"
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
