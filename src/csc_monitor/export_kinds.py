"""The export kinds that land in the drop folder, one Airflow asset each.

Data, not code: a new export kind is one entry here (its file suffix and, for CSV, the exact header
of its first line). Recognition here is only cheap enough for the triggerer to route a file to its
asset; ingest still recognises and validates every file by its full content.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ExportKind:
    suffix: str
    header: tuple[str, ...] | None = None  # exact CSV columns; None: any file with the suffix


EXPORT_KINDS: dict[str, ExportKind] = {
    "cin_census": ExportKind(".xml"),
    "allocations": ExportKind(".csv", ("child_id", "team", "worker", "start_date", "end_date")),
}


def asset_name(kind: str) -> str:
    return f"csc_export_{kind}"


def _header(path: Path) -> tuple[str, ...]:
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        return tuple(column.strip() for column in handle.readline().strip().split(","))


def matches(kind: str, path: Path) -> bool:
    spec = EXPORT_KINDS[kind]
    if path.suffix.lower() != spec.suffix:
        return False
    return spec.header is None or _header(path) == spec.header
