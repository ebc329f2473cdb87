"""Ofsted Annex A: an xlsx workbook (one sheet per list) or a folder of CSVs (one file per list).

Annex A is a snapshot taken on an extract date. The workbook has no reliable place for it, so it is read
from the file's name (`2025-03-31`, `31.03.2025`, or a month: `2025_Mar`, `Mar 2025` meaning its last day),
else from its folder's name, else from `ingest --extract-date`, else it is the latest date in any list.
Sheets are recognised by name ("List 3", "Referrals") or, failing that, by their headers; headers and
coded values are matched through `annex_a_vocabulary`. Anything read but not mapped is reported
(sheet, column, row) in ParsedExport.warnings; a missing list or required column rejects the file.

Where the rows go:
- lists 3 and 6 -> referral (list 6's CIN start date is the referral date; its closure fills the same row);
- list 4 -> assessment, list 5 -> section47_enquiry, list 7 -> cp_plan, list 10 -> adoption; an
  assessment or enquiry takes the child's latest referral on or before it from lists 3 and 6;
- "last/latest" columns (lists 4, 6-10) -> annex_a_latest, one value per child, list and measure
  (the row with the latest start date wins; the rows it supersedes are reported);
- Allocated Team/Worker -> allocation, as a point observation (start = end = extract date). It never
  overrides a recorded allocation history covering that day, whichever is loaded first
  (`keep_recorded_allocations`, `settle_snapshot_allocations`).
"""

from __future__ import annotations

import calendar
import csv
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import Connection, text

from .annex_a_vocabulary import BLANK, CENSUS_CODES, DATE_FORMATS, LISTS, NOT_STORED, STORED_LISTS, VALUES, Field, ListSpec, normalise
from .cin_census import schema_codes
from .errors import ExportError, quoted
from .model import ParsedExport

HEADER_SEARCH_ROWS = 10  # title rows above the header are common
EXCEL_EPOCH = date(1899, 12, 30)
MONTHS = {name.lower(): number for number in range(1, 13)
          for name in (calendar.month_abbr[number], calendar.month_name[number], "Sept" if number == 9 else calendar.month_abbr[number])}
DATES_IN_NAMES = (  # (pattern, (year, month, day) groups); a month alone means its last day
    (re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"), (1, 2, 3)),
    (re.compile(r"(?<!\d)(\d{2})\.(\d{2})\.(\d{4})(?!\d)"), (3, 2, 1)),
    (re.compile(r"(?<!\d)(\d{4})[ _.-]?([A-Za-z]{3,9})(?![A-Za-z])"), (1, 2, None)),
    (re.compile(r"(?<![A-Za-z])([A-Za-z]{3,9})[ _.-]?(\d{4})(?!\d)"), (2, 1, None)),
)
ENUMERATOR = re.compile(r"^\s*\(?([a-z]|\d{1,2})\s*[).:\-\u2013]\s*", re.IGNORECASE)  # "a) ", "1 - ", "(b) "
LEADING_CODE = re.compile(r"^\s*([A-Za-z0-9]+)(?=\s*[:\-\u2013]|\s|$)")  # "U6: Foster placement" -> U6

# Snapshot measures per list: (field giving the row's date, used to pick the latest row per child; measures)
SNAPSHOT_MEASURES: dict[int, tuple[str | None, tuple[tuple[str, str], ...]]] = {
    4: ("assessment_start", (("child_seen", "child_seen_during_assessment"),)),
    6: ("cin_start", (("last_seen", "last_seen"),)),
    7: ("plan_start", (("last_statutory_visit", "last_statutory_visit"), ("latest_review_conference", "latest_review_conference"),
                       ("seen_alone", "seen_alone"))),
    8: ("date_started_looked_after", tuple((m, m) for m in (
        "date_started_looked_after", "latest_statutory_review", "last_social_work_visit", "last_iro_contact",
        "last_health_assessment", "last_dental_check", "start_most_recent_placement", "date_ceased_looked_after",
        "legal_status", "placement_type", "placements_last_12_months")) + (
        ("return_interview", "return_interview_offered"), ("return_interview_accepted", "return_interview_accepted"))),
    9: (None, tuple((m, m) for m in ("latest_pathway_plan_review", "latest_contact", "in_touch", "accommodation", "suitability",
                                     "activity"))),
    10: ("entered_care", (("entered_care", "date_entered_care"),)),
}
ANCHORS = {3: "referral_date", 4: "assessment_start", 5: "strategy_discussion_date", 6: "cin_start", 7: "plan_start",
           8: "date_started_looked_after", 9: None, 10: "entered_care"}


def is_annex_a_folder(path: Path) -> bool:
    """A landing subfolder named annex_a* (e.g. annex_a_999_2025-03-31/) holds one CSV per list."""
    return path.is_dir() and normalise(path.name).startswith("annex a")


@dataclass
class Sheet:
    name: str
    rows: list[tuple]  # cell values; rows[0] is row 1


@dataclass
class Record:
    list_number: int
    ref: str  # "sheet <name>, row <n>"
    values: dict


class _Unmapped(ValueError):
    pass


# --- reading ---------------------------------------------------------------------------------------


def _read_workbook(path: Path) -> list[Sheet]:
    try:
        workbook = load_workbook(path, data_only=True, read_only=True)  # streamed; the zip was checked by ingest.limits
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise ExportError(path.name, "whole file", f"not a readable .xlsx workbook ({error})") from None
    try:
        return [Sheet(ws.title, list(ws.iter_rows(values_only=True))) for ws in workbook.worksheets]
    finally:
        workbook.close()


def _read_folder(path: Path) -> tuple[list[Sheet], list[str]]:
    sheets, ignored = [], []
    for file in sorted(p for p in path.iterdir() if not p.name.startswith(".")):
        if file.suffix.lower() != ".csv":
            ignored.append(f"{file.name}: not a .csv file: ignored")
            continue
        try:
            with file.open(encoding="utf-8-sig", newline="") as handle:
                sheets.append(Sheet(file.name, [tuple(row) for row in csv.reader(handle)]))
        except UnicodeDecodeError as error:
            raise ExportError(f"{path.name}/{file.name}", "whole file", f"not UTF-8 text ({error.reason}); export it as UTF-8 CSV") from None
    return sheets, ignored


def date_in(name: str) -> date | None:
    """The first date a name gives: 2025-03-31, 31.03.2025, or a month (2025_Mar, Mar 2025, March-2025) meaning its last day.
    A date from a month is a `MonthEnd`, so the loaded line can say it was inferred."""
    for pattern, (year, month, day) in DATES_IN_NAMES:
        for found in pattern.finditer(name):
            month_number = MONTHS.get(found.group(month).lower()) if day is None else int(found.group(month))
            if not month_number:
                continue
            try:
                if day is None:
                    return MonthEnd(int(found.group(year)), month_number, calendar.monthrange(int(found.group(year)), month_number)[1])
                return date(int(found.group(year)), month_number, int(found.group(day)))
            except ValueError:
                continue
    return None


class MonthEnd(date):
    """The last day of a month a name gives without a day."""


def extract_date(path: Path, given: date | None, records: dict[int, list[Record]]) -> tuple[date, str | None]:
    """The extract date and how it was told: None when the name gives the day, else the month's end, the folder,
    `--extract-date` or the content."""
    if (named := date_in(path.name)) is not None:
        return date(named.year, named.month, named.day), (f"extract date {named.isoformat()}, the end of the month in its name"
                                                          if isinstance(named, MonthEnd) else None)
    if (in_folder := date_in(path.parent.name)) is not None:
        return date(in_folder.year, in_folder.month, in_folder.day), f"extract date {in_folder.isoformat()} from folder {path.parent.name}"
    if given is not None:
        return given, f"extract date {given.isoformat()} from --extract-date"
    dates = [value for rows in records.values() for record in rows for value in record.values.values() if isinstance(value, date)]
    if dates:
        return max(dates), f"extract date {max(dates).isoformat()}, the latest date in its lists"
    raise ExportError(path.name, "file name", "cannot tell the extract date: put it in the file or folder name (2025-03-31, 31.03.2025, "
                                              "2025_Mar or Mar 2025) or run `ingest --extract-date 2025-03-31`")


# --- recognising lists and headers ---------------------------------------------------------------


def _header_index(spec: ListSpec) -> dict[str, Field]:
    index: dict[str, Field] = {}
    for field in spec.fields:
        for header in (field.name, *field.headers):
            index.setdefault(normalise(header), field)
    return index


HEADER_INDEX = {number: _header_index(spec) for number, spec in LISTS.items()}
COMMON_FIELDS = {"child_id", "sex", "ethnicity", "birth_date", "age", "disability", "uasc", "allocated_team", "allocated_worker"}


def match_header(number: int, header: str) -> str | None:
    """The field a header names in a list, or None."""
    field = HEADER_INDEX[number].get(normalise(header))
    return field.name if field else None


def _list_from_name(name: str) -> int | None:
    normal = normalise(Path(name).stem if name.lower().endswith(".csv") else name)
    numbered = re.search(r"(?:^| )list ?(\d{1,2})(?: |$)", normal)
    if numbered and int(numbered.group(1)) in LISTS:
        return int(numbered.group(1))
    titled = [n for n, spec in LISTS.items() for title in spec.sheet_names if normal == title or normal.endswith(" " + title)]
    return titled[0] if len(titled) == 1 else None


def _score(number: int, row: tuple) -> tuple[int, bool]:
    """How many of a list's own (not common) fields a row names, and whether its required fields are all there."""
    found = {HEADER_INDEX[number].get(normalise(cell)) for cell in row if cell is not None and str(cell).strip()}
    names = {f.name for f in found if f}
    return len(names - COMMON_FIELDS), all(f.name in names for f in LISTS[number].required)


def _identify(sheet: Sheet) -> tuple[int, int] | None:
    """(list number, header row index): by sheet name, else by the list whose own headers the sheet names best."""
    top = sheet.rows[:HEADER_SEARCH_ROWS]
    named = _list_from_name(sheet.name)
    candidates = [named] if named else list(LISTS)
    best = max(((*_score(n, row), -i, n) for n in candidates for i, row in enumerate(top)), default=None)
    if best is None or (named is None and (best[0] == 0 or not best[1])):
        return None
    own, _, row, number = best
    return number, -row


def _cell(sheet: Sheet, column: int, row: int, header: str) -> str:
    return f"sheet {sheet.name}, column {get_column_letter(column + 1)} '{header}', row {row}"


def _map_headers(file_name: str, sheet: Sheet, number: int, header_row: int, warnings: list[str]) -> dict[int, Field]:
    spec, columns, seen = LISTS[number], {}, {}
    for position, cell in enumerate(sheet.rows[header_row]):
        if cell is None or not str(cell).strip():
            continue
        field = HEADER_INDEX[number].get(normalise(cell))
        where = f"sheet {sheet.name}, column {get_column_letter(position + 1)}, row {header_row + 1}"
        if field is None:
            warnings.append(f"{where}: header '{cell}' not recognised for List {number} ({spec.title}): column ignored")
        elif field.name in seen:
            warnings.append(f"{where}: header '{cell}' repeats '{seen[field.name]}' ({field.name}): column ignored")
        else:
            columns[position], seen[field.name] = field, cell
    for field in spec.required:
        if field.name not in seen:
            raise ExportError(file_name, f"sheet {sheet.name}, row {header_row + 1}",
                              f"List {number} ({spec.title}) has no column for '{field.headers[0]}' "
                              f"(accepted headers: {', '.join(field.headers)})")
    return columns


# --- values ----------------------------------------------------------------------------------------


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and normalise(value) in BLANK)


def read_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return EXCEL_EPOCH + timedelta(days=int(value))  # a date cell stored as its serial number
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(str(value).strip(), fmt).date()
        except ValueError:
            continue
    raise _Unmapped("is not a date (dd/mm/yyyy, yyyy-mm-dd or an Excel date)")


VALUE_INDEX = {kind: {normalise(s): canonical for canonical, spellings in codes.items() for s in spellings}
               for kind, codes in VALUES.items()}


def _spellings(value) -> tuple[str, ...]:
    """Whole value; without an enumerator ('a) Male', '1 - Yes'); the code leading that ('f) U6: Foster placement' -> U6);
    the value's own first word ('C2 - Full care order', '4 - Housing')."""
    raw = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    stripped = ENUMERATOR.sub("", raw)
    leading = [found.group(1) for text in (stripped, raw) if (found := LEADING_CODE.match(text))]
    return (raw, stripped, *leading, raw.strip().split(" ")[0])


def census_code(kind: str, value) -> str:
    """A CIN census code as Ofsted's template writes it ('a) WBRI', 'j) 3D: Health services') reduced to the code;
    a value holding no known code is kept as written (validation reports codes outside the year's list)."""
    codes = schema_codes(CENSUS_CODES[kind])
    return next((attempt.strip().upper() for attempt in _spellings(value) if attempt.strip().upper() in codes), str(value).strip())


def match_value(kind: str, value) -> object:
    """The canonical value of the first spelling (see _spellings) the vocabulary knows."""
    index = VALUE_INDEX[kind]
    for attempt in _spellings(value):
        if normalise(attempt) in index:
            return index[normalise(attempt)]
    raise _Unmapped(f"is not recognised as {kind} (accepted: {', '.join(spellings[0] for spellings in VALUES[kind].values())})")


def _convert(field: Field, value):
    if field.kind == "date":
        return read_date(value)
    if field.kind == "int":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _Unmapped("is not a whole number") from None
        if not number.is_integer():
            raise _Unmapped("is not a whole number")
        return int(number)
    if field.kind in VALUE_INDEX:
        return match_value(field.kind, value)
    if field.kind in CENSUS_CODES:
        return census_code(field.kind, value)
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()


def _records(sheet: Sheet, number: int, header_row: int, columns: dict[int, Field], warnings: list[str]) -> list[Record]:
    header = sheet.rows[header_row]
    records = []
    for offset, row in enumerate(sheet.rows[header_row + 1:], start=header_row + 2):
        if all(_is_blank(v) for v in row):
            continue
        values = {}
        for position, field in columns.items():
            raw = row[position] if position < len(row) else None
            if _is_blank(raw):
                values[field.name] = None
                continue
            try:
                values[field.name] = _convert(field, raw)
            except _Unmapped as problem:
                values[field.name] = None
                warnings.append(f"{_cell(sheet, position, offset, header[position])}: the value {quoted(raw)} {problem}")
        missing = [f.headers[0] for f in LISTS[number].required if values.get(f.name) is None]
        if missing:
            warnings.append(f"sheet {sheet.name}, row {offset}: no {' / '.join(missing)}: row not loaded")
            continue
        records.append(Record(number, f"sheet {sheet.name}, row {offset}", values))
    return records


# --- from records to warehouse rows ------------------------------------------------------------------


def _latest_per_child(records: list[Record], anchor: str | None, warnings: list[str]) -> dict[str, Record]:
    """One row per child for snapshot values: the latest by its start date, later rows winning ties; the rest reported."""
    ordered = sorted(enumerate(records), key=lambda pair: (pair[1].values.get(anchor) or date.min if anchor else date.min, pair[0]))
    chosen: dict[str, Record] = {}
    for _, record in ordered:
        chosen[record.values["child_id"]] = record
    for record in records:
        kept = chosen[record.values["child_id"]]
        if kept is not record:
            warnings.append(f"{record.ref}: the same child has a later row ({kept.ref.split(', ')[-1]}): "
                            f"its last/latest values are kept from that row only")
    return chosen


def _snapshot_rows(by_list: dict[int, list[Record]], base: dict, warnings: list[str]) -> list[dict]:
    rows = []
    for number, (anchor, measures) in SNAPSHOT_MEASURES.items():
        kinds = {f.name: f.kind for f in LISTS[number].fields}
        for child_id, record in _latest_per_child(by_list.get(number, []), anchor, warnings).items():
            for field, measure in (m for m in measures if m[0] in record.values):  # only columns the sheet has
                value = record.values[field]
                is_date = kinds[field] == "date"
                shown = {True: "Y", False: "N"}.get(value, value) if isinstance(value, bool) else value
                rows.append({**base, "list_number": number, "child_id": child_id, "measure": measure,
                             "value_date": value if is_date else None,
                             "value_text": None if is_date or shown is None else str(shown), "source_ref": record.ref})
    return rows


def _referrals(by_list: dict[int, list[Record]], base: dict) -> dict[tuple[str, date], dict]:
    referrals: dict[tuple[str, date], dict] = {}
    sources = [(3, "referral_date", {"referral_source": "referral_source", "referral_nfa": "referral_nfa"}),
               (6, "cin_start", {"primary_need": "primary_need", "closure_date": "cin_closure", "closure_reason": "closure_reason"})]
    for number, date_field, columns in sources:
        for record in by_list.get(number, []):
            key = (record.values["child_id"], record.values[date_field])
            row = referrals.setdefault(key, {
                **base, "child_id": key[0], "referral_date": key[1], "referral_source": None, "primary_need": None,
                "closure_date": None, "closure_reason": None, "referral_nfa": None, "source_ref": None})
            for target, source in columns.items():
                if row[target] is None:
                    row[target] = record.values.get(source)
            row["source_ref"] = record.ref if row["source_ref"] is None else f"{row['source_ref']}; {record.ref}"
    return referrals


def _with_referral(records: list[Record], start_field: str, referral_dates: dict[str, list[date]], warnings: list[str]):
    """Assessments and enquiries carry no referral date in Annex A: the child's latest referral on or before them."""
    for record in records:
        start = record.values[start_field]
        earlier = [d for d in referral_dates.get(record.values["child_id"], []) if d <= start]
        if not earlier:
            warnings.append(f"{record.ref}: the child has no referral on or before this row's start date "
                            f"in Lists 3 or 6: row not loaded")
            continue
        yield record, max(earlier)


def _children(by_list: dict[int, list[Record]], base: dict) -> list[dict]:
    children: dict[str, dict] = {}
    for number in STORED_LISTS:
        for record in by_list.get(number, []):
            row = children.setdefault(record.values["child_id"], {
                **base, "child_id": record.values["child_id"], "birth_date": None, "sex": None, "ethnicity": None,
                "death_date": None, "source_ref": record.ref})
            for column in ("birth_date", "sex", "ethnicity"):
                if row[column] is None:
                    row[column] = record.values.get(column)
    return list(children.values())


def _allocations(by_list: dict[int, list[Record]], base: dict, extract: date, warnings: list[str]) -> list[dict]:
    """The team and worker each child had on the extract date, from the row with the latest start date."""
    candidates = [((ANCHORS[n] and r.values.get(ANCHORS[n])) or date.min, i, r) for n in ANCHORS for i, r in enumerate(by_list.get(n, []))]
    chosen: dict[str, Record] = {}
    for _, _, record in sorted(candidates, key=lambda c: (c[0], c[1])):
        team, worker = record.values.get("allocated_team"), record.values.get("allocated_worker")
        if team and worker:
            chosen[record.values["child_id"]] = record
        elif team or worker:
            warnings.append(f"{record.ref}: allocated team or worker is blank: no allocation recorded from this row")
    return [{**base, "child_id": child_id, "start_date": extract, "end_date": extract, "team": r.values["allocated_team"],
             "worker": r.values["allocated_worker"], "source_ref": r.ref} for child_id, r in chosen.items()]


def _tables(by_list: dict[int, list[Record]], authority: str, extract: date, warnings: list[str]) -> dict[str, pd.DataFrame]:
    base = {"authority": authority}
    census = {**base, "collection_year": None}
    referrals = _referrals(by_list, census)
    referral_dates: dict[str, list[date]] = {}
    for child_id, referral_date in referrals:
        referral_dates.setdefault(child_id, []).append(referral_date)
    assessments = [{**census, "child_id": r.values["child_id"], "referral_date": referral, "start_date": r.values["assessment_start"],
                    "authorisation_date": r.values.get("assessment_authorised"), "source_ref": r.ref}
                   for r, referral in _with_referral(by_list.get(4, []), "assessment_start", referral_dates, warnings)]
    enquiries = [{**census, "child_id": r.values["child_id"], "referral_date": referral,
                  "strategy_discussion_date": r.values["strategy_discussion_date"], "icpc_target_date": None,
                  "icpc_date": r.values.get("icpc_date"), "icpc_not_required": bool(r.values.get("icpc_not_required")),
                  "source_ref": r.ref}
                 for r, referral in _with_referral(by_list.get(5, []), "strategy_discussion_date", referral_dates, warnings)]
    plans = [{**census, "child_id": r.values["child_id"], "start_date": r.values["plan_start"], "end_date": r.values.get("plan_end"),
              "initial_category": r.values.get("initial_category"), "latest_category": r.values.get("latest_category"),
              "previous_plans": r.values.get("previous_plans"), "source_ref": r.ref} for r in by_list.get(7, [])]
    adoption_columns = ("decision_date", "placement_order_date", "match_date", "placed_date", "adoption_order_date", "decision_reversed_date")
    adoptions = [{**base, "child_id": r.values["child_id"], **{c: r.values.get(c) for c in adoption_columns}, "source_ref": r.ref}
                 for r in by_list.get(10, [])]
    tables = {
        "child": _children(by_list, base),
        "referral": list(referrals.values()),
        "assessment": assessments,
        "section47_enquiry": enquiries,
        "cp_plan": plans,
        "adoption": adoptions,
        "annex_a_latest": _snapshot_rows(by_list, {**base, "extract_date": extract}, warnings),
        "allocation": _allocations(by_list, base, extract, warnings),
    }
    return {name: pd.DataFrame(rows) for name, rows in tables.items()}


def parse_annex_a(path: Path, authority: str, given_date: date | None = None) -> ParsedExport:
    """`given_date` is `ingest --extract-date`, used when neither the name nor the folder gives the date."""
    warnings: list[str] = []
    if path.is_dir():
        sheets, ignored = _read_folder(path)
        warnings += ignored
        container = "folder"
    else:
        sheets, container = _read_workbook(path), "workbook"
    found: dict[int, Sheet] = {}
    by_list: dict[int, list[Record]] = {}
    for sheet in sheets:
        identified = _identify(sheet)
        if identified is None:
            warnings.append(f"sheet {sheet.name}: not recognised as an Annex A list (no list number or title in its name, "
                            f"no list's headers in its first {HEADER_SEARCH_ROWS} rows): ignored")
            continue
        number, header_row = identified
        if number in found:
            raise ExportError(path.name, f"sheet {sheet.name}", f"a second sheet for List {number} ({LISTS[number].title}); "
                                                                f"the first is '{found[number].name}'")
        found[number] = sheet
        columns = _map_headers(path.name, sheet, number, header_row, warnings)
        by_list[number] = _records(sheet, number, header_row, columns, warnings)
        if number not in STORED_LISTS:
            warnings.append(f"sheet {sheet.name}: List {number} ({LISTS[number].title}), {len(by_list[number])} rows: read, not stored")
    missing = [n for n in STORED_LISTS if n not in found]
    if missing:
        raise ExportError(path.name, container, "no sheet for " + ", ".join(f"List {n} ({LISTS[n].title})" for n in missing)
                          + f"; found: {', '.join(s.name for s in sheets) or 'nothing'}")
    extract, how = extract_date(path, given_date, by_list)
    return ParsedExport("annex_a", authority, None, extract, _tables(by_list, authority, extract, warnings), warnings,
                        notes=[how] if how else [])


# --- allocations: a snapshot never overrides a recorded history -------------------------------------

ANNEX_A_FILES = "SELECT sha256 FROM load_file WHERE kind = 'annex_a'"
COVERED = """EXISTS (SELECT 1 FROM allocation t WHERE t.authority = {p}.authority AND t.child_id = {p}.child_id
                    AND t.start_date <= {p}.start_date AND (t.end_date IS NULL OR t.end_date >= {p}.start_date)
                    AND t.source_file NOT IN (""" + ANNEX_A_FILES + "))"


def keep_recorded_allocations(conn: Connection, parsed: ParsedExport) -> ParsedExport:
    """Before an Annex A loads: drop its allocation for a child whose recorded history already covers the extract date."""
    frame = parsed.tables.get("allocation")
    if parsed.kind != "annex_a" or frame is None or frame.empty:
        return parsed
    covered = {row[0] for row in conn.execute(text(
        "SELECT t.child_id FROM allocation t WHERE t.authority = :a AND t.start_date <= :d AND (t.end_date IS NULL OR t.end_date >= :d)"
        " AND t.source_file NOT IN (" + ANNEX_A_FILES + ")"), {"d": parsed.reference_date, "a": parsed.authority})}
    parsed.tables["allocation"] = frame[~frame["child_id"].isin(covered)]
    return parsed


def settle_snapshot_allocations(conn: Connection) -> None:
    """After any load: an Annex A allocation yields to a recorded allocation that covers its extract date."""
    conn.execute(text("DELETE FROM allocation p WHERE p.source_file IN (" + ANNEX_A_FILES + ") AND " + COVERED.format(p="p")))
