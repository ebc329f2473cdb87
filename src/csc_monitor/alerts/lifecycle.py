"""Alert state per indicator and scope: new breach, still breaching (repeated at most every N days), resolved.

State moves forward only: evaluating a date on or before the last one evaluated (a re-run, or a
backfill of the past) changes nothing and queues nothing, so the same alert is never sent twice.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import Connection, text

from ..indicators.definitions import Definition
from ..warehouse import insert_rows
from .messages import Figure, breach_message, resolved_message
from .rules import severity_of

DEFAULT_REPEAT_DAYS = 7
SCOPE = "all"


def _figures(conn: Connection, definition: Definition, authority: str, as_at: date) -> tuple[Figure | None, list[Figure]]:
    rows = conn.execute(
        text(
            "SELECT scope_type, scope, numerator, denominator, value, overdue FROM indicator_result "
            "WHERE indicator_id = :i AND authority = :a AND as_at = :d AND scope_type IN ('authority', 'team')"
        ),
        {"i": definition.id, "a": authority, "d": as_at},
    ).all()
    overall = next((Figure(*r[1:]) for r in rows if r.scope_type == "authority"), None)
    return overall, [Figure(*r[1:]) for r in rows if r.scope_type == "team"]


def enqueue(conn: Connection, delivery_key: str, channel: str, message: tuple[str, list[dict]], thread_key: str | None = None) -> None:
    """Queue a message once: a delivery key already in the outbox is never queued again."""
    if conn.execute(text("SELECT 1 FROM slack_outbox WHERE delivery_key = :k"), {"k": delivery_key}).first():
        return
    fallback, blocks = message
    insert_rows(conn, "slack_outbox", [{
        "delivery_key": delivery_key, "channel": channel, "thread_key": thread_key, "text": fallback,
        "blocks_json": json.dumps(blocks), "created_at": datetime.now(), "attempts": 0,
    }])


def evaluate(conn: Connection, definition: Definition, authority: str, as_at: date, run_id: str, min_count: int) -> str | None:
    """Update the alert state for one indicator and date; returns the kind of message queued, if any."""
    overall, teams = _figures(conn, definition, authority, as_at)
    if overall is None:
        return None
    key = {"i": definition.id, "a": authority, "s": SCOPE}
    state = conn.execute(
        text("SELECT * FROM alert_state WHERE indicator_id = :i AND authority = :a AND scope = :s"), key
    ).mappings().first()
    if state and state["last_evaluated_as_at"] >= as_at:
        return None
    severity = severity_of(definition, overall.value, overall.denominator)
    firing = bool(state and state["status"] == "firing")
    repeat_days = definition.spec.get("alerting", {}).get("repeat_every_days", DEFAULT_REPEAT_DAYS)
    kind = None
    if severity and (not firing or severity != state["severity"]):
        kind = "new"
    elif severity and (as_at - state["last_notified_as_at"]).days >= repeat_days:
        kind = "repeat"
    elif not severity and firing:
        kind = "resolved"

    since = state["breaching_since"] if firing and severity else (as_at if severity else None)
    thread_key = state["thread_key"] if firing else None
    delivery_key = f"{definition.id}|{authority}|{SCOPE}|{as_at.isoformat()}|{kind}"
    if kind in ("new", "repeat"):
        message = breach_message(definition, kind, severity, as_at, overall, teams, since, run_id, min_count)
        thread_key = delivery_key if kind == "new" else thread_key
        enqueue(conn, delivery_key, definition.channel, message)
    elif kind == "resolved":
        enqueue(conn, delivery_key, definition.channel,
                resolved_message(definition, as_at, overall, state["breaching_since"], run_id), thread_key=thread_key)

    conn.execute(text("DELETE FROM alert_state WHERE indicator_id = :i AND authority = :a AND scope = :s"), key)
    insert_rows(conn, "alert_state", [{
        "indicator_id": definition.id, "authority": authority, "scope": SCOPE,
        "status": "firing" if severity else "ok", "severity": severity, "breaching_since": since,
        "last_evaluated_as_at": as_at,
        "last_notified_as_at": as_at if kind in ("new", "repeat") else (state["last_notified_as_at"] if state and severity else None),
        "channel": definition.channel, "thread_key": thread_key if severity else None,
    }])
    return kind
