"""Start-event check (issue 4.6): flag timeliness clocks that start later than the evidence says.

Southend's ICPC figures (seed 004) looked good because the clock started at a later meeting, not at the strategy
discussion that initiated the section 47 enquiry. The census's ICPC target date is set 15 working days after that
discussion, so a target that implies an earlier start (or an ICPC before the recorded start) shows the recorded
start is too late. The rule is in sql/checks/icpc_start_event.sql; the count is a data-quality warning, not a figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from ..warehouse import read_sql_file

TARGET_WORKING_DAYS = 15


@dataclass(frozen=True)
class StartEventCheck:
    as_at: date
    checked: int
    affected: int


def icpc_start_event_check(conn: Connection, authority: str, run_id: str) -> list[StartEventCheck]:
    """Per as-at date of the run: enquiries checked and enquiries whose recorded start is later than the evidence."""
    rows = conn.execute(
        text(read_sql_file("sql/checks/icpc_start_event.sql")),
        {"run_id": run_id, "authority": authority, "target_working_days": TARGET_WORKING_DAYS},
    ).all()
    return [StartEventCheck(as_at=r.as_at, checked=int(r.checked), affected=int(r.affected)) for r in rows]

