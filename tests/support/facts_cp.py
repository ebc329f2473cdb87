"""Hand-built facts for the front-door and child protection worked examples (dates as ISO strings)."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

from csc_monitor.warehouse import insert_rows
from tests.support.facts import AUTHORITY, _d, add_allocation


def _optional(value):
    return _d(value) if value else None


def _source(child_id: str, what: str) -> dict:
    return {"authority": AUTHORITY, "child_id": child_id, "source_file": "test", "source_ref": f"{child_id} {what}"}


def add_referral(conn: Connection, child_id: str, referral: str, closed: str | None = None, nfa: bool = False) -> None:
    insert_rows(conn, "referral", [{
        **_source(child_id, f"referral {referral}"), "referral_date": _d(referral), "referral_source": "1A",
        "primary_need": "N1", "closure_date": _optional(closed), "closure_reason": None, "referral_nfa": nfa,
    }])


def add_assessment(conn: Connection, child_id: str, referral: str, start: str, authorised: str | None = None,
                   closed: str | None = None) -> None:
    """One CIN episode (referral) with one assessment."""
    add_referral(conn, child_id, referral, closed)
    insert_rows(conn, "assessment", [{
        **_source(child_id, f"assessment {start}"), "referral_date": _d(referral), "start_date": _d(start),
        "authorisation_date": _optional(authorised),
    }])


def add_plan(conn: Connection, child_id: str, start: str, end: str | None = None, previous_plans: int = 0) -> None:
    insert_rows(conn, "cp_plan", [{
        **_source(child_id, f"plan {start}"), "start_date": _d(start), "end_date": _optional(end),
        "initial_category": "NEG", "latest_category": "NEG", "previous_plans": previous_plans,
    }])


def add_reviews(conn: Connection, child_id: str, plan_start: str, *review_dates: str) -> None:
    insert_rows(conn, "cp_review", [
        {**_source(child_id, f"review {day}"), "plan_start_date": _d(plan_start), "review_date": _d(day)} for day in review_dates
    ])


def add_visit(conn: Connection, child_id: str, day: str, kind: str = "CP", seen: bool = True,
              alone: bool | None = None) -> None:
    insert_rows(conn, "visit", [{
        **_source(child_id, f"visit {kind} {day} {seen} {alone}"), "visit_kind": kind, "visit_date": _d(day),
        "seen": seen, "seen_alone": alone, "worker": "Worker A",
    }])


def add_visit_frequency(conn: Connection, child_id: str, plan_start: str, every_working_days: int) -> None:
    insert_rows(conn, "cp_visit_frequency", [{
        **_source(child_id, "frequency"), "plan_start_date": _d(plan_start), "every_working_days": every_working_days,
    }])


def add_enquiry(conn: Connection, child_id: str, strategy: str, target: str | None = None, icpc: str | None = None) -> None:
    insert_rows(conn, "section47_enquiry", [{
        **_source(child_id, f"s47 {strategy}"), "referral_date": _d(strategy), "strategy_discussion_date": _d(strategy),
        "icpc_target_date": _optional(target), "icpc_date": _optional(icpc), "icpc_not_required": False,
    }])


def allocate(conn: Connection, child_id: str, team: str = "Team A", worker: str = "Worker A") -> None:
    add_allocation(conn, child_id, team, worker, "2010-01-01", None)


def table_rows(engine: Engine, table: str) -> list[dict]:
    """A warehouse table as plain dicts: what the reference implementations take."""
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(text(f"SELECT * FROM {table}")).mappings()]
