"""Limits on what one export may cost to read, checked before it is parsed. A file over a limit is rejected with
its sizes named; nothing is read into memory first.

The defaults leave room to spare over the largest English authority's real exports (a census of the ~30,000
children in need a very large authority has over a year is ~60 MB at ~2 KB a child; five years of its visits
~3 million rows; its Annex A workbook a few tens of MB that unpacks to a few hundred), and each is settable:

| setting | default | what it bounds |
|---|---|---|
| CSC_MONITOR_MAX_XML_MB | 128 | a census file (lxml needs ~10 times the file in memory) |
| CSC_MONITOR_MAX_CSV_MB | 1024 | a CSV file |
| CSC_MONITOR_MAX_CSV_ROWS | 10000000 | rows in a CSV |
| CSC_MONITOR_MAX_FIELD_CHARS | 10000 | characters in one CSV field (no export field is free text) |
| CSC_MONITOR_MAX_UNZIPPED_MB | 1024 | what an Annex A workbook's parts unpack to, together |
| CSC_MONITOR_MAX_ZIP_RATIO | 100 | how many times larger a workbook part may unpack than it is packed |
"""

from __future__ import annotations

import csv
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ExportError

MB = 1024 * 1024
SNIFF_BYTES = 65536


@dataclass(frozen=True)
class Limits:
    max_xml_mb: int = 128
    max_csv_mb: int = 1024
    max_csv_rows: int = 10_000_000
    max_field_chars: int = 10_000
    max_unzipped_mb: int = 1024
    max_zip_ratio: int = 100


def load_limits() -> Limits:
    env = os.environ
    return Limits(**{name: int(env[f"CSC_MONITOR_{name.upper()}"]) for name in Limits.__dataclass_fields__
                     if env.get(f"CSC_MONITOR_{name.upper()}")})


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


def check_size(path: Path, limit_mb: int, setting: str) -> None:
    size = path.stat().st_size
    if size > limit_mb * MB:
        raise ExportError(path.name, "whole file", f"{_mb(size)} is over the {limit_mb} MB limit ({setting})")


def check_csv(path: Path, limits: Limits) -> None:
    """Text, not binary; no more rows and no longer fields than the limits allow."""
    check_size(path, limits.max_csv_mb, "CSC_MONITOR_MAX_CSV_MB")
    with path.open("rb") as handle:
        if b"\0" in handle.read(SNIFF_BYTES):
            raise ExportError(path.name, "whole file", "binary content (NUL bytes): not a text CSV")
    previous = csv.field_size_limit(limits.max_field_chars)
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            reader = csv.reader(handle)
            try:
                for rows, _ in enumerate(reader, start=1):
                    if rows > limits.max_csv_rows:
                        raise ExportError(path.name, f"row {rows}", f"more than {limits.max_csv_rows} rows (CSC_MONITOR_MAX_CSV_ROWS)")
            except csv.Error:
                raise ExportError(path.name, f"row {reader.line_num}", f"a field longer than {limits.max_field_chars} characters "
                                  "(CSC_MONITOR_MAX_FIELD_CHARS), or a quote left open") from None
    finally:
        csv.field_size_limit(previous)


def check_workbook(path: Path, limits: Limits) -> None:
    """A zip bomb is refused from the workbook's own table of contents, before any part is unpacked."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise ExportError(path.name, "whole file", f"not a readable .xlsx workbook ({type(error).__name__})") from None
    unpacked = sum(part.file_size for part in parts)
    packed = path.stat().st_size
    if unpacked > limits.max_unzipped_mb * MB:
        raise ExportError(path.name, "whole file", f"unpacks to {_mb(unpacked)} from {_mb(packed)}: over the {limits.max_unzipped_mb} MB "
                          "limit (CSC_MONITOR_MAX_UNZIPPED_MB)")
    for part in parts:
        if part.file_size > limits.max_zip_ratio * max(part.compress_size, 1) and part.file_size > MB:
            raise ExportError(path.name, f"part {part.filename[:80]}", f"unpacks to {_mb(part.file_size)} from {_mb(part.compress_size)}, "
                              f"more than {limits.max_zip_ratio} times its packed size (CSC_MONITOR_MAX_ZIP_RATIO)")
