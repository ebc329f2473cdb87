"""The published figures for one as-at date, as `csc-monitor results` and the demo's summary show them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from .comparators import latest_comparators
from .config import Settings
from .indicators.definitions import load_definitions
from .warehouse import reader

VALUE_UNITS = {"percentage": "%", "mean_elapsed": " days", "rate_per_10000": "/10k"}


def result_rows(settings: Settings, as_at: date, scope_type: str = "authority") -> list[dict]:
    """Figures for the authority (scope_type 'authority'), or every scope ('all'), with staleness and comparators."""
    engine = reader(settings.warehouse_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.indicator_id, r.version, r.scope_type, r.scope, r.numerator, r.denominator, r.value, r.overdue, r.method, r.run_id, "
                "s.stale_since FROM indicator_result r LEFT JOIN result_staleness s ON s.run_id = r.run_id AND s.as_at = r.as_at "
                "WHERE r.as_at = :d AND r.authority = :a AND (:t = 'all' OR r.scope_type = :t) "
                "ORDER BY r.indicator_id, r.scope_type, r.scope"
            ),
            {"d": as_at, "a": settings.authority, "t": scope_type},
        ).mappings().all()
    comparators = latest_comparators(engine, as_at)
    return [{**row, "value": None if row["value"] is None else round(row["value"], 1),
             "stale_since": row["stale_since"] and row["stale_since"].isoformat(timespec="minutes"),
             "comparator": comparators.get(row["indicator_id"], {})} for row in rows]


def formatted_value(row: dict, units: dict[str, str]) -> str:
    return "n/a" if row["value"] is None else f"{row['value']:.1f}{units.get(row['indicator_id'], '')}"


def value_units() -> dict[str, str]:
    return {d.id: VALUE_UNITS[d.aggregate] for d in load_definitions(include_retired=True)}


def results_table(rows: list[dict]) -> list[str]:
    units = value_units()
    lines = [f"{'indicator':<48} {'scope':<30} {'num':>6} {'den':>6} {'value':>12} {'overdue':>7} version"]
    for r in rows:
        stale = f"  STALE since {r['stale_since']} (a later run failed; these are the last good figures)" if r["stale_since"] else ""
        lines.append(f"{r['indicator_id']:<48} {r['scope_type'] + ':' + r['scope']:<30} {r['numerator']:>6} {r['denominator']:>6} "
                     f"{formatted_value(r, units):>12} {r['overdue']:>7} v{r['version']}{stale}")
    return lines
