"""Checks on the figures a run has just computed, with the previous figures kept if they fail.

The engine replaces figures as it computes, so the figures (and the child-level units behind
them) for the run's dates are copied first and put back if computing or a critical results rule
fails: the last good figures stay visible (marked stale by the failed run, see result_staleness).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

from sqlalchemy import Engine, bindparam, text

from ..warehouse import insert_rows

KEPT_TABLES = ("indicator_result", "indicator_unit")


@contextmanager
def previous_figures_kept_on_failure(engine: Engine, authority: str, as_at_dates: list[date]):
    select = "SELECT * FROM {table} WHERE authority = :a AND as_at IN :d"
    params = {"a": authority, "d": list(as_at_dates)}
    with engine.connect() as conn:
        kept = {t: conn.execute(text(select.format(table=t)).bindparams(bindparam("d", expanding=True)), params).mappings().all()
                for t in KEPT_TABLES}
    try:
        yield
    except BaseException:
        with engine.begin() as conn:
            for table, rows in kept.items():
                conn.execute(text(f"DELETE FROM {table} WHERE authority = :a AND as_at IN :d").bindparams(bindparam("d", expanding=True)), params)
                insert_rows(conn, table, [dict(r) for r in rows])
        raise
