"""The triggerer side of event-driven runs: one watcher on the landing folder, one event per drop.

An authority's exports land together (a census, the 903 tables, the event CSVs...). The trigger waits until
the drop has settled (no recognised export changed for the settle time), then claims every export in it at
once (moves them from the landing folder to `<data>/claimed/`) and fires one event naming them: one drop,
one run. A claimed file is no longer in the landing folder, so it never fires again. The run's ingest task
loads the claimed folder as well as the landing folder (content-hash dedup still applies).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any, AsyncIterator

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from .export_kinds import EXPORT_KINDS, matches


def _export_kind(path: Path) -> str | None:
    return next((kind for kind in EXPORT_KINDS if matches(kind, path)), None)


def claim_drop(landing_dir: Path, claimed_dir: Path, min_age_seconds: float = 0.0) -> dict[str, str]:
    """Move every recognised export into claimed/ once none has changed for min_age_seconds; {file name: kind}.
    Nothing is claimed while any of them is still changing, so files landing together are claimed together."""
    if not landing_dir.is_dir():
        return {}
    exports = {path: kind for path in landing_dir.iterdir()
               if path.is_file() and not path.name.startswith(".") and (kind := _export_kind(path))}
    if not exports or max(path.stat().st_mtime for path in exports) > time.time() - min_age_seconds:
        return {}
    claimed_dir.mkdir(parents=True, exist_ok=True)
    for path in exports:
        shutil.move(str(path), claimed_dir / path.name)
    return {path.name: kind for path, kind in sorted(exports.items())}


class LandedDropTrigger(BaseEventTrigger):
    """Fire once per settled drop of exports; the folders are resolved in the triggerer, not at parse time."""

    def __init__(self, poke_interval: float = 15.0, min_age_seconds: float = 10.0):
        super().__init__()
        self.poke_interval = poke_interval
        self.min_age_seconds = min_age_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"poke_interval": self.poke_interval, "min_age_seconds": self.min_age_seconds},
        )

    def claim(self) -> dict[str, str]:
        from .orchestration import claimed_dir, task_settings

        settings = task_settings()
        return claim_drop(settings.landing_dir, claimed_dir(settings), self.min_age_seconds)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            claimed = await asyncio.to_thread(self.claim)
            if claimed:
                self.log.info("claimed a drop of %d export(s): %s", len(claimed), ", ".join(sorted(claimed)))
                yield TriggerEvent({"files": claimed})
                return
            await asyncio.sleep(self.poke_interval)
