"""SSDA903 (looked-after children return) CSVs, one per table, each recognised by its exact columns.

Dates are dd/mm/yyyy. Codes change by year (SEX is 1/2 before 2025 and M/F/U from 2025; SWEpisodes
exists from 2023/24), so each file needs its collection year: from its name (`..._2025...` or `2024-25`),
else from its folder's name (`2017-18/`, `903_2024/`), else `ingest --collection-year`, else from its
content (the collection year, 1 April to 31 March, holding its latest event date). A file with none of
these is refused, naming the ways to say it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from .cin_census import read_xml
from .csv_contract import Column, CsvTable, check_rows, parse_csv, read_header, recognise as recognise_table
from .errors import ExportError
from .model import ParsedExport

DMY = "%d/%m/%Y"
RNE = frozenset({"S", "L", "P", "T", "B", "U"})
LEGAL_STATUS = frozenset({"C1", "C2", "D1", "E1", "V2", "V3", "V4", "J1", "J2", "J3", "L1", "L2", "L3"})
IN_TOUCH = frozenset({"YES", "NO", "DIED", "REFU", "NREQ", "RHOM"})
SEX_BY_ERA = {"numeric": frozenset({"1", "2"}), "letters": frozenset({"M", "F", "U"})}
FIRST_LETTER_SEX_YEAR = 2025
FIRST_SW_EPISODES_YEAR = 2024


def _child(extra: tuple[Column, ...]) -> tuple[Column, ...]:
    return (Column("CHILD", "child_id", required=True), Column("DOB", "birth_date", "date", required=True), *extra)


def tables(year: int) -> tuple[CsvTable, ...]:
    """The 903 tables of one collection year, with that year's code lists."""
    sex = SEX_BY_ERA["letters" if year >= FIRST_LETTER_SEX_YEAR else "numeric"]
    specs = [
        CsvTable("ssda903_header", "child", (
            Column("CHILD", "child_id", required=True), Column("SEX", "sex", required=True, codes=sex),
            Column("DOB", "birth_date", "date", required=True), Column("ETHNIC", "ethnicity"), Column("UPN", "upn"),
            Column("MOTHER", "mother"), Column("MC_DOB", "mother_child_birth_date", "date"),
        ), DMY),
        CsvTable("ssda903_episodes", "care_episode", (
            Column("CHILD", "child_id", required=True), Column("DECOM", "start_date", "date", required=True),
            Column("RNE", "reason_new_episode", required=True, codes=RNE),
            Column("LS", "legal_status", required=True, codes=LEGAL_STATUS), Column("CIN", "cin_code"),
            Column("PLACE", "placement_type", required=True), Column("PLACE_PROVIDER", "placement_provider"),
            Column("DEC", "end_date", "date"), Column("REC", "reason_ceased"), Column("REASON_PLACE_CHANGE", "reason_place_change"),
            Column("HOME_POST", "home_postcode"), Column("PL_POST", "placement_postcode"), Column("URN", "urn"),
        ), DMY, {"collection_year": year}),
        CsvTable("ssda903_reviews", "la_review", _child((
            Column("REVIEW", "review_date", "date", required=True), Column("REVIEW_CODE", "review_code"),
        )), DMY),
        CsvTable("ssda903_uasc", "uasc", (
            Column("CHILD", "child_id", required=True), Column("SEX", "sex", codes=sex),
            Column("DOB", "birth_date", "date", required=True), Column("DUC", "uasc_ceased", "date"),
        ), DMY),
        CsvTable("ssda903_oc2", "la_outcome", _child((
            Column("SDQ_SCORE", "sdq_score", "int"), Column("SDQ_REASON", "sdq_reason"), Column("CONVICTED", "convicted", "bool"),
            Column("HEALTH_CHECK", "health_check", "bool"), Column("IMMUNISATIONS", "immunisations", "bool"),
            Column("TEETH_CHECK", "teeth_check", "bool"), Column("HEALTH_ASSESSMENT", "health_assessment", "bool"),
            Column("SUBSTANCE_MISUSE", "substance_misuse", "bool"), Column("INTERVENTION_RECEIVED", "intervention_received", "bool"),
            Column("INTERVENTION_OFFERED", "intervention_offered", "bool"),
        )), DMY, {"collection_year": year}),
        CsvTable("ssda903_oc3", "care_leaver_status", _child((
            Column("IN_TOUCH", "in_touch", codes=IN_TOUCH), Column("ACTIV", "activity"), Column("ACCOM", "accommodation"),
        )), DMY, {"collection_year": year}),
        CsvTable("ssda903_ad1", "adoption", _child((
            Column("DATE_INT", "decision_date", "date"), Column("DATE_MATCH", "match_date", "date"),
            Column("FOSTER_CARE", "adopted_by_foster_carer", "bool"), Column("NB_ADOPTR", "number_of_adopters", "int"),
            Column("SEX_ADOPTR", "sex_of_adopters"), Column("LS_ADOPTR", "legal_status_of_adopters"),
        )), DMY),
        CsvTable("ssda903_placed_adoption", "adoption", _child((  # DATE_PLACED is the decision date (DfE rules 184, 522, 559);
            Column("DATE_PLACED", "decision_date", "date"),         # the date placed comes from the A3-A6 episode Column("DATE_PLACED_CEASED", "placed_ceased_date", "date"),
            Column("REASON_PLACED_CEASED", "reason_placed_ceased"),
        )), DMY),
        CsvTable("ssda903_prev_perm", "previous_permanence", _child((
            Column("PREV_PERM", "previous_permanence"), Column("LA_PERM", "la_code"), Column("DATE_PERM", "permanence_date"),
        )), DMY),
        CsvTable("ssda903_missing", "missing_episode", _child((
            Column("MISSING", "missing_type", required=True, codes=frozenset({"M", "A"})),
            Column("MIS_START", "start_date", "date", required=True), Column("MIS_END", "end_date", "date"),
        )), DMY),
    ]
    if year >= FIRST_SW_EPISODES_YEAR:
        specs.append(CsvTable("ssda903_sw_episodes", "social_worker_episode", _child((
            Column("SW_ID", "worker_id", required=True), Column("SW_DECOM", "start_date", "date", required=True),
            Column("SW_DEC", "end_date", "date"), Column("SW_REASON", "reason"),
        )), DMY))
    return tuple(specs)


# the dates that place a table's file in its collection year: events, not births or planned dates
EVENT_DATES = {"ssda903_episodes": ("DECOM", "DEC"), "ssda903_reviews": ("REVIEW",), "ssda903_missing": ("MIS_START", "MIS_END"),
               "ssda903_sw_episodes": ("SW_DECOM", "SW_DEC"), "ssda903_ad1": ("DATE_INT", "DATE_MATCH"),
               "ssda903_placed_adoption": ("DATE_PLACED", "DATE_PLACED_CEASED")}
NEWER_TABLES = {"DoLo": ("CHILD", "DOLO_START", "DOLO_END")}  # DfE 903 tables csc-monitor does not use yet
CANNOT_TELL = ("cannot tell the collection year: put it in the file name (header_2025.csv or SSDA903_2024-25_Header.csv), "
               "or in its folder's name (2024-25/ or 903_2025/), or run `ingest --collection-year 2025`")


def year_in(name: str) -> int | None:
    """2024-25 -> 2025; otherwise the first 20xx in the name."""
    span = re.search(r"(20\d\d)[-_](\d\d)(?!\d)", name)
    if span and (int(span.group(2)) - int(span.group(1)[2:])) % 100 == 1:
        return int(span.group(1)[:2] + span.group(2))
    single = re.search(r"(?<!\d)(20\d\d)(?!\d)", name)
    return int(single.group(1)) if single else None


def collection_year(path: Path) -> tuple[int, str] | None:
    """The year from the file's name, else its folder's: (year, how it was told), or None."""
    if (year := year_in(path.name)) is not None:
        return year, "name"
    if (year := year_in(path.parent.name)) is not None:
        return year, f"year from folder {path.parent.name}"
    return None


def _year_holding(dates: list) -> int | None:
    """The collection year (1 April to 31 March) holding the latest of these dd/mm/yyyy dates; None if there are none."""
    parsed = pd.to_datetime(pd.Series(dates, dtype=object), format=DMY, errors="coerce").dropna()
    if parsed.empty:
        return None
    latest = parsed.max()
    return latest.year + 1 if latest.month >= 4 else latest.year


def _year_from_content(path: Path, spec: CsvTable) -> int | None:
    columns = EVENT_DATES.get(spec.kind)
    if not columns:
        return None
    frame = parse_csv(path, CsvTable(spec.kind, spec.table, tuple(Column(c, c) for c in columns), DMY), "")
    return _year_holding([value for c in columns for value in frame[c]])


def _told_year(path: Path, given_year: int | None, from_content) -> tuple[int, str]:
    """(year, how it was told): the name, else the folder, else --collection-year, else the content."""
    told = collection_year(path) or ((given_year, "year from --collection-year") if given_year else None)
    if told is None and (year := from_content()):
        told = (year, "year from its latest dates")
    if told is None:
        raise ExportError(path.name, "file name", CANNOT_TELL)
    return told


def _note(year: int, how: str) -> str:
    return f"903 {year - 1}/{str(year)[2:]}" + ("" if how == "name" else f", {how}")


def recognise(path: Path) -> CsvTable | None:
    """The 903 table whose exact columns this file has, for the year its name or folder gives (any year if none)."""
    told = collection_year(path)
    return recognise_table(read_header(path), tables(told[0] if told else FIRST_LETTER_SEX_YEAR))


def not_used_yet(path: Path, authority: str, header: tuple[str, ...]) -> ParsedExport | None:
    """A newer DfE 903 table (deprivation of liberty orders, DoLo): recorded and archived, nothing loaded."""
    held = {name.upper() for name in header}
    table = next((name for name, columns in NEWER_TABLES.items() if set(columns) <= held), None)
    if table is None:
        return None
    return ParsedExport(f"ssda903_{table.lower()}", authority, None, None, {},
                        notes=[f"903 {table} table, not used by csc-monitor yet: archived, nothing loaded"])


def parse_ssda903(path: Path, authority: str, given_year: int | None = None) -> ParsedExport:
    """`given_year` is `ingest --collection-year`: used when neither the name nor the folder says."""
    spec = recognise(path)
    year, how = _told_year(path, given_year, lambda: spec and _year_from_content(path, spec))
    spec = recognise_table(read_header(path), tables(year))
    if spec is None:
        raise ExportError(path.name, "header (line 1)", f"not a {year} SSDA903 table (SWEpisodes start in 2023/24)")
    warnings: list[str] = []
    frame = parse_csv(path, spec, authority, warnings)
    if spec.table == "child":
        frame = frame.assign(sex=frame["sex"].map({"1": "M", "2": "F"}).fillna(frame["sex"]))
    return ParsedExport(spec.kind, authority, year, None, {spec.table: frame}, warnings, [_note(year, how)])


# --- the 903 in DfE's XML form: <EXPSSDA903><CHILD><HEADER>...</HEADER><EPISODE>...</EPISODE></CHILD> --------------

XML_ROOT = "EXPSSDA903"
XML_NAMES = {"CHILDID": "CHILD", "PL": "PLACE"}  # the XML's element names that differ from the CSV columns
XML_GROUPS = {"AREVIEW": "ssda903_reviews", "AMISSING": "ssda903_missing", "OC2": "ssda903_oc2", "PERMANENCE": "ssda903_prev_perm",
              "AD_PLACED": "ssda903_placed_adoption", "SW_EPISODE": "ssda903_sw_episodes"}  # repeating groups inside HEADER


def _leaves(element) -> dict[str, str]:
    return {XML_NAMES.get(node.tag, node.tag): (node.text or "").strip() for node in element if len(node) == 0}


def _xml_rows(root) -> dict[str, list[tuple[dict, str]]]:
    """Each 903 table's rows (column -> text) with their place in the file, as the CSVs would hold them."""
    rows: dict[str, list[tuple[dict, str]]] = {}
    for index, child in enumerate(root.iterfind("CHILD"), start=1):
        header = child.find("HEADER")
        fields = _leaves(header) if header is not None else {}
        place = f"/{XML_ROOT}/CHILD[{index}]"
        line = f" (line {child.sourceline})"
        rows.setdefault("ssda903_header", []).append((fields, place + "/HEADER" + line))
        for kind, marker in (("ssda903_uasc", "DUC"), ("ssda903_oc3", "IN_TOUCH"), ("ssda903_ad1", "DATE_INT")):
            if fields.get(marker):
                rows.setdefault(kind, []).append((fields, place + "/HEADER" + line))
        counts: dict[str, int] = {}
        for group in (header if header is not None else []):
            if group.tag in XML_GROUPS:
                counts[group.tag] = counts.get(group.tag, 0) + 1
                rows.setdefault(XML_GROUPS[group.tag], []).append(
                    ({**fields, **_leaves(group)}, f"{place}/HEADER/{group.tag}[{counts[group.tag]}] (line {group.sourceline})"))
        for number, episode in enumerate(child.iterfind("EPISODE"), start=1):
            rows.setdefault("ssda903_episodes", []).append(
                ({**fields, **_leaves(episode)}, f"{place}/EPISODE[{number}] (line {episode.sourceline})"))
    return rows


def parse_ssda903_xml(path: Path, authority: str, given_year: int | None = None) -> ParsedExport:
    """Every table of a 903 XML export, checked exactly as its CSV would be (errors name the element)."""
    rows = _xml_rows(read_xml(path).getroot())
    event_dates = [fields.get(column, "") for kind, columns in EVENT_DATES.items() for fields, _ in rows.get(kind, []) for column in columns]
    year, how = _told_year(path, given_year, lambda: _year_holding([d for d in event_dates if d]))
    frames: dict[str, list[pd.DataFrame]] = {}
    warnings: list[str] = []
    for spec in tables(year):
        held = rows.get(spec.kind, [])
        if not held:
            continue
        body = [[fields.get(column, "") for column in spec.header] for fields, _ in held]
        frame = check_rows(path.name, spec, authority, list(spec.header), body, warnings, [place for _, place in held], "element")
        if spec.table == "child":
            frame = frame.assign(sex=frame["sex"].map({"1": "M", "2": "F"}).fillna(frame["sex"]))
        frames.setdefault(spec.table, []).append(frame)
    merged = {table: parts[0] if len(parts) == 1 else  # AD1 and PlacedAdoption fill one adoption row per child
              pd.concat(parts).groupby(["authority", "child_id"], as_index=False, sort=False).first()
              for table, parts in frames.items()}
    return ParsedExport("ssda903_xml", authority, year, None, merged, warnings, [_note(year, how)])

