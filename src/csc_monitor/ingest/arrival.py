"""Complete files only: what in a drop folder may be read now. The CLI, the DAG's ingest task and the landing
watchers (airflow_triggers) all ask this module, so a file half-copied onto the share is never loaded or moved.

A file is complete when
- a copy job says so with a marker `<file>.done` beside it, or
- it has stopped changing: neither its content nor its metadata changed for the settle time
  (CSC_MONITOR_SETTLE_SECONDS, default 30; the inode change time counts too, so a rename or a
  copy that restores the old modification time still restarts the clock);
and, either way, no process holds it open for writing (where the operating system can tell: a Linux read
lease is refused while a writer has the file open). Names starting with `.` or ending `.tmp` or `.part`
are a copy job's temporary names: never read, so a copy that ends in an atomic rename is never seen half-written.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path

from .annex_a import is_annex_a_folder

TEMPORARY_SUFFIXES = (".tmp", ".part")
DONE_SUFFIX = ".done"


def is_temporary(path: Path) -> bool:
    return path.name.startswith(".") or path.name.lower().endswith(TEMPORARY_SUFFIXES)


def done_marker(path: Path) -> Path:
    return path.with_name(path.name + DONE_SUFFIX)


def _last_change(path: Path) -> float:
    """Latest modification or inode change of the entry (not what a link points to); of a folder, also of its entries."""
    stats = [path.lstat()]
    if path.is_dir() and not path.is_symlink():
        stats += [entry.lstat() for entry in path.iterdir()]
    return max(max(s.st_mtime, s.st_ctime) for s in stats)


def open_for_writing(path: Path) -> bool:
    """True if another process has the file open for writing. A read lease is refused then (Linux, own files);
    where leases are unavailable this says False and the settle time alone decides."""
    set_lease = getattr(fcntl, "F_SETLEASE", None)
    if set_lease is None or path.is_symlink() or not path.is_file():
        return False
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.fcntl(descriptor, set_lease, fcntl.F_RDLCK)
        fcntl.fcntl(descriptor, set_lease, fcntl.F_UNLCK)
        return False
    except OSError as error:
        return error.errno == errno.EAGAIN
    finally:
        os.close(descriptor)


def is_complete(path: Path, settle_seconds: float, now: float | None = None) -> bool:
    if is_temporary(path) or path.name.endswith(DONE_SUFFIX):
        return False
    if not done_marker(path).exists() and (now or time.time()) - _last_change(path) < settle_seconds:
        return False
    return not open_for_writing(path)


def landing_entries(folder: Path) -> list[Path]:
    """Every export in a drop folder and its subfolders (last year's 903 in 2017-18/, say), in name order, temporary
    names and markers left out. An annex_a* folder is one export; a link is an entry (never followed, so refused)."""
    if not folder.is_dir():
        return []
    found: list[Path] = []
    for path in sorted(folder.iterdir()):
        if is_temporary(path) or path.name.endswith(DONE_SUFFIX):
            continue
        if path.is_dir() and not path.is_symlink() and not is_annex_a_folder(path):
            found += landing_entries(path)
        else:
            found.append(path)
    return found


def arrivals(folder: Path, settle_seconds: float) -> list[Path]:
    """The exports in a drop folder that are complete now, by name."""
    now = time.time()
    return [path for path in landing_entries(folder) if is_complete(path, settle_seconds, now)]


def forget_marker(path: Path) -> None:
    """A file's `.done` marker goes once the file has been loaded, archived or rejected."""
    done_marker(path).unlink(missing_ok=True)
