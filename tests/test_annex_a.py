"""Ofsted Annex A: tolerant matching, every unmapped header and value reported, and the same facts as the CIN census."""

import csv
import shutil
import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from csc_monitor.config import load_settings
from csc_monitor.generate import build_authority, write_cin_census
from csc_monitor.generate_annex_a import write_annex_a
from csc_monitor.ingest.annex_a import match_header, match_value, read_date
from csc_monitor.ingest.annex_a_vocabulary import LISTS, normalise
from csc_monitor.ingest.errors import ExportError
from csc_monitor.ingest.landing import ingest_landing, parse_export
from csc_monitor.warehouse import ensure_schema, make_engine

FIXTURES = Path(__file__).parent / "fixtures" / "annex_a"
FOLDER = FIXTURES / "annex_a_999_2025-03-31"
AS_AT = date(2025, 3, 31)


def _table(name: str) -> list[dict]:
    with (FIXTURES / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("row", _table("header_variants.csv"), ids=lambda r: f"{r['list']}:{r['header']}")
def test_header_variants_map_to_their_field(row):
    assert match_header(int(row["list"]), row["header"]) == (row["field"] or None)


@pytest.mark.parametrize("row", _table("value_variants.csv"), ids=lambda r: f"{r['kind']}:{r['value']}")
def test_value_variants_map_to_their_code(row):
    read = read_date if row["kind"] == "date" else lambda v: match_value(row["kind"], v)
    if not row["expected"]:
        with pytest.raises(ValueError):
            read(row["value"])
        return
    expected = {"True": True, "False": False}.get(row["expected"], row["expected"])
    result = read(row["value"])
    assert (result.isoformat() if isinstance(result, date) else result) == expected


def test_fixtures_cover_at_least_20_variants_each():
    assert len(_table("header_variants.csv")) >= 20 and len(_table("value_variants.csv")) >= 20


def test_no_header_names_two_fields_of_one_list():
    for spec in LISTS.values():
        seen = {}
        for field in spec.fields:
            for header in field.headers:
                assert seen.setdefault(normalise(header), field.name) == field.name, (spec.number, header)


def _rows(engine, sql: str, **params):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params).all()]


EXPECTED_WARNINGS = [
    "notes.txt: not a .csv file: ignored",
    "sheet list_3_referrals.csv, column L, row 1: header 'Comments' not recognised for List 3 (Referrals): column ignored",
    "sheet list_3_referrals.csv, column B 'Gender', row 4: 'X' not recognised as sex (accepted: M, F, U)",
    "sheet list_3_referrals.csv, column F 'Date of referral', row 4: '31/02/2025' is not a date (dd/mm/yyyy, yyyy-mm-dd or an Excel date)",
    "sheet list_3_referrals.csv, row 4: no Date of referral: row not loaded",
    "sheet list_4_assessments.csv, column E 'Child Seen During Assessment', row 3: 'maybe' not recognised as yes_no (accepted: Y, N)",
    "sheet list_8_cla.csv, column D 'Child's Legal Status', row 3: 'ZZ' not recognised as legal_status "
    "(accepted: C1, C2, D1, E1, J1, J2, J3, L1, L2, L3, V2, V3, V4)",
    "sheet list_8_cla.csv, column J 'Number of Placements in the Last 12 months', row 3: 'one' is not a whole number",
    "sheet list_8_cla.csv, column M 'Placement Type', row 3: 'Q9' not recognised as placement_type (accepted: A3, A4, A5, A6, H5, "
    "K1, K2, P1, P2, P3, R1, R2, R3, R5, S1, T0, T1, T2, T3, T4, U1, U2, U3, U4, U5, U6, Z1)",
    "sheet list_9_care_leavers.csv, column F 'LA in Touch', row 3: 'Lost contact' not recognised as in_touch "
    "(accepted: YES, NO, DIED, REFU, NREQ, RHOM)",
    "sheet list_4_assessments.csv, row 4: child C9 has no referral on or before 2025-01-15 in Lists 3 or 6: row not loaded",
    "sheet list_5_s47.csv, row 3: allocated team or worker is blank: no allocation recorded from this row",
]


def test_a_folder_of_csvs_loads_and_reports_every_unmapped_header_and_value(settings, engine):
    shutil.copytree(FOLDER, settings.landing_dir / FOLDER.name)
    report = ingest_landing(engine, settings)
    assert report.loaded == [FOLDER.name] and report.rejected == []
    assert report.warnings == [f"{FOLDER.name}: {w}" for w in EXPECTED_WARNINGS]
    assert [line for line in report.lines() if line.startswith("WARNING")][0] == f"WARNING    {FOLDER.name}: notes.txt: not a .csv file: ignored"
    assert _rows(engine, "SELECT child_id, referral_date, referral_source, primary_need, closure_date, closure_reason, referral_nfa, source_ref "
                         "FROM referral ORDER BY 1") == [
        ("C1", date(2025, 1, 3), "1A", "N1", None, None, False, "sheet list_3_referrals.csv, row 2; sheet list_6_cin.csv, row 2"),
        ("C2", date(2025, 2, 10), "2A", "N2", date(2025, 3, 15), "RC8", False, "sheet list_3_referrals.csv, row 3; sheet list_6_cin.csv, row 3"),
    ]
    assert _rows(engine, "SELECT child_id, referral_date, strategy_discussion_date, icpc_date, icpc_not_required FROM section47_enquiry ORDER BY 1") == [
        ("C1", date(2025, 1, 3), date(2025, 1, 8), date(2025, 1, 29), False), ("C2", date(2025, 2, 10), date(2025, 2, 14), None, True)]
    assert _rows(engine, "SELECT child_id, start_date, authorisation_date FROM assessment ORDER BY 1") == [
        ("C1", date(2025, 1, 6), date(2025, 2, 20)), ("C2", date(2025, 2, 12), None)]
    assert _rows(engine, "SELECT child_id, start_date, end_date, previous_plans FROM cp_plan") == [("C1", date(2025, 1, 29), None, 0)]
    assert _rows(engine, "SELECT child_id, decision_date, placement_order_date, adoption_order_date FROM adoption") == [
        ("A1", date(2023, 9, 5), date(2024, 1, 10), date(2025, 1, 15))]
    latest = {(r[0], r[1], r[2]): (r[3], r[4]) for r in _rows(
        engine, "SELECT list_number, child_id, measure, value_date, value_text FROM annex_a_latest WHERE extract_date = DATE '2025-03-31'")}
    assert len(latest) == 3 + 2 + 3 + 2 * 11 + 2 * 6 + 1
    assert latest[(7, "C1", "last_statutory_visit")] == (date(2025, 3, 25), None)
    assert latest[(7, "C1", "seen_alone")] == (None, "Y")
    assert latest[(8, "L1", "legal_status")] == (None, "C2")
    assert latest[(8, "L2", "legal_status")] == (None, None)          # 'ZZ' reported above, not stored
    assert latest[(9, "CL1", "in_touch")] == (None, "YES")
    assert latest[(6, "C2", "last_seen")] == (None, None)             # 'N/A' is blank
    assert _rows(engine, "SELECT child_id, team, worker, start_date, end_date FROM allocation ORDER BY 1") == [
        ("C1", "Child Protection East", "Eve Morris", AS_AT, AS_AT), ("C2", "Assessment South", "Ben Lewis", AS_AT, AS_AT),
        ("L1", "Children in Care", "Ivy Reed", AS_AT, AS_AT), ("L2", "Children in Care", "Ivy Reed", AS_AT, AS_AT)]


def _workbook_from_folder(path: Path, skip: str | None = None) -> None:
    """The fixture folder as an xlsx, one sheet per CSV, with dates as Excel date cells."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for file in sorted(FOLDER.glob("*.csv")):
        if file.stem == skip:
            continue
        sheet = workbook.create_sheet(file.stem)
        with file.open(newline="") as handle:
            for row in csv.reader(handle):
                sheet.append([_as_date(v) for v in row])
    workbook.save(path)


def _as_date(value: str):
    try:
        return read_date(value) if "/" in value else value
    except ValueError:
        return value


def test_a_workbook_gives_the_same_rows_as_the_folder(tmp_path):
    _workbook_from_folder(tmp_path / "annex_a_999_2025-03-31.xlsx")
    from_workbook = parse_export(tmp_path / "annex_a_999_2025-03-31.xlsx", "999")
    from_folder = parse_export(FOLDER, "999")
    for table, frame in from_folder.tables.items():
        left = frame.drop(columns="source_ref").astype(str).to_dict("records")
        assert from_workbook.tables[table].drop(columns="source_ref").astype(str).to_dict("records") == left, table
    assert from_workbook.tables["cp_plan"]["source_ref"].tolist() == ["sheet list_7_cp, row 2"]


def test_a_workbook_missing_a_sheet_is_rejected_with_a_clear_message(settings, engine):
    settings.landing_dir.mkdir(parents=True)
    _workbook_from_folder(settings.landing_dir / "annex_a_999_2025-03-31.xlsx", skip="list_8_cla")
    report = ingest_landing(engine, settings)
    assert [str(e) for e in report.rejected] == [
        "annex_a_999_2025-03-31.xlsx: workbook: no sheet for List 8 (Children in care); found: list_10_adoption, list_3_referrals, "
        "list_4_assessments, list_5_s47, list_6_cin, list_7_cp, list_9_care_leavers"]


def test_a_missing_required_column_or_extract_date_is_rejected(tmp_path):
    folder = tmp_path / "annex_a_999_2025-03-31"
    shutil.copytree(FOLDER, folder)
    lines = (folder / "list_7_cp.csv").read_text().replace("CP Plan Start Date", "Plan Begins")
    (folder / "list_7_cp.csv").write_text(lines)
    with pytest.raises(ExportError) as error:
        parse_export(folder, "999")
    assert str(error.value) == ("annex_a_999_2025-03-31: sheet list_7_cp.csv, row 1: List 7 (Child protection) has no column for "
                                "'Child Protection Plan Start Date' (accepted headers: Child Protection Plan Start Date, "
                                "CP Plan Start Date, Plan Start Date, CPP Start Date)")
    undated = tmp_path / "annex_a_latest"
    shutil.copytree(FOLDER, undated)
    with pytest.raises(ExportError, match="cannot tell the extract date"):
        parse_export(undated, "999")


def test_a_snapshot_allocation_never_overrides_a_recorded_history(settings, engine):
    settings.landing_dir.mkdir(parents=True)
    (settings.landing_dir / "a_allocations.csv").write_text("child_id,team,worker,start_date,end_date\nC1,Child Protection West,Gus Taylor,2025-03-31,\n")
    assert ingest_landing(engine, settings).rejected == []
    shutil.copytree(FOLDER, settings.landing_dir / FOLDER.name)
    assert ingest_landing(engine, settings).rejected == []
    assert _rows(engine, "SELECT child_id, team, end_date FROM allocation WHERE child_id IN ('C1', 'C2') ORDER BY 1") == [
        ("C1", "Child Protection West", None), ("C2", "Assessment South", AS_AT)]
    # loaded the other way round: the recorded allocation arrives after the snapshot and wins
    (settings.landing_dir / "b_allocations.csv").write_text("child_id,team,worker,start_date,end_date\nC2,Assessment North,Asha Khan,2025-02-10,\n")
    assert ingest_landing(engine, settings).rejected == []
    assert _rows(engine, "SELECT child_id, team, end_date FROM allocation WHERE child_id IN ('C1', 'C2') ORDER BY 1") == [
        ("C1", "Child Protection West", None), ("C2", "Assessment North", None)]


# --- the same authority through the CIN census and through Annex A ---------------------------------------

@pytest.fixture
def second_warehouse(warehouse_url, tmp_path):
    """A second empty warehouse of the same kind (DuckDB file or PostgreSQL schema)."""
    if warehouse_url.startswith("duckdb"):
        url = f"duckdb:///{tmp_path / 'annex_a.duckdb'}"
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        database = warehouse_url.split("?")[0]
        admin = sa.create_engine(database)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        url = f"{database}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    ensure_schema(engine)
    yield url, engine
    engine.dispose()
    if not warehouse_url.startswith("duckdb"):
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


FACTS = {
    "referral": "SELECT child_id, referral_date, referral_source, primary_need, closure_date, closure_reason, referral_nfa FROM referral",
    "assessment": "SELECT child_id, referral_date, start_date, authorisation_date FROM assessment",
    "section47_enquiry": "SELECT child_id, referral_date, strategy_discussion_date, icpc_date, icpc_not_required FROM section47_enquiry",
    "cp_plan": "SELECT child_id, start_date, end_date, initial_category, latest_category, previous_plans FROM cp_plan",
    "child": "SELECT child_id, birth_date, sex, ethnicity FROM child",
}


def test_census_and_annex_a_of_one_authority_give_the_same_facts(settings, engine, second_warehouse, tmp_path):
    authority = build_authority(120, seed=7, reference_date=AS_AT)
    settings.landing_dir.mkdir(parents=True)
    write_cin_census(authority, settings.landing_dir / "cin_census_999_2025.xml")
    assert ingest_landing(engine, settings).rejected == []

    url, annex_engine = second_warehouse
    annex_settings = load_settings(warehouse_url=url, data_dir=tmp_path / "annex_data", landing_dir=tmp_path / "annex_landing",
                                   slack_token=None, slack_base_url=None, authority="999")
    # the census history: 18 months of referrals, and long-running ones (for plans of 2 years) up to 42 months back
    write_annex_a(authority, annex_settings.landing_dir / "annex_a_999_2025-03-31.xlsx", AS_AT, months=42, seed=3)
    report = ingest_landing(annex_engine, annex_settings)
    assert report.rejected == [] and report.warnings == []
    for table, sql in FACTS.items():
        census, annex = sorted(_rows(engine, sql)), sorted(_rows(annex_engine, sql))
        assert census == annex, table
        assert len(census) > 0, table
    held_icpcs = sum(1 for c in authority.children for e in c.episode.enquiries if e.icpc_date and e.icpc_date <= AS_AT)
    assert _rows(annex_engine, "SELECT COUNT(*) FROM section47_enquiry WHERE icpc_date IS NOT NULL") == [(held_icpcs,)]


def test_the_writer_keeps_to_the_period_before_the_extract_date(tmp_path):
    authority = build_authority(120, seed=7, reference_date=AS_AT)
    path = tmp_path / "annex_a_999_2025-03-31.xlsx"
    write_annex_a(authority, path, AS_AT)   # six months: 30 September 2024 excluded, 31 March 2025 included
    parsed = parse_export(path, "999")
    s47 = sorted((c.child_id, e.strategy_discussion_date) for c in authority.children for e in c.episode.enquiries
                 if date(2024, 9, 30) < e.strategy_discussion_date <= AS_AT)
    assert sorted(zip(parsed.tables["section47_enquiry"]["child_id"], parsed.tables["section47_enquiry"]["strategy_discussion_date"])) == s47
    referrals = parsed.tables["referral"]
    in_period = referrals[referrals["referral_date"] > date(2024, 9, 30)]
    assert sorted(zip(in_period["child_id"], in_period["referral_date"])) == sorted(
        (c.child_id, c.episode.referral_date) for c in authority.children if c.episode.referral_date > date(2024, 9, 30))
    assert parsed.warnings == []


def test_903_and_annex_a_list_8_agree_on_when_children_started_to_be_looked_after(settings, engine, second_warehouse, tmp_path):
    """The 903 episodes (periods of care) and Annex A list 8 of the same authority give the same start dates."""
    from csc_monitor.generate_la import build_looked_after, write_ssda903

    facts = build_looked_after(seed=5, code="999", reference_date=AS_AT, children=60)
    settings.landing_dir.mkdir(parents=True)
    write_ssda903(facts, settings.landing_dir, "999", AS_AT.year)
    assert ingest_landing(engine, settings).rejected == []
    from_903 = _rows(engine, "SELECT child_id, start_date FROM v_care_period WHERE start_date <= :d AND (end_date IS NULL OR end_date > :d)", d=AS_AT)

    url, annex_engine = second_warehouse
    annex_settings = load_settings(warehouse_url=url, data_dir=tmp_path / "annex_data", landing_dir=tmp_path / "annex_landing",
                                   slack_token=None, slack_base_url=None, authority="999")
    authority = build_authority(10, seed=7, reference_date=AS_AT)
    write_annex_a(authority, annex_settings.landing_dir / "annex_a_999_2025-03-31.xlsx", AS_AT, seed=4, looked_after=facts)
    assert ingest_landing(annex_engine, annex_settings).rejected == []
    from_annex_a = _rows(annex_engine, "SELECT child_id, value_date FROM annex_a_latest WHERE list_number = 8 AND measure = 'date_started_looked_after'")
    assert sorted(from_annex_a) == sorted(from_903) and len(from_903) > 10
