"""What a parser hands to the loader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd


@dataclass
class ParsedExport:
    kind: str
    authority: str
    collection_year: int | None
    reference_date: date | None
    tables: dict[str, pd.DataFrame]

    @property
    def row_count(self) -> int:
        return sum(len(frame) for frame in self.tables.values())
