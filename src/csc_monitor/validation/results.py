"""The last good figures survive a failed run: kept before computing, put back on failure, released on publishing.

The engine replaces figures as it computes, so the figures (and the child-level units behind them) for
the run's dates are copied first into kept_* tables, in the warehouse, so a later Airflow task can put them
back as well as the same process can. A failed run marks them stale (see result_staleness).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, bindparam, text

KEPT_TABLES = ("indicator_result", "indicator_unit")


def _for_dates(sql: str):
    return text(sql).bindparams(bindparam("d", expanding=True))


def keep_figures(engine: Engine, authority: str, as_at_dates: list[date], run_id: str) -> None:
    """Copy the authority's figures for these dates aside under the run's id (a repeated call replaces the copy)."""
    params = {"a": authority, "d": list(as_at_dates), "r": run_id}
    with engine.begin() as conn:
        for table in KEPT_TABLES:
            # by name: a column added to both tables later sits after kept_for_run in the kept copy
            columns = ", ".join(conn.execute(text(f"SELECT * FROM {table} WHERE 1 = 0")).keys())
            conn.execute(text(f"DELETE FROM kept_{table} WHERE kept_for_run = :r"), params)
            conn.execute(_for_dates(f"INSERT INTO kept_{table} ({columns}, kept_for_run) SELECT {columns}, CAST(:r AS VARCHAR) "
                                    f"FROM {table} WHERE authority = :a AND as_at IN :d"), params)


def restore_figures(engine: Engine, authority: str, as_at_dates: list[date], run_id: str) -> None:
    """Put back what keep_figures copied: whatever the run wrote for these dates goes."""
    params = {"a": authority, "d": list(as_at_dates), "r": run_id}
    with engine.begin() as conn:
        for table in KEPT_TABLES:
            columns = ", ".join(conn.execute(text(f"SELECT * FROM {table} WHERE 1 = 0")).keys())
            conn.execute(_for_dates(f"DELETE FROM {table} WHERE authority = :a AND as_at IN :d"), params)
            conn.execute(text(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM kept_{table} WHERE kept_for_run = :r"), params)
    release_figures(engine, run_id)


def release_figures(engine: Engine, run_id: str) -> None:
    with engine.begin() as conn:
        for table in KEPT_TABLES:
            conn.execute(text(f"DELETE FROM kept_{table} WHERE kept_for_run = :r"), {"r": run_id})
