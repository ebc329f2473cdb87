"""Allocations extract (case-management CSV contract): child_id, team, worker, start_date, end_date.

Dates are ISO (yyyy-mm-dd); end_date is inclusive and blank while the allocation is open.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from .errors import ExportError
from .model import ParsedExport

COLUMNS = ["child_id", "team", "worker", "start_date", "end_date"]
REQUIRED = ["child_id", "team", "worker", "start_date"]


def _iso_date(file_name: str, line: int, column: str, value: str | None) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ExportError(file_name, f"row {line}, column {column}", f"'{value}' is not a date in yyyy-mm-dd form") from None


def parse_allocations(path: Path, authority: str) -> ParsedExport:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    if list(frame.columns) != COLUMNS:
        raise ExportError(path.name, "header (line 1)", f"expected columns {', '.join(COLUMNS)}; found {', '.join(frame.columns)}")
    rows = []
    for offset, record in enumerate(frame.to_dict("records")):
        line = offset + 2  # line 1 is the header
        for column in REQUIRED:
            if not record[column].strip():
                raise ExportError(path.name, f"row {line}, column {column}", "required value is blank")
        rows.append({
            "authority": authority,
            "child_id": record["child_id"].strip(),
            "team": record["team"].strip(),
            "worker": record["worker"].strip(),
            "start_date": _iso_date(path.name, line, "start_date", record["start_date"].strip()),
            "end_date": _iso_date(path.name, line, "end_date", record["end_date"].strip()),
            "source_ref": f"row {line}",
        })
    return ParsedExport("allocations", authority, None, None, {"allocation": pd.DataFrame(rows)})
