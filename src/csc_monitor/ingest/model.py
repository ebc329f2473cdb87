"""What a parser hands to the loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd


@dataclass
class ParsedExport:
    kind: str
    authority: str
    collection_year: int | None
    reference_date: date | None
    tables: dict[str, pd.DataFrame]
    warnings: list[str] = field(default_factory=list)  # what was read but could not be mapped (sheet, column, row); never dropped silently
    exported_at: datetime | None = None  # when the source system wrote it, if the file says (else its modification time counts)

    @property
    def row_count(self) -> int:
        return sum(len(frame) for frame in self.tables.values())
