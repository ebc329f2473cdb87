"""Every export is a complete picture of a scope; a newer picture of the same scope replaces the older one.

The scope of each export kind (docs/exports.md "Where sources overlap"):
- CIN census: authority + collection year; a 903 table: authority + collection year + table;
- Annex A: authority + extract date;
- an event CSV: authority + table + the period its name states (`_yyyy-mm-dd`: everything up to that
  extract date; `_yyyy-mm-dd_yyyy-mm-dd`: that window; no date: all time).

Loading a file, per table it fills (all in the caller's transaction):
1. same scope: the rows of the scope's current file are deleted wholesale (rows it no longer holds are
   gone, corrected dates corrected); if that file is newer (exported later), nothing changes at all;
2. overlapping scopes of the same kind (family): the newer collection (later year, extract date or
   period end) wins. Census, 903 and Annex A are per child: from a child's earliest date in the newer
   file on, the newer file's rows for that child replace the older file's. An event file is complete for
   everyone in its period: the newer file's period replaces the older file's rows dated in it;
3. across kinds (a census and an Annex A describing the same referral), rows still replace rows with
   the same natural key, never by an older collection year; `child` and `adoption` merge column by column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, text

from ..warehouse import insert_rows
from .events import EVENT_TABLES
from .model import ParsedExport

NATURAL_KEYS = {
    "child": ("authority", "child_id"),
    "referral": ("authority", "child_id", "referral_date"),
    "assessment": ("authority", "child_id", "start_date"),
    "section47_enquiry": ("authority", "child_id", "strategy_discussion_date"),
    "cp_plan": ("authority", "child_id", "start_date"),
    "cp_review": ("authority", "child_id", "plan_start_date", "review_date"),
    "allocation": ("authority", "child_id", "start_date"),
    "care_episode": ("authority", "child_id", "start_date"),
    "la_review": ("authority", "child_id", "review_date"),
    "uasc": ("authority", "child_id"),
    "la_outcome": ("authority", "child_id", "collection_year"),
    "care_leaver_status": ("authority", "child_id", "collection_year"),
    "adoption": ("authority", "child_id"),
    "previous_permanence": ("authority", "child_id"),
    "missing_episode": ("authority", "child_id", "start_date"),
    "social_worker_episode": ("authority", "child_id", "worker_id", "start_date"),
    "visit": ("authority", "child_id", "visit_kind", "visit_date"),
    "review_event": ("authority", "child_id", "review_kind", "due_date", "review_date"),
    "health_check": ("authority", "child_id", "check_kind", "check_date"),
    "return_interview": ("authority", "child_id", "missing_start_date"),
    "cp_visit_frequency": ("authority", "child_id", "plan_start_date"),
    "placement_arrangement": ("authority", "child_id", "placement_start_date"),
    "annex_a_latest": ("authority", "extract_date", "list_number", "child_id", "measure"),
}
MERGED_TABLES = {"child", "adoption"}  # filled by several kinds, column by column: no snapshot replacement
DATED = {  # the date that places a row in time, for overlapping scopes ({t} is the row's alias)
    "referral": "{t}.referral_date", "assessment": "{t}.referral_date", "section47_enquiry": "{t}.referral_date",
    "cp_plan": "{t}.start_date", "cp_review": "{t}.plan_start_date", "allocation": "{t}.start_date",
    "care_episode": "{t}.start_date", "la_review": "{t}.review_date", "missing_episode": "{t}.start_date",
    "social_worker_episode": "{t}.start_date", "visit": "{t}.visit_date",
    "review_event": "COALESCE({t}.review_date, {t}.due_date)", "health_check": "{t}.check_date",
    "return_interview": "{t}.missing_start_date", "cp_visit_frequency": "{t}.plan_start_date",
    "placement_arrangement": "{t}.placement_start_date",
}
EVENT_KINDS = {spec.kind for spec in EVENT_TABLES}
NAMED_DATE = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")
EARLIEST, LATEST = "DATE '0001-01-01'", "DATE '9999-12-31'"


@dataclass(frozen=True)
class Scope:
    key: str                    # what the file is a complete picture of, e.g. "cin_census 999 2025"
    family: str                 # scopes that describe the same rows, e.g. "cin_census 999"
    order: str                  # newer collection wins across scopes of a family (sortable text)
    period_start: date | None   # event files: the period they cover (None: open)
    period_end: date | None
    exported_at: datetime       # which of two files of the same scope is newer
    per_child: bool             # census, 903, Annex A: a newer file speaks for the children it holds


def scope_of(parsed: ParsedExport, path: Path) -> Scope:
    exported_at = parsed.exported_at or datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).replace(tzinfo=None)
    family = f"{parsed.kind} {parsed.authority}"
    if parsed.kind in EVENT_KINDS:
        named = [date.fromisoformat(d) for d in NAMED_DATE.findall(path.stem)][-2:]
        start, end = (named[0], named[1]) if len(named) == 2 else (None, named[0] if named else None)
        period = f"{start or ''}..{end or ''}"
        return Scope(f"{family} {period}", family, (end or date.max).isoformat(), start, end, exported_at, per_child=False)
    marker = (str(parsed.collection_year) if parsed.collection_year is not None
              else parsed.reference_date.isoformat() if parsed.reference_date else "undated")  # undated: a table archived unread
    return Scope(f"{family} {marker}", family, marker, None, None, exported_at, per_child=True)


@dataclass
class Change:
    """What a load did against what it replaces, counted per child: a row whose values moved is `changed`."""
    added: int = 0
    removed: int = 0
    changed: int = 0

    def __add__(self, other: Change) -> Change:
        return Change(self.added + other.added, self.removed + other.removed, self.changed + other.changed)

    def __str__(self) -> str:
        return f"+{self.added} added, -{self.removed} removed, {self.changed} changed"


def newer_same_scope(conn: Connection, scope: Scope) -> tuple[str, str] | None:
    """The scope's current file if it was exported after this one (then this file changes nothing)."""
    row = conn.execute(text(
        "SELECT sha256, file_name FROM load_file WHERE scope = :s AND replaced_by IS NULL AND exported_at > :e "
        "ORDER BY exported_at DESC"), {"s": scope.key, "e": scope.exported_at}).first()
    return (row[0], row[1]) if row else None


def _columns(conn: Connection, table: str) -> list[str]:
    return list(conn.execute(text(f"SELECT * FROM {table} WHERE 1 = 0")).keys())


def _count(conn: Connection, gone: str, stage: str, compared: list[str]) -> Change:
    """Set-based: rows identical in both are unchanged; of the rest, as many as a child has on both sides are changed."""
    totals = conn.execute(text(f"SELECT (SELECT COUNT(*) FROM {gone}), (SELECT COUNT(*) FROM {stage})")).one()
    if totals[0] == 0 or totals[1] == 0:
        return Change(added=totals[1], removed=totals[0])
    columns = ", ".join(compared)
    same = " AND ".join(f"g.{c} IS NOT DISTINCT FROM s.{c}" for c in compared)
    unchanged = conn.execute(text(
        f"SELECT COALESCE(SUM(LEAST(g.n, s.n)), 0) FROM (SELECT {columns}, COUNT(*) AS n FROM {gone} GROUP BY {columns}) g "
        f"JOIN (SELECT {columns}, COUNT(*) AS n FROM {stage} GROUP BY {columns}) s ON {same}")).scalar_one()
    paired = conn.execute(text(
        f"SELECT COALESCE(SUM(LEAST(g.n, s.n)), 0) FROM (SELECT child_id, COUNT(*) AS n FROM {gone} GROUP BY child_id) g "
        f"JOIN (SELECT child_id, COUNT(*) AS n FROM {stage} GROUP BY child_id) s ON g.child_id = s.child_id")).scalar_one()
    return Change(added=totals[1] - int(paired), removed=totals[0] - int(paired), changed=int(paired) - int(unchanged))


def load_table(conn: Connection, table: str, frame: pd.DataFrame, authority: str, scope: Scope, sha256: str) -> Change:
    """Load one table of a file by the rules above; returns what changed."""
    columns, keys = _columns(conn, table), NATURAL_KEYS[table]
    stage, gone = f"stage_{table}", f"gone_{table}"
    conn.execute(text(f"CREATE TEMPORARY TABLE {stage} AS SELECT * FROM {table} WHERE 1 = 0"))
    conn.execute(text(f"CREATE TEMPORARY TABLE {gone} AS SELECT * FROM {table} WHERE 1 = 0"))
    if not frame.empty:
        insert_rows(conn, stage, frame.assign(source_file=sha256)[[c for c in frame.columns if c in columns] + ["source_file"]])
    params = {"family": scope.family, "scope": scope.key, "order": scope.order, "a": authority,
              "from": scope.period_start or date.min, "to": scope.period_end or date.max}

    def take(condition: str) -> None:
        """Move the rows matching condition (alias t) from the table into the gone table."""
        conn.execute(text(f"INSERT INTO {gone} SELECT * FROM {table} t WHERE {condition}"), params)
        conn.execute(text(f"DELETE FROM {table} t WHERE {condition}"), params)

    if table not in MERGED_TABLES:
        from_family = ("t.source_file IN (SELECT sha256 FROM load_file WHERE family = :family AND replaced_by IS NULL "
                       "AND {which}) AND t.authority = :a")
        take(from_family.format(which="scope = :scope"))
        dated = DATED.get(table)
        if dated and scope.per_child:
            newer_row = dated.format(t="n") + " <= " + dated.format(t="s")
            conn.execute(text(
                f"DELETE FROM {stage} s WHERE EXISTS (SELECT 1 FROM {table} n WHERE n.authority = s.authority AND n.child_id = s.child_id "
                f"AND {newer_row} AND n.source_file IN (SELECT sha256 FROM load_file WHERE family = :family "
                f"AND replaced_by IS NULL AND scope_order > :order))"), params)
            take(from_family.format(which="scope_order < :order") + f" AND {dated.format(t='t')} >= "
                 f"(SELECT MIN({dated.format(t='s')}) FROM {stage} s WHERE s.child_id = t.child_id)")
        elif dated:
            conn.execute(text(
                f"DELETE FROM {stage} s WHERE EXISTS (SELECT 1 FROM load_file f WHERE f.family = :family AND f.replaced_by IS NULL "
                f"AND f.scope_order > :order AND {dated.format(t='s')} BETWEEN COALESCE(f.period_start, {EARLIEST}) "
                f"AND COALESCE(f.period_end, {LATEST}))"), params)
            take(from_family.format(which="scope_order < :order") + f" AND {dated.format(t='t')} BETWEEN :from AND :to")
    match = " AND ".join(f"s.{k} IS NOT DISTINCT FROM t.{k}" for k in keys)
    if "collection_year" in columns and "collection_year" not in keys:
        conn.execute(text(
            f"DELETE FROM {stage} s WHERE EXISTS (SELECT 1 FROM {table} t WHERE {match} AND t.collection_year > s.collection_year)"))
    if table in MERGED_TABLES:
        merged = ", ".join(f"s.{c}" if c in keys else f"COALESCE(s.{c}, t.{c}) AS {c}" for c in columns)
        conn.execute(text(f"CREATE TEMPORARY TABLE merged_{table} AS SELECT {merged} FROM {stage} s LEFT JOIN {table} t ON {match}"))
        conn.execute(text(f"DROP TABLE {stage}"))
        stage = f"merged_{table}"
    take(f"EXISTS (SELECT 1 FROM {stage} s WHERE {match})")
    conn.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM {stage}"))
    change = _count(conn, gone, stage, [c for c in columns if c not in ("source_file", "source_ref")])
    conn.execute(text(f"DROP TABLE {stage}"))
    conn.execute(text(f"DROP TABLE {gone}"))
    return change


def record_load(conn: Connection, parsed: ParsedExport, scope: Scope, sha256: str, file_name: str, archived_as: str,
                change: Change | None, replaced_by: str | None = None) -> list[str]:
    """Record the file in load_file; the scope's earlier files are marked replaced. Returns their names."""
    replaced = []
    if replaced_by is None:
        replaced = [row[0] for row in conn.execute(text(
            "SELECT file_name FROM load_file WHERE scope = :s AND replaced_by IS NULL ORDER BY loaded_at"), {"s": scope.key})]
        conn.execute(text("UPDATE load_file SET replaced_by = :sha WHERE scope = :s AND replaced_by IS NULL"),
                     {"sha": sha256, "s": scope.key})
    change = change or Change()
    insert_rows(conn, "load_file", [{
        "sha256": sha256, "file_name": file_name, "kind": parsed.kind, "authority": parsed.authority,
        "collection_year": parsed.collection_year, "reference_date": parsed.reference_date,
        "row_count": parsed.row_count, "loaded_at": datetime.now(), "archived_as": archived_as,
        "notes": "; ".join(parsed.notes) or None, "scope": scope.key, "family": scope.family, "scope_order": scope.order,
        "period_start": scope.period_start, "period_end": scope.period_end, "exported_at": scope.exported_at,
        "replaced_by": replaced_by, "rows_added": change.added, "rows_removed": change.removed, "rows_changed": change.changed,
    }])
    return replaced


def current_loads(conn: Connection) -> list[dict]:
    """What is loaded now, per authority and scope, with the file that supplied it."""
    return [dict(row) for row in conn.execute(text(
        "SELECT authority, scope, file_name, exported_at, loaded_at, row_count, rows_added, rows_removed, rows_changed "
        "FROM load_file WHERE replaced_by IS NULL ORDER BY authority, scope, loaded_at")).mappings()]
