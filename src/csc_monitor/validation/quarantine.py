"""Quarantine: rows failing a row-level rule leave the fact table, so no figure counts them.

Which rules quarantine is declared in the suites (`meta.quarantine: true`) and limited to
row-level warning rules: one row with its dates out of order (a plan ending before it starts,
overlapping allocations) is set aside, the figures publish without it, and the dashboard says beside each
figure how many rows of the tables it reads are still set aside, by rule. Table-level problems (missing
keys, a collapsed volume) and impossible values in the events an indicator measures are critical
instead: dropping those rows would silently change the figure, so the run stops for a person.

A quarantined row counts against an indicator (`reads:` in its YAML) until a later export brings
a row with the same natural key (suite `meta.key`): the correction; or until no row of its file is left.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime

from sqlalchemy import Connection, Engine, text

from ..warehouse import insert_rows
from .suites import suite_files


def _json_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _from_json(value):
    return date.fromisoformat(value) if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else value


def quarantine_rows(engine: Engine, authority: str, run_id: str, table: str, rule: str, rows: list[dict]) -> int:
    """Copy each named row (by source file and place) to quarantine and delete it, in one transaction."""
    moved = 0
    where = "authority = :a AND source_file = :f AND source_ref = :r"
    with engine.begin() as conn:
        for row in rows:
            params = {"a": authority, "f": row["source_file"], "r": row["source_ref"]}
            found = conn.execute(text(f"SELECT * FROM {table} WHERE {where}"), params).mappings().all()
            insert_rows(conn, "quarantine", [{
                "run_id": run_id, "authority": authority, "table_name": table, "rule": rule,
                "source_file": row["source_file"], "source_ref": row["source_ref"],
                "row_json": json.dumps({k: _json_value(v) for k, v in record.items()}, sort_keys=True),
                "quarantined_at": datetime.now(),
            } for record in found])
            conn.execute(text(f"DELETE FROM {table} WHERE {where}"), params)
            moved += len(found)
    return moved


def _table_keys() -> dict[str, list[str]]:
    keys = {}
    for path in suite_files():
        meta = json.loads(path.read_text())["meta"]
        if meta.get("key"):
            keys[meta["table"]] = meta["key"]
    return keys


def still_set_aside(conn: Connection, authority: str) -> dict[tuple[tuple[str, ...], str], int]:
    """Quarantined rows still out of the figures, per (the tables they take rows out of, rule): a row's own table, or
    for a census child set aside whole at ingest, every table a census child fills (its row says which).

    A row stops counting when a row with its natural key (suite `meta.key`) is in the table again (the correction),
    or when no row of its source file is left (a later export replaced that file's picture, without the row).
    """
    keys = _table_keys()
    counts: dict[tuple[tuple[str, ...], str], int] = {}
    seen: set[tuple] = set()
    file_current: dict[tuple[str, str], bool] = {}  # (table, source file) -> still has rows: asked once per file
    for table, rule, source_file, row_json in conn.execute(text(
        "SELECT table_name, rule, source_file, row_json FROM quarantine WHERE authority = :a ORDER BY quarantined_at DESC"
    ), {"a": authority}).all():
        row, key = json.loads(row_json), keys[table]
        identity = (table, *(row.get(k) for k in key))
        if identity in seen:
            continue
        seen.add(identity)
        match = " AND ".join(f"{k} = :{k}" for k in key)
        corrected = conn.execute(text(f"SELECT 1 FROM {table} WHERE {match}"), {k: _from_json(row.get(k)) for k in key}).first()
        if (table, source_file) not in file_current:
            file_current[(table, source_file)] = conn.execute(text(
                f"SELECT 1 FROM {table} WHERE authority = :a AND source_file = :f"), {"a": authority, "f": source_file}).first() is not None
        if file_current[(table, source_file)] and not corrected:
            out_of = (tuple(row.get("tables", [table])), rule)
            counts[out_of] = counts.get(out_of, 0) + 1
    return counts
