"""One writer at a time: an ingest, or a run that writes figures, holds the warehouse's lock while it works.

PostgreSQL: a session advisory lock keyed by the warehouse URL (database and search path), held by a connection
named after its holder, so the next one can say who has it. DuckDB: an flock on `<warehouse file>.lock` beside the
warehouse, holding the same words. Either is released by the operating system if the holder dies. A second comer
waits up to CSC_MONITOR_LOCK_WAIT_SECONDS (default 0), then stops with "another ingest is running (pid, since)":
a message, never a traceback.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from ..config import Settings
from ..private import private_umask

POLL_SECONDS = 0.5


class WarehouseBusy(Exception):
    """Another process holds the warehouse lock; the message says which and since when."""


def _holder(activity: str) -> str:
    """Who holds the lock, as `activity|pid|since` (short enough for a PostgreSQL application name)."""
    return f"{activity}|{os.getpid()}|{datetime.now():%Y-%m-%d %H:%M:%S}"


def _waiting(deadline: float, holder: str) -> None:
    if time.monotonic() >= deadline:
        parts = holder.split("|")
        raise WarehouseBusy(f"another {parts[0]} is running (pid {parts[1]}, since {parts[2]})" if len(parts) == 3
                            else "another csc-monitor process holds the warehouse")
    time.sleep(POLL_SECONDS)


@contextmanager
def _file_lock(path: Path, activity: str, deadline: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                _waiting(deadline, os.pread(descriptor, 200, 0).decode(errors="replace").strip())
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, _holder(activity).encode(), 0)
        yield
    finally:
        os.close(descriptor)  # releases the flock; the words stay but only a holder's are ever read


def _advisory_key(url: str) -> int:
    return int.from_bytes(hashlib.sha256(url.encode()).digest()[:8], "big", signed=True)


@contextmanager
def _advisory_lock(url: str, activity: str, deadline: float) -> Iterator[None]:
    key, holder = _advisory_key(url), _holder(activity)
    engine = sa.create_engine(url, poolclass=NullPool, connect_args={"application_name": f"csc-monitor|{holder}"})
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
                named = conn.execute(sa.text(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                    "AND l.granted AND CAST(l.classid AS BIGINT) = :high AND CAST(l.objid AS BIGINT) = :low AND l.objsubid = 1"),
                    {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF}).scalar()
                _waiting(deadline, (named or "").removeprefix("csc-monitor|"))
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        engine.dispose()


@contextmanager
def exclusive(settings: Settings, activity: str) -> Iterator[None]:
    """Hold the warehouse's writer lock for `activity` ("ingest", "run writing figures")."""
    private_umask()
    deadline = time.monotonic() + settings.lock_wait_seconds
    url = settings.warehouse_url
    if url.startswith("duckdb:///"):
        database = Path(url.removeprefix("duckdb:///"))
        with _file_lock(database.with_name(database.name + ".lock"), activity, deadline):
            yield
    else:
        with _advisory_lock(url, activity, deadline):
            yield
