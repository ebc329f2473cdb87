"""Compute indicators for one or many as-at dates in one set-based pass, then publish.

Each indicator's SQL reads the run's as-at dates from `run_as_at`, so a backfill of many dates is
one statement per indicator, not one per date. Units and figures for the run's dates replace any
earlier ones inside one transaction: a re-run never duplicates, and a failure publishes nothing.
Each indicator's SQL names the day that decides a unit's team (team_date); the allocation open on
that day gives its team and worker, joined once for every indicator by `unit_sql`.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Engine, text

from ..authority_config import indicator_parameters
from ..warehouse import insert_rows, read_sql_file
from .definitions import Definition

# The columns of a unit as stored in indicator_unit (besides indicator_id, version and run_id), in the order
# unit_sql returns them. An indicator's own SQL returns the same but for team and worker: in their place a
# team_date, the day whose allocation gives the unit's team and worker (sql/engine/unit_with_allocation.sql);
# and only an indicator whose YAML lists `schedules` returns a schedule (blank for the others).
UNIT_COLUMNS = (
    "authority", "as_at", "unit_key", "child_id", "start_date", "end_date", "elapsed", "status",
    "in_denominator", "met", "team", "worker", "source_file", "source_ref", "method", "schedule",
)
CHILD_DATES_PER_STATEMENT = 720_000  # bounds a statement's working memory in a backfill (see _insert_units)
RESULT_COLUMNS = (
    "indicator_id", "version", "authority", "as_at", "scope_type", "scope", "numerator", "denominator",
    "value", "overdue", "method", "run_id",
)


def register_run_dates(conn: Connection, run_id: str, as_at_dates: list[date]) -> None:
    """The dates a run computes; a no-op when they are already registered, so the mapped tasks of one Airflow run
    (pipeline.begin registers them first) never rewrite the same rows at once."""
    wanted = sorted(set(as_at_dates))
    registered = conn.execute(text("SELECT as_at FROM run_as_at WHERE run_id = :run_id ORDER BY as_at"), {"run_id": run_id}).scalars().all()
    if list(registered) == wanted:
        return
    conn.execute(text("DELETE FROM run_as_at WHERE run_id = :run_id"), {"run_id": run_id})
    insert_rows(conn, "run_as_at", [{"run_id": run_id, "as_at": d} for d in wanted])


def _replace_for_run_dates(conn: Connection, table: str, definition: Definition, authority: str, run_id: str) -> None:
    conn.execute(
        text(
            f"DELETE FROM {table} WHERE indicator_id = :indicator_id AND authority = :authority "
            "AND as_at IN (SELECT as_at FROM run_as_at WHERE run_id = :run_id)"
        ),
        {"indicator_id": definition.id, "authority": authority, "run_id": run_id},
    )


def unit_sql(definition: Definition) -> str:
    """The indicator's units, UNIT_COLUMNS in order: its SQL with team and worker joined from the allocation
    open on each unit's team_date. Whatever reads an indicator's units from its SQL goes through here."""
    schedule = "unit.schedule" if definition.schedules else "CAST(NULL AS VARCHAR)"
    return read_sql_file("sql/engine/unit_with_allocation.sql").replace("{schedule}", schedule).replace("{unit_sql}", definition.sql)


def _insert_units(conn: Connection, definition: Definition, params: dict, run_id: str) -> int:
    """Write the units of every date of the run, as many dates per statement as keep CHILD_DATES_PER_STATEMENT.

    One statement over 60 month-ends of a 60,000-child authority materialises every visit window of every child
    for every date at once (8 GB); 12 dates at a time (720,000 child-dates) take about a third of that in the same
    time. Smaller authorities keep one statement for all their dates: a statement has a fixed cost too.
    The indicator's SQL reads its dates from run_as_at under a key of its own (the run's id and the indicator's)."""
    dates = conn.execute(text("SELECT as_at FROM run_as_at WHERE run_id = :r ORDER BY as_at"), {"r": run_id}).scalars().all()
    children = conn.execute(text("SELECT COUNT(*) FROM child WHERE authority = :authority"), params).scalar_one()
    per_statement = max(1, CHILD_DATES_PER_STATEMENT // max(children, 1))
    key, columns, inserted = f"{run_id}#{definition.id}", ", ".join(UNIT_COLUMNS), 0
    for start in range(0, len(dates), per_statement):
        register_run_dates(conn, key, dates[start:start + per_statement])
        inserted += conn.execute(
            text(f"INSERT INTO indicator_unit (indicator_id, version, run_id, {columns}) "
                 f"SELECT :indicator_id, :version, :stored_run_id, {columns} FROM ({unit_sql(definition)}) unit"),
            {**params, "run_id": key, "stored_run_id": run_id, "indicator_id": definition.id, "version": definition.version},
        ).rowcount
    conn.execute(text("DELETE FROM run_as_at WHERE run_id = :r"), {"r": key})
    return inserted


def compute_indicator(conn: Connection, definition: Definition, authority: str, run_id: str) -> int:
    """Write the indicator's units and figures for every as-at date of the run; returns unit count."""
    parameters = indicator_parameters(authority, definition.id, definition.parameters)
    params = {**parameters, "run_id": run_id, "authority": authority}
    _replace_for_run_dates(conn, "indicator_unit", definition, authority, run_id)
    conn.execute(text("DELETE FROM indicator_unit WHERE run_id = :run_id AND indicator_id = :indicator_id"),
                 {"run_id": run_id, "indicator_id": definition.id})  # a re-used run id with fewer dates leaves none behind
    inserted = _insert_units(conn, definition, params, run_id)
    _replace_for_run_dates(conn, "indicator_result", definition, authority, run_id)
    figures = conn.execute(
        text(read_sql_file("sql/engine/publish_results.sql")),
        {"indicator_id": definition.id, "version": definition.version, "run_id": run_id,
         "aggregate": definition.aggregate, "population": parameters.get("population")},
    ).mappings().all()
    insert_rows(conn, "indicator_result", [dict(row) for row in figures])
    return inserted


def compute_all(engine: Engine, definitions: list[Definition], authority: str, run_id: str, as_at_dates: list[date]) -> None:
    with engine.begin() as conn:
        register_run_dates(conn, run_id, as_at_dates)
        for definition in definitions:
            compute_indicator(conn, definition, authority, run_id)
