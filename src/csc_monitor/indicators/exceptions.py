"""The children behind a figure: units not meeting the standard, for the authority's own systems only.

Never sent to Slack. The CLI writes it as CSV; the dashboard serves the same rows behind its own permission.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, bindparam, text

from ..authority_config import indicator_parameters
from .definitions import load_definitions

COLUMNS = ("child_id", "unit_key", "status", "start_date", "end_date", "elapsed", "late_by", "team", "worker", "source_file", "source_ref")


def _timescale(definition, authority: str) -> int | None:
    """The indicator's timescale parameter, if it has one (so 'how late' can be shown)."""
    parameters = indicator_parameters(authority, definition.id, definition.parameters)
    return next((int(v) for k, v in parameters.items() if k.startswith("timescale") and isinstance(v, int)), None)


def exception_rows(conn: Connection, indicator_id: str, authority: str, as_at: date, team: str | None = None) -> list[dict]:
    """Units not meeting the standard, worst first within each team; `late_by` is elapsed minus the timescale, if any.

    Where lower is better (re-referrals, repeat plans) the units in the numerator are the ones to act on.
    """
    (definition,) = load_definitions([indicator_id], include_retired=True)
    timescale = _timescale(definition, authority)
    statuses = ("not_met", "overdue") if definition.higher_is_better else ("met",)
    rows = conn.execute(text(
        "SELECT u.child_id, u.unit_key, u.status, u.start_date, u.end_date, u.elapsed, u.team, u.worker, "
        "       COALESCE(l.file_name, u.source_file) AS source_file, u.source_ref "
        "FROM indicator_unit u LEFT JOIN load_file l ON l.sha256 = u.source_file "
        "WHERE u.indicator_id = :i AND u.authority = :a AND u.as_at = :d AND u.status IN :statuses "
        "  AND (:team IS NULL OR u.team = :team) "
        "ORDER BY u.team, u.elapsed DESC, u.child_id, u.unit_key"
    ).bindparams(bindparam("statuses", expanding=True)),
        {"i": indicator_id, "a": authority, "d": as_at, "team": team, "statuses": list(statuses)}).mappings().all()
    return [{**row, "late_by": None if timescale is None or row["elapsed"] is None else row["elapsed"] - timescale} for row in rows]
