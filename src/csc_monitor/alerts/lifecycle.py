"""Alert state per (indicator, scope, severity), in the warehouse, in the manner of Alertmanager.

ok -> pending while a breach has held for fewer than `for_runs` runs -> firing; firing -> ok (resolved,
posted in the thread of the first message) after `clear_runs` clean runs. A firing alert is told
when first firing and then at most every `repeat_every_days`; a silence or a firing critical for the
same indicator and scope (which inhibits the warning) holds the message back but not the state.
Each channel gets one digest per run. State moves forward only: evaluating a date on or before the
last one evaluated (a re-run, or a backfill of the past) changes nothing and queues nothing.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import Connection, Engine, text

from ..config import Settings
from ..indicators.definitions import Definition, load_definitions
from ..warehouse import insert_rows
from .chart import chart_data
from .config import ALL, AlertConfig, alert_config
from .messages import (AlertItem, Figure, Links, aggregate_of, digest_message, figure_title, resolved_message, validation_message,
                       validation_passed_message)
from .outbox import deliver
from .rules import SEVERITIES, judge

VALIDATION = "validation"  # the indicator_id of the data-checks alert in alert_state
DIGEST_ITEMS = 15  # alerts per digest message: at most 3 blocks each, within Slack's 50 blocks
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")  # files_upload_v2 needs an ID, not a #name


def enqueue(conn: Connection, delivery_key: str, channel: str, message: tuple[str, list[dict]], thread_key: str | None = None,
            chart: dict | None = None) -> bool:
    """Queue a message once: a delivery key already in the outbox is never queued again."""
    if conn.execute(text("SELECT 1 FROM slack_outbox WHERE delivery_key = :k"), {"k": delivery_key}).first():
        return False
    fallback, blocks = message
    insert_rows(conn, "slack_outbox", [{
        "delivery_key": delivery_key, "channel": channel, "thread_key": thread_key, "text": fallback,
        "blocks_json": json.dumps(blocks), "created_at": datetime.now(), "attempts": 0,
        "chart_json": json.dumps(chart) if chart else None,
    }])
    return True


def advance(state: dict | None, breaching: bool, as_at: date, policy: dict) -> tuple[dict, str | None]:
    """One run of the state machine; returns the new state and what to tell: 'new', 'repeat', 'resolved' or None."""
    ok = {"status": "ok", "breach_runs": 0, "clean_runs": 0, "breaching_since": None, "last_notified_as_at": None,
          "thread_key": None, "last_evaluated_as_at": as_at}
    now = {**(state or ok), "last_evaluated_as_at": as_at}
    if breaching:
        if now["status"] == "ok":
            now.update(breaching_since=as_at, breach_runs=0)
        now.update(breach_runs=now["breach_runs"] + 1, clean_runs=0)
        now["status"] = "firing" if now["status"] == "firing" or now["breach_runs"] >= policy["for_runs"] else "pending"
        if now["status"] != "firing":
            return now, None
        if now["last_notified_as_at"] is None:
            return now, "new"
        return now, "repeat" if (as_at - now["last_notified_as_at"]).days >= policy["repeat_every_days"] else None
    if now["status"] == "firing":
        now["clean_runs"] += 1
        if now["clean_runs"] < policy["clear_runs"]:
            return now, None
        return ok, "resolved" if now["thread_key"] else None
    return ok, None


def _states(conn: Connection, indicator_id: str, authority: str) -> dict[tuple[str, str], dict]:
    rows = conn.execute(text("SELECT * FROM alert_state WHERE indicator_id = :i AND authority = :a"),
                        {"i": indicator_id, "a": authority}).mappings().all()
    return {(r["scope"], r["severity"]): dict(r) for r in rows}


def _save(conn: Connection, indicator_id: str, authority: str, scope: str, severity: str, state: dict, channel: str) -> None:
    key = {"i": indicator_id, "a": authority, "s": scope, "v": severity}
    conn.execute(text("DELETE FROM alert_state WHERE indicator_id = :i AND authority = :a AND scope = :s AND severity = :v"), key)
    insert_rows(conn, "alert_state", [{
        "indicator_id": indicator_id, "authority": authority, "scope": scope, "severity": severity,
        "status": state["status"], "breach_runs": state["breach_runs"], "clean_runs": state["clean_runs"],
        "breaching_since": state["breaching_since"], "last_evaluated_as_at": state["last_evaluated_as_at"],
        "last_notified_as_at": state["last_notified_as_at"], "channel": channel, "thread_key": state["thread_key"],
    }])


def _figures(conn: Connection, indicator_id: str, authority: str, as_at: date) -> dict[str, Figure]:
    """The authority-wide figure (scope ALL) and each team's, at one as-at date."""
    rows = conn.execute(text(
        "SELECT scope_type, scope, numerator, denominator, value, overdue FROM indicator_result "
        "WHERE indicator_id = :i AND authority = :a AND as_at = :d AND scope_type IN ('authority', 'team')"
    ), {"i": indicator_id, "a": authority, "d": as_at}).all()
    return {(ALL if r.scope_type == "authority" else r.scope): Figure(ALL if r.scope_type == "authority" else r.scope, *r[2:]) for r in rows}


def _previous_as_at(conn: Connection, indicator_id: str, authority: str, as_at: date) -> date | None:
    return conn.execute(text("SELECT MAX(as_at) FROM indicator_result WHERE indicator_id = :i AND authority = :a AND as_at < :d"),
                        {"i": indicator_id, "a": authority, "d": as_at}).scalar()


def _comparators(conn: Connection, indicator_id: str, as_at: date) -> dict[str, tuple[date, float]]:
    """The latest published comparator per geography on or before the as-at date (none until loaded)."""
    rows = conn.execute(text(
        "SELECT geography, period_end, value FROM comparator_value c WHERE indicator_id = :i AND period_end = "
        "(SELECT MAX(period_end) FROM comparator_value WHERE indicator_id = :i AND geography = c.geography AND period_end <= :d)"
    ), {"i": indicator_id, "d": as_at}).all()
    return {r.geography: (r.period_end, r.value) for r in rows}


def _silenced_teams(conn: Connection, indicator_id: str, authority: str, as_at: date) -> set[str | None]:
    """Teams silenced on this date; None stands for every scope of the indicator."""
    rows = conn.execute(text("SELECT team FROM alert_silence WHERE indicator_id = :i AND authority = :a AND until_date >= :d"),
                        {"i": indicator_id, "a": authority, "d": as_at}).all()
    return {r.team for r in rows}


def _validation_failed(conn: Connection, run_id: str) -> bool:
    return conn.execute(text("SELECT 1 FROM validation_result WHERE run_id = :r AND severity = 'critical' AND NOT success"),
                        {"r": run_id}).first() is not None


def evaluate_all(conn: Connection, settings: Settings, as_at: date, run_id: str, definitions: list[Definition] | None = None,
                 config: AlertConfig | None = None) -> list[str]:
    """Update every alert state for one as-at date and queue tonight's messages; returns their delivery keys."""
    config = config or alert_config(settings.authority, settings.default_channel)
    if _validation_failed(conn, run_id):
        return []  # a failed data check inhibits figure alerts; it raised its own (queue_validation_alert)
    authority, limit, links = settings.authority, config.small_number_limit, Links(run_id, settings.run_link_base, settings.dashboard_url)
    queued = _resolve_validation(conn, authority, as_at, config, links)
    digests: dict[str, list[tuple[AlertItem, dict]]] = defaultdict(list)  # channel -> tonight's alerts and their states
    mentions: dict[str, list[str]] = defaultdict(list)
    for definition in definitions if definitions is not None else load_definitions():
        figures = _figures(conn, definition.id, authority, as_at)
        if ALL not in figures:
            continue
        previous_date = _previous_as_at(conn, definition.id, authority, as_at)
        previous = _figures(conn, definition.id, authority, previous_date) if previous_date else {}
        comparators = _comparators(conn, definition.id, as_at)
        states = _states(conn, definition.id, authority)
        silenced = _silenced_teams(conn, definition.id, authority, as_at)
        policy = config.lifecycle(definition)
        teams = tuple(f for scope, f in figures.items() if scope != ALL)
        for scope, figure in sorted(figures.items(), key=lambda kv: (kv[0] != ALL, kv[0])):
            if any(states.get((scope, s), {}).get("last_evaluated_as_at", date.min) >= as_at for s in SEVERITIES):
                continue
            thresholds = config.thresholds(definition, scope)
            geography = (thresholds.get("comparator") or {}).get("geography")
            before = previous.get(scope)
            judgement = judge(thresholds, definition.higher_is_better, figure.value, figure.denominator,
                              before.value if before else None, comparators.get(geography, (None, None))[1])
            steps = {s: advance(states.get((scope, s)), s in judgement.severities, as_at, policy) for s in SEVERITIES}
            route = config.route(definition.id, scope, definition.channel)
            quiet = None in silenced or scope in silenced
            for severity, (state, kind) in steps.items():
                old = states.get((scope, severity)) or {}
                inhibited = severity == "warning" and steps["critical"][0]["status"] == "firing"
                if kind in ("new", "repeat") and not (quiet or inhibited):
                    item = AlertItem(
                        definition, scope, severity, kind, figure, thresholds, judgement.reasons, state["breaching_since"],
                        (previous_date, before) if before else None,
                        {g: c for g, c in comparators.items() if scope == ALL or g == geography},
                        teams if scope == ALL else (),
                    )
                    digests[route.channel].append((item, state))
                    mentions[route.channel] += [m for m in route.mentions if m not in mentions[route.channel]]
                    continue  # saved once its digest message is known
                if kind == "resolved" and not quiet:
                    still = "warning" if severity == "critical" and "warning" in judgement.severities else None
                    key = f"resolved|{definition.id}|{authority}|{scope}|{severity}|{as_at.isoformat()}"
                    message = resolved_message(definition, scope, severity, as_at, figure, old["breaching_since"], still, links, limit)
                    if enqueue(conn, key, old["channel"] or route.channel, message, thread_key=old["thread_key"]):
                        queued.append(key)
                _save(conn, definition.id, authority, scope, severity, state, route.channel)
    for channel, told in digests.items():
        told.sort(key=lambda t: (SEVERITIES.index(t[0].severity), t[0].definition.id, t[0].scope != ALL, t[0].scope))
        for part in range(0, len(told), DIGEST_ITEMS):  # Slack allows 50 blocks a message
            chunk = told[part:part + DIGEST_ITEMS]
            digest_key = _free_key(conn, f"digest|{authority}|{channel}|{as_at.isoformat()}" + (f"|{part // DIGEST_ITEMS + 1}" if part else ""))
            if enqueue(conn, digest_key, channel, digest_message([i for i, _ in chunk], as_at, tuple(mentions[channel]), links, limit)):
                queued.append(digest_key)
            for item, state in chunk:
                queued += _queue_chart(conn, item, authority, channel, as_at, digest_key, limit)
                told_state = {**state, "last_notified_as_at": as_at, "thread_key": state["thread_key"] or digest_key}
                _save(conn, item.definition.id, authority, item.scope, item.severity, told_state, channel)
    return queued


def _free_key(conn: Connection, key: str) -> str:
    """A second digest for the same date (a re-run completing an indicator that failed) gets its own key.

    Safe from repeats: items reach a digest only when their state changes, in the same transaction as the enqueue.
    """
    candidate, again = key, 1
    while conn.execute(text("SELECT 1 FROM slack_outbox WHERE delivery_key = :k"), {"k": candidate}).first():
        again += 1
        candidate = f"{key}|again{again}"
    return candidate


def _queue_chart(conn: Connection, item: AlertItem, authority: str, channel: str, as_at: date, digest_key: str, limit: int) -> list[str]:
    """A trend chart in the digest's thread; only for channels given by ID (files_upload_v2 cannot use a #name)."""
    if not CHANNEL_ID.match(channel):
        return []
    title = f"{item.definition.title} · {'all teams' if item.scope == ALL else item.scope}"
    data = chart_data(conn, item.definition.id, authority, "authority" if item.scope == ALL else "team", item.scope,
                      as_at, title, item.thresholds, limit, aggregate_of(item.definition))
    key = f"chart|{item.definition.id}|{authority}|{item.scope}|{item.severity}|{as_at.isoformat()}"
    return [key] if enqueue(conn, key, channel, (f"Trend: {figure_title(item.definition, item.scope)}, recent as-at dates", []), digest_key, data) else []


def queue_validation_alert(conn: Connection, settings: Settings, as_at: date, run_id: str, failures: list[tuple[str, int]],
                           config: AlertConfig | None = None) -> list[str]:
    """A critical data check failed: tell `routing.validation` (else the default channel) once, repeated at most every N days."""
    config = config or alert_config(settings.authority, settings.default_channel)
    state = _states(conn, VALIDATION, settings.authority).get((ALL, "critical"))
    if state and state["last_evaluated_as_at"] >= as_at:
        return []
    state, kind = advance(state, True, as_at, {**config.lifecycle(), "for_runs": 1})
    route = config.route(VALIDATION)
    queued = []
    if kind:
        key = f"validation|{settings.authority}|{as_at.isoformat()}"
        message = validation_message(failures, as_at, route.mentions, Links(run_id, settings.run_link_base, settings.dashboard_url), config.small_number_limit)
        queued += [key] if enqueue(conn, key, route.channel, message) else []
        state = {**state, "last_notified_as_at": as_at, "thread_key": state["thread_key"] or key}
    _save(conn, VALIDATION, settings.authority, ALL, "critical", state, route.channel)
    return queued


def _resolve_validation(conn: Connection, authority: str, as_at: date, config: AlertConfig, links: Links) -> list[str]:
    """Data checks pass for this run: a firing validation alert is resolved in its thread."""
    state = _states(conn, VALIDATION, authority).get((ALL, "critical"))
    if not state or state["status"] != "firing" or state["last_evaluated_as_at"] >= as_at:
        return []
    new_state, kind = advance(state, False, as_at, {**config.lifecycle(), "clear_runs": 1})
    _save(conn, VALIDATION, authority, ALL, "critical", new_state, state["channel"])
    key = f"validation-passed|{authority}|{as_at.isoformat()}"
    if kind == "resolved" and enqueue(conn, key, state["channel"], validation_passed_message(as_at, links), thread_key=state["thread_key"]):
        return [key]
    return []


def alert_validation_failure(engine: Engine, settings: Settings, as_at: date, run_id: str, outcome, send: bool = True) -> list[str]:
    """What the pipeline calls when validation stops a run: queue the data-checks alert and deliver it."""
    failures = [(f"{r.suite}.{r.rule}", r.failing_rows) for r in outcome.critical_failures]
    with engine.begin() as conn:
        queued = queue_validation_alert(conn, settings, as_at, run_id, failures)
    if send:
        deliver(engine, settings)
    return queued
