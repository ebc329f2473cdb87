"""The drop folder: each new file is recognised, parsed, loaded in one transaction and archived.

A file is known by its content hash, so the same export dropped twice is loaded once. A file that
cannot be parsed is moved to `rejected/` with its error beside it; nothing already loaded changes.

Which record wins where sources overlap is decided by snapshots.py: a newer export of the same scope
replaces the older one wholesale, a newer collection year supersedes an older one, and across kinds
rows replace rows with the same natural key.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from ..config import Settings
from . import ssda903
from .annex_a import is_annex_a_folder, keep_recorded_allocations, parse_annex_a, settle_snapshot_allocations
from .cin_census import parse_cin_census
from .csv_contract import parse_csv, read_header
from .errors import ExportError
from .events import EVENT_TABLES
from .model import ParsedExport
from .snapshots import Change, Scope, load_table, newer_same_scope, record_load, scope_of

@dataclass
class IngestReport:
    loaded: list[str] = field(default_factory=list)
    changes: dict[str, str] = field(default_factory=dict)  # per loaded file: its scope and rows added, removed, changed
    duplicates: list[str] = field(default_factory=list)
    rejected: list[ExportError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # from files that loaded: what they held that could not be mapped

    def lines(self) -> list[str]:
        return (
            [f"loaded     {name}: {self.changes[name]}" for name in self.loaded]
            + [f"duplicate  {name} (already loaded; archived)" for name in self.duplicates]
            + [f"REJECTED   {error}" for error in self.rejected]
            + [f"WARNING    {warning}" for warning in self.warnings]
        )


def parse_export(path: Path, authority: str) -> ParsedExport:
    """Recognise a file by its content (XML root, or its exact CSV columns; an .xlsx or annex_a* folder is Annex A) and parse it."""
    if path.is_dir():
        return parse_annex_a(path, authority)
    if path.stat().st_size == 0:
        raise ExportError(path.name, "whole file", "file is empty")
    if path.suffix.lower() == ".xlsx":
        return parse_annex_a(path, authority)
    if path.suffix.lower() == ".xml":
        return parse_cin_census(path)
    if path.suffix.lower() == ".csv":
        try:
            header = read_header(path)
        except UnicodeDecodeError as error:
            raise ExportError(path.name, "header (line 1)", f"not UTF-8 text ({error.reason}); export it as UTF-8 CSV") from None
        event = next((spec for spec in EVENT_TABLES if spec.header == header), None)
        if event:
            return ParsedExport(event.kind, authority, None, None, {event.table: parse_csv(path, event, authority)})
        if ssda903.recognise(path):
            return ssda903.parse_ssda903(path, authority)
        raise ExportError(path.name, "header (line 1)", f"unknown export shape: columns {', '.join(header)}")
    raise ExportError(path.name, "whole file", f"unknown export type '{path.suffix}' (expected .xml or .csv)")


def file_authority(path: Path, settings: Settings) -> str:
    """Whose export this is. A CSV or Annex A file does not say, so in regional mode (settings.authorities) its
    name must carry exactly one of the codes (e.g. visits_801_2025-03-31.csv); otherwise it is settings.authority."""
    if not settings.authorities:
        return settings.authority
    named = {part for part in re.split(r"[^0-9A-Za-z]+", path.stem) if part in settings.authorities}
    if len(named) != 1:
        raise ExportError(path.name, "file name", f"regional mode: name the authority in the file name, one of {', '.join(settings.authorities)}")
    return named.pop()


def load_export(conn: Connection, parsed: ParsedExport, scope: Scope, sha256: str, file_name: str, archived_as: str) -> str:
    """Load one parsed file as the current picture of its scope; returns the report line's detail."""
    newer = newer_same_scope(conn, scope)
    if newer is not None:
        record_load(conn, parsed, scope, sha256, file_name, archived_as, None, replaced_by=newer[0])
        return f"older than {newer[1]}, already loaded for {scope.key}: nothing changed"
    parsed = keep_recorded_allocations(conn, parsed)
    change = Change()
    for table, frame in parsed.tables.items():
        counted = load_table(conn, table, frame, parsed.authority, scope, sha256)
        change.added, change.removed, change.changed = (change.added + counted.added, change.removed + counted.removed,
                                                        change.changed + counted.changed)
    replaced = record_load(conn, parsed, scope, sha256, file_name, archived_as, change)
    settle_snapshot_allocations(conn)
    return f"{scope.key}: {change}" + (f" (replaces {', '.join(replaced)})" if replaced else "")


def _refresh_statistics(engine: Engine, tables: set[str]) -> None:
    """PostgreSQL plans the indicator joins badly on freshly loaded tables until they are analysed."""
    if engine.dialect.name == "postgresql" and tables:
        with engine.begin() as conn:
            for table in sorted(tables):
                conn.execute(text(f"ANALYZE {table}"))


def _move(path: Path, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.move(str(path), folder / name))


def _content_hash(path: Path) -> str:
    """A file's SHA-256; for an export folder (Annex A CSVs), over its files' names and contents."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for part in sorted(p for p in path.iterdir() if p.is_file()):
        digest.update(part.name.encode() + b"\0" + part.read_bytes())
    return digest.hexdigest()


def ingest_landing(engine: Engine, settings: Settings) -> IngestReport:
    report, loaded_tables = IngestReport(), set()
    if not settings.landing_dir.exists():
        return report
    for path in sorted(p for p in settings.landing_dir.iterdir() if (p.is_file() or is_annex_a_folder(p)) and not p.name.startswith(".")):
        sha256 = _content_hash(path)
        with engine.connect() as conn:
            known = conn.execute(text("SELECT 1 FROM load_file WHERE sha256 = :s"), {"s": sha256}).first()
        if known:
            _move(path, settings.archive_dir / "duplicates", f"{sha256[:12]}_{path.name}")
            report.duplicates.append(path.name)
            continue
        try:
            parsed = parse_export(path, settings.authority if path.suffix.lower() == ".xml" else file_authority(path, settings))
            if settings.authorities and parsed.authority not in settings.authorities:
                raise ExportError(path.name, "LEA", f"authority {parsed.authority} is not one of this run's ({', '.join(settings.authorities)})")
        except ExportError as error:
            rejected = _move(path, settings.data_dir / "rejected", path.name)
            rejected.with_name(rejected.name + ".error.txt").write_text(str(error) + "\n")
            report.rejected.append(error)
            continue
        archived_name = f"{sha256[:12]}_{path.name}"
        with engine.begin() as conn:
            report.changes[path.name] = load_export(conn, parsed, scope_of(parsed, path), sha256, path.name,
                                                    str(settings.archive_dir / archived_name))
        _move(path, settings.archive_dir, archived_name)
        report.loaded.append(path.name)
        report.warnings += [f"{path.name}: {warning}" for warning in parsed.warnings]
        loaded_tables.update(parsed.tables)
    _refresh_statistics(engine, loaded_tables)
    return report
