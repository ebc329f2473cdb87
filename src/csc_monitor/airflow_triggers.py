"""The triggerer side of event-driven runs: one watcher per export kind on the landing folder.

A file that stayed in place would fire its asset again and again, so the trigger claims it: it
moves the file from the landing folder to `<data>/claimed/` before it fires. The run's ingest task
loads the claimed folder as well as the landing folder (content-hash dedup still applies). Only a
complete file is claimed, by the same rule as every ingest (ingest/arrival.py: settled or marked done,
not a temporary name, not open for writing).
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any, AsyncIterator

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from .export_kinds import matches
from .ingest.arrival import arrivals, forget_marker
from .private import private_dir, private_file


def _matches(kind: str, path: Path) -> bool:
    """A file the watcher cannot even recognise (binary, unreadable) is not claimed: the ingest task rejects it by name."""
    try:
        return matches(kind, path)
    except Exception:  # noqa: BLE001 - one bad file must never stop the watcher
        return False


def claim_next(kind: str, landing_dir: Path, claimed_dir: Path, settle_seconds: float) -> Path | None:
    """Move the oldest complete regular file of this kind into claimed/; returns its new path. Links, devices and
    folders are left for the ingest task, which rejects or reads them."""
    candidates = sorted((p for p in arrivals(landing_dir, settle_seconds) if p.is_file() and not p.is_symlink()),
                        key=lambda p: (p.stat().st_mtime, p.name))
    for path in candidates:
        if _matches(kind, path):
            private_dir(claimed_dir)
            claimed = Path(shutil.move(str(path), claimed_dir / path.name))
            forget_marker(path)
            return private_file(claimed)
    return None


class LandedExportTrigger(BaseEventTrigger):
    """Fire once per new export of `kind`; the folders are resolved in the triggerer, not at parse time."""

    def __init__(self, kind: str, poke_interval: float = 15.0):
        super().__init__()
        self.kind = kind
        self.poke_interval = poke_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"kind": self.kind, "poke_interval": self.poke_interval},
        )

    def claim(self) -> Path | None:
        from .orchestration import claimed_dir, task_settings

        settings = task_settings()
        return claim_next(self.kind, settings.landing_dir, claimed_dir(settings), settings.settle_seconds)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            claimed = await asyncio.to_thread(self.claim)
            if claimed is not None:
                self.log.info("claimed %s export %s", self.kind, claimed.name)
                yield TriggerEvent({"kind": self.kind, "file": claimed.name})
                return
            await asyncio.sleep(self.poke_interval)
