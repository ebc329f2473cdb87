"""The drop folder: each new file is recognised, parsed, loaded in one transaction and archived.

A file is known by its content hash, so the same export dropped twice is loaded once. A file that
cannot be parsed is moved to `rejected/` with its error beside it; nothing already loaded changes.

Which record wins where sources overlap (the rules are deterministic, and tested):
- rows replace earlier rows with the same natural key (NATURAL_KEYS): a later export corrects an earlier one;
- where a table carries a collection year (903 episodes), a row never replaces one from a later year,
  so last year's 903 loaded after this year's changes nothing it should not;
- `child` and `adoption` rows are merged column by column (MERGED_TABLES): the census and the 903
  header each fill what they know, and AD1 and PlacedAdoption fill one adoption row, never two.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from ..authorities import inferred_authority, lea_note
from ..config import Settings
from ..warehouse import insert_rows
from . import ssda903
from .annex_a import is_annex_a_folder, keep_recorded_allocations, parse_annex_a, settle_snapshot_allocations
from .cin_census import parse_cin_census, root_tag
from .csv_contract import parse_csv, read_header, recognise
from .errors import ExportError
from .events import EVENT_TABLES
from .model import ParseOptions, ParsedExport
from .repeats import resolve_repeats

NATURAL_KEYS = {
    "child": ("authority", "child_id"),
    "referral": ("authority", "child_id", "referral_date"),
    "assessment": ("authority", "child_id", "start_date"),
    "section47_enquiry": ("authority", "child_id", "strategy_discussion_date"),
    "cp_plan": ("authority", "child_id", "start_date"),
    "cp_review": ("authority", "child_id", "plan_start_date", "review_date"),
    "allocation": ("authority", "child_id", "start_date"),
    "care_episode": ("authority", "child_id", "start_date"),
    "la_review": ("authority", "child_id", "review_date"),
    "uasc": ("authority", "child_id"),
    "la_outcome": ("authority", "child_id", "collection_year"),
    "care_leaver_status": ("authority", "child_id", "collection_year"),
    "adoption": ("authority", "child_id"),
    "previous_permanence": ("authority", "child_id"),
    "missing_episode": ("authority", "child_id", "start_date"),
    "social_worker_episode": ("authority", "child_id", "worker_id", "start_date"),
    "visit": ("authority", "child_id", "visit_kind", "visit_date"),
    "review_event": ("authority", "child_id", "review_kind", "due_date", "review_date"),
    "health_check": ("authority", "child_id", "check_kind", "check_date"),
    "return_interview": ("authority", "child_id", "missing_start_date"),
    "cp_visit_frequency": ("authority", "child_id", "plan_start_date"),
    "annex_a_latest": ("authority", "extract_date", "list_number", "child_id", "measure"),
}
MERGED_TABLES = {"child", "adoption"}


@dataclass
class IngestReport:
    loaded: list[str] = field(default_factory=list)
    inferred: dict[str, str] = field(default_factory=dict)  # file name -> what was inferred about it (year, schema, records set aside)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[ExportError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # from files that loaded: what they held that could not be mapped

    def lines(self) -> list[str]:
        return (
            [f"loaded     {name}" + (f" ({self.inferred[name]})" if self.inferred.get(name) else "") for name in self.loaded]
            + [f"duplicate  {name} (already loaded; archived)" for name in self.duplicates]
            + [f"REJECTED   {error}" for error in self.rejected]
            + [f"WARNING    {warning}" for warning in self.warnings]
        )


def parse_export(path: Path, authority: str, options: ParseOptions = ParseOptions()) -> ParsedExport:
    """Recognise a file by its content (XML root, or its CSV columns; an .xlsx or annex_a* folder is Annex A) and parse it."""
    if path.is_dir():
        return parse_annex_a(path, authority, options.extract_date)
    if path.stat().st_size == 0:
        raise ExportError(path.name, "whole file", "file is empty")
    if path.suffix.lower() == ".xlsx":
        return parse_annex_a(path, authority, options.extract_date)
    if path.suffix.lower() == ".xml":
        if root_tag(path) == ssda903.XML_ROOT:
            return ssda903.parse_ssda903_xml(path, authority, options.collection_year)
        return parse_cin_census(path, options.strict)
    if path.suffix.lower() == ".csv":
        try:
            header = read_header(path)
        except UnicodeDecodeError as error:
            raise ExportError(path.name, "header (line 1)", f"not UTF-8 text ({error.reason}); export it as UTF-8 CSV") from None
        event = recognise(header, EVENT_TABLES)
        if event:
            warnings: list[str] = []
            frame = parse_csv(path, event, authority, warnings)
            return ParsedExport(event.kind, authority, None, None, {event.table: frame}, warnings)
        if ssda903.recognise(path):
            return ssda903.parse_ssda903(path, authority, options.collection_year)
        if newer := ssda903.not_used_yet(path, authority, header):
            return newer
        raise ExportError(path.name, "header (line 1)", f"unknown export shape: columns {', '.join(header)}")
    raise ExportError(path.name, "whole file", f"unknown export type '{path.suffix}' (expected .xml or .csv)")


def file_authority(path: Path, settings: Settings, engine: Engine | None = None) -> str:
    """Whose export this is. A census names its own (LEA). Other files do not say, so in regional mode (settings.authorities)
    the name must carry exactly one of the codes (e.g. visits_801_2025-03-31.csv); otherwise it is settings.authority,
    or, with CSC_MONITOR_AUTHORITY unset, the one authority the loaded censuses name."""
    if path.suffix.lower() == ".xml" and root_tag(path) != ssda903.XML_ROOT:
        return settings.authority
    if not settings.authorities:
        return (engine is not None and inferred_authority(engine, settings)) or settings.authority
    named = {part for part in re.split(r"[^0-9A-Za-z]+", path.stem) if part in settings.authorities}
    if len(named) != 1:
        raise ExportError(path.name, "file name", f"regional mode: name the authority in the file name, one of {', '.join(settings.authorities)}")
    return named.pop()


def _table_columns(conn: Connection, table: str) -> list[str]:
    return list(conn.execute(text(f"SELECT * FROM {table} WHERE 1 = 0")).keys())


def _replace_by_key(conn: Connection, table: str, frame, keys: tuple[str, ...]) -> None:
    """Set-based upsert through a staging table: delete what the new rows replace, then insert them."""
    columns = _table_columns(conn, table)
    stage = f"stage_{table}"
    conn.execute(text(f"CREATE TEMPORARY TABLE {stage} AS SELECT * FROM {table} WHERE 1 = 0"))
    insert_rows(conn, stage, frame[[c for c in frame.columns if c in columns]])
    match = " AND ".join(f"s.{k} IS NOT DISTINCT FROM t.{k}" for k in keys)
    if "collection_year" in columns and "collection_year" not in keys:
        conn.execute(text(
            f"DELETE FROM {stage} s WHERE EXISTS (SELECT 1 FROM {table} t WHERE {match} AND t.collection_year > s.collection_year)"))
    if table in MERGED_TABLES:
        merged = ", ".join(f"s.{c}" if c in keys else f"COALESCE(s.{c}, t.{c}) AS {c}" for c in columns)
        conn.execute(text(f"CREATE TEMPORARY TABLE merged_{table} AS SELECT {merged} FROM {stage} s LEFT JOIN {table} t ON {match}"))
        conn.execute(text(f"DROP TABLE {stage}"))
        stage = f"merged_{table}"
    conn.execute(text(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM {stage} s WHERE {match})"))
    conn.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM {stage}"))
    conn.execute(text(f"DROP TABLE {stage}"))


def load_export(conn: Connection, parsed: ParsedExport, sha256: str, file_name: str, archived_as: str) -> None:
    parsed = keep_recorded_allocations(conn, resolve_repeats(parsed, NATURAL_KEYS))
    for table, frame in parsed.tables.items():
        if not frame.empty:
            _replace_by_key(conn, table, frame.assign(source_file=sha256), NATURAL_KEYS[table])
    insert_rows(conn, "load_file", [{
        "sha256": sha256, "file_name": file_name, "kind": parsed.kind, "authority": parsed.authority,
        "collection_year": parsed.collection_year, "reference_date": parsed.reference_date,
        "row_count": parsed.row_count, "loaded_at": datetime.now(), "archived_as": archived_as,
        "notes": "; ".join(parsed.notes) or None,
    }])
    insert_rows(conn, "quarantine", [{
        "run_id": f"ingest__{sha256[:12]}", "authority": parsed.authority, "table_name": record["table"], "rule": record["rule"],
        "source_file": sha256, "source_ref": record["source_ref"], "row_json": json.dumps(record["row"], sort_keys=True, default=str),
        "quarantined_at": datetime.now(),
    } for record in parsed.quarantined])
    settle_snapshot_allocations(conn)


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


def landing_files(folder: Path) -> list[Path]:
    """Every export in the landing folder and its subfolders (last year's 903 in 2017-18/, say), censuses first (so
    CSVs can take the authority a census names), then in name order. An annex_a* folder is one export; hidden files
    and folders are skipped."""
    found: list[Path] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_file() or is_annex_a_folder(path):
            found.append(path)
        elif path.is_dir():
            found += landing_files(path)
    return sorted(found, key=lambda path: path.suffix.lower() != ".xml")


def ingest_landing(engine: Engine, settings: Settings) -> IngestReport:
    report, loaded_tables = IngestReport(), set()
    options = ParseOptions(settings.strict_ingest, settings.collection_year, settings.extract_date)
    if not settings.landing_dir.exists():
        return report
    for path in landing_files(settings.landing_dir):
        sha256 = _content_hash(path)
        with engine.connect() as conn:
            known = conn.execute(text("SELECT 1 FROM load_file WHERE sha256 = :s"), {"s": sha256}).first()
        if known:
            _move(path, settings.archive_dir / "duplicates", f"{sha256[:12]}_{path.name}")
            report.duplicates.append(path.name)
            continue
        try:
            parsed = parse_export(path, file_authority(path, settings, engine), options)
            parsed.notes += lea_note(parsed, settings)
            if settings.authorities and parsed.authority not in settings.authorities:
                raise ExportError(path.name, "LEA", f"authority {parsed.authority} is not one of this run's ({', '.join(settings.authorities)})")
        except ExportError as error:
            rejected = _move(path, settings.data_dir / "rejected", "_".join(path.relative_to(settings.landing_dir).parts))
            rejected.with_name(rejected.name + ".error.txt").write_text(str(error) + "\n")
            report.rejected.append(error)
            continue
        archived_name = f"{sha256[:12]}_{path.name}"
        with engine.begin() as conn:
            load_export(conn, parsed, sha256, path.name, str(settings.archive_dir / archived_name))
        _move(path, settings.archive_dir, archived_name)
        report.loaded.append(path.name)
        report.inferred[path.name] = "; ".join(parsed.notes)
        report.warnings += [f"{path.name}: {warning}" for warning in parsed.warnings]
        loaded_tables.update(parsed.tables)
    _refresh_statistics(engine, loaded_tables)
    return report
