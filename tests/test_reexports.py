"""A corrected re-export replaces what it corrects: loaded after the original, the warehouse holds exactly what the
corrected export alone gives, down to every figure and child-level unit; an older export loaded later changes nothing."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from lxml import etree
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.synthetic.cin import build_authority, write_cin_census
from csc_monitor.ingest.landing import ingest_landing
from csc_monitor.ingest.snapshots import current_loads
from csc_monitor.warehouse import ensure_schema, make_engine

AS_AT = date(2025, 3, 31)
CENSUS_FIGURES = ["icpc_within_15_working_days", "re_referrals_within_12_months", "referrals_rate", "cin_rate"]
CENSUS_TABLES = ("referral", "assessment", "section47_enquiry", "cp_plan", "cp_review")


@pytest.fixture
def alone(settings, tmp_path):
    """A second, empty warehouse on the same engine: what the corrected export alone gives."""
    if settings.warehouse_url.startswith("duckdb"):
        url = f"duckdb:///{tmp_path / 'alone.duckdb'}"
    else:
        database, _ = settings.warehouse_url.split("?")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(database)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{database}?options=-csearch_path%3D{schema}"
    other = replace(settings, warehouse_url=url, landing_dir=tmp_path / "landing_alone", data_dir=tmp_path / "data_alone")
    yield other
    if not settings.warehouse_url.startswith("duckdb"):
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _drop(folder, name: str, content: bytes, age_seconds: int) -> None:
    """Land a file as exported `age_seconds` ago (its modification time orders exports of the same scope)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    moment = path.stat().st_mtime - age_seconds
    os.utime(path, (moment, moment))


def _ingest(settings):
    engine = make_engine(settings.warehouse_url)
    ensure_schema(engine)
    report = ingest_landing(engine, settings)
    assert report.rejected == []
    return engine, report


def _facts(engine, tables) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        out = {}
        for table in tables:
            columns = [c for c in conn.execute(text(f"SELECT * FROM {table} WHERE 1 = 0")).keys() if c != "source_file"]
            out[table] = sorted(tuple(map(str, row)) for row in conn.execute(text(f"SELECT {', '.join(columns)} FROM {table}")))
        return out


def _figures(settings, engine, indicators) -> tuple[list, list]:
    pipeline.compute(settings, [AS_AT], "figures", indicators)
    with engine.connect() as conn:
        results = conn.execute(text("SELECT indicator_id, scope_type, scope, numerator, denominator, value FROM indicator_result "
                                    "ORDER BY 1, 2, 3")).all()
        units = conn.execute(text("SELECT indicator_id, unit_key, child_id, start_date, end_date, elapsed, status, in_denominator, met, "
                                  "team, worker, source_file, source_ref FROM indicator_unit ORDER BY 1, 2")).all()
    return [tuple(r) for r in results], [tuple(r) for r in units]


def _census_pair(tmp_path) -> tuple[bytes, bytes, str, str]:
    """The original census and a correction: one child's referral and section 47 start a day earlier, another child gone."""
    write_cin_census(build_authority(150, seed=11, reference_date=AS_AT), tmp_path / "census.xml")
    original = (tmp_path / "census.xml").read_bytes()
    root = etree.fromstring(original)
    children = root.findall("Children/Child")
    moved = next(c for c in children if c.find("CINdetails/Section47/S47ActualStartDate") is not None
                 and date.fromisoformat(c.findtext("CINdetails/CINreferralDate")) > date(2024, 6, 1))
    for element in (moved.find("CINdetails/CINreferralDate"), moved.find("CINdetails/Section47/S47ActualStartDate")):
        element.text = (date.fromisoformat(element.text) - timedelta(days=1)).isoformat()
    removed = next(c for c in children if c is not moved and c.find("CINdetails/Section47") is not None)
    removed.getparent().remove(removed)
    corrected = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return original, corrected, moved.findtext("ChildIdentifiers/LAchildID"), removed.findtext("ChildIdentifiers/LAchildID")


def _rows_of(census: bytes, child_id: str, *parts: str) -> int:
    """How many warehouse rows a child's census entry gives: one per CINdetails, Assessments, Section47, plan and review."""
    child = next(c for c in etree.fromstring(census).iterfind("Children/Child") if c.findtext("ChildIdentifiers/LAchildID") == child_id)
    paths = {"CINdetails": "CINdetails", "Assessments": "CINdetails/Assessments", "Section47": "CINdetails/Section47",
             "ChildProtectionPlans": "CINdetails/ChildProtectionPlans", "Reviews": "CINdetails/ChildProtectionPlans/Reviews/CPPreviewDate"}
    return sum(len(child.findall(paths[part])) for part in (parts or paths))


def test_corrected_census_after_the_original_gives_what_the_correction_alone_gives(settings, alone, tmp_path):
    original, corrected, moved, removed = _census_pair(tmp_path)
    _drop(settings.landing_dir, "cin_census_999_2025.xml", original, age_seconds=3600)
    engine, first = _ingest(settings)
    assert first.changes["cin_census_999_2025.xml"].startswith("cin_census 999 2025: +")
    before = _figures(settings, engine, CENSUS_FIGURES)
    _drop(settings.landing_dir, "cin_census_999_2025_fixed.xml", corrected, age_seconds=60)
    engine, second = _ingest(settings)
    _drop(alone.landing_dir, "cin_census_999_2025_fixed.xml", corrected, age_seconds=60)
    alone_engine, _ = _ingest(alone)

    assert _facts(engine, CENSUS_TABLES) == _facts(alone_engine, CENSUS_TABLES)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM referral WHERE child_id = :c"), {"c": removed}).scalar_one() == 0
        referrals = conn.execute(text("SELECT COUNT(*) FROM referral WHERE child_id = :c"), {"c": moved}).scalar_one()
    assert referrals == 1
    after = _figures(settings, engine, CENSUS_FIGURES)
    assert after == _figures(alone, alone_engine, CENSUS_FIGURES)
    assert after != before  # the correction matters: the test would see a double count
    # every row of the removed child went; the moved child's referral, assessments and enquiries (which carry the
    # referral date) changed; its plans and reviews did not
    assert second.changes["cin_census_999_2025_fixed.xml"] == (
        f"cin_census 999 2025: +0 added, -{_rows_of(original, removed)} removed, {_rows_of(original, moved, 'CINdetails', 'Assessments', 'Section47')} changed "
        "(replaces cin_census_999_2025.xml)")
    with engine.connect() as conn:
        assert [(r["scope"], r["file_name"]) for r in current_loads(conn)] == [("cin_census 999 2025", "cin_census_999_2025_fixed.xml")]


def test_an_older_census_loaded_after_the_newer_changes_nothing(settings, alone, tmp_path):
    original, corrected, _, _ = _census_pair(tmp_path)
    _drop(settings.landing_dir, "b_census_fixed.xml", corrected, age_seconds=60)
    engine, _ = _ingest(settings)
    held = _facts(engine, CENSUS_TABLES)
    _drop(settings.landing_dir, "a_census_original.xml", original, age_seconds=3600)
    engine, report = _ingest(settings)
    assert report.changes["a_census_original.xml"] == (
        "older than b_census_fixed.xml, already loaded for cin_census 999 2025: nothing changed")
    assert _facts(engine, CENSUS_TABLES) == held
    with engine.connect() as conn:
        assert [r["file_name"] for r in current_loads(conn)] == ["b_census_fixed.xml"]


def test_the_newer_census_year_speaks_for_a_child_over_the_period_both_cover(settings, alone, tmp_path):
    """An open referral appears in the 2024 and the 2025 census; 2025 moves its date back a day. Either load order
    keeps 2025's view of that child from its referral on, and 2024's rows for children 2025 does not hold."""
    authority = build_authority(300, seed=9, reference_date=AS_AT, years=2)
    write_cin_census(authority, tmp_path / "c2024.xml", date(2024, 3, 31))
    write_cin_census(authority, tmp_path / "c2025.xml", AS_AT)
    old, new = etree.parse(str(tmp_path / "c2024.xml")).getroot(), etree.parse(str(tmp_path / "c2025.xml")).getroot()
    in_2024 = {c.findtext("ChildIdentifiers/LAchildID") for c in old.iterfind("Children/Child")}
    only_2024 = in_2024 - {c.findtext("ChildIdentifiers/LAchildID") for c in new.iterfind("Children/Child")}
    both = next(c for c in new.iterfind("Children/Child") if c.findtext("ChildIdentifiers/LAchildID") in in_2024)
    referral = both.find("CINdetails/CINreferralDate")
    corrected_date = date.fromisoformat(referral.text) - timedelta(days=1)
    referral.text = corrected_date.isoformat()
    for child in both.iterfind("CINdetails/Section47/S47ActualStartDate"):
        child.text = max(date.fromisoformat(child.text), corrected_date).isoformat()
    new_bytes = etree.tostring(new, xml_declaration=True, encoding="UTF-8")
    _drop(settings.landing_dir, "cin_census_2024.xml", (tmp_path / "c2024.xml").read_bytes(), 60)
    engine, _ = _ingest(settings)
    _drop(settings.landing_dir, "cin_census_2025.xml", new_bytes, 60)
    engine, _ = _ingest(settings)
    _drop(alone.landing_dir, "cin_census_2025.xml", new_bytes, 60)
    alone_engine, _ = _ingest(alone)
    _drop(alone.landing_dir, "cin_census_2024.xml", (tmp_path / "c2024.xml").read_bytes(), 60)
    alone_engine, _ = _ingest(alone)
    assert _facts(engine, CENSUS_TABLES) == _facts(alone_engine, CENSUS_TABLES)
    child_id = both.findtext("ChildIdentifiers/LAchildID")
    with engine.connect() as conn:
        held = conn.execute(text("SELECT referral_date, collection_year FROM referral WHERE child_id = :c"), {"c": child_id}).all()
        kept_2024 = {r[0] for r in conn.execute(text("SELECT child_id FROM referral WHERE collection_year = 2024"))}
    assert held == [(corrected_date, 2025)]
    assert only_2024 and kept_2024 == only_2024


EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
LA_FIGURES = ["cla_rate", "placement_stability_short_term", "placement_stability_long_term"]


def test_corrected_903_episodes_replace_the_original(settings, alone):
    original = (EPISODES + "A1,01/06/2024,S,C2,N1,U1,PR1,,,,,,\n"
                "A2,15/07/2024,S,C2,N1,U1,PR1,10/10/2024,X1,,,,\n"
                "A2,10/10/2024,P,C2,N1,U4,PR1,,,,,,\n"
                "A3,01/09/2024,S,C2,N1,U1,PR1,,,,,,\n")
    corrected = original.replace("A2,15/07/2024,", "A2,14/07/2024,").replace("A3,01/09/2024,S,C2,N1,U1,PR1,,,,,,\n", "")
    header = HEADER + "A1,M,01/02/2015,WBRI,,,\nA2,F,03/04/2016,WBRI,,,\nA3,M,03/04/2017,WBRI,,,\n"
    for target in (settings, alone):
        _drop(target.landing_dir, "header_2025.csv", header.encode(), 7200)
    _drop(settings.landing_dir, "episodes_2025.csv", original.encode(), 3600)
    engine, _ = _ingest(settings)
    before = _facts(engine, ["care_episode"])
    _drop(settings.landing_dir, "episodes_2025_fixed.csv", corrected.encode(), 60)
    engine, report = _ingest(settings)
    assert report.changes["episodes_2025_fixed.csv"] == (
        "ssda903_episodes 999 2025: +0 added, -1 removed, 1 changed (replaces episodes_2025.csv)")
    _drop(alone.landing_dir, "episodes_2025_fixed.csv", corrected.encode(), 60)
    alone_engine, _ = _ingest(alone)
    assert _facts(engine, ["care_episode"]) == _facts(alone_engine, ["care_episode"]) != before
    assert _figures(settings, engine, LA_FIGURES) == _figures(alone, alone_engine, LA_FIGURES)
    _drop(settings.landing_dir, "episodes_2025_old.csv", original.encode() + b"A9,01/09/2024,S,C2,N1,U1,PR1,,,,,,\n", 7200)
    engine, report = _ingest(settings)
    assert report.changes["episodes_2025_old.csv"] == (
        "older than episodes_2025_fixed.csv, already loaded for ssda903_episodes 999 2025: nothing changed")
    assert _facts(engine, ["care_episode"]) == _facts(alone_engine, ["care_episode"])


VISITS = "child_id,visit_kind,visit_date,seen,seen_alone,worker\n"


def test_a_corrected_visits_extract_replaces_the_period_it_covers(settings, alone):
    original = VISITS + "C1,CP,2025-01-06,Y,Y,Sam\nC1,CP,2025-01-20,Y,N,Sam\nC2,CP,2025-02-03,Y,Y,Ann\nC3,CIN,2025-03-03,N,,Ann\n"
    corrected = original.replace("C1,CP,2025-01-20", "C1,CP,2025-01-17").replace("C3,CIN,2025-03-03,N,,Ann\n", "")
    _drop(settings.landing_dir, "visits_999_2025-03-31.csv", original.encode(), 3600)
    engine, _ = _ingest(settings)
    _drop(settings.landing_dir, "visits_999_2025-03-31_fixed.csv", corrected.encode(), 60)
    engine, report = _ingest(settings)
    assert report.changes["visits_999_2025-03-31_fixed.csv"] == (
        "visits 999 ..2025-03-31: +0 added, -1 removed, 1 changed (replaces visits_999_2025-03-31.csv)")
    _drop(alone.landing_dir, "visits_999_2025-03-31_fixed.csv", corrected.encode(), 60)
    alone_engine, _ = _ingest(alone)
    assert _facts(engine, ["visit"]) == _facts(alone_engine, ["visit"])
    assert [r[3] for r in _facts(engine, ["visit"])["visit"]] == ["2025-01-06", "2025-01-17", "2025-02-03"]
    # an extract to an earlier date is covered by the later one: it changes nothing
    _drop(settings.landing_dir, "visits_999_2025-02-28.csv", (original + "C4,CP,2025-02-10,Y,Y,Ann\n").encode(), 7200)
    engine, report = _ingest(settings)
    assert report.changes["visits_999_2025-02-28.csv"] == "visits 999 ..2025-02-28: +0 added, -0 removed, 0 changed"
    assert _facts(engine, ["visit"]) == _facts(alone_engine, ["visit"])
    # a later extract covers everything up to its date: what it no longer holds is gone
    _drop(settings.landing_dir, "visits_999_2025-04-30.csv", (VISITS + "C2,CP,2025-02-03,Y,Y,Ann\n").encode(), 0)
    engine, report = _ingest(settings)
    assert report.changes["visits_999_2025-04-30.csv"] == "visits 999 ..2025-04-30: +0 added, -2 removed, 0 changed"


def test_loads_lists_each_scope_with_the_file_that_supplied_it(settings, monkeypatch, capsys):
    from csc_monitor.cli import main

    _drop(settings.landing_dir, "visits_999_2025-03-31.csv", (VISITS + "C1,CP,2025-01-06,Y,Y,Sam\n").encode(), 3600)
    _drop(settings.landing_dir, "visits_999_2025-03-31_b.csv", (VISITS + "C1,CP,2025-01-07,Y,Y,Sam\nC2,CP,2025-01-08,Y,Y,Sam\n").encode(), 60)
    _drop(settings.landing_dir, "episodes_2025.csv", (EPISODES + "A1,01/06/2024,S,C2,N1,U1,PR1,,,,,,\n").encode(), 60)
    _ingest(settings)
    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)
    assert main(["loads"]) == 0
    lines = [line.rsplit("  ", 1)[0].split() for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        ["authority", "scope", "file", "rows", "added", "removed", "changed"],
        ["999", "ssda903_episodes", "999", "2025", "episodes_2025.csv", "1", "1", "0", "0"],
        ["999", "visits", "999", "..2025-03-31", "visits_999_2025-03-31_b.csv", "2", "1", "0", "1"],
    ]
