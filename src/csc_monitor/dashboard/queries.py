"""Every read the dashboard makes, one small function each, so new tables slot in beside them.

Plain SQL through `text()`, the same on DuckDB and PostgreSQL. Tables that other work adds later
(comparator_value) are looked up only when they exist.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, inspect, text

HISTORY_POINTS = 12


def latest_as_at(conn: Connection, authority: str, indicator_id: str) -> date | None:
    return conn.execute(text(
        "SELECT MAX(as_at) FROM indicator_result WHERE authority = :a AND indicator_id = :i"
    ), {"a": authority, "i": indicator_id}).scalar()


def history(conn: Connection, authority: str, indicator_id: str, scope_type: str = "authority", scope: str = "all",
            up_to: date | None = None, points: int = HISTORY_POINTS) -> list[dict]:
    """The last `points` figures for one scope up to a date, oldest first."""
    rows = conn.execute(text(
        "SELECT as_at, numerator, denominator, value, overdue, run_id, version FROM indicator_result "
        "WHERE authority = :a AND indicator_id = :i AND scope_type = :t AND scope = :s AND (:d IS NULL OR as_at <= :d) "
        "ORDER BY as_at DESC LIMIT :n"
    ), {"a": authority, "i": indicator_id, "t": scope_type, "s": scope, "d": up_to, "n": points}).mappings().all()
    return [dict(r) for r in reversed(rows)]


def breakdown(conn: Connection, authority: str, indicator_id: str, as_at: date, scope_type: str) -> list[dict]:
    """Every team's (or worker's) figure on one date."""
    rows = conn.execute(text(
        "SELECT scope, numerator, denominator, value, overdue FROM indicator_result "
        "WHERE authority = :a AND indicator_id = :i AND as_at = :d AND scope_type = :t ORDER BY scope"
    ), {"a": authority, "i": indicator_id, "d": as_at, "t": scope_type}).mappings().all()
    return [dict(r) for r in rows]


def workers_in_team(conn: Connection, authority: str, indicator_id: str, as_at: date, team: str) -> list[str]:
    """Workers holding at least one unit of this team on the date (their figures cover all their teams)."""
    return list(conn.execute(text(
        "SELECT DISTINCT worker FROM indicator_unit WHERE authority = :a AND indicator_id = :i AND as_at = :d "
        "AND team = :t ORDER BY worker"
    ), {"a": authority, "i": indicator_id, "d": as_at, "t": team}).scalars())


def validation_warnings(conn: Connection, run_id: str) -> list[dict]:
    """Non-critical rules that failed in a run: the caveat shown beside its figures."""
    rows = conn.execute(text(
        "SELECT suite, rule, severity, failing_rows FROM validation_result "
        "WHERE run_id = :r AND NOT success AND severity <> 'critical' ORDER BY suite, rule"
    ), {"r": run_id}).mappings().all()
    return [dict(r) for r in rows]


def comparators(conn: Connection, indicator_id: str, up_to: date | None = None) -> dict[str, list[dict]]:
    """Published comparator series per geography (England, statistical neighbours), oldest first; {} until loaded."""
    if not inspect(conn).has_table("comparator_value"):
        return {}
    rows = conn.execute(text(
        "SELECT geography, period_end, value FROM comparator_value WHERE indicator_id = :i "
        "AND (:d IS NULL OR period_end <= :d) ORDER BY geography, period_end"
    ), {"i": indicator_id, "d": up_to}).mappings().all()
    series: dict[str, list[dict]] = {}
    for row in rows:
        series.setdefault(row["geography"], []).append({"period_end": row["period_end"], "value": row["value"]})
    return series


def alert_states(conn: Connection, authority: str) -> list[dict]:
    rows = conn.execute(text(
        "SELECT indicator_id, scope, status, severity, breaching_since, last_evaluated_as_at, last_notified_as_at, channel "
        "FROM alert_state WHERE authority = :a ORDER BY indicator_id, scope"
    ), {"a": authority}).mappings().all()
    return [dict(r) for r in rows]


def silences(conn: Connection, authority: str) -> list[dict]:
    """Silences set from the CLI, newest first; [] until the alert_silence table exists."""
    if not inspect(conn).has_table("alert_silence"):
        return []
    rows = conn.execute(text(
        "SELECT indicator_id, team, until_date, created_by, reason, created_at FROM alert_silence "
        "WHERE authority = :a ORDER BY created_at DESC"
    ), {"a": authority}).mappings().all()
    return [dict(r) for r in rows]


def alert_messages(conn: Connection, limit: int = 200) -> list[dict]:
    """The newest messages queued for Slack, newest first (their texts carry counts only)."""
    rows = conn.execute(text(
        "SELECT delivery_key, channel, thread_key, text, created_at, delivered_at, last_error FROM slack_outbox "
        "ORDER BY created_at DESC, delivery_key LIMIT :n"
    ), {"n": limit}).mappings().all()
    return [dict(r) for r in rows]
