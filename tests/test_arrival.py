"""Complete files only: a file still being written is never read or moved, whichever path (CLI ingest, DAG ingest
task, landing watcher) looks at the drop folder."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import date

from sqlalchemy import text

from csc_monitor.airflow_triggers import claim_drop
from csc_monitor.synthetic.cin import build_authority, write_cin_census
from csc_monitor.ingest.landing import ingest_landing

VISITS = "child_id,visit_kind,visit_date,seen,seen_alone,worker\n" + "".join(
    f"C{n:04d},CP,2025-01-{1 + n % 28:02d},Y,N,Sam\n" for n in range(2867))


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def _slow_copy(content: bytes, target, chunks: int, pause: float, reopen: bool) -> None:
    """A copy job writing in pieces; with reopen it closes the file between pieces, as a copy in two halves does."""
    size = -(-len(content) // chunks)
    handle = target.open("wb")
    for start in range(0, len(content), size):
        handle.write(content[start:start + size])
        handle.flush()
        if reopen:
            handle.close()
        time.sleep(pause)
        if reopen:
            handle = target.open("ab")
    handle.close()


def test_files_copied_in_slow_pieces_load_once_and_complete(settings, engine, tmp_path):
    write_cin_census(build_authority(200, seed=5, reference_date=date(2025, 3, 31)), tmp_path / "census.xml")
    census = (tmp_path / "census.xml").read_bytes()
    settings.landing_dir.mkdir(parents=True)
    patient = replace(settings, settle_seconds=0.5)
    writers = [
        threading.Thread(target=_slow_copy, args=(census, settings.landing_dir / "cin_census_999_2025.xml", 12, 0.1, False)),
        threading.Thread(target=_slow_copy, args=(VISITS.encode(), settings.landing_dir / "visits_999_2025-03-31.csv", 2, 0.3, True)),
    ]
    for writer in writers:
        writer.start()
    loaded, rejected = [], []
    while any(writer.is_alive() for writer in writers) or len(loaded) < 2:
        report = ingest_landing(engine, patient)
        loaded += report.loaded
        rejected += report.rejected
        time.sleep(0.05)
    assert rejected == [] and sorted(loaded) == ["cin_census_999_2025.xml", "visits_999_2025-03-31.csv"]
    assert _count(engine, "visit") == 2867
    assert _count(engine, "child") == census.count(b"<Child>")


def test_a_part_file_is_ignored_until_renamed_to_its_final_name(settings, engine):
    settings.landing_dir.mkdir(parents=True)
    part = settings.landing_dir / "visits_999_2025-03-31.csv.part"
    part.write_text(VISITS)
    report = ingest_landing(engine, settings)
    assert (report.loaded, report.waiting, report.rejected) == ([], [], [])
    part.rename(settings.landing_dir / "visits_999_2025-03-31.csv")
    assert ingest_landing(engine, settings).loaded == ["visits_999_2025-03-31.csv"]


def test_a_done_marker_says_finished_before_the_settle_time(settings, engine):
    settings.landing_dir.mkdir(parents=True)
    cautious = replace(settings, settle_seconds=3600)
    (settings.landing_dir / "visits_999_2025-03-31.csv").write_text(VISITS)
    report = ingest_landing(engine, cautious)
    assert report.loaded == [] and report.lines() == [
        "waiting    visits_999_2025-03-31.csv (still changing; loads once complete or marked .done)"]
    (settings.landing_dir / "visits_999_2025-03-31.csv.done").touch()
    assert ingest_landing(engine, cautious).loaded == ["visits_999_2025-03-31.csv"]
    assert list(settings.landing_dir.iterdir()) == []  # the marker goes with its file


def test_a_file_held_open_for_writing_is_not_read_or_claimed(settings, engine):
    settings.landing_dir.mkdir(parents=True)
    path = settings.landing_dir / "visits_999_2025-03-31.csv"
    with path.open("w") as writer:
        writer.write(VISITS)
        writer.flush()
        assert ingest_landing(engine, settings).waiting == ["visits_999_2025-03-31.csv"]
        assert claim_drop(settings.landing_dir, settings.data_dir / "claimed", 0) == {}
    assert claim_drop(settings.landing_dir, settings.data_dir / "claimed", 0) == {path.name: "events"}
    assert (settings.data_dir / "claimed" / path.name).read_text() == VISITS


def test_a_truncated_file_rejected_is_picked_up_again_once_complete(settings, engine):
    settings.landing_dir.mkdir(parents=True)
    lines = VISITS.splitlines(keepends=True)
    (settings.landing_dir / "visits_999_2025-03-31.csv").write_text("".join(lines[:1001]) + lines[1001][:16])  # cut mid-row
    (error,) = ingest_landing(engine, settings).rejected
    assert str(error) == "visits_999_2025-03-31.csv: row 1002: has 3 of 6 fields: the file is truncated or the row is broken"
    (settings.landing_dir / "visits_999_2025-03-31.csv").write_text(VISITS)
    assert ingest_landing(engine, settings).loaded == ["visits_999_2025-03-31.csv"]
    assert _count(engine, "visit") == 2867
