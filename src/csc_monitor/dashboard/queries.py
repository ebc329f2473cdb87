"""Every read the dashboard makes, one small function each, so new tables slot in beside them.

Plain SQL through `text()`, the same on DuckDB and PostgreSQL. Tables that other work adds later
(comparator_value) are looked up only when they exist.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, inspect, text

HISTORY_POINTS = 12


def published_as_at(conn: Connection, authority: str) -> date | None:
    """The as-at date of the latest run that published figures: the date every page shows unless asked for another.

    Before any run is recorded (figures loaded by hand), the latest figure's date.
    """
    published = conn.execute(text(
        "SELECT MAX(as_at) FROM pipeline_run WHERE authority = :a AND status = 'published'"), {"a": authority}).scalar()
    return published or conn.execute(text(
        "SELECT MAX(as_at) FROM indicator_result WHERE authority = :a"), {"a": authority}).scalar()


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
        "SELECT suite, rule, severity, failing_rows, examples FROM validation_result "
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
    """Alerts not ok, one per indicator and scope (a scope breaching both lines shows its critical alert): firing
    before pending, critical before warning, then by indicator, the whole authority before its teams."""
    rows = conn.execute(text(
        "SELECT indicator_id, scope, status, severity, breaching_since, last_evaluated_as_at, last_notified_as_at, channel "
        "FROM alert_state WHERE authority = :a AND status <> 'ok' "
        "ORDER BY CASE status WHEN 'firing' THEN 0 ELSE 1 END, CASE severity WHEN 'critical' THEN 0 ELSE 1 END, "
        "indicator_id, CASE scope WHEN 'all' THEN 0 ELSE 1 END, scope"
    ), {"a": authority}).mappings().all()
    first = {}
    for row in rows:
        first.setdefault((row["indicator_id"], row["scope"]), dict(row))
    return list(first.values())


def alerts_evaluated(conn: Connection, authority: str) -> tuple[date | None, int]:
    """The latest as-at date alerts were evaluated for, and how many alert states are ok (within their thresholds)."""
    row = conn.execute(text(
        "SELECT MAX(last_evaluated_as_at), SUM(CASE WHEN status = 'ok' THEN 1 ELSE 0 END) FROM alert_state WHERE authority = :a"
    ), {"a": authority}).one()
    return row[0], int(row[1] or 0)


def silences(conn: Connection, authority: str, in_force_on: date) -> list[dict]:
    """Silences in force on the date (ending on it or later), newest first; [] until the alert_silence table exists."""
    if not inspect(conn).has_table("alert_silence"):
        return []
    rows = conn.execute(text(
        "SELECT indicator_id, team, until_date, created_by, reason, created_at FROM alert_silence "
        "WHERE authority = :a AND until_date >= :d ORDER BY created_at DESC"
    ), {"a": authority, "d": in_force_on}).mappings().all()
    return [dict(r) for r in rows]


def alert_messages(conn: Connection, authority: str, teams: frozenset[str] | None, limit: int,
                   offset: int = 0) -> tuple[list[dict], int]:
    """One page of the messages queued for Slack about one authority (a part of their delivery key), and for a user
    limited to teams only those whose key names one of them; newest first (texts carry counts only), and how many."""
    def part(value: str) -> str:  # a whole part of the key; a team's own % or _ matched literally
        return "%|" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "|%"

    params: dict = {"a": part(authority), "n": limit, "o": offset}
    where = "'|' || delivery_key || '|' LIKE :a ESCAPE '\\'"
    if teams is not None:
        params |= {f"t{i}": part(team) for i, team in enumerate(sorted(teams))}
        where += " AND (" + (" OR ".join(f"'|' || delivery_key || '|' LIKE :t{i} ESCAPE '\\'" for i in range(len(teams))) or "FALSE") + ")"
    rows = conn.execute(text(
        "SELECT delivery_key, channel, thread_key, text, created_at, delivered_at, last_error FROM slack_outbox "
        f"WHERE {where} ORDER BY created_at DESC, delivery_key LIMIT :n OFFSET :o"), params).mappings().all()
    total = conn.execute(text(f"SELECT COUNT(*) FROM slack_outbox WHERE {where}"), params).scalar_one()
    return [dict(r) for r in rows], total
