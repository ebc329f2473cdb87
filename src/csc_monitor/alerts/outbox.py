"""Deliver queued messages: to Slack with slack-sdk when a token is set, else to the console and a local file.

A message is never posted twice. Before any second attempt at a message, the channel's recent history
(or the thread, for a reply) is searched for the message's delivery key, carried in Slack message
metadata, or for a chart, in the uploaded file's name: a post whose reply was lost (the process
killed, the connection dropped) is found and marked, not re-posted.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import Engine, text

from ..config import Settings
from .chart import render_png

EVENT_TYPE = "csc_monitor_alert"
MAX_ATTEMPTS = 5


def slack_client(settings: Settings) -> WebClient:
    """429s are retried by slack-sdk (honouring Retry-After); 5xx and connection errors by the outbox loop."""
    kwargs = {"base_url": settings.slack_base_url} if settings.slack_base_url else {}
    client = WebClient(token=settings.slack_token, timeout=30, **kwargs)
    client.retry_handlers = [RateLimitErrorRetryHandler(max_retry_count=5)]
    return client


def chart_file_name(delivery_key: str) -> str:
    """Unique per delivery key, so an upload whose answer was lost can be recognised in the thread."""
    return f"trend-{hashlib.sha256(delivery_key.encode()).hexdigest()[:16]}.png"


def _already_posted(client: WebClient, row, thread_ts: str | None) -> str | None:
    if thread_ts:
        messages = client.conversations_replies(channel=row.channel, ts=thread_ts, limit=200, include_all_metadata=True)["messages"]
    else:
        messages = client.conversations_history(channel=row.channel, limit=200, include_all_metadata=True)["messages"]
    name = chart_file_name(row.delivery_key)
    for message in messages:
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        if payload.get("delivery_key") == row.delivery_key or any(f.get("name") == name for f in message.get("files") or []):
            return message["ts"]
    return None


def _post(client: WebClient, row, thread_ts: str | None) -> str:
    if row.chart_json:
        response = client.files_upload_v2(
            channel=row.channel, file=render_png(json.loads(row.chart_json)), filename=chart_file_name(row.delivery_key),
            title=json.loads(row.chart_json)["title"], initial_comment=row.text, thread_ts=thread_ts,
        )
        return f"file:{response['files'][0]['id']}"
    response = client.chat_postMessage(
        channel=row.channel, text=row.text, blocks=json.loads(row.blocks_json), thread_ts=thread_ts,
        metadata={"event_type": EVENT_TYPE, "event_payload": {"delivery_key": row.delivery_key}},
        unfurl_links=False,
    )
    return response["ts"]


def _write_local(settings: Settings, row, thread_ts: str | None) -> str:
    settings.outbox_file.parent.mkdir(parents=True, exist_ok=True)
    record = {"delivery_key": row.delivery_key, "channel": row.channel, "thread_ts": thread_ts,
              "text": row.text, "blocks": json.loads(row.blocks_json)}
    if row.chart_json:
        record["file"] = chart_file_name(row.delivery_key)
        (settings.outbox_file.parent / record["file"]).write_bytes(render_png(json.loads(row.chart_json)))
    with settings.outbox_file.open("a") as handle:
        handle.write(json.dumps(record) + "\n")
    print(f"[slack -> {row.channel}{' (thread)' if thread_ts else ''}] {row.text}")
    return f"local:{row.delivery_key}"


def _retry_delay(error: Exception, attempt: int, backoff_seconds: float) -> float | None:
    """Seconds to wait before retrying, or None if the error is not worth retrying.

    429 (past slack-sdk's own retries) waits for Retry-After; 5xx and connection errors back off exponentially.
    """
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        if status == 429:
            return float(error.response.headers.get("Retry-After", error.response.headers.get("retry-after", backoff_seconds)))
        return backoff_seconds * 2 ** (attempt - 1) if status >= 500 else None
    return backoff_seconds * 2 ** (attempt - 1) if isinstance(error, (ConnectionError, OSError, TimeoutError)) else None


def deliver(engine: Engine, settings: Settings, client: WebClient | None = None, backoff_seconds: float = 1.0,
            per_channel_interval: float = 1.0) -> list[str]:
    """Send every undelivered message, oldest first; returns the delivery keys delivered now."""
    if client is None and settings.slack_token:
        client = slack_client(settings)
    with engine.connect() as conn:
        pending = conn.execute(text("SELECT * FROM slack_outbox WHERE delivered_at IS NULL")).all()
    pending.sort(key=lambda r: (r.created_at, r.thread_key is not None, r.delivery_key))  # a thread's parent first
    delivered, last_post = [], {}
    for row in pending:
        with engine.connect() as conn:
            thread_ts = conn.execute(
                text("SELECT message_ts FROM slack_outbox WHERE delivery_key = :k"), {"k": row.thread_key}
            ).scalar() if row.thread_key else None
        attempts = row.attempts
        while True:
            attempts += 1
            with engine.begin() as conn:  # recorded before posting, so a retry knows to look first
                conn.execute(text("UPDATE slack_outbox SET attempts = :n WHERE delivery_key = :k"), {"n": attempts, "k": row.delivery_key})
            try:
                if client is None:
                    ts = _write_local(settings, row, thread_ts)
                else:
                    wait = per_channel_interval - (time.monotonic() - last_post.get(row.channel, -1e9))
                    if wait > 0:
                        time.sleep(wait)
                    ts = (attempts > 1 and _already_posted(client, row, thread_ts)) or _post(client, row, thread_ts)
                    last_post[row.channel] = time.monotonic()
                break
            except Exception as error:  # noqa: BLE001 - recorded on the row, then retried or re-raised
                with engine.begin() as conn:
                    conn.execute(text("UPDATE slack_outbox SET last_error = :e WHERE delivery_key = :k"),
                                 {"e": f"{type(error).__name__}: {error}"[:500], "k": row.delivery_key})
                delay = _retry_delay(error, attempts - row.attempts, backoff_seconds)
                if delay is None or attempts - row.attempts >= MAX_ATTEMPTS:
                    raise
                time.sleep(delay)
        with engine.begin() as conn:
            conn.execute(text("UPDATE slack_outbox SET delivered_at = :t, message_ts = :ts, last_error = NULL WHERE delivery_key = :k"),
                         {"t": datetime.now(), "ts": ts, "k": row.delivery_key})
        delivered.append(row.delivery_key)
    return delivered
