"""Where the expectation suites live: read by the runner and by quarantine (for each table's key)."""

from __future__ import annotations

from pathlib import Path

from ..config import project_dir


def suite_files() -> list[Path]:
    return sorted((project_dir() / "expectations").glob("*.json"))
