"""The triggerer side of event-driven runs: one watcher on the landing folder, one event per drop.

An authority's exports land together (a census, the 903 tables, the event CSVs...). The trigger waits until
every recognised export in the drop is complete, by the same rule as every ingest (ingest/arrival.py: settled
for the settle time or marked `<file>.done`, not a temporary name, not open for writing), then claims them all
at once (moves them from the landing folder to `<data>/claimed/`, keeping their folders) and fires one event:
one drop, one run. A claimed file is no longer in the landing folder, so it never fires again. The run's ingest
task loads the claimed folder as well as the landing folder (content-hash dedup still applies).
"""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from pathlib import Path
from typing import Any, AsyncIterator

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from .config import load_settings
from .export_kinds import EXPORT_KINDS, matches
from .ingest.arrival import arrivals, forget_marker, landing_entries
from .private import private_dir, private_file


def _export_kind(path: Path) -> str | None:
    """A file the watcher cannot even recognise (binary, unreadable) is not claimed: the ingest task rejects it by name."""
    try:
        return next((kind for kind in EXPORT_KINDS if matches(kind, path)), None)
    except Exception:  # noqa: BLE001 - one bad file must never stop the watcher
        return None


def claim_drop(landing_dir: Path, claimed_dir: Path, settle_seconds: float) -> dict[str, str]:
    """Move every recognised export into claimed/ once all of them are complete; {file path under the landing
    folder: kind}. Nothing is claimed while any of them is still arriving, so files landing together are claimed
    together. Links, devices and anything unrecognised are left for the ingest task, which rejects or reads them."""
    exports = {path: kind for path in landing_entries(landing_dir)
               if path.is_file() and not path.is_symlink() and (kind := _export_kind(path))}
    if not exports or set(exports) - set(arrivals(landing_dir, settle_seconds)):
        return {}
    for path in exports:
        target = claimed_dir / path.relative_to(landing_dir)  # a folder such as 2017-18/ still tells the year
        private_dir(target.parent)
        private_file(Path(shutil.move(str(path), target)))
        forget_marker(path)
    return {str(path.relative_to(landing_dir)): kind for path, kind in sorted(exports.items())}


class LandedDropTrigger(BaseEventTrigger):
    """Fire once per complete drop of exports; the folders, poll interval and settle time are resolved in the triggerer,
    not at parse time."""

    def __init__(self, poke_interval: float | None = None, settle_seconds: float | None = None):
        super().__init__()
        self.poke_interval = poke_interval  # None: CSC_MONITOR_DROP_POLL_SECONDS
        self.settle_seconds = settle_seconds  # None: CSC_MONITOR_SETTLE_SECONDS, as for every ingest

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"poke_interval": self.poke_interval, "settle_seconds": self.settle_seconds},
        )

    def claim(self) -> dict[str, str]:
        from .orchestration import claimed_dir, task_settings

        settings = task_settings()
        settle = settings.settle_seconds if self.settle_seconds is None else self.settle_seconds
        return claim_drop(settings.landing_dir, claimed_dir(settings), settle)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        poke_interval = load_settings().drop_poll_seconds if self.poke_interval is None else self.poke_interval
        while True:
            claimed = await asyncio.to_thread(self.claim)
            if claimed:
                kinds = Counter(claimed.values())
                self.log.info("claimed a drop of %d export(s): %s", len(claimed), ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
                yield TriggerEvent({"files": claimed})
                return
            await asyncio.sleep(poke_interval)
