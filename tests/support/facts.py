"""Hand-built warehouse facts for worked examples (dates as ISO strings for readability)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from csc_monitor.warehouse import insert_rows

AUTHORITY = "999"


def _d(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def add_enquiry(engine: Engine, child_id: str, strategy: str, icpc: str | None = None, not_required: bool = False,
                referral: str | None = None, closed: str | None = None, team: str = "Team A", worker: str = "Worker A",
                allocated_from: str = "2010-01-01") -> None:
    """One child with one CIN episode, one section 47 enquiry and one open allocation."""
    referral = referral or strategy
    with engine.begin() as conn:
        insert_rows(conn, "referral", [{
            "authority": AUTHORITY, "child_id": child_id, "referral_date": _d(referral), "referral_source": "1A",
            "primary_need": "N1", "closure_date": _d(closed) if closed else None, "closure_reason": None,
            "referral_nfa": False, "source_file": "test", "source_ref": f"{child_id} referral",
        }])
        insert_rows(conn, "section47_enquiry", [{
            "authority": AUTHORITY, "child_id": child_id, "referral_date": _d(referral),
            "strategy_discussion_date": _d(strategy), "icpc_target_date": None,
            "icpc_date": _d(icpc) if icpc else None, "icpc_not_required": not_required,
            "source_file": "test", "source_ref": f"{child_id} s47",
        }])
        if team:
            add_allocation(conn, child_id, team, worker, allocated_from, None)


def add_allocation(conn, child_id: str, team: str, worker: str, start: str, end: str | None) -> None:
    insert_rows(conn, "allocation", [{
        "authority": AUTHORITY, "child_id": child_id, "team": team, "worker": worker,
        "start_date": _d(start), "end_date": _d(end) if end else None, "source_file": "test", "source_ref": child_id,
    }])
