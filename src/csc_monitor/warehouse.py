"""The warehouse: one SQLAlchemy engine (DuckDB file by default, PostgreSQL in production).

Every statement the project runs is plain SQL that both engines accept; the few places
where the engines differ (bulk loading) are kept in this module.
"""

from __future__ import annotations

import math
import os
import uuid
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pandas as pd
from sqlalchemy import Connection, Engine, column, create_engine, insert, table as table_clause, text
from sqlalchemy.pool import NullPool

from .workdays import calendar_rows
from .config import project_dir

SCHEMA_SQL_DIR = "sql/schema"


def make_engine(url: str) -> Engine:
    if url.startswith("duckdb:///"):
        Path(url.removeprefix("duckdb:///")).parent.mkdir(parents=True, exist_ok=True)
    # a failed statement must not print child data in a log; a PostgreSQL connection dropped by a server restart
    # (or a DBA) is replaced at checkout instead of failing the next task
    return create_engine(url, future=True, hide_parameters=True, pool_pre_ping=url.startswith("postgresql"))


def published_copy(url: str) -> Path | None:
    """Where readers find a DuckDB warehouse as its last finished run left it (None on PostgreSQL).

    DuckDB lets one process write a file and nobody else open it meanwhile, so the dashboard and the
    read commands never open the warehouse itself: they open this copy, read-only.
    """
    if not url.startswith("duckdb:///"):
        return None
    path = Path(url.removeprefix("duckdb:///"))
    return path.with_name(f"{path.stem}.published{path.suffix or '.duckdb'}")


def publish_copy(engine: Engine) -> None:
    """Write the DuckDB warehouse's published copy beside it and swap it in by rename (no-op on PostgreSQL).

    Called by the writer when a run finishes, so a reader sees the copy before or after a run, never half of
    one; a reader that already opened the old copy keeps reading it (the rename does not touch open files).
    """
    target = published_copy(engine.url.render_as_string(hide_password=False))
    if target is None:
        return
    staging = target.with_name(f"{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with engine.connect() as conn:  # ATTACH, COPY and DETACH each need their own transaction in DuckDB
            source = conn.exec_driver_sql("SELECT current_database()").scalar_one()
            conn.commit()
            conn.exec_driver_sql(f"ATTACH '{staging}' AS csc_published_copy")
            conn.commit()
            try:
                conn.exec_driver_sql(f'COPY FROM DATABASE "{source}" TO csc_published_copy')
                conn.commit()
            finally:
                conn.rollback()
                conn.exec_driver_sql("DETACH csc_published_copy")
                conn.commit()
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)


@lru_cache(maxsize=None)
def _reading_engine(url: str, read_only_file: bool) -> Engine:
    if url.startswith("duckdb"):  # opened per read and closed after it: a file is held only while a page is read
        return create_engine(url, poolclass=NullPool, connect_args={"read_only": True} if read_only_file else {})
    # one snapshot per connection block, so a page is consistent even while a run commits; readers never lock writers
    return create_engine(url, pool_pre_ping=True, isolation_level="REPEATABLE READ",
                         execution_options={"postgresql_readonly": True})


def reader(url: str) -> Engine:
    """The engine for pages and read commands: never blocks a run, and sees only what a finished run left.

    DuckDB: the published copy, read-only; before any run has finished there is no copy and the warehouse
    file itself is read (as a writer would open it). PostgreSQL: read-only, repeatable-read transactions.
    """
    copy = published_copy(url)
    if copy is not None and copy.exists():
        return _reading_engine(f"duckdb:///{copy}", True)
    return _reading_engine(url, False)


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
    # an insert() construct, not text(): SQLAlchemy then sends many rows per statement (insertmanyvalues), where a
    # driver's executemany sends one statement per row (psycopg2: 2.3 s for the 9,500-day calendar, 0.1 s this way)
    conn.execute(insert(table_clause(table, *map(column, columns))), records)
    return len(records)
