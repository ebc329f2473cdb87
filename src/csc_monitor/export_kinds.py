"""The export kinds the landing-folder watcher recognises (airflow_triggers.claim_drop).

Only names and file suffixes are here, because the DAG file imports this module at parse time. Which
kind a CSV is comes from the ingest package's own specifications (the exact columns of each 903 table
and of each event-level file), imported only when the triggerer recognises a file; ingest still
recognises and validates every file by its full content.
"""

from __future__ import annotations

from pathlib import Path

EXPORT_KINDS: dict[str, str] = {  # kind -> file suffix
    "cin_census": ".xml",
    "ssda903": ".csv",
    "allocations": ".csv",
    "events": ".csv",   # visits, reviews, health checks, return interviews, CP visit frequencies, placement arrangements
    "annex_a": ".xlsx",
}


def matches(kind: str, path: Path) -> bool:
    if path.suffix.lower() != EXPORT_KINDS[kind]:
        return False
    if EXPORT_KINDS[kind] != ".csv":
        return True
    from .ingest import ssda903
    from .ingest.csv_contract import read_header, recognise
    from .ingest.events import EVENT_TABLES

    if kind == "ssda903":
        return ssda903.recognise(path) is not None
    event = recognise(read_header(path), EVENT_TABLES)
    return event is not None and (event.kind == "allocations") == (kind == "allocations")
