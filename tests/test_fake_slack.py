"""Prove FakeSlack answers the real slack_sdk client the way Slack does.

Other tests trust the fake, so these pin the behaviours they lean on: message
round-trips with metadata, slack_sdk's retry semantics (429 retried only with a
RateLimitErrorRetryHandler, 5xx never by default, lost responses retried by the
default ConnectionErrorRetryHandler), the three-step files_upload_v2 flow, and auth.
"""

from http.client import RemoteDisconnected

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    FixedValueRetryIntervalCalculator,
    RateLimitErrorRetryHandler,
)

from tests.support.fake_slack import UPLOAD, FakeSlack

TOKEN = "xoxb-test"


@pytest.fixture
def slack():
    with FakeSlack(token=TOKEN) as fake:
        yield fake


def client_for(fake: FakeSlack, **kwargs) -> WebClient:
    return WebClient(token=kwargs.pop("token", TOKEN), base_url=fake.base_url, timeout=5, **kwargs)


def test_post_message_round_trips_blocks_and_metadata(slack):
    client = client_for(slack)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*CLA rate* breached"}}]
    metadata = {"event_type": "csc_alert", "event_payload": {"run_id": "2024-01-31", "indicator": "cla_rate"}}

    first = client.chat_postMessage(channel="C123", text="first", blocks=blocks, metadata=metadata)
    second = client.chat_postMessage(channel="C123", text="second")

    assert first["ok"] and first["channel"] == "C123"
    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == blocks and first["message"]["metadata"] == metadata

    history = client.conversations_history(channel="C123")["messages"]
    assert [m["text"] for m in history] == ["second", "first"]  # newest first
    assert history[1]["ts"] == first["ts"]
    assert history[1]["blocks"] == blocks and history[1]["metadata"] == metadata
    assert "metadata" not in history[0]

    newer = client.conversations_history(channel="C123", oldest=first["ts"])["messages"]
    assert [m["text"] for m in newer] == ["second"]  # oldest is exclusive, as on Slack
    limited = client.conversations_history(channel="C123", limit=1)
    assert [m["text"] for m in limited["messages"]] == ["second"] and limited["has_more"] is True

    # chat.postMessage arrives as JSON, conversations.history form-encoded: both parsed.
    assert slack.calls("chat.postMessage")[0]["metadata"] == metadata
    assert slack.calls("conversations.history")[0] == {"channel": "C123"}
    assert slack.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_thread_replies_stay_out_of_channel_history(slack):
    client = client_for(slack)
    parent = client.chat_postMessage(channel="C123", text="parent")
    client.chat_postMessage(channel="C123", text="reply", thread_ts=parent["ts"])

    assert [m["text"] for m in client.conversations_history(channel="C123")["messages"]] == ["parent"]
    thread = client.conversations_replies(channel="C123", ts=parent["ts"])["messages"]
    assert [m["text"] for m in thread] == ["parent", "reply"]
    assert thread[0]["reply_count"] == 1


def test_429_with_retry_after_is_retried_by_rate_limit_handler(slack):
    client = client_for(slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    slack.fail_next("chat.postMessage", 429, retry_after=1)

    response = client.chat_postMessage(channel="C123", text="after backoff")

    assert response["ok"]
    assert [r.status for r in slack.requests] == [429, 200]
    assert slack.requests[0].error == "ratelimited"
    assert [m["text"] for m in slack.messages("C123")] == ["after backoff"]
    assert len(slack.calls("chat.postMessage")) == 1


def test_503_is_not_retried_by_default(slack):
    client = client_for(slack)  # default handlers: connection errors only
    slack.fail_next("chat.postMessage", 503)

    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C123", text="lost")

    assert excinfo.value.response.status_code == 503
    assert [r.status for r in slack.requests] == [503]
    assert slack.messages("C123") == [] and slack.calls("chat.postMessage") == []


def test_lost_response_after_posting(slack):
    slack.fail_after_processing_next("chat.postMessage")
    with pytest.raises(RemoteDisconnected):
        client_for(slack, retry_handlers=[]).chat_postMessage(channel="C1", text="posted anyway")
    assert [m["text"] for m in slack.messages("C1")] == ["posted anyway"]
    assert slack.requests[-1].dropped and slack.requests[-1].status is None

    # slack_sdk's default ConnectionErrorRetryHandler retries it: Slack now holds a duplicate.
    slack.fail_after_processing_next("chat.postMessage")
    fast_default = ConnectionErrorRetryHandler(interval_calculator=FixedValueRetryIntervalCalculator(0.01))
    client_for(slack, retry_handlers=[fast_default]).chat_postMessage(channel="C2", text="twice")
    assert [m["text"] for m in slack.messages("C2")] == ["twice", "twice"]


def test_files_upload_v2_end_to_end(slack):
    client = client_for(slack)

    response = client.files_upload_v2(
        channel="C123",
        content=b"png bytes",
        filename="trend.png",
        title="CLA rate trend",
        initial_comment="Trend chart",
    )

    assert response["ok"] and response["file"]["title"] == "CLA rate trend"
    file_id = response["file"]["id"]
    (upload,) = slack.calls(UPLOAD)
    assert upload == {"file_id": file_id, "size": len(b"png bytes"), "filename": "trend.png"}
    (complete,) = slack.calls("files.completeUploadExternal")
    assert complete["channel_id"] == "C123" and complete["initial_comment"] == "Trend chart"
    assert complete["files"] == [{"id": file_id, "title": "CLA rate trend"}]
    assert slack.uploads[file_id].data == b"png bytes"
    shared = slack.messages("C123")[-1]
    assert shared["text"] == "Trend chart" and shared["files"][0]["id"] == file_id
    assert client.files_info(file=file_id)["file"]["shares"]["public"]["C123"][0]["ts"] == shared["ts"]


def test_wrong_or_missing_token_is_rejected(slack):
    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack, token="xoxb-wrong").auth_test()
    assert excinfo.value.response["error"] == "invalid_auth"

    with pytest.raises(SlackApiError) as excinfo:
        WebClient(base_url=slack.base_url).auth_test()
    assert excinfo.value.response["error"] == "not_authed"

    assert client_for(slack).auth_test()["user_id"]


def test_unknown_method(slack):
    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack).api_call("nosuch.method")
    assert excinfo.value.response["error"] == "unknown_method"
