"""The triggerer side of event-driven runs: one watcher per export kind on the landing folder.

A file that stayed in place would fire its asset again and again, so the trigger claims it: it
moves the file from the landing folder to `<data>/claimed/` before it fires. The run's ingest task
loads the claimed folder as well as the landing folder (content-hash dedup still applies).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any, AsyncIterator

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from .export_kinds import matches


def claim_next(kind: str, landing_dir: Path, claimed_dir: Path, min_age_seconds: float = 0.0) -> Path | None:
    """Move the oldest file of this kind that has stopped changing into claimed/; returns its new path."""
    if not landing_dir.is_dir():
        return None
    settled_before = time.time() - min_age_seconds
    candidates = sorted(
        (p for p in landing_dir.iterdir() if p.is_file() and not p.name.startswith(".")),
        key=lambda p: (p.stat().st_mtime, p.name),
    )
    for path in candidates:
        if path.stat().st_mtime <= settled_before and matches(kind, path):
            claimed_dir.mkdir(parents=True, exist_ok=True)
            return Path(shutil.move(str(path), claimed_dir / path.name))
    return None


class LandedExportTrigger(BaseEventTrigger):
    """Fire once per new export of `kind`; the folders are resolved in the triggerer, not at parse time."""

    def __init__(self, kind: str, poke_interval: float = 15.0, min_age_seconds: float = 10.0):
        super().__init__()
        self.kind = kind
        self.poke_interval = poke_interval
        self.min_age_seconds = min_age_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"kind": self.kind, "poke_interval": self.poke_interval, "min_age_seconds": self.min_age_seconds},
        )

    def claim(self) -> Path | None:
        from .orchestration import claimed_dir, task_settings

        settings = task_settings()
        return claim_next(self.kind, settings.landing_dir, claimed_dir(settings), self.min_age_seconds)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            claimed = await asyncio.to_thread(self.claim)
            if claimed is not None:
                self.log.info("claimed %s export %s", self.kind, claimed.name)
                yield TriggerEvent({"kind": self.kind, "file": claimed.name})
                return
            await asyncio.sleep(self.poke_interval)
