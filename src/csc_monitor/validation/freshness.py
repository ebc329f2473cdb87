"""Missing or stale data is itself an alert to the data owner (Southwark: data unavailable after a migration).

Two checks per as-at date: no export has arrived since the as-at date ended although it is past
the due time on the day after (`export_due_by`), or the latest export's reference date is more than
`export_max_age_days` before the as-at date. An authority with no export at all yet is not judged.
Messages go through the outbox with a delivery key per as-at date and check, so each is sent once.
A run whose latest export is too old is stale: its figures are published with that caveat, and its one
freshness alert replaces the breach alerts that would judge old data as if it were current.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine, text

from ..alerts.lifecycle import enqueue
from ..config import Settings
from ..warehouse import insert_rows

STALE_SUITE, STALE_RULE = "freshness", "latest_export_within_age_limit"


def _message(headline: str, detail: str) -> tuple[str, list[dict]]:
    return headline, [{"type": "section", "text": {"type": "mrkdwn", "text": f":hourglass: *{headline}*\n{detail}"}}]


def check_freshness(engine: Engine, settings: Settings, as_at: date, now: datetime) -> list[str]:
    """Queue an alert for each freshness problem; returns the problems found (kinds)."""
    with engine.connect() as conn:
        last_loaded, latest_reference = conn.execute(
            text("SELECT MAX(loaded_at), MAX(reference_date) FROM load_file WHERE authority = :a"), {"a": settings.authority}
        ).one()
    if last_loaded is None:
        return []
    found = []
    day_after = as_at + timedelta(days=1)
    due = datetime.combine(day_after, settings.export_due_by)
    if now >= due and last_loaded < datetime.combine(day_after, datetime.min.time()):
        found.append(("no_new_export", _message(
            f"No new export has arrived for {as_at.isoformat()}",
            f"Nothing loaded since {last_loaded:%Y-%m-%d %H:%M}; exports are due by {settings.export_due_by:%H:%M} "
            f"on {day_after.isoformat()}. Figures use the data already loaded.")))
    if latest_reference and (as_at - latest_reference).days > settings.export_max_age_days:
        found.append(("old_reference_date", _message(
            f"The latest export is {(as_at - latest_reference).days} days old at {as_at.isoformat()}",
            f"Its reference date is {latest_reference.isoformat()}; more than {settings.export_max_age_days} days is stale.")))
    with engine.begin() as conn:
        for kind, message in found:
            enqueue(conn, f"freshness|{settings.authority}|{as_at.isoformat()}|{kind}", settings.default_channel, message)
    return [kind for kind, _ in found]


def mark_stale(engine: Engine, settings: Settings, as_at: date, run_id: str) -> None:
    """Record on the run (a warning beside its figures) that its latest export is older than the limit."""
    with engine.begin() as conn:
        latest = conn.execute(text("SELECT MAX(reference_date) FROM load_file WHERE authority = :a"), {"a": settings.authority}).scalar()
        conn.execute(text("DELETE FROM validation_result WHERE run_id = :r AND suite = :s"), {"r": run_id, "s": STALE_SUITE})
        insert_rows(conn, "validation_result", [{
            "run_id": run_id, "suite": STALE_SUITE, "rule": STALE_RULE, "severity": "warning", "success": False, "failing_rows": 0,
            "examples": f"figures as at {as_at.isoformat()} come from exports last dated {latest.isoformat()}, "
                        f"{(as_at - latest).days} days earlier (limit {settings.export_max_age_days}): breach alerts held back",
        }])


def is_stale(engine: Engine, run_id: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1 FROM validation_result WHERE run_id = :r AND suite = :s AND rule = :u AND NOT success"),
                            {"r": run_id, "s": STALE_SUITE, "u": STALE_RULE}).first() is not None
