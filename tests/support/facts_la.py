"""Hand-built looked-after, care leaver and adoption facts for worked examples (dates as ISO strings).

Each builder writes one fact row with the authority and a traceable source filled in, and returns the
row as a dict so the same facts can be handed to the plain-Python reference implementations.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine

from csc_monitor.warehouse import insert_rows
from tests.support.facts import AUTHORITY


def _value(value):
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return date.fromisoformat(value)
    if isinstance(value, str) and len(value) > 10 and value[4] == "-" and "T" in value:
        return datetime.fromisoformat(value)
    return value


class Facts:
    """Rows by table, written to the warehouse and kept for the reference implementations."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.tables: dict[str, list[dict]] = {}

    def add(self, table: str, source_ref: str | None = None, **values) -> dict:
        """One row; `source_ref` names it when a child has several rows in the table (default: table and child)."""
        row = {"authority": AUTHORITY, **{k: _value(v) for k, v in values.items()},
               "source_file": "test", "source_ref": source_ref or f"{table} {values.get('child_id')}"}
        with self.engine.begin() as conn:
            insert_rows(conn, table, [row])
        self.tables.setdefault(table, []).append(row)
        return row

    def rows(self, table: str) -> list[dict]:
        return self.tables.get(table, [])

    def child(self, child_id: str, birth: str = "2012-05-01", team: str | None = "Children in Care", worker: str = "Worker A"):
        self.add("child", child_id=child_id, birth_date=birth, sex="F", ethnicity="WBRI", death_date=None)
        if team:
            self.add("allocation", child_id=child_id, team=team, worker=worker, start_date="2000-01-01", end_date=None)

    def episode(self, child_id: str, start: str, rne: str = "S", ls: str = "C2", place: str = "U3",
                end: str | None = None, rec: str | None = None):
        self.add("care_episode", child_id=child_id, start_date=start, reason_new_episode=rne, legal_status=ls,
                 cin_code="N1", placement_type=place, placement_provider="PR1", end_date=end, reason_ceased=rec,
                 reason_place_change=None, placement_postcode=None, urn=None, collection_year=None)

    def visit(self, child_id: str, day: str, kind: str = "CLA", seen: bool = True):
        self.add("visit", child_id=child_id, visit_kind=kind, visit_date=day, seen=seen, seen_alone=None, worker=None)

    def review(self, child_id: str, day: str | None, kind: str = "CLA", due: str | None = None, cancelled: bool = False):
        self.add("review_event", child_id=child_id, review_kind=kind, due_date=due, review_date=day, cancelled=cancelled)

    def la_review(self, child_id: str, day: str):
        self.add("la_review", child_id=child_id, review_date=day, review_code="PN1")

    def arrangement(self, child_id: str, placement_start: str, code: str):
        self.add("placement_arrangement", child_id=child_id, placement_start_date=placement_start, arrangement=code)
