"""The outbox against the fake Slack: storms of 429 and 5xx, lost answers and a killed task deliver each message once."""

import json
from dataclasses import replace

import pytest
from slack_sdk import WebClient
from sqlalchemy import text

from csc_monitor.alerts import outbox
from csc_monitor.alerts.lifecycle import enqueue
from csc_monitor.alerts.outbox import EVENT_TYPE, chart_file_name, deliver
from tests.test_alert_lifecycle import PNG, slack  # noqa: F401 (the fixture)

CP, EAST = "C0CPPERF", "C0EASTCP"
CHART = {"title": "ICPC within 15 working days · all teams", "points": [["2025-04-01", 80.0], ["2025-04-02", None], ["2025-04-03", 70.0]],
         "thresholds": {"warning": 85, "critical": 70}, "unit": "%"}


@pytest.fixture
def slack_settings(settings, slack):  # noqa: F811
    return replace(settings, slack_token="xoxb-test", slack_base_url=slack.base_url)


def queue(engine, *messages):
    """(key, channel, thread_key, chart) tuples, queued in this order."""
    with engine.begin() as conn:
        for key, channel, thread_key, chart in messages:
            enqueue(conn, key, channel, (f"message {key}", [{"type": "section", "text": {"type": "mrkdwn", "text": key}}]), thread_key, chart)


def posted_keys(slack, channel, parent_ts=None):
    """Delivery keys (or chart file names) of everything stored in a channel, thread replies included."""
    keys = []
    for m in slack.messages(channel):
        keys += [((m.get("metadata") or {}).get("event_payload") or {}).get("delivery_key")] if "metadata" in m else []
        keys += [f["name"] for f in m.get("files") or []]
    return keys


def outbox_rows(engine):
    with engine.connect() as conn:
        return {r.delivery_key: r for r in conn.execute(text("SELECT * FROM slack_outbox ORDER BY delivery_key"))}


def test_storms_of_429_and_5xx_then_recovery_deliver_every_message_exactly_once(slack_settings, slack, engine):
    queue(engine, ("a", CP, None, None), ("b", EAST, None, None), ("c", CP, "a", None), ("d", CP, "a", CHART))
    slack.fail_next("chat.postMessage", 429, times=8, retry_after=0)  # more than slack-sdk's own five retries
    slack.fail_next("chat.postMessage", 503, times=6)  # then more 5xx than the outbox tries in one delivery
    slack.fail_next("files.getUploadURLExternal", 500, times=2)
    slack.fail_next("conversations.history", 502, times=1)

    with pytest.raises(Exception, match="503"):
        deliver(engine, slack_settings, backoff_seconds=0, per_channel_interval=0)
    assert [r.attempts for r in outbox_rows(engine).values() if r.delivered_at is None] == [5, 0, 0, 0]
    assert deliver(engine, slack_settings, backoff_seconds=0, per_channel_interval=0) == ["a", "b", "c", "d"]  # the retry

    assert posted_keys(slack, CP) == ["a", "c", chart_file_name("d")]
    assert posted_keys(slack, EAST) == ["b"]
    rows = outbox_rows(engine)
    a_ts = slack.messages(CP)[0]["ts"]
    assert rows["a"].message_ts == a_ts and rows["c"].message_ts == slack.messages(CP)[1]["ts"]
    assert [m.get("thread_ts") for m in slack.messages(CP)] == [a_ts, a_ts, a_ts]  # reply and chart in a's thread
    assert rows["d"].message_ts.startswith("file:F")
    statuses = [r.status for r in slack.requests if r.method == "chat.postMessage"]
    assert statuses == [429] * 8 + [503] * 6 + [200, 200, 200]
    assert len(slack.uploads) == 1 and next(iter(slack.uploads.values())).data.startswith(PNG)


def test_reply_whose_answer_was_lost_is_found_in_its_thread_not_posted_again(slack_settings, slack, engine):
    queue(engine, ("a", CP, None, None))
    deliver(engine, slack_settings, backoff_seconds=0, per_channel_interval=0)
    queue(engine, ("resolved", CP, "a", None))
    slack.fail_after_processing_next("chat.postMessage")
    assert deliver(engine, slack_settings, backoff_seconds=0, per_channel_interval=0) == ["resolved"]
    assert posted_keys(slack, CP) == ["a", "resolved"]
    assert [r.method for r in slack.requests][-2:] == ["chat.postMessage", "conversations.replies"]


def test_chart_upload_killed_before_marking_is_not_uploaded_again(slack_settings, slack, engine):
    """The task died after Slack shared the file: the thread is searched for the file's name first."""
    queue(engine, ("a", CP, None, None), ("chart", CP, "a", CHART))
    deliver(engine, slack_settings, backoff_seconds=0, per_channel_interval=0)
    WebClient(token="xoxb-test", base_url=slack.base_url).chat_postMessage(
        channel=CP, text="another post", metadata={"event_type": EVENT_TYPE, "event_payload": {"delivery_key": "other"}})
    with engine.begin() as conn:  # as if killed between the upload and the mark
        conn.execute(text("UPDATE slack_outbox SET delivered_at = NULL, message_ts = NULL, attempts = 1 WHERE delivery_key = 'chart'"))
    assert deliver(engine, slack_settings, backoff_seconds=0, per_channel_interval=0) == ["chart"]
    assert len(slack.calls("files.completeUploadExternal")) == 1
    assert outbox_rows(engine)["chart"].message_ts == slack.messages(CP)[1]["ts"]


def test_about_one_message_a_second_per_channel(slack_settings, slack, engine, monkeypatch):
    """The sender waits before a second post to the same channel, not before the first post to another."""
    waits = []
    monkeypatch.setattr(outbox.time, "sleep", waits.append)
    queue(engine, ("a", CP, None, None), ("b", EAST, None, None), ("c", CP, None, None))
    deliver(engine, slack_settings, backoff_seconds=0)
    assert len(waits) == 1 and 0 < waits[0] <= 1.0


def test_without_a_token_a_chart_is_written_beside_the_local_outbox(settings, engine):
    queue(engine, ("a", CP, None, None), ("chart", CP, "a", CHART))
    assert deliver(engine, settings) == ["a", "chart"]
    records = [json.loads(line) for line in settings.outbox_file.read_text().splitlines()]
    assert [r["delivery_key"] for r in records] == ["a", "chart"] and records[1]["thread_ts"] == "local:a"
    assert (settings.outbox_file.parent / chart_file_name("chart")).read_bytes().startswith(PNG)
