"""Every export an authority already produces lands in one warehouse model, traceable to its source line."""

from datetime import date

import pytest
from sqlalchemy import text

from csc_monitor.synthetic import generate
from csc_monitor.synthetic.looked_after import build_looked_after
from csc_monitor.ingest.landing import ingest_landing

AS_AT = date(2025, 3, 31)
LA_TABLES = ("care_episode", "la_review", "care_leaver_status", "adoption", "missing_episode", "visit", "review_event",
             "health_check", "return_interview", "placement_arrangement")


def _rows(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def _drop(settings, name: str, content: str | bytes):
    settings.landing_dir.mkdir(parents=True, exist_ok=True)
    path = settings.landing_dir / name
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)


def test_round_trip_holds_exactly_the_generated_facts(settings, engine):
    truth = generate(settings.landing_dir, children=80, seed=4, reference_date=AS_AT, looked_after=40, truth_path=settings.landing_dir.parent / "t.json")
    report = ingest_landing(engine, settings)
    assert report.rejected == [] and len(report.loaded) == 15
    for table in LA_TABLES:
        count = _rows(engine, f"SELECT COUNT(*) FROM {table}")[0][0]
        expected = truth["row_counts"][table] if table != "visit" else truth["row_counts"]["visit"]
        assert count == expected, table
    facts = build_looked_after(4, "999", AS_AT, 40)
    planted = sorted((r["child_id"], r["start_date"], r["reason_new_episode"], r["legal_status"], r["placement_type"], r["end_date"])
                     for r in facts["care_episode"])
    loaded = sorted(tuple(r) for r in _rows(engine, "SELECT child_id, start_date, reason_new_episode, legal_status, placement_type, end_date FROM care_episode"))
    assert loaded == planted
    visits = sorted((r["child_id"], r["visit_date"], r["seen"]) for r in facts["visit"] if r["visit_kind"] == "CLA")
    assert sorted(tuple(r) for r in _rows(engine, "SELECT child_id, visit_date, seen FROM visit WHERE visit_kind = 'CLA'")) == visits
    # every row is traceable to its file and line
    (source,) = _rows(engine, "SELECT l.file_name, e.source_ref FROM care_episode e JOIN load_file l ON l.sha256 = e.source_file "
                              "WHERE e.child_id = 'L0000001' AND e.start_date = :d", d=facts["care_episode"][0]["start_date"])
    assert source == ("ssda903_999_2025_episodes.csv", "row 2")


HEADER_2024 = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"


def test_codes_written_in_lower_case_are_stored_as_their_code_list_spells_them(settings, engine):
    """A case-management system's own spelling (`cla`, `reg24_temporary_approval`) is the same code: stored upper-cased,
    so the indicators that compare codes count it."""
    _drop(settings, "visits_999_2025-03-31.csv", "child_id,visit_kind,visit_date,seen,seen_alone,worker\nC1,cla,2025-03-03,Y,,\n")
    _drop(settings, "placement_arrangements_999_2025-03-31.csv",
          "child_id,placement_start_date,arrangement\nC1,2025-03-01,reg24_temporary_approval\n")
    report = ingest_landing(engine, settings)
    assert report.rejected == []
    assert _rows(engine, "SELECT child_id, visit_kind FROM visit") == [("C1", "CLA")]
    assert _rows(engine, "SELECT child_id, arrangement FROM placement_arrangement") == [("C1", "REG24_TEMPORARY_APPROVAL")]


def test_sex_codes_follow_the_collection_year(settings, engine):
    _drop(settings, "header_2024.csv", HEADER_2024 + "A1,1,01/02/2015,WBRI,,,\nA2,2,03/04/2016,WBRI,,,\n")
    _drop(settings, "header_2025-26.csv", HEADER_2024 + "B1,F,01/02/2015,WBRI,,,\nB2,1,03/04/2016,WBRI,,,\n")
    report = ingest_landing(engine, settings)
    assert report.loaded == ["header_2024.csv"]
    assert [str(e) for e in report.rejected] == ["header_2025-26.csv: row 3, column SEX: the value '1' is not a known code (F, M, U)"]
    assert _rows(engine, "SELECT child_id, sex, birth_date FROM child ORDER BY 1") == [("A1", "M", date(2015, 2, 1)), ("A2", "F", date(2016, 4, 3))]


def test_sw_episodes_exist_only_from_2023_24(settings, engine):
    content = "CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON\nA1,01/02/2015,SW9,01/05/2023,,\n"
    _drop(settings, "sw_episodes_2022-23.csv", content)
    _drop(settings, "sw_episodes_2023-24.csv", content)
    report = ingest_landing(engine, settings)
    assert report.loaded == ["sw_episodes_2023-24.csv"]
    assert [str(e) for e in report.rejected] == ["sw_episodes_2022-23.csv: header (line 1): unknown export shape: columns CHILD, DOB, SW_ID, SW_DECOM, SW_DEC, SW_REASON (? not a column of any known export)"]


def test_last_years_903_loaded_after_this_years_does_not_overwrite_it(settings, engine):
    _drop(settings, "a_episodes_2025.csv", EPISODES + "A1,01/06/2023,S,C2,N1,U1,PR1,10/10/2024,E8,,,,\n")
    ingest_landing(engine, settings)
    _drop(settings, "b_episodes_2024.csv", EPISODES + "A1,01/06/2023,S,C2,N1,U1,PR1,,,,,,\n")
    ingest_landing(engine, settings)
    assert _rows(engine, "SELECT end_date, reason_ceased, collection_year FROM care_episode") == [(date(2024, 10, 10), "E8", 2025)]


def test_ad1_and_placed_adoption_merge_into_one_row_and_census_child_merges_with_903(settings, engine):
    # PlacedAdoption DATE_PLACED is the decision that the child should be placed for adoption (as AD1 DATE_INT);
    # the date placed is not in either table (it is the start of the A3-A6 episode)
    _drop(settings, "ad1_2025.csv", "CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR\nA1,01/02/2020,05/01/2024,06/06/2024,0,2,MF,L0\n")
    _drop(settings, "placed_2025.csv", "CHILD,DOB,DATE_PLACED,DATE_PLACED_CEASED,REASON_PLACED_CEASED\n"
                                       "A1,01/02/2020,05/01/2024,,\nA2,03/04/2021,03/03/2025,,\n")
    ingest_landing(engine, settings)
    assert _rows(engine, "SELECT child_id, decision_date, match_date, placed_date, adopted_by_foster_carer FROM adoption ORDER BY 1") == [
        ("A1", date(2024, 1, 5), date(2024, 6, 6), None, False), ("A2", date(2025, 3, 3), None, None, None)]


@pytest.mark.parametrize("name,content,message", [
    ("visits_1.csv", b"child_id,visit_kind,visit_date,seen,seen_alone,worker\nA1,CLA,2025-01-02,Y,N,\nA2,CLA,2025-01-0", "visits_1.csv: row 3: has 3 of 6 fields: the file is truncated or the row is broken"),
    ("visits_2.csv", "child_id,visit_kind,visit_date,seen,seen_alone,worker\nA1,CLA,02/01/2025,Y,N,\n".encode(), "visits_2.csv: row 2, column visit_date: the value '99/99/9999' is not a date in yyyy-mm-dd form"),
    ("visits_3.csv", "child_id,visit_kind,visit_date,seen,seen_alone,worker\nA1,HOME,2025-01-02,Y,N,\n".encode(), "visits_3.csv: row 2, column visit_kind: the value 'HOME' is not a known code (CIN, CL, CLA, CP)"),
    ("visits_4.csv", "child_id,visit_kind,visit_date,seen,seen_alone,worker\nA1,CLA,2025-01-02,maybe,N,\n".encode(), "visits_4.csv: row 2, column seen: the value (not quoted) is not Y or N"),
    ("episodes_2025.csv", (EPISODES + "A1,2023-06-01,S,C2,N1,U1,PR1,,,,,,\n").encode(), "episodes_2025.csv: row 2, column DECOM: the value '9999-99-99' is not a date in dd/mm/yyyy form"),
    ("header_2025.csv", "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nZo\xe9,F,01/02/2015,WBRI,,,\n".encode("latin-1"), "header_2025.csv: header (line 1): not UTF-8 text (invalid continuation byte); export it as UTF-8 CSV"),
    ("header.csv", b"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA1,1,01/02/2015,WBRI,,,\n", "header.csv: file name: cannot tell the collection year: put it in the file name (header_2025.csv or SSDA903_2024-25_Header.csv), or in its folder's name (2024-25/ or 903_2025/), or run `ingest --collection-year 2025`"),
    ("empty.csv", b"", "empty.csv: whole file: file is empty"),
    ("notes.txt", b"hello", "notes.txt: whole file: unknown export type '.txt' (expected .xml or .csv)"),
])
def test_bad_files_name_file_row_and_problem(settings, engine, name, content, message):
    _drop(settings, name, content)
    _drop(settings, "z_good_visits.csv", "child_id,visit_kind,visit_date,seen,seen_alone,worker\nA9,CP,2025-01-02,Y,Y,Sam\n")
    report = ingest_landing(engine, settings)
    assert [str(e) for e in report.rejected] == [message]
    assert report.loaded == ["z_good_visits.csv"]  # the good file still loads: the run goes on with what is safe
    assert (settings.data_dir / "rejected" / f"{name}.error.txt").read_text().strip() == message


def test_five_census_years_in_any_order_keep_the_latest_facts(settings, engine, tmp_path):
    """Each census repeats the enquiries still open; the latest year's version of a row wins whatever the load order."""
    from csc_monitor.synthetic.cin import build_authority, write_cin_census
    from csc_monitor.dates import add_months

    authority = build_authority(300, seed=9, reference_date=AS_AT, years=3)
    settings.landing_dir.mkdir(parents=True)
    for back, prefix in ((0, "a"), (2, "b"), (1, "c")):  # newest first: older censuses must not overwrite it
        census_date = add_months(AS_AT, -12 * back)
        write_cin_census(authority, settings.landing_dir / f"{prefix}_cin_census_{census_date.year}.xml", census_date)
    assert ingest_landing(engine, settings).rejected == []
    held = {(c.child_id, e.strategy_discussion_date): e.icpc_date for c in authority.children for e in c.episode.enquiries
            if e.icpc_date and e.icpc_date <= AS_AT}
    loaded = dict(((r[0], r[1]), r[2]) for r in _rows(engine, "SELECT child_id, strategy_discussion_date, icpc_date FROM section47_enquiry WHERE icpc_date IS NOT NULL"))
    assert loaded == held
