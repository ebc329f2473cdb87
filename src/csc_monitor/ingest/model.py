"""What a parser hands to the loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd


@dataclass(frozen=True)
class ParseOptions:
    """What the person running `ingest` said about the files that the files cannot say themselves."""
    strict: bool = False  # --strict: a census breaking its schema anywhere is rejected whole
    collection_year: int | None = None  # --collection-year: for 903 files whose name and folder give none
    extract_date: date | None = None  # --extract-date: for an Annex A whose name and folder give none


@dataclass
class ParsedExport:
    kind: str
    authority: str
    collection_year: int | None
    reference_date: date | None
    tables: dict[str, pd.DataFrame]
    warnings: list[str] = field(default_factory=list)  # what was read but could not be mapped (sheet, column, row); never dropped silently
    notes: list[str] = field(default_factory=list)  # what was inferred (year from the folder, schema used): on the loaded line and in load_file
    quarantined: list[dict] = field(default_factory=list)  # records set aside at ingest: {table, rule, source_ref, row}
    exported_at: datetime | None = None  # when the source system wrote it, if the file says (else its modification time counts)

    @property
    def row_count(self) -> int:
        return sum(len(frame) for frame in self.tables.values())
