"""SSDA903 (looked-after children return) CSVs, one per table, each recognised by its exact columns.

Dates are dd/mm/yyyy. The collection year comes from the file name (`..._2025...` or `2024-25`),
because codes change by year: SEX is 1/2 before 2025 and M/F/U from 2025; SWEpisodes exists from
2023/24.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .csv_contract import Column, CsvTable, parse_csv, read_header
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
        CsvTable("ssda903_placed_adoption", "adoption", _child((
            Column("DATE_PLACED", "placed_date", "date"), Column("DATE_PLACED_CEASED", "placed_ceased_date", "date"),
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


def collection_year(path: Path) -> int | None:
    """2024-25 -> 2025; otherwise the first 20xx in the name."""
    span = re.search(r"(20\d\d)[-_](\d\d)(?!\d)", path.name)
    if span and (int(span.group(2)) - int(span.group(1)[2:])) % 100 == 1:
        return int(span.group(1)[:2] + span.group(2))
    single = re.search(r"(?<!\d)(20\d\d)(?!\d)", path.name)
    return int(single.group(1)) if single else None


def recognise(path: Path) -> CsvTable | None:
    """The 903 table whose exact columns this file has, for the year in its name (any year if none)."""
    header = read_header(path)
    year = collection_year(path) or FIRST_LETTER_SEX_YEAR
    return next((spec for spec in tables(year) if spec.header == header), None)


def parse_ssda903(path: Path, authority: str) -> ParsedExport:
    year = collection_year(path)
    if year is None:
        raise ExportError(path.name, "file name", "cannot tell the collection year: put it in the file name (e.g. episodes_2025.csv or 2024-25)")
    spec = next((s for s in tables(year) if s.header == read_header(path)), None)
    if spec is None:
        raise ExportError(path.name, "header (line 1)", f"not a {year} SSDA903 table (SWEpisodes start in 2023/24)")
    frame = parse_csv(path, spec, authority)
    if spec.table == "child":
        frame = frame.assign(sex=frame["sex"].map({"1": "M", "2": "F"}).fillna(frame["sex"]))
    return ParsedExport(spec.kind, authority, year, None, {spec.table: frame})

