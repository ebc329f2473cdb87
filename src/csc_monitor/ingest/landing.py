"""The drop folder: each new file is recognised, parsed, loaded in one transaction and archived.

A file is known by its content hash, so the same export dropped twice is loaded once. A file that
cannot be parsed is moved to `rejected/` with its error beside it; nothing already loaded changes.
Rows replace earlier rows with the same natural key: a later export corrects an earlier one.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from ..config import Settings
from ..warehouse import insert_rows
from .allocations import COLUMNS as ALLOCATION_COLUMNS
from .allocations import parse_allocations
from .cin_census import parse_cin_census
from .errors import ExportError
from .model import ParsedExport

NATURAL_KEYS = {
    "child": ("authority", "child_id"),
    "referral": ("authority", "child_id", "referral_date"),
    "assessment": ("authority", "child_id", "start_date"),
    "section47_enquiry": ("authority", "child_id", "strategy_discussion_date"),
    "cp_plan": ("authority", "child_id", "start_date"),
    "cp_review": ("authority", "child_id", "plan_start_date", "review_date"),
    "allocation": ("authority", "child_id", "start_date"),
}


@dataclass
class IngestReport:
    loaded: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[ExportError] = field(default_factory=list)

    def lines(self) -> list[str]:
        return (
            [f"loaded     {name}" for name in self.loaded]
            + [f"duplicate  {name} (already loaded; archived)" for name in self.duplicates]
            + [f"REJECTED   {error}" for error in self.rejected]
        )


def parse_export(path: Path, authority: str) -> ParsedExport:
    """Recognise a file by its content (XML root, or its exact CSV columns) and parse it."""
    if path.stat().st_size == 0:
        raise ExportError(path.name, "whole file", "file is empty")
    if path.suffix.lower() == ".xml":
        return parse_cin_census(path)
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig") as handle:
            header = [c.strip() for c in handle.readline().strip().split(",")]
        if header == ALLOCATION_COLUMNS:
            return parse_allocations(path, authority)
        raise ExportError(path.name, "header (line 1)", f"unknown export shape: columns {', '.join(header)}")
    raise ExportError(path.name, "whole file", f"unknown export type '{path.suffix}' (expected .xml or .csv)")


def _replace_by_key(conn: Connection, table: str, rows, keys: tuple[str, ...]) -> None:
    stage = f"stage_{table}"
    conn.execute(text(f"CREATE TEMPORARY TABLE {stage} AS SELECT * FROM {table} WHERE 1 = 0"))
    insert_rows(conn, stage, rows)
    match = " AND ".join(f"s.{k} = t.{k}" for k in keys)
    conn.execute(text(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM {stage} s WHERE {match})"))
    conn.execute(text(f"INSERT INTO {table} SELECT * FROM {stage}"))
    conn.execute(text(f"DROP TABLE {stage}"))


def load_export(conn: Connection, parsed: ParsedExport, sha256: str, file_name: str, archived_as: str) -> None:
    for table, frame in parsed.tables.items():
        if not frame.empty:
            _replace_by_key(conn, table, frame.assign(source_file=sha256), NATURAL_KEYS[table])
    insert_rows(conn, "load_file", [{
        "sha256": sha256, "file_name": file_name, "kind": parsed.kind, "authority": parsed.authority,
        "collection_year": parsed.collection_year, "reference_date": parsed.reference_date,
        "row_count": parsed.row_count, "loaded_at": datetime.now(), "archived_as": archived_as,
    }])


def _move(path: Path, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.move(str(path), folder / name))


def ingest_landing(engine: Engine, settings: Settings) -> IngestReport:
    report = IngestReport()
    if not settings.landing_dir.exists():
        return report
    for path in sorted(p for p in settings.landing_dir.iterdir() if p.is_file() and not p.name.startswith(".")):
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        with engine.connect() as conn:
            known = conn.execute(text("SELECT 1 FROM load_file WHERE sha256 = :s"), {"s": sha256}).first()
        if known:
            _move(path, settings.archive_dir / "duplicates", f"{sha256[:12]}_{path.name}")
            report.duplicates.append(path.name)
            continue
        try:
            parsed = parse_export(path, settings.authority)
        except ExportError as error:
            rejected = _move(path, settings.data_dir / "rejected", path.name)
            rejected.with_name(rejected.name + ".error.txt").write_text(str(error) + "\n")
            report.rejected.append(error)
            continue
        archived_name = f"{sha256[:12]}_{path.name}"
        with engine.begin() as conn:
            load_export(conn, parsed, sha256, path.name, str(settings.archive_dir / archived_name))
        _move(path, settings.archive_dir, archived_name)
        report.loaded.append(path.name)
    return report
