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
from csc_monitor.generate import build_authority, write_cin_census
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
