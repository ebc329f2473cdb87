"""CSV files described as data: which columns, of which type, into which warehouse table.

The SSDA903 tables and csc-monitor's own event-level contract are both read through this
module, so every CSV gets the same checks and the same error wording (file, row, column, rule).
CSVs are read as people write them: RFC 4180 quoting, a BOM, CRLF line ends, trailing empty columns,
headers in any case, order or surrounding spaces. A table is known by having all its columns; extra
columns load with a warning naming them. Type checks are column-wise (pandas).
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


def _fold(name: str) -> str:
    return name.strip().casefold()


def _without_trailing_blanks(names: list[str]) -> list[str]:
    while names and not names[-1].strip():
        names = names[:-1]
    return names


def read_header(path: Path) -> tuple[str, ...]:
    """The header's column names (quotes removed, spaces trimmed), without trailing empty columns."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = next(csv.reader(handle), [])
    return tuple(c.strip() for c in _without_trailing_blanks(first))


def recognise(header: tuple[str, ...], specs) -> CsvTable | None:
    """The table whose columns the header holds, matched ignoring case; the largest such table, if only one is largest."""
    held = {_fold(name) for name in header}
    fits = [spec for spec in specs if {_fold(c.name) for c in spec.columns} <= held]
    widest = [spec for spec in fits if len(spec.columns) == max(len(s.columns) for s in fits)]
    return widest[0] if len(widest) == 1 else None


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows, each row cut to the header's width; a short row (a truncated export) is named, not half-loaded."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError as error:
        raise ExportError(path.name, "whole file", f"not UTF-8 text ({error.reason} at byte {error.start}); export it as UTF-8 CSV") from None
    except csv.Error as error:
        raise ExportError(path.name, "whole file", f"not a well-formed CSV: {error}") from None
    header = [c.strip() for c in _without_trailing_blanks(rows[0] if rows else [])]
    width = len(header)
    body = []
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) < width or any(value.strip() for value in row[width:]):
            raise ExportError(path.name, f"row {line}", f"has {len(row)} of {width} fields: the file is truncated or the row is broken")
        body.append(row[:width])
    return header, body


def _fail(file_name: str, frame: pd.DataFrame, bad: pd.Series, column: Column, rule: str, places: list[str], field: str) -> None:
    position = int(bad.to_numpy().nonzero()[0][0])
    value = frame[column.name].iloc[position]
    raise ExportError(file_name, f"{places[position]}, {field} {column.name}", rule.format(value=quoted(value)))


def _date_rule(date_format: str) -> str:
    shown = date_format.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy").replace("%H", "hh").replace("%M", "mm")
    return "the value {value} is not a date in " + shown + " form"


def parse_csv(path: Path, spec: CsvTable, authority: str, warnings: list[str] | None = None) -> pd.DataFrame:
    """Read and type-check one CSV against its spec; raises ExportError at the first bad value.
    Columns the spec does not know are named in `warnings` and not loaded."""
    header, body = _read_rows(path)
    return check_rows(path.name, spec, authority, header, body, warnings)


def check_rows(file_name: str, spec: CsvTable, authority: str, header: list[str], body: list[list[str]],
               warnings: list[str] | None = None, places: list[str] | None = None, field: str = "column") -> pd.DataFrame:
    """Type-check rows of text against a spec (a CSV's, or the 903 XML's read as CSV rows); `places` names each row
    (default: its CSV line) in errors and in source_ref."""
    places = places or [f"row {n + 2}" for n in range(len(body))]
    by_fold = {_fold(name): position for position, name in enumerate(header)}
    missing = [c.name for c in spec.columns if _fold(c.name) not in by_fold]
    if missing:
        raise ExportError(file_name, "header (line 1)", f"expected columns {', '.join(spec.header)}; found "
                          f"{', '.join(c if _fold(c) in {_fold(n) for n in spec.header} else '?' for c in header)} (? not an expected column)")
    known = {_fold(c.name) for c in spec.columns}
    extra = [name or f"(unnamed column {position + 1})" for position, name in enumerate(header) if _fold(name) not in known]
    if extra and warnings is not None:
        warnings.append(f"header (line 1): {len(extra)} column{'s' if len(extra) > 1 else ''} not used and not loaded: {', '.join(extra)}")
    frame = pd.DataFrame([[row[by_fold[_fold(c.name)]] for c in spec.columns] for row in body],
                         columns=list(spec.header), dtype=object) if body else pd.DataFrame(columns=list(spec.header), dtype=object)
    out = pd.DataFrame(index=frame.index)
    for column in spec.columns:
        raw = frame[column.name].str.strip()
        blank = raw == ""
        if column.required and blank.any():
            _fail(file_name, frame, blank, column, "required value is blank", places, field)
        if column.kind in ("date", "datetime"):
            fmt = spec.date_format if column.kind == "date" else "%Y-%m-%d %H:%M"
            parsed = pd.to_datetime(raw.where(~blank), format=fmt, errors="coerce")
            if (parsed.isna() & ~blank).any():
                _fail(file_name, frame, parsed.isna() & ~blank, column, _date_rule(fmt), places, field)
            out[column.target] = parsed.dt.date if column.kind == "date" else parsed.dt.to_pydatetime()
            out[column.target] = out[column.target].where(~blank, None)
        elif column.kind == "bool":
            mapped = raw.str.upper().map(TRUE_VALUES)
            if (mapped.isna() & ~blank).any():
                _fail(file_name, frame, mapped.isna() & ~blank, column, "the value {value} is not Y or N", places, field)
            out[column.target] = mapped.astype(object).where(~blank, None)
        elif column.kind == "int":
            numbers = pd.to_numeric(raw.where(~blank), errors="coerce")
            if (numbers.isna() & ~blank).any():
                _fail(file_name, frame, numbers.isna() & ~blank, column, "the value {value} is not a whole number", places, field)
            out[column.target] = numbers.astype(object).where(~blank, None).map(lambda v: None if v is None else int(v))
        else:
            out[column.target] = raw.where(~blank, None)
        if column.codes is not None:
            unknown = ~blank & ~raw.str.upper().isin(column.codes)
            if unknown.any():
                _fail(file_name, frame, unknown, column, "the value {value} is not a known code (" + ", ".join(sorted(column.codes)) + ")", places, field)
            out[column.target] = raw.str.upper().where(~blank, None)  # stored as the code list spells it: the SQL compares codes exactly
    out.insert(0, "authority", authority)
    for name, value in spec.constants.items():
        out[name] = value
    out["source_ref"] = places
    return out
