"""CSV files described as data: which columns, of which type, into which warehouse table.

The SSDA903 tables and csc-monitor's own event-level contract are both read through this
module, so every CSV gets the same checks and the same error wording (file, row, column, rule).
Parsing is column-wise (pandas), so a large export is not read row by row in Python.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import ExportError, quoted

TRUE_VALUES = {"Y": True, "YES": True, "1": True, "TRUE": True, "N": False, "NO": False, "0": False, "FALSE": False}


@dataclass(frozen=True)
class Column:
    name: str                      # column in the file
    target: str                    # column in the warehouse table
    kind: str = "text"             # text | date | datetime | bool | int
    required: bool = False
    codes: frozenset[str] | None = None  # allowed values (upper-cased), if a code list applies


@dataclass(frozen=True)
class CsvTable:
    kind: str                      # e.g. ssda903_episodes, events_visits
    table: str                     # warehouse table
    columns: tuple[Column, ...]
    date_format: str = "%Y-%m-%d"
    constants: dict = field(default_factory=dict)  # extra columns with fixed values

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def read_header(path: Path) -> tuple[str, ...]:
    with path.open(encoding="utf-8-sig") as handle:
        first = handle.readline()
    return tuple(c.strip() for c in first.strip().split(","))


def _check_field_counts(path: Path, expected: int) -> None:
    """pandas pads a short row silently; a truncated export must be named, not half-loaded."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.reader(handle), start=1):
            if row and len(row) != expected:
                raise ExportError(path.name, f"row {line}", f"has {len(row)} of {expected} fields: the file is truncated or the row is broken")


def _fail(path: Path, frame: pd.DataFrame, bad: pd.Series, column: Column, rule: str) -> None:
    position = int(bad.to_numpy().nonzero()[0][0])
    value = frame[column.name].iloc[position]
    raise ExportError(path.name, f"row {position + 2}, column {column.name}", rule.format(value=quoted(value)))


def _date_rule(date_format: str) -> str:
    shown = date_format.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy").replace("%H", "hh").replace("%M", "mm")
    return "the value {value} is not a date in " + shown + " form"


def parse_csv(path: Path, spec: CsvTable, authority: str) -> pd.DataFrame:
    """Read and type-check one CSV against its spec; raises ExportError at the first bad value."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ExportError(path.name, "whole file", f"not UTF-8 text ({error.reason} at byte {error.start}); export it as UTF-8 CSV") from None
    except pd.errors.ParserError as error:
        raise ExportError(path.name, "whole file", f"not a well-formed CSV: {error}") from None
    frame.columns = [c.strip() for c in frame.columns]
    if tuple(frame.columns) != spec.header:
        raise ExportError(path.name, "header (line 1)", f"expected columns {', '.join(spec.header)}; found "
                          f"{', '.join(c if c in spec.header else '?' for c in frame.columns)} (? not an expected column)")
    _check_field_counts(path, len(spec.header))
    out = pd.DataFrame(index=frame.index)
    for column in spec.columns:
        raw = frame[column.name].str.strip()
        blank = raw == ""
        if column.required and blank.any():
            _fail(path, frame, blank, column, "required value is blank")
        if column.kind in ("date", "datetime"):
            fmt = spec.date_format if column.kind == "date" else "%Y-%m-%d %H:%M"
            parsed = pd.to_datetime(raw.where(~blank), format=fmt, errors="coerce")
            if (parsed.isna() & ~blank).any():
                _fail(path, frame, parsed.isna() & ~blank, column, _date_rule(fmt))
            out[column.target] = parsed.dt.date if column.kind == "date" else parsed.dt.to_pydatetime()
            out[column.target] = out[column.target].where(~blank, None)
        elif column.kind == "bool":
            mapped = raw.str.upper().map(TRUE_VALUES)
            if (mapped.isna() & ~blank).any():
                _fail(path, frame, mapped.isna() & ~blank, column, "the value {value} is not Y or N")
            out[column.target] = mapped.astype(object).where(~blank, None)
        elif column.kind == "int":
            numbers = pd.to_numeric(raw.where(~blank), errors="coerce")
            if (numbers.isna() & ~blank).any():
                _fail(path, frame, numbers.isna() & ~blank, column, "the value {value} is not a whole number")
            out[column.target] = numbers.astype(object).where(~blank, None).map(lambda v: None if v is None else int(v))
        else:
            out[column.target] = raw.where(~blank, None)
        if column.codes is not None:
            unknown = ~blank & ~raw.str.upper().isin(column.codes)
            if unknown.any():
                _fail(path, frame, unknown, column, "the value {value} is not a known code (" + ", ".join(sorted(column.codes)) + ")")
    out.insert(0, "authority", authority)
    for name, value in spec.constants.items():
        out[name] = value
    out["source_ref"] = [f"row {n + 2}" for n in range(len(out))]
    return out
