"""Child data on disk is for the owner only: folders 0700, files 0600 (warehouse, archive, rejected files,
reports, exception CSVs, the Slack outbox). The process umask makes everything csc-monitor creates private; a
file moved in from the landing folder keeps the mode its copy job gave it, so it is narrowed when archived."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_UMASK = 0o077


def private_umask() -> None:
    """Called wherever the warehouse or the data folder is opened, before anything is written."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    if not path.is_symlink():
        path.chmod(0o600 if path.is_file() else 0o700)
    return path
