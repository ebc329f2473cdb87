"""Real councils' exports, reproduced in small hand-written files (tests/fixtures/real_shapes/): each loads or is
refused exactly as docs/exports.md says, and the figures from what loaded match counts worked by hand."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from csc_monitor.dashboard.model import set_aside_texts
from csc_monitor.indicators.definitions import load_definitions
from csc_monitor.indicators.engine import compute_all
from csc_monitor.ingest.cin_census import CENSUS_TABLES
from csc_monitor.ingest.landing import ingest_landing
from csc_monitor.validation.quarantine import still_set_aside

SHAPES = Path(__file__).parent / "fixtures" / "real_shapes"
ICPC = "icpc_within_15_working_days"


def _land(settings, *names: str, folder: str = "") -> None:
    target = settings.landing_dir / folder
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(SHAPES / name, target / Path(name).name)


def _without_counts(lines: list[str]) -> list[str]:
    """Loaded lines without the snapshot counts they end with (tests/test_reexports.py checks those)."""
    return [re.sub(r": [^:]+: \+\d+ added, -\d+ removed, \d+ changed( \(replaces .*\))?$", "", line) for line in lines]


def _shape_lines(report) -> list[str]:
    return _without_counts(report.lines())


def _rows(engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


def _icpc_figure(engine, as_at: date, authority: str = "999") -> tuple[int, int]:
    compute_all(engine, load_definitions([ICPC]), authority, "shapes", [as_at])
    (row,) = _rows(engine, "SELECT numerator, denominator FROM indicator_result WHERE indicator_id = :i AND scope_type = 'authority'", i=ICPC)
    return row


# --- CIN census -------------------------------------------------------------------------------------------------

def test_pre_2024_census_with_true_false_flags_loads_against_the_nearest_schema(settings, engine):
    _land(settings, "cin_census_2022_true_false.xml")
    report = ingest_landing(engine, settings)
    assert _shape_lines(report) == ["loaded     cin_census_2022_true_false.xml (CIN census 2021/22)"]
    assert _rows(engine, "SELECT child_id, sex, icpc_not_required FROM section47_enquiry JOIN child USING (authority, child_id) ORDER BY 1") == [
        ("TF1", "M", False), ("TF2", "F", False), ("TF3", "M", True)]
    # TF1: strategy Mon 7 June 2021, ICPC 28 June = 15 working days (met); TF2: 6 Sept to 28 Sept = 16 (not met); TF3 not required
    assert _icpc_figure(engine, date(2022, 3, 31)) == (1, 2)


def test_a_2019_census_is_checked_against_the_nearest_schema_and_the_line_says_so(settings, engine):
    census = (SHAPES / "cin_census_2022_true_false.xml").read_text().replace("<Year>2022</Year>", "<Year>2019</Year>")
    settings.landing_dir.mkdir(parents=True)
    (settings.landing_dir / "cin_2019.xml").write_text(census)
    report = ingest_landing(engine, settings)
    assert _shape_lines(report) == ["loaded     cin_2019.xml (CIN census 2018/19; no 2019 schema: validated against 2020)"]
    assert _rows(engine, "SELECT notes FROM load_file") == [("CIN census 2018/19; no 2019 schema: validated against 2020",)]


def test_one_bad_code_sets_aside_that_child_and_an_optional_bad_element_only_itself(settings, engine):
    _land(settings, "cin_census_2024_one_bad_code.xml")
    report = ingest_landing(engine, settings)
    assert _shape_lines(report) == [
        "loaded     cin_census_2024_one_bad_code.xml (CIN census 2023/24; 1 of 3 children set aside; 1 element set aside)",
        "WARNING    cin_census_2024_one_bad_code.xml: line 47, /Message/Children/Child[2]/CINdetails/ReferralSource: "
        "value 'X9' not a code the 2024 schema allows (child set aside; 2024 schema)",
        "WARNING    cin_census_2024_one_bad_code.xml: line 69, /Message/Children/Child[3]/CINdetails/PrimaryNeedCode: "
        "value 'N99' not a code the 2024 schema allows (element set aside; 2024 schema)",
    ]
    assert _rows(engine, "SELECT child_id, primary_need FROM referral ORDER BY 1") == [("BC1", "N1"), ("BC3", None)]
    quarantined = _rows(engine, "SELECT run_id LIKE 'ingest__%', table_name, rule, source_ref, row_json FROM quarantine ORDER BY source_ref")
    assert [(q[0], q[1], q[2], q[3], json.loads(q[4])) for q in quarantined] == [
        (True, "child", "cin-census-2024-schema: not a code the 2024 schema allows", "/Message/Children/Child[2] (line 36)",
         {"authority": "999", "child_id": "BC2", "element": "Child", "tables": list(CENSUS_TABLES)}),
        (True, "child", "cin-census-2024-schema: not a code the 2024 schema allows", "/Message/Children/Child[3]/CINdetails/PrimaryNeedCode (line 69)",
         {"authority": "999", "child_id": "BC3", "element": "PrimaryNeedCode"}),
    ]
    with engine.connect() as conn:  # BC3's child row is in the figures without the element; BC2 and its records are left out
        set_aside = still_set_aside(conn, "999")
    assert set_aside == {(CENSUS_TABLES, "cin-census-2024-schema: not a code the 2024 schema allows"): 1}
    assert set_aside_texts(set_aside, load_definitions([ICPC])[0]) == [  # ICPC reads no child row, but BC2's enquiry is out too
        "1 record set aside by the data check “cin-census-2024-schema: not a code the 2024 schema allows” is left out of "
        "the figures until a corrected export arrives."]
    # BC1: Wed 7 June 2023 to 28 June = 15 working days (met); BC2 set aside; BC3's enquiry needs no ICPC
    assert _icpc_figure(engine, date(2024, 3, 31)) == (1, 1)


def test_strict_ingest_rejects_the_census_whole(settings, engine):
    _land(settings, "cin_census_2024_one_bad_code.xml")
    report = ingest_landing(engine, replace(settings, strict_ingest=True))
    assert [str(e) for e in report.rejected] == [
        "cin_census_2024_one_bad_code.xml: line 47 (/Message/Children/Child[2]/CINdetails/ReferralSource): "
        "not a code the 2024 schema allows (ingest --strict)"]
    assert _rows(engine, "SELECT COUNT(*) FROM child") == [(0,)]


def test_true_false_flags_in_a_2024_census_break_its_schema(settings, engine):
    census = (SHAPES / "cin_census_2022_true_false.xml").read_text().replace("<Year>2022</Year>", "<Year>2024</Year>")
    settings.landing_dir.mkdir(parents=True)
    (settings.landing_dir / "cin_2024_words.xml").write_text(census)
    report = ingest_landing(engine, settings)
    assert _shape_lines(report)[0] == "loaded     cin_2024_words.xml (CIN census 2023/24; 3 of 3 children set aside)"
    assert _shape_lines(report)[1] == ("WARNING    cin_2024_words.xml: line 31, /Message/Children/Child[1]/CINdetails/Section47/ICPCnotRequired: "
                                 "value (not quoted) not a code the 2024 schema allows (child set aside; 2024 schema)")


def test_stray_text_inside_an_element_is_ignored_and_the_rest_loads(settings, engine):
    _land(settings, "cin_census_2025_stray_text.xml")
    report = ingest_landing(engine, settings)
    assert _shape_lines(report) == [
        "loaded     cin_census_2025_stray_text.xml (CIN census 2024/25)",
        "WARNING    cin_census_2025_stray_text.xml: line 26, /Message/Children/Child[1]/CINdetails/Section47: "
        "text where the schema allows only elements (text ignored; 2025 schema)",
    ]
    assert _rows(engine, "SELECT child_id, strategy_discussion_date, icpc_date FROM section47_enquiry") == [
        ("ST1", date(2024, 6, 3), date(2024, 6, 21))]
    assert _rows(engine, "SELECT COUNT(*) FROM quarantine") == [(0,)]


@pytest.mark.parametrize("name,content,message", [
    ("broken.xml", "<?xml version='1.0'?>\n<Message>\n  <Header>\n</Message>\n",
     "broken.xml: line 4, column 11: not well-formed XML: Opening and ending tag mismatch: Header line 3 and Message"),
    ("report.xml", "<?xml version='1.0'?>\n<Report><Year>2024</Year></Report>\n",
     "report.xml: /Report (line 2): not a CIN census: expected Message/Header/CollectionDetails/Year"),
])
def test_not_well_formed_or_not_a_census_is_rejected(settings, engine, name, content, message):
    settings.landing_dir.mkdir(parents=True)
    (settings.landing_dir / name).write_text(content)
    assert [str(e) for e in ingest_landing(engine, settings).rejected] == [message]


def _census_of_200(bad_child: int) -> str:
    """200 children, each with one enquiry started Mon 6 Jan 2025: every 4th child's ICPC on 27 Jan (15 working days,
    met), the others' on 28 Jan (16, not met). One child's ReferralSource is not a code."""
    children = []
    for n in range(1, 201):
        icpc = "2025-01-27" if n % 4 == 0 else "2025-01-28"
        source = "Q7" if n == bad_child else "1A"
        children.append(
            f"<Child><ChildIdentifiers><LAchildID>K{n:03d}</LAchildID><PersonBirthDate>2014-05-05</PersonBirthDate><Sex>F</Sex>"
            f"</ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics><CINdetails>"
            f"<CINreferralDate>2025-01-02</CINreferralDate><ReferralSource>{source}</ReferralSource><Section47>"
            f"<S47ActualStartDate>2025-01-06</S47ActualStartDate><DateOfInitialCPC>{icpc}</DateOfInitialCPC>"
            f"<ICPCnotRequired>0</ICPCnotRequired></Section47><ReferralNFA>0</ReferralNFA></CINdetails></Child>\n")
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<Message><Header><CollectionDetails><Collection>CIN</Collection><Year>2025</Year>"
            "<ReferenceDate>2025-03-31</ReferenceDate></CollectionDetails><Source><LEA>999</LEA></Source></Header><Children>\n"
            + "".join(children) + "</Children></Message>\n")


def test_one_bad_child_among_200_loads_199_and_the_icpc_figure_is_theirs(settings, engine):
    settings.landing_dir.mkdir(parents=True)
    (settings.landing_dir / "cin_census_2025.xml").write_text(_census_of_200(bad_child=8))  # child 8 would have been met
    report = ingest_landing(engine, settings)
    assert _shape_lines(report)[0] == "loaded     cin_census_2025.xml (CIN census 2024/25; 1 of 200 children set aside)"
    assert _rows(engine, "SELECT COUNT(*), COUNT(DISTINCT child_id) FROM section47_enquiry") == [(199, 199)]
    assert _rows(engine, "SELECT COUNT(*) FROM child WHERE child_id = 'K008'") == [(0,)]
    # 50 of the 200 were met; K008 was one of them: 49 met of 199 held
    assert _icpc_figure(engine, date(2025, 3, 31)) == (49, 199)


# --- the collection year and extract date without renaming ------------------------------------------------------

def _land_tree(settings, folder: str) -> None:
    shutil.copytree(SHAPES / folder, settings.landing_dir, dirs_exist_ok=True)


def test_903_year_from_the_folder_else_from_the_latest_dates_else_refused_naming_the_ways(settings, engine):
    _land_tree(settings, "903")
    shutil.move(settings.landing_dir / "plain", settings.data_dir.parent / "plain")  # the plain files sit in the landing folder itself
    for file in (settings.data_dir.parent / "plain").iterdir():
        shutil.move(file, settings.landing_dir / file.name)
    report = ingest_landing(engine, settings)
    assert _shape_lines(report) == [
        "loaded     episodes.csv (903 2017/18, year from folder 2017-18)",
        "loaded     header.csv (903 2017/18, year from folder 2017-18)",
        "loaded     reviews.csv (903 2023/24, year from folder 903_2024)",
        "loaded     episodes_export.csv (903 2018/19, year from its latest dates)",
        "REJECTED   header_export.csv: file name: cannot tell the collection year: put it in the file name (header_2025.csv or "
        "SSDA903_2024-25_Header.csv), or in its folder's name (2024-25/ or 903_2025/), or run `ingest --collection-year 2025`",
    ]
    assert _rows(engine, "SELECT child_id, sex, birth_date FROM child ORDER BY 1") == [
        ("L1", "M", date(2010, 5, 4)), ("L2", "F", date(2012, 11, 11))]
    assert _rows(engine, "SELECT child_id, start_date, end_date, collection_year FROM care_episode ORDER BY 1, 2") == [
        ("L1", date(2017, 6, 1), None, 2018), ("L2", date(2017, 9, 15), date(2018, 2, 20), 2018),
        ("P1", date(2017, 4, 3), date(2018, 6, 30), 2019), ("P1", date(2018, 6, 30), date(2019, 3, 12), 2019)]
    assert _rows(engine, "SELECT file_name, collection_year, notes FROM load_file ORDER BY 1, 2") == [
        ("episodes.csv", 2018, "903 2017/18, year from folder 2017-18"),
        ("episodes_export.csv", 2019, "903 2018/19, year from its latest dates"),
        ("header.csv", 2018, "903 2017/18, year from folder 2017-18"),
        ("reviews.csv", 2024, "903 2023/24, year from folder 903_2024")]
    assert (settings.data_dir / "rejected" / "header_export.csv.error.txt").exists()


def test_903_year_from_the_command_line(settings, engine):
    _land(settings, "903/plain/header_export.csv")
    report = ingest_landing(engine, replace(settings, collection_year=2024))
    assert _shape_lines(report) == ["loaded     header_export.csv (903 2023/24, year from --collection-year)"]
    assert _rows(engine, "SELECT child_id, sex FROM child") == [("P1", "M")]


@pytest.mark.parametrize("name,expected", [
    ("annex_a_999_2025-03-31.xlsx", date(2025, 3, 31)),
    ("Annex_A_31.03.2024.xlsx", date(2024, 3, 31)),
    ("Annex_A_2024_Jan.xlsx", date(2024, 1, 31)),
    ("Annex A Jan 2024.xlsx", date(2024, 1, 31)),
    ("Annex_A_Feb_2024.xlsx", date(2024, 2, 29)),
    ("annex_a_2023_Sept", date(2023, 9, 30)),
    ("Annex_A.xlsx", None),
    ("Annex_A_2024.xlsx", None),
])
def test_extract_date_in_a_name(name, expected):
    from csc_monitor.ingest.annex_a import date_in

    assert date_in(name) == expected


ANNEX_A = Path(__file__).parent / "fixtures" / "annex_a" / "annex_a_999_2025-03-31"


def test_annex_a_named_by_month_or_in_a_dated_folder(settings, engine):
    from tests.test_annex_a import _workbook_from_folder

    shutil.copytree(ANNEX_A, settings.landing_dir / "Annex_A_2025_Mar")
    (settings.landing_dir / "2025-02-28").mkdir()
    _workbook_from_folder(settings.landing_dir / "2025-02-28" / "Annex_A.xlsx")
    report = ingest_landing(engine, settings)
    assert [line for line in _shape_lines(report) if not line.startswith("WARNING")] == [
        "loaded     Annex_A.xlsx (extract date 2025-02-28 from folder 2025-02-28)",
        "loaded     Annex_A_2025_Mar (extract date 2025-03-31, the end of the month in its name)",
    ]
    assert _rows(engine, "SELECT file_name, reference_date FROM load_file ORDER BY 1") == [
        ("Annex_A.xlsx", date(2025, 2, 28)), ("Annex_A_2025_Mar", date(2025, 3, 31))]


@pytest.mark.parametrize("given,line", [
    (None, "loaded     annex_a_latest (extract date 2025-03-25, the latest date in its lists)"),
    (date(2025, 3, 31), "loaded     annex_a_latest (extract date 2025-03-31 from --extract-date)"),
])
def test_annex_a_with_no_date_takes_the_command_line_else_its_latest_date(settings, engine, given, line):
    shutil.copytree(ANNEX_A, settings.landing_dir / "annex_a_latest")
    report = ingest_landing(engine, replace(settings, extract_date=given))
    assert [line for line in _shape_lines(report) if not line.startswith("WARNING")] == [line]


def test_annex_a_with_no_date_anywhere_is_refused_naming_the_ways(settings, engine):
    folder = settings.landing_dir / "annex_a_latest"
    shutil.copytree(ANNEX_A, folder)
    for file in folder.glob("*.csv"):
        file.write_text(file.read_text().splitlines()[0] + "\n")
    assert [str(e) for e in ingest_landing(engine, settings).rejected] == [
        "annex_a_latest: file name: cannot tell the extract date: put it in the file or folder name (2025-03-31, 31.03.2025, "
        "2025_Mar or Mar 2025) or run `ingest --extract-date 2025-03-31`"]


# --- CSV as people write it ---------------------------------------------------------------------------------------

def test_quoted_header_bom_crlf_mixed_case_and_trailing_empty_columns_load(settings, engine):
    _land(settings, "visits_quoted_bom_crlf.csv")
    assert _shape_lines(ingest_landing(engine, settings)) == ["loaded     visits_quoted_bom_crlf.csv"]
    assert _rows(engine, "SELECT child_id, visit_kind, visit_date, seen, seen_alone, worker FROM visit ORDER BY 1") == [
        ("V1", "CP", date(2025, 1, 14), True, True, "Morris, Eve"), ("V2", "CLA", date(2025, 1, 15), True, False, None)]


def test_extra_columns_load_with_a_warning_naming_them(settings, engine):
    _land(settings, "header_2025_extra_columns.csv")
    assert _shape_lines(ingest_landing(engine, settings)) == [
        "loaded     header_2025_extra_columns.csv (903 2024/25)",
        "WARNING    header_2025_extra_columns.csv: header (line 1): 2 columns not used and not loaded: LEGACY_ID, Notes"]
    assert _rows(engine, "SELECT child_id, sex, birth_date FROM child") == [("X1", "F", date(2013, 3, 3))]


def test_a_newer_dfe_table_is_archived_with_a_notice(settings, engine):
    _land(settings, "dolo_2025.csv")
    assert _shape_lines(ingest_landing(engine, settings)) == [
        "loaded     dolo_2025.csv (903 DoLo table, not used by csc-monitor yet: archived, nothing loaded)"]
    assert _rows(engine, "SELECT kind, row_count FROM load_file") == [("ssda903_dolo", 0)]
    assert [p.name[13:] for p in settings.archive_dir.iterdir()] == ["dolo_2025.csv"]


# --- repeated records inside one file -----------------------------------------------------------------------------

def test_repeats_collapse_or_keep_the_fullest_then_last_row_and_quarantine_the_rest(settings, engine):
    _land(settings, "header_2025_repeats.csv", "reviews_2025_repeats.csv")
    assert _shape_lines(ingest_landing(engine, settings)) == [
        "loaded     header_2025_repeats.csv (903 2024/25; 1 identical repeated row collapsed; 1 conflicting repeated row set aside)",
        "loaded     reviews_2025_repeats.csv (903 2024/25; 1 conflicting repeated row set aside)",
        "WARNING    header_2025_repeats.csv: row 5 and row 3: same child key (child_id) with different values: "
        "kept row 5 (most values filled, then last), set aside the other",
        "WARNING    reviews_2025_repeats.csv: row 3 and row 2: same la_review key (child_id, review_date) with different values: "
        "kept row 3 (most values filled, then last), set aside the other",
    ]
    assert _rows(engine, "SELECT child_id, birth_date FROM child ORDER BY 1") == [("R1", date(2014, 2, 1)), ("R2", date(2015, 5, 6))]
    assert _rows(engine, "SELECT child_id, review_date, review_code FROM la_review ORDER BY 2") == [
        ("R1", date(2024, 10, 10), "PN0"), ("R1", date(2025, 1, 2), "PN1")]
    quarantined = _rows(engine, "SELECT table_name, rule, source_ref, row_json FROM quarantine ORDER BY 1")
    assert [(q[0], q[1], q[2], json.loads(q[3])["birth_date" if q[0] == "child" else "review_code"]) for q in quarantined] == [
        ("child", "repeated key in one file: kept row 5", "row 3", "2015-06-05"),
        ("la_review", "repeated key in one file: kept row 3", "row 2", "PN1")]
    with engine.connect() as conn:  # a repeat set aside leaves nothing out: the row kept has its key
        assert still_set_aside(conn, "999") == {}


# --- the authority is never guessed and never silently wrong ------------------------------------------------------

def _cli_env(monkeypatch, settings, authority: str | None) -> None:
    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)
    monkeypatch.setenv("CSC_MONITOR_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CSC_MONITOR_LANDING_DIR", str(settings.landing_dir))
    if authority:
        monkeypatch.setenv("CSC_MONITOR_AUTHORITY", authority)
    else:
        monkeypatch.delenv("CSC_MONITOR_AUTHORITY", raising=False)


def test_a_census_from_another_lea_is_named_and_figures_for_the_configured_one_are_refused(settings, engine, monkeypatch, capsys):
    from csc_monitor import cli, exit_codes

    _land(settings, "cin_census_2025_lea_888.xml")
    _cli_env(monkeypatch, settings, "999")
    assert cli.main(["ingest"]) == 0
    assert capsys.readouterr().out == (
        "loaded     cin_census_2025_lea_888.xml (CIN census 2024/25; LEA 888 is not the configured authority 999 (CSC_MONITOR_AUTHORITY)): "
        "cin_census 888 2025: +3 added, -0 removed, 0 changed\n")
    refused = ("error: no exports are loaded for authority 999; exports are loaded for 888: "
               "set CSC_MONITOR_AUTHORITY (or pass --authority) to one of them\n")
    for command in (["results", "--as-at", "2025-03-31"], ["validate", "--as-at", "2025-03-31"], ["run", "--as-at", "2025-03-31"],
                    ["exceptions", ICPC, "--as-at", "2025-03-31"], ["alerts", "list"]):
        assert cli.main(command) == exit_codes.NO_DATA
        assert capsys.readouterr().err == refused
    compute_all(engine, load_definitions([ICPC]), "888", "by-hand", [date(2025, 3, 31)])
    assert cli.main(["results", "--as-at", "2025-03-31", "--authority", "888", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["numerator"], row["denominator"]) == (1, 1)  # 3 June to 21 June 2024: 14 working days


def test_with_the_setting_unset_the_one_lea_loaded_is_used_and_said(settings, engine, monkeypatch, capsys):
    from csc_monitor import cli

    _land(settings, "visits_quoted_bom_crlf.csv", "cin_census_2025_lea_888.xml")
    _cli_env(monkeypatch, settings, None)
    assert cli.main(["ingest"]) == 0
    assert _without_counts(capsys.readouterr().out.splitlines()) == [
        "loaded     cin_census_2025_lea_888.xml (CIN census 2024/25; LEA 888; CSC_MONITOR_AUTHORITY is not set, "
        "so 888 is used while it is the only authority loaded)",
        "loaded     visits_quoted_bom_crlf.csv"]
    assert _rows(engine, "SELECT DISTINCT authority FROM visit") == [("888",)]
    compute_all(engine, load_definitions([ICPC]), "888", "by-hand", [date(2025, 3, 31)])
    assert cli.main(["exceptions", ICPC, "--as-at", "2025-03-31"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "using authority 888: the only one the loaded exports name (CSC_MONITOR_AUTHORITY is not set)\n"
    assert captured.out.splitlines()[1:] == []  # LE1's ICPC was on time: nobody is listed


# --- Annex A as Ofsted's template writes it -----------------------------------------------------------------------

def test_ofsted_template_values_reduce_to_codes_and_every_column_is_mapped(settings, engine):
    shutil.copytree(SHAPES / "annex_a_ofsted_template_2025-03-31", settings.landing_dir / "annex_a_ofsted_template_2025-03-31")
    assert _shape_lines(ingest_landing(engine, settings)) == ["loaded     annex_a_ofsted_template_2025-03-31"]  # not one warning
    assert _rows(engine, "SELECT child_id, sex, ethnicity FROM child ORDER BY 1") == [
        ("A9", "F", "WBRI"), ("CL9", "M", "WBRI"), ("L9", "U", "WIRI"), ("T1", "M", "WBRI")]
    assert _rows(engine, "SELECT referral_source, primary_need FROM referral") == [("3D", "N1")]
    assert _rows(engine, "SELECT initial_category, latest_category FROM cp_plan") == [("NEG", "NEG")]
    assert _rows(engine, "SELECT measure, value_date, value_text FROM annex_a_latest WHERE child_id = 'L9' AND measure IN "
                         "('placement_type', 'last_iro_contact', 'return_interview_offered') ORDER BY 1") == [
        ("last_iro_contact", date(2025, 2, 1), None), ("placement_type", None, "U6"), ("return_interview_offered", None, "Y")]
    assert _rows(engine, "SELECT child_id, team, worker FROM allocation WHERE child_id IN ('CL9', 'A9') ORDER BY 1") == [
        ("A9", "Adoption Team", "Sue Park"), ("CL9", "Leaving Care", "Pat Adviser")]
    # T1: strategy discussion Wed 8 January 2025, ICPC 29 January = 15 working days: met
    assert _icpc_figure(engine, date(2025, 3, 31)) == (1, 1)


def test_the_903_in_dfe_xml_form_loads_like_its_csvs(settings, engine):
    _land(settings, "ssda903_2025.xml")
    assert _shape_lines(ingest_landing(engine, settings)) == ["loaded     ssda903_2025.xml (903 2024/25)"]
    assert _rows(engine, "SELECT child_id, sex, birth_date FROM child ORDER BY 1") == [
        ("XL1", "M", date(2012, 12, 12)), ("XL2", "F", date(2021, 3, 1))]
    assert _rows(engine, "SELECT child_id, start_date, end_date, placement_type, source_ref FROM care_episode ORDER BY 1, 2") == [
        ("XL1", date(2024, 5, 20), None, "U1", "/EXPSSDA903/CHILD[1]/EPISODE[1] (line 27)"),
        ("XL2", date(2023, 3, 1), date(2024, 12, 20), "U1", "/EXPSSDA903/CHILD[2]/EPISODE[1] (line 60)"),
        ("XL2", date(2024, 12, 20), None, "A5", "/EXPSSDA903/CHILD[2]/EPISODE[2] (line 70)")]
    assert _rows(engine, "SELECT review_date, review_code FROM la_review ORDER BY 1") == [
        (date(2024, 7, 15), "PN1"), (date(2025, 1, 10), "PN0")]
    assert _rows(engine, "SELECT missing_type, start_date, end_date FROM missing_episode") == [("M", date(2024, 11, 2), date(2024, 11, 3))]
    assert _rows(engine, "SELECT child_id, decision_date, match_date, placed_date FROM adoption") == [
        ("XL2", date(2024, 9, 5), date(2024, 12, 6), None)]   # DATE_PLACED is the decision: placed from the A5 episode


def test_a_bad_value_in_the_903_xml_names_its_element(settings, engine):
    settings.landing_dir.mkdir(parents=True)
    xml = (SHAPES / "ssda903_2025.xml").read_text().replace("<DECOM>20/12/2024</DECOM>", "<DECOM>2024-12-20</DECOM>")
    (settings.landing_dir / "ssda903_2025.xml").write_text(xml)
    assert [str(e) for e in ingest_landing(engine, settings).rejected] == [
        "ssda903_2025.xml: /EXPSSDA903/CHILD[2]/EPISODE[2] (line 70), element DECOM: the value '9999-99-99' is not a date in dd/mm/yyyy form"]
