"""Poison never spreads: each hostile file is refused with a named reason that quotes none of its content, and a
good file landed after it still loads."""

from __future__ import annotations

import os
import resource
import zipfile

import pytest
from sqlalchemy import text

from csc_monitor.ingest import landing
from csc_monitor.ingest.landing import ingest_landing

GOOD = "z_good_visits.csv"
GOOD_VISITS = "child_id,visit_kind,visit_date,seen,seen_alone,worker\nA9,CP,2025-01-02,Y,Y,Sam\n"
CENSUS_HEAD = ("<?xml version='1.0' encoding='UTF-8'?>\n{doctype}<Message><Header><CollectionDetails><Collection>CIN</Collection>"
               "<Year>{year}</Year><ReferenceDate>2025-03-31</ReferenceDate></CollectionDetails><Source><SourceLevel>L</SourceLevel>"
               "<LEA>{lea}</LEA><SoftwareCode>x</SoftwareCode><Release>1</Release><SerialNo>1</SerialNo></Source></Header>"
               "<Children/></Message>\n")
SECRET = "root:x:0:0 secret first line"


def _land(settings, make) -> landing.IngestReport:
    settings.landing_dir.mkdir(parents=True, exist_ok=True)
    make(settings.landing_dir)
    (settings.landing_dir / GOOD).write_text(GOOD_VISITS)
    return settings


def _ingest_after(settings, engine, make):
    _land(settings, make)
    report = ingest_landing(engine, settings)
    assert report.loaded == [GOOD]
    return [str(error) for error in report.rejected]


def _zip_bomb(folder):
    """A 1.7 MB workbook whose sheet unpacks to 400 MB."""
    with zipfile.ZipFile(folder / "a_annex_a_999_2025-03-31.xlsx", "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            block = bytes(4 * 1024 * 1024)
            for _ in range(100):
                part.write(block)


HOSTILE = {
    "entity declared": (
        lambda d: (d / "a_census.xml").write_text(CENSUS_HEAD.format(
            doctype=f"<!DOCTYPE Message [<!ENTITY e SYSTEM 'file:///etc/passwd'><!ENTITY y '2025'>]>\n", year="&y;", lea="&e;")),
        "a_census.xml: DOCTYPE declaration: declares a DOCTYPE: a census has none, and its entities are never read"),
    "entity undeclared": (
        lambda d: (d / "a_census.xml").write_text(CENSUS_HEAD.format(doctype="", year="2025", lea="&lea;")),
        "a_census.xml: line 2, column 189: not well-formed XML: Entity 'lea' not defined"),
    "bad year": (
        lambda d: (d / "a_census.xml").write_text(CENSUS_HEAD.format(doctype="", year="20x5", lea="999")),
        "a_census.xml: /Message/Header/CollectionDetails/Year: not a collection year (expected yyyy, e.g. 2025)"),
    "zip bomb": (
        _zip_bomb,
        "a_annex_a_999_2025-03-31.xlsx: part xl/worksheets/sheet1.xml: unpacks to 400.0 MB from 1.7 MB, more than 100 times "
        "its packed size (CSC_MONITOR_MAX_ZIP_RATIO)"),
    "300 MB XML": (
        lambda d: os.truncate(_write(d / "a_census.xml", "<?xml version='1.0'?>\n<Message>"), 300 * 1024 * 1024),
        "a_census.xml: whole file: 300.0 MB is over the 128 MB limit (CSC_MONITOR_MAX_XML_MB)"),
    "binary .csv": (
        lambda d: (d / "a_visits.csv").write_bytes(bytes(range(256)) * 64),
        "a_visits.csv: whole file: binary content (NUL bytes): not a text CSV"),
    "field over the limit": (
        lambda d: _write(d / "a_visits.csv", GOOD_VISITS.splitlines()[0] + "\nA1,CP,2025-01-02,Y,Y," + "x" * 20000 + "\n"),
        "a_visits.csv: row 2: a field longer than 10000 characters (CSC_MONITOR_MAX_FIELD_CHARS), or a quote left open"),
    "symlink to a file": (
        lambda d: os.symlink(_write(d.parent / "elsewhere.csv", SECRET + "\n"), d / "a_visits.csv"),
        "a_visits.csv: whole file: a symbolic link: only files copied into the landing folder are read, never what a link points to"),
    "symlink to a folder": (
        lambda d: os.symlink(d.parent, d / "annex_a_999_2025-03-31"),
        "annex_a_999_2025-03-31: whole file: a symbolic link: only files copied into the landing folder are read, never what a link "
        "points to"),
    "symlink to a device": (
        lambda d: os.symlink("/dev/zero", d / "a_visits.csv"),
        "a_visits.csv: whole file: a symbolic link: only files copied into the landing folder are read, never what a link points to"),
    "named pipe": (
        lambda d: os.mkfifo(d / "a_visits.csv"),
        "a_visits.csv: whole file: not a regular file (a device, pipe or socket)"),
}


def _write(path, content: str):
    path.write_text(content)
    return path


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_file_is_refused_by_name_and_the_good_one_after_it_loads(settings, engine, kind):
    make, message = HOSTILE[kind]
    _land(settings, make)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    report = ingest_landing(engine, settings)
    # refused from its size or table of contents: the 300 MB file is never read into memory, the 400 MB never unpacked
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 100 * 1024
    assert report.loaded == [GOOD] and [str(error) for error in report.rejected] == [message]
    reason = (settings.data_dir / "rejected" / f"{message.split(':')[0]}.error.txt").read_text()
    assert reason == message + "\n" and "secret" not in reason


def test_a_link_is_moved_as_a_link_and_what_it_points_to_is_untouched(settings, engine):
    _ingest_after(settings, engine, HOSTILE["symlink to a file"][0])
    moved = settings.data_dir / "rejected" / "a_visits.csv"
    assert moved.is_symlink() and (settings.landing_dir.parent / "elsewhere.csv").read_text() == SECRET + "\n"


def test_any_error_while_reading_rejects_only_that_file_without_quoting_it(settings, engine, monkeypatch):
    def explode(path, *options):
        raise ValueError(f"{SECRET} in {path}")

    monkeypatch.setattr(landing, "parse_cin_census", explode)
    errors = _ingest_after(settings, engine, lambda d: _write(d / "a_census.xml", "<Message/>"))
    assert errors == ["a_census.xml: whole file: could not be read (ValueError); nothing from it was loaded"]


def test_limits_are_settable(settings, engine, monkeypatch):
    monkeypatch.setenv("CSC_MONITOR_MAX_CSV_ROWS", "2")
    errors = _ingest_after(settings, engine, lambda d: _write(d / "a_visits.csv", GOOD_VISITS + "A2,CP,2025-01-03,Y,Y,Sam\n"))
    assert errors == ["a_visits.csv: row 3: more than 2 rows (CSC_MONITOR_MAX_CSV_ROWS)"]


def test_a_workbook_unpacking_past_the_total_limit_is_refused_from_its_table_of_contents(settings, engine, monkeypatch):
    monkeypatch.setenv("CSC_MONITOR_MAX_UNZIPPED_MB", "100")
    errors = _ingest_after(settings, engine, _zip_bomb)
    assert errors == ["a_annex_a_999_2025-03-31.xlsx: whole file: unpacks to 400.0 MB from 1.7 MB: over the 100 MB limit "
                      "(CSC_MONITOR_MAX_UNZIPPED_MB)"]


def test_a_failure_while_loading_one_file_rejects_only_that_file_and_loads_nothing_of_it(settings, engine, monkeypatch):
    real = landing.load_export

    def fail_for_episodes(conn, parsed, *args):
        if parsed.kind == "visits":
            return real(conn, parsed, *args)
        real(conn, parsed, *args)
        raise KeyError(SECRET)  # after its rows were written: the transaction must take them back

    monkeypatch.setattr(landing, "load_export", fail_for_episodes)
    errors = _ingest_after(settings, engine, lambda d: _write(
        d / "a_episodes_2025.csv", "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
                                   "A1,01/06/2024,S,C2,N1,U1,PR1,,,,,,\n"))
    assert errors == ["a_episodes_2025.csv: whole file: could not be loaded (KeyError); nothing from it was loaded"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM care_episode")).scalar_one() == 0
        assert conn.execute(text("SELECT file_name FROM load_file")).scalars().all() == [GOOD]


def test_an_annex_a_folder_holding_anything_but_files_is_refused(settings, engine):
    make = lambda d: (d / "annex_a_999_2025-03-31" / "nested").mkdir(parents=True)  # noqa: E731
    assert _ingest_after(settings, engine, make) == ["annex_a_999_2025-03-31: whole file: holds nested, which is not a regular file"]


def test_a_file_the_operating_system_will_not_let_us_read_is_refused(settings, engine, monkeypatch):
    real = landing._content_hash

    def denied(path):
        if path.name == "a_visits.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(landing, "_content_hash", denied)
    errors = _ingest_after(settings, engine, lambda d: _write(d / "a_visits.csv", GOOD_VISITS))
    assert errors == ["a_visits.csv: whole file: cannot be read (PermissionError)"]
