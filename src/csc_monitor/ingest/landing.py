"""The drop folder: each new file is recognised, parsed, loaded in one transaction and archived.

A file is known by its content hash, so the same export dropped twice is loaded once. A file that
cannot be parsed is moved to `rejected/` with its error beside it; nothing already loaded changes.

Which record wins where sources overlap is decided by snapshots.py: a newer export of the same scope
replaces the older one wholesale, a newer collection year supersedes an older one, and across kinds
rows replace rows with the same natural key.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import InterfaceError, OperationalError

from ..authorities import inferred_authority, lea_note
from ..config import Settings
from ..private import private_dir, private_file, private_umask
from ..warehouse import insert_rows
from . import ssda903
from .arrival import DONE_SUFFIX, arrivals, forget_marker, landing_entries
from .annex_a import keep_recorded_allocations, parse_annex_a, settle_snapshot_allocations
from .cin_census import parse_cin_census, root_tag
from .csv_contract import parse_csv, read_header, recognise
from .errors import ExportError, quoted
from .events import EVENT_TABLES
from .limits import Limits, check_csv, check_size, check_workbook, load_limits
from .model import ParseOptions, ParsedExport
from .repeats import resolve_repeats
from .snapshots import NATURAL_KEYS, Change, Scope, load_table, newer_same_scope, record_load, scope_of

@dataclass
class IngestReport:
    loaded: list[str] = field(default_factory=list)
    changes: dict[str, str] = field(default_factory=dict)  # per loaded file: its scope and rows added, removed, changed
    inferred: dict[str, str] = field(default_factory=dict)  # per loaded file: what was inferred (year, schema, records set aside)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[ExportError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # from files that loaded: what they held that could not be mapped
    waiting: list[str] = field(default_factory=list)  # still being written (or not settled yet): read on a later run

    def lines(self) -> list[str]:
        return (
            [f"loaded     {name}" + (f" ({self.inferred[name]})" if self.inferred.get(name) else "") + f": {self.changes[name]}"
             for name in self.loaded]
            + [f"duplicate  {name} (already loaded; archived)" for name in self.duplicates]
            + [f"REJECTED   {error}" for error in self.rejected]
            + [f"WARNING    {warning}" for warning in self.warnings]
            + [f"waiting    {name} (still changing; loads once complete or marked {DONE_SUFFIX})" for name in self.waiting]
        )


def parse_export(path: Path, authority: str, limits: Limits = Limits(), options: ParseOptions = ParseOptions()) -> ParsedExport:
    """Recognise a file by its content (XML root, or its CSV columns; an .xlsx or annex_a* folder is Annex A) and
    parse it, once it is within the limits."""
    if path.is_dir():
        for part in path.glob("*.csv"):
            check_csv(part, limits)
        return parse_annex_a(path, authority, options.extract_date)
    if path.stat().st_size == 0:
        raise ExportError(path.name, "whole file", "file is empty")
    if path.suffix.lower() == ".xlsx":
        check_workbook(path, limits)
        return parse_annex_a(path, authority, options.extract_date)
    if path.suffix.lower() == ".xml":
        check_size(path, limits.max_xml_mb, "CSC_MONITOR_MAX_XML_MB")
        if root_tag(path) == ssda903.XML_ROOT:
            return ssda903.parse_ssda903_xml(path, authority, options.collection_year)
        return parse_cin_census(path, options.strict)
    if path.suffix.lower() == ".csv":
        check_csv(path, limits)
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
        known = {name for spec in (*EVENT_TABLES, *ssda903.tables(ssda903.FIRST_LETTER_SEX_YEAR)) for name in spec.header}
        raise ExportError(path.name, "header (line 1)", f"unknown export shape: columns "
                          f"{', '.join(c if c in known else '?' for c in header)} (? not a column of any known export)")
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


def load_export(conn: Connection, parsed: ParsedExport, scope: Scope, sha256: str, file_name: str, archived_as: str) -> str:
    """Load one parsed file as the current picture of its scope; returns the report line's detail."""
    newer = newer_same_scope(conn, scope)
    if newer is not None:
        record_load(conn, parsed, scope, sha256, file_name, archived_as, None, replaced_by=newer[0])
        return f"older than {newer[1]}, already loaded for {scope.key}: nothing changed"
    parsed = keep_recorded_allocations(conn, resolve_repeats(parsed, NATURAL_KEYS))
    change = sum((load_table(conn, table, frame, parsed.authority, scope, sha256) for table, frame in parsed.tables.items()), Change())
    replaced = record_load(conn, parsed, scope, sha256, file_name, archived_as, change)
    insert_rows(conn, "quarantine", [{
        "run_id": f"ingest__{sha256[:12]}", "authority": parsed.authority, "table_name": record["table"], "rule": record["rule"],
        "source_file": sha256, "source_ref": record["source_ref"], "row_json": json.dumps(record["row"], sort_keys=True, default=str),
        "quarantined_at": datetime.now(),
    } for record in parsed.quarantined])
    settle_snapshot_allocations(conn)
    return f"{scope.key}: {change}" + (f" (replaces {', '.join(replaced)})" if replaced else "")


def _refresh_statistics(engine: Engine, tables: set[str]) -> None:
    """PostgreSQL plans the indicator joins badly on freshly loaded tables until they are analysed."""
    if engine.dialect.name == "postgresql" and tables:
        with engine.begin() as conn:
            for table in sorted(tables):
                conn.execute(text(f"ANALYZE {table}"))


def _move(path: Path, folder: Path, name: str) -> Path:
    """Archive or reject an entry; a link, device or pipe only by renaming it (it is moved as itself, never read)."""
    private_dir(folder)
    target = folder / name
    if path.is_symlink() or not (path.is_file() or path.is_dir()):
        os.replace(path, target)
        return target
    if path.is_dir() and target.exists():
        shutil.rmtree(target)
    return private_file(Path(shutil.move(str(path), target)))


HASH_BLOCK = 1 << 20


def _content_hash(path: Path) -> str:
    """A file's SHA-256, read in blocks; for an export folder (Annex A CSVs), over its files' names and contents."""
    if path.is_file():
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    digest = hashlib.sha256()
    for part in sorted(p for p in path.iterdir() if p.is_file()):
        digest.update(part.name.encode() + b"\0")
        with part.open("rb") as handle:
            while block := handle.read(HASH_BLOCK):
                digest.update(block)
    return digest.hexdigest()


def refusal(path: Path) -> str | None:
    """Why an entry of the landing folder must not be read at all: links (they lead outside it), devices, pipes and
    sockets; for an Annex A folder, the same for anything in it. The reason quotes no content."""
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        return "a symbolic link: only files copied into the landing folder are read, never what a link points to"
    if stat.S_ISDIR(mode):
        odd = sorted(entry.name for entry in path.iterdir() if not stat.S_ISREG(entry.lstat().st_mode))
        return f"holds {odd[0][:80]}, which is not a regular file" if odd else None
    if not stat.S_ISREG(mode):
        return "not a regular file (a device, pipe or socket)"
    return None


def _reject(report: IngestReport, settings: Settings, path: Path, error: ExportError) -> None:
    try:
        rejected = _move(path, settings.data_dir / "rejected", "_".join(path.relative_to(settings.landing_dir).parts))
        reason = rejected.with_name(rejected.name + ".error.txt")
        reason.write_text(str(error) + "\n")
        private_file(reason)
    except OSError:
        pass  # on another file system a device or link cannot be moved without reading it: it stays, and is reported again
    forget_marker(path)
    report.rejected.append(error)


def _parse(path: Path, settings: Settings, limits: Limits, engine: Engine) -> ParsedExport:
    """Any failure to read a file rejects that file, by name, without quoting the error's text (it may hold data)."""
    try:
        options = ParseOptions(settings.strict_ingest, settings.collection_year, settings.extract_date)
        parsed = parse_export(path, file_authority(path, settings, engine), limits, options)
    except ExportError:
        raise
    except MemoryError:
        raise ExportError(path.name, "whole file", "too large to read in the memory available; nothing from it was loaded") from None
    except Exception as error:  # noqa: BLE001 - poison must not spread: one unreadable file never stops the others
        raise ExportError(path.name, "whole file", f"could not be read ({type(error).__name__}); nothing from it was loaded") from None
    parsed.notes += lea_note(parsed, settings)
    if settings.authorities and parsed.authority not in settings.authorities:
        raise ExportError(path.name, "LEA", f"authority {quoted(parsed.authority)} is not one of this run's ({', '.join(settings.authorities)})")
    return parsed


def ingest_landing(engine: Engine, settings: Settings) -> IngestReport:
    """Load every complete new file in the landing folder; a file that cannot be read is rejected and the rest go on."""
    report, loaded_tables, limits = IngestReport(), set(), load_limits()
    private_umask()
    private_dir(settings.data_dir)
    complete = arrivals(settings.landing_dir, settings.settle_seconds)
    report.waiting = [p.name for p in landing_entries(settings.landing_dir) if p not in complete]
    for path in sorted(complete, key=lambda path: path.suffix.lower() != ".xml"):  # censuses first: CSVs may take the authority a census names
        try:
            reason = refusal(path)
            sha256 = None if reason else _content_hash(path)
        except OSError as error:
            reason = f"cannot be read ({type(error).__name__})"
        if reason:
            _reject(report, settings, path, ExportError(path.name, "whole file", reason))
            continue
        with engine.connect() as conn:
            known = conn.execute(text("SELECT 1 FROM load_file WHERE sha256 = :s"), {"s": sha256}).first()
        if known:
            _move(path, settings.archive_dir / "duplicates", f"{sha256[:12]}_{path.name}")
            forget_marker(path)
            report.duplicates.append(path.name)
            continue
        try:
            parsed = _parse(path, settings, limits, engine)
            archived_name = f"{sha256[:12]}_{path.name}"
            with engine.begin() as conn:
                report.changes[path.name] = load_export(conn, parsed, scope_of(parsed, path), sha256, path.name,
                                                        str(settings.archive_dir / archived_name))
        except ExportError as error:
            _reject(report, settings, path, error)
            continue
        except (OperationalError, InterfaceError):
            raise  # the warehouse is unreachable, not the file at fault: it stays in the landing folder for the next run
        except Exception as error:  # noqa: BLE001 - the file's rows broke a warehouse rule or the loader: only that file is rejected
            cause = type(getattr(error, "orig", None) or error).__name__
            _reject(report, settings, path, ExportError(path.name, "whole file", f"could not be loaded ({cause}); nothing from it was loaded"))
            continue
        _move(path, settings.archive_dir, archived_name)
        forget_marker(path)
        report.loaded.append(path.name)
        report.inferred[path.name] = "; ".join(parsed.notes)
        report.warnings += [f"{path.name}: {warning}" for warning in parsed.warnings]
        loaded_tables.update(parsed.tables)
    _refresh_statistics(engine, loaded_tables)
    return report
