"""The warehouse: one SQLAlchemy engine (DuckDB file by default, PostgreSQL in production).

Every statement the project runs is plain SQL that both engines accept; the few places
where the engines differ (bulk loading) are kept in this module.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pandas as pd
from sqlalchemy import Connection, Engine, create_engine, text

from .workdays import calendar_rows
from .config import project_dir

SCHEMA_SQL_DIR = "sql/schema"


def make_engine(url: str) -> Engine:
    if url.startswith("duckdb:///"):
        Path(url.removeprefix("duckdb:///")).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, future=True, hide_parameters=True)  # a failed statement must not print child data in a log


def read_sql_file(relative: str) -> str:
    return (project_dir() / relative).read_text()


def schema_statements() -> list[str]:
    """DDL statements from sql/schema/*.sql, in file-name order."""
    statements: list[str] = []
    for path in sorted((project_dir() / SCHEMA_SQL_DIR).glob("*.sql")):
        body = "\n".join(line.split("--", 1)[0] for line in path.read_text().splitlines())  # DDL has no '--' in strings
        statements += [s.strip() for s in body.split(";") if s.strip()]
    return statements


def ensure_schema(engine: Engine) -> None:
    """Create missing tables and fill the working-day calendar once (idempotent)."""
    with engine.begin() as conn:
        for statement in schema_statements():
            conn.execute(text(statement))
        if conn.execute(text("SELECT COUNT(*) FROM calendar_day")).scalar_one() == 0:
            insert_rows(conn, "calendar_day", calendar_rows())


def _clean(value):
    """Turn pandas' missing markers and timestamps into plain Python values for the driver."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, (str, bytes, date)):
        return value.item()
    return value


DUCKDB_BULK_THRESHOLD = 500


def _duckdb_bulk_insert(conn: Connection, table: str, columns: Sequence[str], records: list[dict]) -> None:
    """DuckDB reads a registered DataFrame in one statement; row-by-row executemany is far slower there."""
    frame = pd.DataFrame.from_records(records, columns=list(columns))
    driver = conn.connection.dbapi_connection
    driver.register("csc_bulk_rows", frame)
    try:
        names = ", ".join(columns)
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) SELECT {names} FROM csc_bulk_rows")
    finally:
        driver.unregister("csc_bulk_rows")


def insert_rows(conn: Connection, table: str, rows: Iterable[Mapping] | pd.DataFrame) -> int:
    """Insert rows (dicts or a DataFrame) into a table; returns how many."""
    if isinstance(rows, pd.DataFrame):
        frame = rows
        records = [
            {col: _clean(v) for col, v in zip(frame.columns, values)}
            for values in frame.itertuples(index=False, name=None)
        ]
    else:
        records = [{k: _clean(v) for k, v in row.items()} for row in rows]
    if not records:
        return 0
    columns: Sequence[str] = list(records[0])
    if conn.dialect.name == "duckdb" and len(records) > DUCKDB_BULK_THRESHOLD:
        _duckdb_bulk_insert(conn, table, columns, records)
        return len(records)
    statement = text(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
    )
    conn.execute(statement, records)
    return len(records)
