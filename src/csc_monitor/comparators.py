"""England and statistical-neighbour figures, from DfE tidy CSVs and from a small file of quoted figures.

DfE files: columns time_period, geographic_level, old_la_code, new_la_code, la_name, then measures,
in any order; `c` (and other non-numbers) mark suppressed values; some start with a byte-order mark.
Which DfE column is which indicator, and who an authority's statistical neighbours are, is set in
config/comparators.yml. The statistical-neighbour figure is the mean of the neighbours' published values.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import yaml
from sqlalchemy import Engine, text

from .config import project_dir
from .warehouse import insert_rows

DFE_KEY_COLUMNS = {"time_period", "geographic_level", "old_la_code", "new_la_code", "la_name"}


def comparator_config() -> dict:
    path = project_dir() / "config" / "comparators.yml"
    return yaml.safe_load(path.read_text()) if path.exists() else {}


def period_end(time_period: str) -> date:
    """202324 (the 2023-24 year) -> 2024-03-31; 2024 -> 2024-03-31 (a 31 March snapshot)."""
    value = str(time_period).strip()
    year = int(value[:4]) + 1 if len(value) == 6 else int(value[:4])
    return date(year, 3, 31)


def _replace(engine: Engine, rows: list[dict]) -> int:
    with engine.begin() as conn:
        for row in rows:
            conn.execute(text("DELETE FROM comparator_value WHERE indicator_id = :indicator_id AND geography = :geography "
                              "AND period_end = :period_end"), row)
        insert_rows(conn, "comparator_value", rows)
    return len(rows)


def load_dfe_tidy_csv(engine: Engine, path: Path, authority: str) -> int:
    """England and statistical-neighbour values for every mapped measure in a DfE tidy CSV; returns rows stored."""
    config = comparator_config()
    measures: dict[str, str] = config.get("dfe_measures") or {}
    neighbours = {str(code) for code in (config.get("statistical_neighbours") or {}).get(str(authority), [])}
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [c.strip().lower() for c in frame.columns]
    missing = DFE_KEY_COLUMNS - set(frame.columns)
    if missing:
        raise ValueError(f"{path.name}: not a DfE tidy file (missing {', '.join(sorted(missing))})")
    rows = []
    for column, indicator_id in measures.items():
        if column not in frame.columns:
            continue
        values = pd.to_numeric(frame[column].str.strip(), errors="coerce")  # 'c', 'x', 'z', '' -> suppressed
        for time_period, group in frame.assign(value=values).groupby("time_period"):
            national = group[group["geographic_level"].str.lower() == "national"]["value"].dropna()
            local = group[group["new_la_code"].isin(neighbours) | group["old_la_code"].isin(neighbours)]["value"].dropna()
            for geography, series in (("england", national), ("statistical_neighbours", local)):
                if len(series):
                    rows.append({"indicator_id": indicator_id, "geography": geography,
                                 "period_end": period_end(time_period), "value": round(float(series.mean()), 1)})
    return _replace(engine, rows)


def load_quoted_figures(engine: Engine, path: Path) -> int:
    """A hand-kept CSV (indicator_id, geography, period_end, value, source) of figures quoted in reports."""
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    rows = [{"indicator_id": r.indicator_id, "geography": r.geography, "period_end": date.fromisoformat(r.period_end),
             "value": float(r.value)} for r in frame.itertuples()]
    return _replace(engine, rows)


def latest_comparators(engine: Engine, as_at: date) -> dict[str, dict[str, float]]:
    """indicator_id -> {geography: value} from the latest period ending on or before the as-at date."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT c.indicator_id, c.geography, c.value FROM comparator_value c "
            "JOIN (SELECT indicator_id, geography, MAX(period_end) AS period_end FROM comparator_value "
            "      WHERE period_end <= :d GROUP BY indicator_id, geography) latest "
            "  ON latest.indicator_id = c.indicator_id AND latest.geography = c.geography AND latest.period_end = c.period_end"
        ), {"d": as_at}).all()
    found: dict[str, dict[str, float]] = {}
    for indicator_id, geography, value in rows:
        found.setdefault(indicator_id, {})[geography] = value
    return found
